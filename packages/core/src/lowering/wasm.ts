import { convFilterGradAsConv, matmulWithExplicitTransposes, registerLowerings } from "./tfjs.js";

/**
 * tfjs-wasm 4.22 in Node (measured, see DESIGN.md): transposed matmuls run 10-25x slower than plain
 * ones, so transposes are explicit; Conv2DBackpropFilter is missing, so the filter gradient is a
 * convolution. (Its MaxPoolWithArgmax and OneHot bugs are handled in the default lowerings.)
 */
registerLowerings("wasm", {
  matmul: matmulWithExplicitTransposes,
  conv_filter_grad: convFilterGradAsConv,
});
