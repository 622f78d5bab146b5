import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { InferenceSession, Tensor as OrtTensor } from "onnxruntime-node";
import { OrtUnavailableError } from "./runtime.js";

export { OrtUnavailableError };

/**
 * Synchronous access to onnxruntime-node. mmx's `Program.run` is synchronous (jit returns arrays,
 * not promises), but onnxruntime-node's public `InferenceSession.create` and `run` are async: they
 * only wrap the native binding's synchronous `loadModel` and `run` in `setImmediate` (see
 * onnxruntime-node/dist/backend.js). So this file, and only this file, uses that binding directly:
 * `onnxruntime-node/dist/binding.js`, which is not a public API. It is pinned to the version it was
 * read from; another version is refused with an error saying so, rather than misbehaving.
 */
export const SUPPORTED_ORT_VERSION = "1.30.0";

/** An output as the binding returns it (an onnxruntime-common Tensor has these fields too). */
export interface RunOutput {
  readonly type: string;
  readonly data: ArrayLike<number>;
  readonly dims: readonly number[];
}

/** The binding's session (onnxruntime-node/dist/binding.d.ts, Binding.InferenceSession). */
interface NativeSession {
  loadModel(buffer: ArrayBuffer, byteOffset: number, byteLength: number, options: InferenceSession.SessionOptions): void;
  readonly inputMetadata: readonly { name: string }[];
  readonly outputMetadata: readonly { name: string }[];
  run(feeds: Record<string, OrtTensor>, fetches: Record<string, OrtTensor | null>, options: InferenceSession.RunOptions): Record<string, RunOutput>;
  dispose(): void;
}

interface NativeBinding {
  InferenceSession: new () => NativeSession;
  listSupportedBackends(): { name: string; bundled: boolean }[];
}

export interface OrtRuntime {
  readonly version: string;
  readonly Tensor: typeof OrtTensor;
  readonly binding: NativeBinding;
  /** Where the native libraries live (the CUDA provider's files would be installed beside them). */
  readonly binDir: string;
}

let runtime: OrtRuntime | Error | undefined;

/** Loads onnxruntime-node once; throws an error that says what to install or which version is needed. */
export function ortRuntime(): OrtRuntime {
  if (runtime === undefined) {
    try {
      runtime = loadRuntime();
    } catch (e) {
      runtime = e instanceof OrtUnavailableError ? e : new OrtUnavailableError(`onnxruntime-node could not be loaded: ${(e as Error).message}`);
    }
  }
  if (runtime instanceof Error) throw runtime;
  return runtime;
}


function loadRuntime(): OrtRuntime {
  const require = createRequire(import.meta.url);
  let pkgPath: string;
  try {
    pkgPath = require.resolve("onnxruntime-node/package.json");
  } catch {
    throw new OrtUnavailableError(`the 'onnxruntime-node' package is not installed (npm install onnxruntime-node@${SUPPORTED_ORT_VERSION})`);
  }
  const version = (require(pkgPath) as { version: string }).version;
  if (version !== SUPPORTED_ORT_VERSION) {
    throw new OrtUnavailableError(
      `@mmx/onnx runs programs synchronously through onnxruntime-node's native binding, which it has read for version ${SUPPORTED_ORT_VERSION} only; version ${version} is installed`,
    );
  }
  const root = dirname(pkgPath);
  const bindingModule = require(join(root, "dist", "binding.js")) as { binding: NativeBinding; initOrt: () => void };
  // initOrt hands the binding onnxruntime-common's Tensor class (what run() returns) and sets the log level.
  bindingModule.initOrt();
  const { Tensor } = require("onnxruntime-node") as { Tensor: typeof OrtTensor };
  return { version, Tensor, binding: bindingModule.binding, binDir: join(root, "bin", "napi-v6", process.platform, process.arch) };
}

/** One loaded model: run() is synchronous. */
export class SyncSession {
  private readonly native: NativeSession;
  readonly inputNames: string[];
  readonly outputNames: string[];
  private disposed = false;

  constructor(model: Uint8Array, options: InferenceSession.SessionOptions) {
    const rt = ortRuntime();
    this.native = new rt.binding.InferenceSession();
    this.native.loadModel(model.buffer as ArrayBuffer, model.byteOffset, model.byteLength, options);
    this.inputNames = this.native.inputMetadata.map((m) => m.name);
    this.outputNames = this.native.outputMetadata.map((m) => m.name);
  }

  /**
   * Runs on the given feeds; returns every output by name as onnxruntime-common tensors' parts. With
   * `into`, onnxruntime writes the outputs named there into the given tensors' buffers.
   */
  run(feeds: Record<string, OrtTensor>, into: Record<string, OrtTensor> = {}): Record<string, RunOutput> {
    if (this.disposed) throw new Error("@mmx/onnx: this session was disposed");
    const fetches: Record<string, OrtTensor | null> = {};
    for (const n of this.outputNames) fetches[n] = into[n] ?? null;
    return this.native.run(feeds, fetches, {});
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.native.dispose();
  }
}
