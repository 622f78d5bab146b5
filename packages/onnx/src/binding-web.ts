import type { TypedArray } from "@mmx/core";
import type * as Ort from "onnxruntime-web";
import { isCrossOriginIsolated, markRuntimeStarted, onnxRuntimeOptions, wasmThreads, type ProviderName } from "./device.browser.js";
import { probeModel } from "./probe-model.js";
import { OrtUnavailableError, type HostTensor, type OnnxRuntimeBinding, type OnnxSession } from "./runtime.js";

type OrtModule = typeof Ort;

let loading: Promise<OrtModule> | undefined;

/** Imports onnxruntime-web once (on first use: a page that never runs onnx loads none of it) and configures it. */
export function loadOrtWeb(): Promise<OrtModule> {
  if (loading === undefined) {
    loading = import("onnxruntime-web").then(
      (ort) => {
        const { wasmPaths } = onnxRuntimeOptions();
        if (wasmPaths !== undefined) ort.env.wasm.wasmPaths = wasmPaths;
        ort.env.wasm.numThreads = wasmThreads();
        ort.env.logLevel = "error";
        markRuntimeStarted();
        return ort;
      },
      (e: unknown) => {
        loading = undefined;
        throw new OrtUnavailableError(`@mmx/onnx: onnxruntime-web could not be imported (${(e as Error).message}); npm install onnxruntime-web`);
      },
    );
  }
  return loading;
}

function describe(ort: OrtModule, provider: ProviderName): string {
  const version = ort.env.versions.web ?? "";
  if (provider === "webgpu") return `onnxruntime-web ${version}, WebGPU execution provider`;
  const threads = wasmThreads();
  const why = isCrossOriginIsolated() ? "cross-origin isolated" : "threads need a cross-origin isolated page, COOP/COEP headers";
  return `onnxruntime-web ${version}, wasm execution provider (${threads} thread${threads === 1 ? "" : "s"}; ${why})`;
}

async function createSession(ort: OrtModule, model: Uint8Array, provider: ProviderName): Promise<OnnxSession> {
  const session = await ort.InferenceSession.create(model, { executionProviders: [provider], graphOptimizationLevel: "all", logSeverityLevel: 3 });
  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    run: async (feeds: Readonly<Record<string, HostTensor>>) => {
      const ortFeeds: Record<string, Ort.Tensor> = {};
      for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = new ort.Tensor(t.type, t.data as never, t.dims as number[]);
      const outs = await session.run(ortFeeds);
      const values: Record<string, TypedArray> = {};
      for (const name of session.outputNames) {
        const t = outs[name]!;
        values[name] = (await t.getData(true)) as unknown as TypedArray;
      }
      return values;
    },
    dispose: () => void session.release(),
  };
}

/** A binding that imports onnxruntime-web on its first session (compiling a program stays synchronous). */
export function lazyWebBinding(): OnnxRuntimeBinding {
  const provider = onnxRuntimeOptions().provider;
  return {
    name: `onnxruntime-web (${provider})`,
    createSession: async (model) => createSession(await loadOrtWeb(), model, provider),
  };
}

/** Whether `provider` runs here: loads onnxruntime-web, runs a one-node model on it, and checks the answer. */
export async function probeProvider(provider: ProviderName): Promise<{ ok: true; detail: string } | { ok: false; reason: string }> {
  try {
    if (provider === "webgpu" && (globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu === undefined) {
      return { ok: false, reason: "onnxruntime-web's WebGPU provider needs navigator.gpu, which this browser does not expose (Chrome/Edge 113+, a secure context)" };
    }
    const ort = await loadOrtWeb();
    const session = await createSession(ort, probeModel(2), provider);
    try {
      const y = (await session.run({ x: { type: "float32", data: new Float32Array([1, -2]), dims: [2] } }))["y"]!;
      if (y[0] !== -1 || y[1] !== 2) return { ok: false, reason: `onnxruntime-web's ${provider} provider computed Neg([1, -2]) = [${Array.from(y).join(", ")}]` };
    } finally {
      session.dispose();
    }
    return { ok: true, detail: describe(ort, provider) };
  } catch (e) {
    return { ok: false, reason: `onnxruntime-web's ${provider} provider did not run: ${(e as Error).message.split("\n")[0]}` };
  }
}

/** Each execution provider of onnxruntime-web, whether it runs in this page, and on what or why not. */
export async function availableOnnxProviders(): Promise<{ provider: ProviderName; available: boolean; detail: string }[]> {
  const out = [];
  for (const provider of ["wasm", "webgpu"] as const) {
    const p = await probeProvider(provider);
    out.push(p.ok ? { provider, available: true, detail: p.detail } : { provider, available: false, detail: p.reason });
  }
  return out;
}
