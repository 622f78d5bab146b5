/**
 * What the tfjs WebGPU backend needs on every platform: the WebGPU types mmx touches (typed structurally, no
 * @webgpu/types), the error recording of devices tfjs creates, and tfjs-backend-webgpu's factory for when that
 * module was imported before `navigator.gpu` existed. Node gets its WebGPU from Dawn (./webgpu.ts), a browser from
 * `navigator.gpu` (./webgpu-browser.ts).
 */
import * as tf from "@tensorflow/tfjs-core";

export type WebgpuAvailability = { ok: true; adapter: string } | { ok: false; reason: string };

/** The platform's (or our) answer to "no WebGPU here": says what to install or enable. */
export class WebgpuUnavailableError extends Error {
  override readonly name = "WebgpuUnavailableError";
}

export interface AdapterInfoLike {
  readonly vendor?: string;
  readonly architecture?: string;
  readonly device?: string;
  readonly description?: string;
}
export interface DeviceLike {
  destroy(): void;
  addEventListener?(type: "uncapturederror", listener: (event: { error?: { message?: string } }) => void): void;
}
export interface AdapterLike {
  readonly info?: AdapterInfoLike;
  readonly features: { has(name: string): boolean };
  readonly limits: Readonly<Record<string, number>>;
  requestDevice(descriptor?: object): Promise<DeviceLike>;
}
export interface GpuLike {
  requestAdapter(options?: { powerPreference?: "low-power" | "high-performance" }): Promise<AdapterLike | null>;
}
export type WebgpuBackendCtor = new (device: DeviceLike, adapterInfo?: AdapterInfoLike) => tf.KernelBackend;

export const TFJS_WEBGPU_PACKAGE = "@tensorflow/tfjs-backend-webgpu";

export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export function firstLine(e: unknown): string {
  return messageOf(e).split("\n", 1)[0] ?? "";
}

export function isObject(x: unknown): x is Record<string, unknown> {
  return (typeof x === "object" || typeof x === "function") && x !== null;
}

export function describeAdapter(adapter: AdapterLike): string {
  const info = adapter.info ?? {};
  const name = info.description || info.device || "unknown adapter";
  const kind = [info.vendor, info.architecture].filter(Boolean).join("/");
  return kind ? `${name} (${kind})` : name;
}

// ---- WebGPU validation errors: a shader that fails to compile makes the implementation drop the whole command
// buffer it was recorded in, so every result of that batch silently keeps stale buffer contents. They are recorded
// here. ----

const uncaptured: string[] = [];
const MAX_RECORDED = 100;
const hookedGpus = new WeakSet<object>();

function recordUncaptured(event: { error?: { message?: string } }): void {
  const message = event.error?.message ?? "unknown WebGPU error";
  if (uncaptured.length === 0) {
    console.error(`[mmx webgpu] a WebGPU error: results computed since the previous one may be invalid: ${message.split("\n", 1)[0]}`);
  }
  if (uncaptured.length < MAX_RECORDED) uncaptured.push(message);
}

/**
 * The WebGPU errors (validation, out of memory, internal) raised on the devices tfjs created since the last call,
 * emptied by the call. Any error means that results of the batch it happened in are invalid: tests assert none.
 */
export function takeWebgpuErrors(): string[] {
  return uncaptured.splice(0, uncaptured.length);
}

/** Makes every device requested through `gpu` report its uncaptured errors to `takeWebgpuErrors()`. */
export function hookDevices(gpu: GpuLike): void {
  if (hookedGpus.has(gpu)) return;
  hookedGpus.add(gpu);
  const requestAdapter = gpu.requestAdapter.bind(gpu);
  gpu.requestAdapter = async (options) => {
    const adapter = await requestAdapter(options);
    if (adapter === null) return null;
    const requestDevice = adapter.requestDevice.bind(adapter);
    adapter.requestDevice = async (descriptor) => {
      const device = await requestDevice(descriptor);
      device.addEventListener?.("uncapturederror", recordUncaptured);
      return device;
    };
    return adapter;
  };
}

/** Asks for an adapter and a device (as tfjs will), frees the device, and names the adapter. */
export async function probeAdapter(gpu: GpuLike, noAdapter: () => string): Promise<string> {
  const adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
  if (adapter === null) throw new WebgpuUnavailableError(noAdapter());
  // An adapter can still fail to give a device (limits, lost driver): try one, as tfjs will, and free it.
  const device = await adapter.requestDevice();
  device.destroy();
  return describeAdapter(adapter);
}

/** The factory of tfjs-backend-webgpu 4.22 (src/base.ts), for when that module was imported before navigator.gpu. */
export function registerOwnFactory(gpu: GpuLike, Backend: WebgpuBackendCtor, noAdapter: () => string): void {
  tf.registerBackend(
    "webgpu",
    async () => {
      const lowPower = tf.env().getBool("WEBGPU_USE_LOW_POWER_GPU");
      const adapter = await gpu.requestAdapter({ powerPreference: lowPower ? "low-power" : "high-performance" });
      if (adapter === null) throw new WebgpuUnavailableError(noAdapter());
      const requiredFeatures = ["timestamp-query", "bgra8unorm-storage"].filter((f) => adapter.features.has(f));
      const limitNames = [
        "maxComputeWorkgroupStorageSize",
        "maxComputeWorkgroupsPerDimension",
        "maxStorageBufferBindingSize",
        "maxBufferSize",
        "maxComputeWorkgroupSizeX",
        "maxComputeInvocationsPerWorkgroup",
      ];
      const requiredLimits = Object.fromEntries(limitNames.map((n) => [n, adapter.limits[n]]));
      const device = await adapter.requestDevice({ requiredFeatures, requiredLimits });
      return new Backend(device, adapter.info);
    },
    3,
  );
}

/** Registers tfjs's 'webgpu' backend from its imported module, unless importing it already did. */
export function ensureWebgpuFactory(mod: unknown, gpu: GpuLike, noAdapter: () => string): void {
  if (tf.findBackendFactory("webgpu") !== null) return;
  const Backend = isObject(mod) ? mod["WebGPUBackend"] : undefined;
  if (typeof Backend !== "function") {
    throw new WebgpuUnavailableError(`WebGPU: '${TFJS_WEBGPU_PACKAGE}' exports no WebGPUBackend class.`);
  }
  registerOwnFactory(gpu, Backend as WebgpuBackendCtor, noAdapter);
}

/**
 * tfjs-webgpu runs an operation on the CPU when all its inputs are small (< 1000 elements) and still on the host
 * (WEBGPU_CPU_FORWARD, on by default: it saves a dispatch). Tests turn it off so that the GPU kernels, not those
 * shortcuts, are what they check. Call after the webgpu backend is registered (`setBackend('webgpu')`).
 */
export function setWebgpuCpuForward(enabled: boolean): void {
  if (tf.findBackendFactory("webgpu") === null) {
    throw new WebgpuUnavailableError("setWebgpuCpuForward: the webgpu backend is not registered yet; call setBackend('webgpu') first");
  }
  tf.env().set("WEBGPU_CPU_FORWARD", enabled);
}

/** Caches a promise until it rejects: a failed probe or registration may succeed later (a fixed driver path). */
export function retryable<T>(make: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    if (pending === undefined) {
      const p = make();
      pending = p;
      p.catch(() => {
        if (pending === p) pending = undefined;
      });
    }
    return pending;
  };
}
