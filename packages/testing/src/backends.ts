import { setBackend, setWebgpuCpuForward, type BackendName } from "@mmx/core";

/**
 * The cross-backend harness. The backend plan of a test run (which backends MMX_BACKENDS asks for, which are
 * skipped and why, property runs per backend) lives in @mmx/core, whose own cross-backend tests need it and which
 * cannot depend on this package; it is re-exported here for the other packages' suites.
 */
export { planBackends, describePlan, parseBackendList, propertyRuns, RequestedBackendUnavailableError, EXECUTOR_ONLY_BACKENDS, type BackendPlan, type PlanOptions } from "@mmx/core";

export { readTree, type Read } from "@mmx/core";

/**
 * Switches to a backend under test. On webgpu it also turns off tfjs's host shortcuts for small operations
 * (test shapes are small), so that the GPU kernels are what gets tested.
 */
export async function useTestBackend(name: BackendName): Promise<void> {
  await setBackend(name);
  if (name === "webgpu") setWebgpuCpuForward(false);
}
