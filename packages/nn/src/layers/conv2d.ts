import { lax, np, type Array } from "@mmx/core";
import { defineLeaf, shapeError } from "../define.js";
import type { Layer } from "../layer.js";
import { torchUniform } from "../initializers.js";
import { leafShape } from "./like.js";
import { resolvePadding, type Padding } from "./spatial.js";

export interface Conv2dOptions {
  /** Stride, one number or [sh, sw] (default 1). */
  stride?: number | readonly [number, number];
  /**
   * Padding: PyTorch-style integers (`1`, or `[ph, pw]`), explicit `[[top, bottom], [left, right]]`,
   * or "SAME" / "VALID" (default 0, as PyTorch).
   */
  padding?: Padding;
  /** Dilation, one number or [dh, dw] (default 1). */
  dilation?: number | readonly [number, number];
  /** Adds a bias (default true, as PyTorch). */
  bias?: boolean;
  /** The number of input channels, checked against the input (by default taken from it). */
  inChannels?: number;
  name?: string;
}

/**
 * A 2-D convolution of NHWC inputs with an HWIO weight [kh, kw, in, out] (PyTorch's Conv2d stores
 * OIHW [out, in, kh, kw]). Initialised as PyTorch's Conv2d: fanIn = in * kh * kw.
 */
export function conv2d(outChannels: number, kernelSize: number | readonly [number, number], opts: Conv2dOptions = {}): Layer {
  if (!(Number.isInteger(outChannels) && outChannels >= 1)) throw new RangeError(`conv2d: the number of output channels must be a positive integer, got ${outChannels}`);
  const kernel = lax.pair(kernelSize, "conv2d kernel size");
  const stride = lax.pair(opts.stride ?? 1, "conv2d stride");
  const dilation = lax.pair(opts.dilation ?? 1, "conv2d dilation");
  const padding = opts.padding ?? 0;
  const bias = opts.bias ?? true;
  if (opts.inChannels !== undefined && !(Number.isInteger(opts.inChannels) && opts.inChannels >= 1)) {
    throw new RangeError(`conv2d: inChannels must be a positive integer, got ${opts.inChannels}`);
  }
  return defineLeaf({
    kind: "conv2d",
    ...(opts.name !== undefined ? { name: opts.name } : {}),
    hasParams: true,
    spec(inputShape, like) {
      const cin = opts.inChannels ?? leafShape(like, "weight")?.[2] ?? inputShape[3];
      if (inputShape.length !== 4 || inputShape[3] !== cin) {
        throw shapeError("conv2d", `[N,H,W,${cin ?? "C"}]`, inputShape, cin === undefined ? "NHWC" : `NHWC with ${cin} channels`);
      }
      const pads = resolvePadding(padding, inputShape.slice(1, 3), kernel, stride, dilation);
      const hw = [0, 1].map((i) => lax.spatialOut(inputShape[i + 1]!, kernel[i]!, stride[i]!, dilation[i]!, pads[i]!));
      if (hw.some((d) => d < 1)) {
        const minimum = [0, 1].map((i) => (kernel[i]! - 1) * dilation[i]! + 1 - pads[i]![0] - pads[i]![1]);
        throw shapeError("conv2d", `[N,>=${minimum[0]},>=${minimum[1]},${cin}]`, inputShape, `too small for a ${kernel.join("x")} kernel`);
      }
      const fanIn = cin * kernel[0] * kernel[1];
      const weight = torchUniform([kernel[0], kernel[1], cin, outChannels], fanIn);
      return {
        params: bias ? { weight, bias: torchUniform([outChannels], fanIn) } : { weight },
        state: {},
        outputShape: [inputShape[0]!, hw[0]!, hw[1]!, outChannels],
      };
    },
    forward(p: { weight: Array; bias?: Array }, x) {
      const pads = resolvePadding(padding, x.shape.slice(1, 3), kernel, stride, dilation);
      const y = lax.conv(x, p.weight, { strides: stride, padding: pads, dilation });
      return p.bias ? np.add(y, p.bias) : y;
    },
  });
}
