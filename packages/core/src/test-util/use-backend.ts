import { setBackend, setWebgpuCpuForward } from "../index.js";

/**
 * Selects a backend for a suite. tfjs-webgpu runs small operations whose inputs are still on the host on the CPU:
 * with the small shapes the suites draw, that would test those shortcuts instead of the GPU kernels, so on webgpu
 * they are turned off. (@mmx/testing's useTestBackend is the same for the other packages; core cannot use it.)
 */
export async function useTestBackend(name: string): Promise<void> {
  await setBackend(name);
  if (name === "webgpu") setWebgpuCpuForward(false);
}
