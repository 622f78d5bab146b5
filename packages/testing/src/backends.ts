import { DeviceArray, dispose, setBackend, setWebgpuCpuForward, takeWebgpuErrors, tree, type Array as MxArray, type BackendName } from "@mmx/core";

/**
 * The cross-backend harness. The backend plan of a test run (which backends MMX_BACKENDS asks for, which are
 * skipped and why, property runs per backend) lives in @mmx/core, whose own cross-backend tests need it and which
 * cannot depend on this package; it is re-exported here for the other packages' suites.
 */
export { planBackends, describePlan, parseBackendList, propertyRuns, RequestedBackendUnavailableError, type BackendPlan } from "@mmx/core";

/** A pytree with every concrete array replaced by its values. */
export type Read<T> = T extends MxArray ? number[] : T extends readonly unknown[] ? { [K in keyof T]: Read<T[K]> } : T extends object ? { [K in keyof T]: Read<T[K]> } : T;

/**
 * Reads every array of a tree with `await data()` (the one read every backend has: webgpu cannot read
 * synchronously in Node), disposes them, and fails if WebGPU reported an error meanwhile (a shader that does not
 * compile voids a whole batch of results without any other sign). Leaves that are not arrays are kept.
 */
export async function readTree<T>(t: T): Promise<Read<T>> {
  const [leaves, def] = tree.flatten(t);
  let values: unknown[];
  try {
    values = await Promise.all(leaves.map(async (l) => (l instanceof DeviceArray ? globalThis.Array.from(await l.data(), Number) : l)));
  } finally {
    dispose(leaves);
  }
  const errors = takeWebgpuErrors();
  if (errors.length > 0) throw new Error(`WebGPU reported errors, so these results are invalid:\n${errors.join("\n")}`);
  return tree.unflatten(def, values) as Read<T>;
}

/**
 * Switches to a backend under test. On webgpu it also turns off tfjs's host shortcuts for small operations
 * (test shapes are small), so that the GPU kernels are what gets tested.
 */
export async function useTestBackend(name: BackendName): Promise<void> {
  await setBackend(name);
  if (name === "webgpu") setWebgpuCpuForward(false);
}
