import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-wasm";

/**
 * Backend selection. mmx runs on tfjs backends; `cpu` is always present, `wasm` in Node and wherever a page serves
 * its .wasm files, `webgl` in a browser with WebGL2, `webgpu` when a WebGPU adapter is found (Dawn in Node,
 * navigator.gpu in a browser), `tensorflow` when @tensorflow/tfjs-node(-gpu) is installed, `onnx` once @mmx/onnx is
 * imported (onnxruntime-node in Node, onnxruntime-web in a browser).
 */
export type BackendName = "cpu" | "wasm" | "webgl" | "webgpu" | "tensorflow" | "onnx";

export const KNOWN_BACKENDS: readonly BackendName[] = ["cpu", "wasm", "webgl", "webgpu", "tensorflow", "onnx"];

export interface BackendInfo {
  readonly name: BackendName;
  readonly available: boolean;
  /** What it runs on, or why it is not available. */
  readonly detail: string;
}

/** Optional backends register themselves here, so that this module needs none of their packages. */
export interface BackendProvider {
  /** Registers what the backend needs, or throws an error that says what to install. */
  register(): Promise<void>;
  /**
   * For a backend that only executes jitted programs (onnx): the tfjs backend that runs eager
   * operations beside it. Absent for a tfjs backend of the same name.
   */
  readonly eagerBackend?: "cpu" | "wasm";
  probe(): Promise<{ ok: true; detail: string } | { ok: false; reason: string }>;
}

const providers = new Map<string, BackendProvider>();

export function registerBackendProvider(name: BackendName, provider: BackendProvider): void {
  providers.set(name, provider);
}

// Start deterministic: tfjs would otherwise pick by priority among whatever got registered.
void tf.setBackend("cpu");
// tfjs's cpu backend greets Node users with advice to install tfjs-node, which cannot install
// offline; mmx documents its own backends, so that banner is turned off.
const cpuBackend = tf.findBackend("cpu") as { firstUse?: boolean } | null;
if (cpuBackend) cpuBackend.firstUse = false;

export class UnknownBackendError extends Error {
  constructor(name: string) {
    super(`unknown backend ${JSON.stringify(name)}; valid backends are ${KNOWN_BACKENDS.map((b) => `'${b}'`).join(", ")}`);
    this.name = "UnknownBackendError";
  }
}

function assertKnown(name: string): asserts name is BackendName {
  if (!KNOWN_BACKENDS.includes(name as BackendName)) throw new UnknownBackendError(name);
}

const setListeners: ((name: BackendName) => void)[] = [];
/** Lets caches that depend on the backend (compiled programs, literal tensors) react to a switch. */
export function onBackendChange(listener: (name: BackendName) => void): void {
  setListeners.push(listener);
}

let current: BackendName = "cpu";

/** Switches every later operation to `name`. Resolves once the backend is initialised. */
export async function setBackend(name: string): Promise<void> {
  assertKnown(name);
  const provider = providers.get(name);
  const tfjsName = provider?.eagerBackend ?? name;
  if (provider?.eagerBackend || !tf.findBackendFactory(name)) {
    if (!provider) throw new Error(`backend '${name}' is not installed here; ${availabilityHint(name)}`);
    await provider.register();
  }
  const ok = await tf.setBackend(tfjsName);
  if (!ok) throw new Error(`backend '${name}' failed to initialise; ${availabilityHint(name)}`);
  current = name;
  for (const l of setListeners) l(name);
}

function availabilityHint(name: BackendName): string {
  switch (name) {
    case "wasm":
      return "tfjs's wasm backend registers itself when @mmx/core loads: this should not happen, report it";
    case "webgl":
      return "it runs in a browser only (WebGL2, through @tensorflow/tfjs-backend-webgl); Node has no WebGL";
    case "webgpu":
      return "it needs the 'webgpu' and '@tensorflow/tfjs-backend-webgpu' packages and a Vulkan device (see the README's WebGPU section)";
    case "tensorflow":
      return "it needs '@tensorflow/tfjs-node' or '@tensorflow/tfjs-node-gpu' (optional; their install downloads libtensorflow)";
    case "onnx":
      return "it needs the '@mmx/onnx' package (import it once to register the ONNX Runtime executor)";
    default:
      return "this should not happen: report it";
  }
}

/** The backend that runs jitted programs (and, but for onnx, eager operations too). */
export function getBackend(): BackendName {
  return current;
}

/** The tfjs backend that runs eager operations: the lowering table to use for them. */
export function getEagerBackend(): string {
  return tf.getBackend();
}

/** Every known backend, whether it can run here, and what it runs on or why not. */
export async function availableBackends(): Promise<BackendInfo[]> {
  const out: BackendInfo[] = [{ name: "cpu", available: true, detail: "tfjs cpu (plain JavaScript)" }];
  for (const name of KNOWN_BACKENDS) {
    if (name === "cpu") continue;
    const provider = providers.get(name);
    if (!provider) {
      out.push({ name, available: false, detail: availabilityHint(name) });
      continue;
    }
    const probe = await provider.probe();
    out.push(probe.ok ? { name, available: true, detail: probe.detail } : { name, available: false, detail: probe.reason });
  }
  return out;
}
