import { lax, np } from "@mmx/core";
import { defineLeaf, shapeError } from "../define.js";
import type { Layer, Shape } from "../layer.js";
import { resolvePadding, type Padding } from "./spatial.js";

export interface PoolOptions {
  /** Stride, one number or [sh, sw] (default: the window, as PyTorch). */
  stride?: number | readonly [number, number];
  /** Padding as conv2d takes it (default 0). */
  padding?: Padding;
  name?: string;
}

function pool(kind: "avgPool" | "maxPool", windowSize: number | readonly [number, number], opts: PoolOptions): Layer {
  const window = lax.pair(windowSize, `${kind} window`);
  const stride = lax.pair(opts.stride ?? window, `${kind} stride`);
  const padding = opts.padding ?? 0;
  const outShape = (inputShape: Shape): number[] => {
    if (inputShape.length !== 4) throw shapeError(kind, "[N,H,W,C]", inputShape, "NHWC");
    const pads = resolvePadding(padding, inputShape.slice(1, 3), window, stride);
    const hw = [0, 1].map((i) => lax.spatialOut(inputShape[i + 1]!, window[i]!, stride[i]!, 1, pads[i]!));
    if (hw.some((d) => d < 1)) throw shapeError(kind, `[N,>=${window[0]},>=${window[1]},C]`, inputShape, `too small for a ${window.join("x")} window`);
    return [inputShape[0]!, hw[0]!, hw[1]!, inputShape[3]!];
  };
  return defineLeaf({
    kind,
    ...(opts.name !== undefined ? { name: opts.name } : {}),
    spec: (inputShape) => ({ params: {}, state: {}, outputShape: outShape(inputShape) }),
    forward(_p, x) {
      const pads = resolvePadding(padding, x.shape.slice(1, 3), window, stride);
      if (kind === "maxPool") return lax.maxPool(x, window, { strides: stride, padding: pads });
      // PyTorch's default (count_include_pad): padded zeros count in each average. Pad explicitly,
      // then pool without padding, since lax.avgPool leaves padded cells out.
      const padded = pads.flat().some((d) => d > 0) ? np.pad(x, [[0, 0], pads[0], pads[1], [0, 0]]) : x;
      return lax.avgPool(padded, window, { strides: stride, padding: "VALID" });
    },
  });
}

/** Average pooling over NHWC windows; padding counts as zeros in the average (PyTorch's default). */
export const avgPool = (window: number | readonly [number, number], opts: PoolOptions = {}): Layer => pool("avgPool", window, opts);
/** Max pooling over NHWC windows; padding never wins. */
export const maxPool = (window: number | readonly [number, number], opts: PoolOptions = {}): Layer => pool("maxPool", window, opts);

/** The mean over the spatial axes: [N, H, W, C] -> [N, C]. */
export const globalAvgPool: Layer = defineLeaf({
  kind: "globalAvgPool",
  spec(inputShape) {
    if (inputShape.length !== 4) throw shapeError("globalAvgPool", "[N,H,W,C]", inputShape, "NHWC");
    return { params: {}, state: {}, outputShape: [inputShape[0]!, inputShape[3]!] };
  },
  forward: (_p, x) => np.mean(x, { axis: [1, 2] }),
});
