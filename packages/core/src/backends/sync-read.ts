/**
 * Which backends can read values back synchronously (`dataSync()`, `item()`). tfjs-webgpu's synchronous read draws
 * the buffer onto an OffscreenCanvas, which browsers have and Node does not: in Node, webgpu values are read with
 * `await x.data()` only. Asking first gives a clear error instead of tfjs's `OffscreenCanvas is not defined`.
 */
import * as tf from "@tensorflow/tfjs-core";

/** tfjs backends whose data lives in host memory: reading it back costs a copy, never a device round trip. */
const HOST_BACKENDS: readonly string[] = ["cpu", "wasm"];

/** Whether this tensor's data lives in host memory (cpu, wasm), so that a synchronous read of it is cheap. */
export function tensorOnHost(t: tf.Tensor): boolean {
  return HOST_BACKENDS.includes(tensorBackendName(t));
}

/** tfjs backends whose synchronous read needs OffscreenCanvas. */
const NEEDS_OFFSCREEN_CANVAS = ["webgpu"] as const;

function hasOffscreenCanvas(): boolean {
  return typeof (globalThis as { OffscreenCanvas?: unknown }).OffscreenCanvas === "function";
}

/** The registered name of the tfjs backend that holds this tensor's data (it can differ from the current one). */
export function tensorBackendName(t: tf.Tensor): string {
  const engine = tf.engine();
  const holder = engine.state.tensorInfo.get(t.dataId)?.backend;
  if (holder !== undefined) {
    for (const [name, backend] of Object.entries(engine.registry)) if (backend === holder) return name;
  }
  return tf.getBackend();
}

/** The tfjs backend name that cannot read synchronously here, or null when `name` can. */
export function syncReadBlocked(name: string): boolean {
  return (NEEDS_OFFSCREEN_CANVAS as readonly string[]).includes(name) && !hasOffscreenCanvas();
}

/** Raised by `dataSync()`/`item()` on an array whose backend can only read asynchronously here. */
export class SyncReadUnavailableError extends Error {
  override readonly name = "SyncReadUnavailableError";
}

export function syncReadError(what: string, aval: string, backend: string): SyncReadUnavailableError {
  const instead = what === "item()" ? "`(await x.data())[0]`" : "`await x.data()`";
  return new SyncReadUnavailableError(
    `${what}: this ${aval} array lives on the ${backend} backend, which cannot read values synchronously in Node ` +
      `(tfjs-${backend} reads synchronously through OffscreenCanvas, which Node lacks): use ${instead} instead`,
  );
}
