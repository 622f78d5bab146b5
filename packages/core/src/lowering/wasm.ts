import { matmulWithExplicitTransposes, registerLowerings } from "./tfjs.js";

/**
 * tfjs-wasm 4.22 in Node (measured, see DESIGN.md): transposed matmuls run 10-25x slower than plain
 * ones, so transposes are explicit. (Its missing Conv2DBackpropFilter, and its MaxPoolWithArgmax and
 * OneHot bugs, are handled in the default lowerings, which avoid those kernels everywhere.)
 */
registerLowerings("wasm", {
  matmul: matmulWithExplicitTransposes,
});
