import type { TypedArray } from "@mmx/core";

/**
 * What @mmx/onnx needs of an ONNX runtime, one binding per platform: onnxruntime-node's native binding in Node
 * (./binding-node.ts: sessions created and run synchronously), onnxruntime-web in a browser (./binding-web.ts:
 * asynchronous). The lowering is the same on both; only this interface differs.
 */
export type OrtDType = "float32" | "int32" | "bool";

/** A tensor on the host: its values (bool as bytes) and dimensions. */
export interface HostTensor {
  readonly type: OrtDType;
  readonly data: TypedArray;
  readonly dims: readonly number[];
}

export interface OnnxSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /**
   * Runs synchronously and writes each output named in `outputs` into its tensor's buffer. Present where the runtime
   * can run synchronously (Node); `jit`'s plain call needs it.
   */
  runInto?(feeds: Readonly<Record<string, HostTensor>>, outputs: Readonly<Record<string, HostTensor>>): void;
  /** Runs and resolves to each output's values by name. */
  run(feeds: Readonly<Record<string, HostTensor>>): Promise<Record<string, TypedArray>>;
  dispose(): void;
}

export interface OnnxRuntimeBinding {
  /** The runtime and where it runs, e.g. "onnxruntime-web 1.30.0 (wasm)": error messages name it. */
  readonly name: string;
  /** Loads a model synchronously; present where the runtime can (Node). */
  createSessionSync?(model: Uint8Array): OnnxSession;
  createSession(model: Uint8Array): Promise<OnnxSession>;
}

/** The ONNX runtime package is missing, of another version, or fails to load: says what to install. */
export class OrtUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OrtUnavailableError";
  }
}

let current: (() => OnnxRuntimeBinding) | undefined;

/** Set by the platform entry (index.ts, index.browser.ts) when it is imported. */
export function setBindingFactory(factory: () => OnnxRuntimeBinding): void {
  current = factory;
}

/** The binding programs compile with now (it reflects the runtime options in effect). */
export function currentBinding(): OnnxRuntimeBinding {
  if (!current) throw new OrtUnavailableError("@mmx/onnx: no ONNX runtime binding is registered (import @mmx/onnx itself, not one of its files)");
  return current();
}
