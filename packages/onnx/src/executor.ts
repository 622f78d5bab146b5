import { np, type Array, type ClosedJaxpr, type DType, type Executor, type Program, type ShapedArray } from "@mmx/core";
import type { Tensor as OrtTensor } from "onnxruntime-node";
import { sessionOptions } from "./device.js";
import { lowerToOnnx, type LoweredModel } from "./lower-jaxpr.js";
import type { LoweringOptions } from "./lowerings.js";
import { ortRuntime, SyncSession } from "./ort-sync.js";

const ORT_TYPE: Readonly<Record<DType, "float32" | "int32" | "bool">> = { float32: "float32", int32: "int32", bool: "bool" };

/**
 * A jitted program as one onnxruntime session: `run` feeds the inputs' host buffers without copying
 * (tfjs's cpu backend hands out its own arrays), runs the whole graph once and wraps each output
 * buffer as a new array that the caller owns.
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
      feeds[inputNames[i]!] = new this.Tensor(ORT_TYPE[aval.dtype], x.dataSync() as never, aval.shape as number[]);
    });
    let results: ReturnType<SyncSession["run"]>;
    try {
      results = this.session.run(feeds);
    } catch (e) {
      throw new Error(`@mmx/onnx: the program failed in onnxruntime: ${(e as Error).message}`);
    }
    return outputNames.map((name, i) => wrap(results[name]!.data, outAvals[i]!));
  }

  dispose(): void {
    this.session.dispose();
  }
}

function wrap(data: ArrayLike<number>, aval: ShapedArray): Array {
  return np.array(data as Float32Array | Int32Array | Uint8Array, { shape: aval.shape, dtype: aval.dtype });
}

/** The executor `jit` uses while the backend is 'onnx'. */
export function createOnnxExecutor(lowering?: LoweringOptions): Executor {
  return { name: "onnx", compile: (closed) => new OnnxProgram(closed, lowering) };
}
