import { availableParallelism } from "node:os";
import { availableBackends, getBackend, setBackend } from "@mmx/core";
import { didYouMean, listChoices, UsageError } from "./errors.js";

/** The backend used when no faster one is present: tfjs wasm, always there, one thread per run in Node. */
export const FALLBACK_BACKEND = "wasm";

/**
 * The backends `mmx train` and `mmx reproduce` choose from when `--backend` is not given, fastest first.
 * onnx runs each jitted training step as one onnxruntime session (the demo's MLP trains about 3x faster
 * than on wasm, measured in docs/demo.md); wasm is always present.
 */
export const FASTEST_FIRST: readonly string[] = ["onnx", FALLBACK_BACKEND];

/** A backend, whether it runs here, and what it runs on or why not (the shape of core's `availableBackends()`). */
export interface BackendCandidate {
  name: string;
  available: boolean;
  detail: string;
}

/** Which backend runs the training, and why: printed with the results, so that they say what produced them. */
export interface BackendChoice {
  name: string;
  reason: string;
}

/**
 * The first available backend of FASTEST_FIRST, with the reason, naming each faster backend passed
 * over and why. The fallback is taken even when it is not listed (it is always present).
 */
export function pickFastest(candidates: readonly BackendCandidate[]): BackendChoice {
  const passed: string[] = [];
  for (const name of FASTEST_FIRST) {
    const info = candidates.find((c) => c.name === name);
    if (info?.available || name === FALLBACK_BACKEND) {
      const what = info ? `: ${info.detail}` : "";
      const over = passed.length > 0 ? `; ${passed.join("; ")}` : "";
      return { name, reason: `${passed.length === 0 ? "the fastest backend" : "the fastest backend available"} here${what}${over}` };
    }
    passed.push(`${name} is not available (${info?.detail ?? "not found"})`);
  }
  // FASTEST_FIRST ends with the fallback, so the loop has returned.
  throw new Error("unreachable: FASTEST_FIRST lacks the fallback backend");
}

/**
 * Probes the backends of FASTEST_FIRST: imports @mmx/onnx if it is installed (ignoring its absence) and
 * asks it which execution provider would run (the check core's `availableBackends()` makes for onnx).
 * Only these are probed: `availableBackends()` would also ask for a WebGPU adapter (in a child
 * process, which takes a third of a second or more).
 */
export async function probeFastest(): Promise<BackendCandidate[]> {
  const onnx = await loadProviderModule("onnx");
  let onnxEntry: BackendCandidate;
  if ("error" in onnx) onnxEntry = { name: "onnx", available: false, detail: `${PROVIDER_PACKAGES.onnx} could not be imported (${onnx.error}): install it, or in the mmx repository build it (npx turbo run build --filter=@mmx/onnx...)` };
  else {
    try {
      const device = (onnx.module as { onnxDevice: () => { detail: string } }).onnxDevice();
      onnxEntry = { name: "onnx", available: true, detail: device.detail };
    } catch (e) {
      onnxEntry = { name: "onnx", available: false, detail: (e as Error).message.split("\n")[0]! };
    }
  }
  return [onnxEntry, { name: FALLBACK_BACKEND, available: true, detail: "tfjs wasm (XNNPACK, SIMD, one thread per run)" }];
}

/** The backend to train on: the one given (`--backend`), else the fastest present. */
export async function resolveBackend(given: string | undefined): Promise<BackendChoice> {
  if (given !== undefined) return { name: given, reason: "as given with --backend" };
  const choice = pickFastest(await probeFastest());
  return { name: choice.name, reason: `${choice.reason}; --backend chooses another` };
}

/** The line the commands print about the backend. */
export const describeChoice = (c: BackendChoice): string => `backend ${c.name}: ${c.reason}`;

/** Intra-op threads for each of `jobs` runs trained at once: the cores shared out, at least one each. */
export function threadsPerRun(jobs: number, cores: number = availableParallelism()): number {
  return Math.max(1, Math.floor(cores / Math.max(1, jobs)));
}

/**
 * Tells a backend that runs its own thread pool how many threads this run may use (onnx: its
 * intra-op threads; programs compiled afterwards use them). Returns what was set, or undefined for
 * a backend that has no such setting (wasm: one thread in Node).
 */
export async function setRunThreads(backend: string, threads: number): Promise<string | undefined> {
  if (backend !== "onnx") return undefined;
  const onnx = await loadProviderModule("onnx");
  if ("error" in onnx) return undefined;
  (onnx.module as { setOnnxRuntimeOptions: (o: { intraOpThreads: number }) => void }).setOnnxRuntimeOptions({ intraOpThreads: threads });
  return `${threads} onnxruntime intra-op thread${threads === 1 ? "" : "s"} per run`;
}

/**
 * Switches to backend `name`, one of those @mmx/core's `availableBackends()` lists (so a backend that
 * another package registers, such as onnx, is accepted once it is installed). An unknown name lists
 * every known backend; a known one that cannot run here says why and lists those that can.
 *
 * A backend from its own package (onnx: @mmx/onnx) is imported first, so that it registers itself.
 * The switch is tried first and the backends are probed only to explain a failure: probing starts
 * every optional backend (the WebGPU probe opens a Dawn adapter in a child process).
 */
export async function useBackend(name: string): Promise<string> {
  if (getBackend() === name) return name;
  const importFailure = await loadProvider(name);
  try {
    await setBackend(name);
    return name;
  } catch (e) {
    // Every backend package is imported before listing, so that "available here" names onnx when it runs here.
    await Promise.all(Object.keys(PROVIDER_PACKAGES).map(loadProviderModule));
    const all = await availableBackends();
    const names = all.map((b) => b.name as string);
    const usable = all.filter((b) => b.available).map((b) => b.name as string);
    const info = all.find((b) => b.name === name);
    if (!info) throw new UsageError(`unknown backend '${name}'${didYouMean(name, names)}; valid backends: ${listChoices(names)} (available here: ${listChoices(usable)})`);
    const why = (info.available ? `it failed to start (${(e as Error).message})` : info.detail) + (importFailure ? ` (importing ${PROVIDER_PACKAGES[name]} failed: ${importFailure})` : "");
    throw new UsageError(`backend '${name}' is not available here: ${why}; available here: ${listChoices(usable)}`);
  }
}

/**
 * Backends that live in their own package register themselves when that package is imported. The CLI
 * imports it on demand (it is not a dependency of @mmx/cli: a missing package is reported by
 * setBackend's own error, which says what to install).
 */
const PROVIDER_PACKAGES: Readonly<Record<string, string>> = { onnx: "@mmx/onnx" };

/** Imports the backend's package if it has one; returns why that failed, if it did. */
async function loadProvider(name: string): Promise<string | undefined> {
  const loaded = await loadProviderModule(name);
  return "error" in loaded ? loaded.error : undefined;
}

/** The backend's package, imported (which registers the backend), or why it could not be. */
async function loadProviderModule(name: string): Promise<{ module: unknown } | { error: string }> {
  const pkg = PROVIDER_PACKAGES[name];
  if (!pkg) return { module: undefined };
  try {
    return { module: await import(pkg) };
  } catch (e) {
    return { error: (e as Error).message.split("\n")[0]! };
  }
}
