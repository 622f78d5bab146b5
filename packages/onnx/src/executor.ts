import { AsyncProgramError, DeviceArray, np, takeHostBuffer, type Array, type ClosedJaxpr, type DType, type Executor, type Program, type ShapedArray, type StepTiming, type TypedArray } from "@mmx/core";
import { lowerToOnnx, type LoweredModel } from "./lower-jaxpr.js";
import type { LoweringOptions } from "./lowerings.js";
import { currentBinding, type HostTensor, type OnnxRuntimeBinding, type OnnxSession, type OrtDType } from "./runtime.js";

const ORT_TYPE: Readonly<Record<DType, OrtDType>> = { float32: "float32", int32: "int32", bool: "bool" };

const rejected = (e: unknown) => new Error(`@mmx/onnx: onnxruntime rejected the lowered program: ${(e as Error).message}`);

/**
 * A jitted program as one onnxruntime session. Where the runtime runs synchronously (onnxruntime-node), `run`
 * feeds the inputs' host buffers without copying (tfjs's cpu backend hands out its own arrays), and onnxruntime
 * writes each output into a buffer given to it: one freed by earlier outputs of the same size when there is one
 * (core's host buffers), so a training loop allocates no new memory per step. Where it runs asynchronously
 * (onnxruntime-web), only `runAsync` runs (jit's `callAsync`). Each output becomes a new array the caller owns.
 */
export class OnnxProgram implements Program {
  readonly lowered: LoweredModel;
  private readonly binding: OnnxRuntimeBinding;
  private readonly session: OnnxSession | undefined;
  private readonly pending: Promise<OnnxSession> | undefined;

  constructor(closed: ClosedJaxpr, lowering?: LoweringOptions) {
    this.lowered = lowerToOnnx(closed, lowering ? { lowering } : {});
    this.binding = currentBinding();
    if (this.binding.createSessionSync) {
      try {
        this.session = this.binding.createSessionSync(this.lowered.bytes);
      } catch (e) {
        // onnxruntime's message names the failing node, and node names carry the primitive and the layer.
        throw rejected(e);
      }
    } else {
      const pending = this.binding.createSession(this.lowered.bytes).catch((e: unknown) => Promise.reject(rejected(e)));
      // The error surfaces at the first runAsync; a program never run must not leave an unhandled rejection.
      pending.catch(() => {});
      this.pending = pending;
    }
  }

  private feeds(inputs: readonly Array[]): Record<string, HostTensor> {
    const { inputNames, inAvals } = this.lowered;
    if (inputs.length !== inputNames.length) throw new Error(`jit: the program takes ${inputNames.length} inputs, got ${inputs.length}`);
    const feeds: Record<string, HostTensor> = {};
    inputs.forEach((x, i) => {
      const aval = inAvals[i]!;
      if (!x.aval.equals(aval)) throw new TypeError(`jit: input ${i} is ${x.aval}, the program expects ${aval}`);
      feeds[inputNames[i]!] = { type: ORT_TYPE[aval.dtype], data: hostValues(x), dims: aval.shape };
    });
    return feeds;
  }

  run(inputs: readonly Array[]): Array[] {
    const session = this.session;
    if (!session?.runInto) {
      throw new AsyncProgramError(`jit: the onnx backend runs programs asynchronously on ${this.binding.name}: call \`await f.callAsync(...)\` instead of \`f(...)\``);
    }
    const feeds = this.feeds(inputs);
    const { outputNames, outAvals } = this.lowered;
    const buffers = outAvals.map((aval) => takeHostBuffer(aval.dtype, aval.size));
    const outputs: Record<string, HostTensor> = {};
    outputNames.forEach((name, i) => (outputs[name] = { type: ORT_TYPE[outAvals[i]!.dtype], data: buffers[i]!, dims: outAvals[i]!.shape }));
    try {
      session.runInto(feeds, outputs);
    } catch (e) {
      throw new Error(`@mmx/onnx: the program failed in onnxruntime: ${(e as Error).message}`);
    }
    return buffers.map((buffer, i) => wrap(buffer, outAvals[i]!));
  }

  /** onnxruntime runs the graph as one call: the whole run is one step. */
  profile(inputs: readonly Array[]): { outputs: Array[]; timings: StepTiming[] } {
    const t0 = performance.now();
    const outputs = this.run(inputs);
    return { outputs, timings: [{ primitive: `onnxruntime session (${this.lowered.model.graph.node.length} nodes)`, scope: "", ms: performance.now() - t0 }] };
  }

  async runAsync(inputs: readonly Array[]): Promise<Array[]> {
    if (this.session?.runInto) return this.run(inputs);
    const feeds = this.feeds(inputs);
    const session = this.session ?? (await this.pending!);
    let values: Record<string, TypedArray>;
    try {
      values = await session.run(feeds);
    } catch (e) {
      throw new Error(`@mmx/onnx: the program failed in ${this.binding.name}: ${(e as Error).message}`);
    }
    const { outputNames, outAvals } = this.lowered;
    return outputNames.map((name, i) => wrap(values[name]!, outAvals[i]!));
  }

  dispose(): void {
    this.session?.dispose();
    this.pending?.then(
      (s) => s.dispose(),
      () => {},
    );
  }
}

function wrap(data: TypedArray, aval: ShapedArray): Array {
  return np.array(data, { shape: aval.shape, dtype: aval.dtype });
}

/** The values an input array holds, uncopied (its `dataSync()` copies a reused output buffer). */
function hostValues(x: Array): TypedArray {
  return x instanceof DeviceArray ? x.hostData() : x.dataSync();
}

/** The executor `jit` uses while the backend is 'onnx'. */
export function createOnnxExecutor(lowering?: LoweringOptions): Executor {
  return { name: "onnx", compile: (closed) => new OnnxProgram(closed, lowering) };
}
