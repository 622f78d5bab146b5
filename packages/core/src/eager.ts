import * as tf from "@tensorflow/tfjs-core";
import { Array, Literal, type Operand } from "./array.js";
import type { ShapedArray } from "./aval.js";
import { getEagerBackend } from "./backend.js";
import "./backends/tfjs-engine.js";
import { DeviceArray } from "./device-array.js";
import { tfjsLowering, type TfLowering } from "./lowering/tfjs.js";
import "./lowering/cpu.js";
import "./lowering/wasm.js";
import "./lowering/webgpu.js";
import type { Params, Primitive } from "./primitives.js";
import { shapeEqual } from "./shape.js";
import { installEvalTrace, Trace, Tracer, type MainTrace } from "./trace.js";

/** Runs one primitive on concrete tensors with a lowering (by default the current backend's). */
export function runPrimitive<P extends Primitive>(
  primitive: P,
  inputs: tf.Tensor[],
  params: Params<P>,
  outAval: ShapedArray,
  lower: TfLowering<P> = tfjsLowering(primitive, getEagerBackend()),
): tf.Tensor {
  // An empty result has no values to compute, and some tfjs kernels give the wrong shape for one
  // (broadcastTo and where on cpu give [1] for [0]): it is made directly.
  if (outAval.size === 0) return tf.zeros([...outAval.shape], outAval.dtype);
  let out = lower(inputs, params);
  // Some lowerings return an operand itself (identities); callers own what they get back.
  if (inputs.includes(out)) out = tf.clone(out);
  if (!shapeEqual(out.shape, outAval.shape) || out.dtype !== outAval.dtype) {
    throw new Error(
      `internal error: the ${getEagerBackend()} lowering of ${primitive} gave ${out.dtype}[${out.shape.join(",")}] where ${outAval} was expected; please report it`,
    );
  }
  return out;
}

/** Level 0: primitives run now, on the current backend. */
class EvalTrace extends Trace {
  constructor(readonly main: MainTrace) {
    super();
  }
  lift(x: Array): Array {
    if (x instanceof Tracer) throw new Error("internal error: a tracer reached the eval trace");
    return x;
  }
  processPrimitive<P extends Primitive>(primitive: P, operands: readonly Operand[], params: Params<P>, outAval: ShapedArray): Array {
    const out = tf.tidy(() => {
      const inputs = operands.map((x) => (x instanceof Literal ? tf.scalar(x.value, x.aval.dtype) : tensorOf(x, primitive)));
      return runPrimitive(primitive, inputs, params, outAval);
    });
    return new DeviceArray(out);
  }
}

installEvalTrace((main) => new EvalTrace(main));

export function tensorOf(x: Array, what = "an operation"): tf.Tensor {
  if (x instanceof DeviceArray) return x.liveTensor(what);
  throw new Error(`internal error: expected a concrete array, got ${String(x)}`);
}
