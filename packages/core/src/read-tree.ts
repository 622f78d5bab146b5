import { takeWebgpuErrors } from "./backends/webgpu-common.js";
import { DeviceArray } from "./device-array.js";
import type { Array } from "./array.js";
import { dispose } from "./memory.js";
import { flatten, unflatten } from "./tree.js";

/** A pytree with every concrete array replaced by its values. */
export type Read<T> = T extends Array ? number[] : T extends readonly unknown[] ? { [K in keyof T]: Read<T[K]> } : T extends object ? { [K in keyof T]: Read<T[K]> } : T;

/**
 * Reads every array of a tree with `await data()` (the one read every backend has: webgpu cannot read
 * synchronously in Node), disposes them, and fails if WebGPU reported an error meanwhile (a shader that does
 * not compile voids a whole batch of results without any other sign). Leaves that are not arrays are kept.
 */
export async function readTree<T>(t: T): Promise<Read<T>> {
  const [leaves, def] = flatten(t);
  let values: unknown[];
  try {
    values = await Promise.all(leaves.map(async (l) => (l instanceof DeviceArray ? globalThis.Array.from(await l.data(), Number) : l)));
  } finally {
    dispose(leaves);
  }
  const errors = takeWebgpuErrors();
  if (errors.length > 0) throw new Error(`WebGPU reported errors, so these results are invalid:\n${errors.join("\n")}`);
  return unflatten(def, values) as Read<T>;
}
