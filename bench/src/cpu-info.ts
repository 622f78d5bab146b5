import { readFileSync } from "node:fs";
import { cpus } from "node:os";

/** What a figure's machine was: the CPU's model, vendor and the instruction-set flags that pick BLAS kernels. */
export interface CpuInfo {
  model: string;
  vendor: string;
  cores: number;
  /** The SIMD flags of /proc/cpuinfo that matter for float32 kernels (avx, avx2, fma, avx512f, ...). */
  simd: string[];
}

const SIMD_FLAGS = ["sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_vnni", "avx512_bf16", "amx_tile"] as const;

/** Reads /proc/cpuinfo where there is one (Linux); elsewhere the model from Node and no flags. */
export function cpuInfo(): CpuInfo {
  const list = cpus();
  let text = "";
  try {
    text = readFileSync("/proc/cpuinfo", "utf8");
  } catch {
    // not Linux: no flags to read
  }
  const field = (name: string) => new RegExp(`^${name}\\s*:\\s*(.*)$`, "m").exec(text)?.[1]?.trim();
  const flags = new Set((field("flags") ?? "").split(/\s+/));
  return {
    model: field("model name") ?? list[0]?.model ?? "unknown",
    vendor: field("vendor_id") ?? "unknown",
    cores: list.length,
    simd: SIMD_FLAGS.filter((f) => flags.has(f)),
  };
}

/**
 * The OpenBLAS kernel families (OPENBLAS_CORETYPE values) this CPU can run, best first. A family whose
 * instructions the CPU lacks dies with SIGILL, so only these are probed; "auto" (OpenBLAS's own choice)
 * is always probed besides them, since an older OpenBLAS may not recognise a new CPU and fall back far.
 */
export function openblasCoreTypes(cpu: CpuInfo): string[] {
  const has = (...f: string[]) => f.every((x) => cpu.simd.includes(x));
  const types: string[] = [];
  if (has("avx512f", "avx512bw", "avx512vl", "avx512dq")) {
    if (has("avx512_bf16")) types.push("Cooperlake");
    types.push("SkylakeX");
  }
  if (has("avx2", "fma")) types.push(...(cpu.vendor === "AuthenticAMD" ? ["Zen", "Haswell"] : ["Haswell"]));
  if (has("avx")) types.push("Sandybridge");
  return types;
}
