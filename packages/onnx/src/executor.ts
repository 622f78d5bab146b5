import { DeviceArray, np, takeHostBuffer, type Array, type ClosedJaxpr, type DType, type Executor, type Program, type ShapedArray, type TypedArray } from "@mmx/core";
import type { Tensor as OrtTensor } from "onnxruntime-node";
import { sessionOptions } from "./device.js";
import { lowerToOnnx, type LoweredModel } from "./lower-jaxpr.js";
import type { LoweringOptions } from "./lowerings.js";
import { ortRuntime, SyncSession } from "./ort-sync.js";

const ORT_TYPE: Readonly<Record<DType, "float32" | "int32" | "bool">> = { float32: "float32", int32: "int32", bool: "bool" };

/**
 * A jitted program as one onnxruntime session: `run` feeds the inputs' host buffers without copying
 * (tfjs's cpu backend hands out its own arrays), and onnxruntime writes each output into a buffer
 * given to it: one freed by earlier outputs of the same size when there is one (core's host buffers),
 * so a training loop allocates no new memory per step. Each output becomes a new array the caller owns.
 */
export class OnnxProgram implements Program {
  readonly lowered: LoweredModel;
  private readonly session: SyncSession;
  private readonly Tensor: typeof OrtTensor;

  constructor(closed: ClosedJaxpr, lowering?: LoweringOptions) {
    this.lowered = lowerToOnnx(closed, lowering ? { lowering } : {});
    this.Tensor = ortRuntime().Tensor;
    try {
      this.session = new SyncSession(this.lowered.bytes, sessionOptions());
    } catch (e) {
      // onnxruntime's message names the failing node, and node names carry the primitive and the layer.
      throw new Error(`@mmx/onnx: onnxruntime rejected the lowered program: ${(e as Error).message}`);
    }
  }

  run(inputs: readonly Array[]): Array[] {
    const { inputNames, inAvals, outputNames, outAvals } = this.lowered;
    if (inputs.length !== inputNames.length) throw new Error(`jit: the program takes ${inputNames.length} inputs, got ${inputs.length}`);
    const feeds: Record<string, OrtTensor> = {};
    inputs.forEach((x, i) => {
      const aval = inAvals[i]!;
      if (!x.aval.equals(aval)) throw new TypeError(`jit: input ${i} is ${x.aval}, the program expects ${aval}`);
      feeds[inputNames[i]!] = new this.Tensor(ORT_TYPE[aval.dtype], hostValues(x) as never, aval.shape as number[]);
    });
    const buffers = outAvals.map((aval) => takeHostBuffer(aval.dtype, aval.size));
    const fetches: Record<string, OrtTensor> = {};
    outputNames.forEach((name, i) => (fetches[name] = new this.Tensor(ORT_TYPE[outAvals[i]!.dtype], buffers[i] as never, outAvals[i]!.shape as number[])));
    try {
      this.session.run(feeds, fetches);
    } catch (e) {
      throw new Error(`@mmx/onnx: the program failed in onnxruntime: ${(e as Error).message}`);
    }
    return buffers.map((buffer, i) => wrap(buffer, outAvals[i]!));
  }

  dispose(): void {
    this.session.dispose();
  }
}

function wrap(data: TypedArray, aval: ShapedArray): Array {
  return np.array(data, { shape: aval.shape, dtype: aval.dtype });
}

/** The values an input array holds, uncopied (its `dataSync()` copies a reused output buffer). */
function hostValues(x: Array): TypedArray {
  return x instanceof DeviceArray ? (x.tensor.dataSync() as TypedArray) : x.dataSync();
}

/** The executor `jit` uses while the backend is 'onnx'. */
export function createOnnxExecutor(lowering?: LoweringOptions): Executor {
  return { name: "onnx", compile: (closed) => new OnnxProgram(closed, lowering) };
}
