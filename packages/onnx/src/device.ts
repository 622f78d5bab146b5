import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import type { InferenceSession } from "onnxruntime-node";
import { ortRuntime, SyncSession } from "./ort-sync.js";
import { probeModel } from "./probe-model.js";

/**
 * Which onnxruntime execution provider runs the programs: CUDA where its provider library (which
 * onnxruntime-node's install script downloads from outside the npm registry, so it is skipped here)
 * and CUDA's own libraries load, the CPU provider otherwise.
 */
export type ProviderName = "cuda" | "cpu";

export interface OnnxDevice {
  readonly provider: ProviderName;
  /** What runs the programs, for availableBackends(). */
  readonly detail: string;
  /** Why CUDA is not used, when it is not. */
  readonly cudaUnavailable?: string;
}

export interface OnnxRuntimeOptions {
  /** "auto" (default): CUDA when it loads, else CPU. */
  readonly provider: "auto" | ProviderName;
  /** Threads for one operator; 0 lets onnxruntime pick (one per physical core). */
  readonly intraOpThreads: number;
  /**
   * Whether idle worker threads spin waiting for work. Each program has its own session and thread
   * pool, so with spinning, the idle pools of a mixup step's other programs spin against the one
   * that runs (measured: Manifold Mixup steps took twice as long as plain ones). Off by default.
   */
  readonly allowSpinning: boolean;
  /**
   * onnxruntime's memory arena and per-program memory plan (default on). Off, every intermediate
   * buffer comes from the process's allocator on every run, which costs page faults (measured: an
   * MLP step took 1.4x the CPU time); each program's arena is its own, so off saves memory when
   * many programs are alive.
   */
  readonly memoryArena: boolean;
}

let options: OnnxRuntimeOptions = { provider: "auto", intraOpThreads: 0, allowSpinning: false, memoryArena: true };
let device: OnnxDevice | undefined;

/** Changes how later programs run (programs compiled before keep their sessions: call clearCache on a jitted function to recompile). */
export function setOnnxRuntimeOptions(next: Partial<OnnxRuntimeOptions>): void {
  if (next.provider !== undefined && !["auto", "cuda", "cpu"].includes(next.provider)) {
    throw new TypeError(`setOnnxRuntimeOptions: provider must be 'auto', 'cuda' or 'cpu', got ${JSON.stringify(next.provider)}`);
  }
  if (next.allowSpinning !== undefined && typeof next.allowSpinning !== "boolean") throw new TypeError(`setOnnxRuntimeOptions: allowSpinning must be a boolean, got ${JSON.stringify(next.allowSpinning)}`);
  if (next.memoryArena !== undefined && typeof next.memoryArena !== "boolean") throw new TypeError(`setOnnxRuntimeOptions: memoryArena must be a boolean, got ${JSON.stringify(next.memoryArena)}`);
  if (next.intraOpThreads !== undefined && !(Number.isInteger(next.intraOpThreads) && next.intraOpThreads >= 0)) {
    throw new TypeError(`setOnnxRuntimeOptions: intraOpThreads must be a non-negative integer, got ${next.intraOpThreads}`);
  }
  options = { ...options, ...next };
  device = undefined;
}

export function onnxRuntimeOptions(): OnnxRuntimeOptions {
  return options;
}

function cudaLoads(): string | null {
  const rt = ortRuntime();
  if (!rt.binding.listSupportedBackends().some((b) => b.name === "cuda")) return "this onnxruntime-node build has no CUDA provider";
  const lib = join(rt.binDir, "libonnxruntime_providers_cuda.so");
  if (!existsSync(lib)) return `the CUDA provider library ${lib} is not installed (onnxruntime-node's install script downloads it: ONNXRUNTIME_NODE_INSTALL=cuda12)`;
  try {
    new SyncSession(probeModel(1), { executionProviders: ["cuda"] }).dispose();
    return null;
  } catch (e) {
    return `the CUDA provider did not load: ${(e as Error).message.split("\n")[0]}`;
  }
}

/** The provider programs run on (probed once per options change). */
export function onnxDevice(): OnnxDevice {
  if (device) return device;
  const rt = ortRuntime();
  const cpu = (why?: string): OnnxDevice => {
    const threads = options.intraOpThreads ? `${options.intraOpThreads} intra-op threads` : `one intra-op thread per physical core, ${availableParallelism()} logical cores`;
    return { provider: "cpu", detail: `onnxruntime-node ${rt.version}, CPU execution provider (${threads})`, ...(why ? { cudaUnavailable: why } : {}) };
  };
  if (options.provider === "cpu") device = cpu("CPU requested");
  else {
    const why = process.platform === "linux" && process.arch === "x64" ? cudaLoads() : "CUDA needs linux/x64";
    if (why === null) device = { provider: "cuda", detail: `onnxruntime-node ${rt.version}, CUDA execution provider` };
    else if (options.provider === "cuda") throw new Error(`@mmx/onnx: CUDA was requested but ${why}`);
    else device = cpu(why);
  }
  return device;
}

/** Session options for a program on the current device. */
export function sessionOptions(): InferenceSession.SessionOptions {
  const d = onnxDevice();
  return {
    executionProviders: d.provider === "cuda" ? ["cuda", "cpu"] : ["cpu"],
    graphOptimizationLevel: "all",
    executionMode: "sequential",
    enableCpuMemArena: options.memoryArena,
    enableMemPattern: options.memoryArena,
    ...(options.intraOpThreads > 0 ? { intraOpNumThreads: options.intraOpThreads } : {}),
    // Session config entries (onnxruntime_session_options_config_keys.h), passed as strings.
    extra: { session: { intra_op: { allow_spinning: options.allowSpinning ? "1" : "0" } } },
  };
}
