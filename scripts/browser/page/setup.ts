import { availableBackends, setBackend, setWasmPaths, setWebgpuCpuForward, type BackendInfo } from "@mmx/core";
import { availableOnnxProviders, setOnnxRuntimeOptions } from "@mmx/onnx";
import type { Target } from "./targets.js";

/** Where the page's server mounts the backends' wasm files (see ../harness.mjs). */
setWasmPaths("/tfjs-wasm/");
setOnnxRuntimeOptions({ wasmPaths: "/ort/" });

export interface Availability {
  readonly backends: BackendInfo[];
  readonly onnxProviders: Awaited<ReturnType<typeof availableOnnxProviders>>;
}

export async function availability(): Promise<Availability> {
  return { backends: await availableBackends(), onnxProviders: await availableOnnxProviders() };
}

/** Whether `target` runs in this page, and on what or why not. */
export function targetAvailability(a: Availability, t: Target): { available: boolean; detail: string } {
  const info = t.provider ? a.onnxProviders.find((p) => p.provider === t.provider) : a.backends.find((b) => b.name === t.backend);
  return info ? { available: info.available, detail: info.detail } : { available: false, detail: "not listed" };
}

/** Switches to `target`; on webgpu, tfjs's host shortcuts for small inputs go off so that the shaders are tested. */
export async function useTarget(t: Target): Promise<void> {
  if (t.provider) setOnnxRuntimeOptions({ provider: t.provider });
  await setBackend(t.backend);
  if (t.backend === "webgpu") setWebgpuCpuForward(false);
}

/** Publishes the page's result for the harness, success or failure. */
export function publish(result: Promise<unknown>): void {
  (window as unknown as { __mmx: Promise<unknown> }).__mmx = result.then(
    (r) => ({ ok: true, ...(r as object) }),
    (e: unknown) => ({ ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
  );
}
