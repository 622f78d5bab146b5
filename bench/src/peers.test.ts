import { describe, expect, it } from "vitest";
import { openblasCoreTypes, type CpuInfo } from "./cpu-info.js";
import { chooseTorchConfig, torchEnv } from "./torch-peer.js";

const cpu = (vendor: string, simd: string[]): CpuInfo => ({ model: "test", vendor, cores: 2, simd });

describe("the PyTorch peer's candidate configurations", () => {
  it("probes only kernel families the CPU can run, best first", () => {
    expect(openblasCoreTypes(cpu("AuthenticAMD", ["avx", "avx2", "fma"]))).toEqual(["Zen", "Haswell", "Sandybridge"]);
    expect(openblasCoreTypes(cpu("GenuineIntel", ["avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_bf16"]))).toEqual([
      "Cooperlake",
      "SkylakeX",
      "Haswell",
      "Sandybridge",
    ]);
    expect(openblasCoreTypes(cpu("GenuineIntel", ["avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq"]))).not.toContain("Cooperlake");
    expect(openblasCoreTypes(cpu("unknown", []))).toEqual([]);
  });

  it("sets OpenBLAS's kernels and threads, leaves the choice to OpenBLAS for auto, and has OpenMP's workers wait without spinning", () => {
    const env = torchEnv({ coreType: "auto", threads: 2 }, { OPENBLAS_CORETYPE: "Haswell", OMP_WAIT_POLICY: "ACTIVE", PATH: "/bin" });
    expect(env.OPENBLAS_CORETYPE).toBeUndefined();
    expect(env).toMatchObject({ OPENBLAS_NUM_THREADS: "2", OMP_NUM_THREADS: "2", OMP_WAIT_POLICY: "PASSIVE", PATH: "/bin" });
    expect(torchEnv({ coreType: "SkylakeX", threads: 1 }, {}).OPENBLAS_CORETYPE).toBe("SkylakeX");
  });

  it("never chooses a configuration whose products were wrong or that crashed, however fast", () => {
    const choice = chooseTorchConfig([
      { coreType: "auto", threads: 2, core: "Prescott", sgemmGflops: 40, correct: true, maxRelErr: 1e-7 },
      { coreType: "SkylakeX", threads: 2, core: "SkylakeX", sgemmGflops: 300, correct: false, maxRelErr: 0.5 },
      { coreType: "Cooperlake", threads: 2, failed: "killed by SIGILL" },
      { coreType: "Haswell", threads: 2, core: "Haswell", sgemmGflops: 120, correct: true, maxRelErr: 1e-7 },
    ]);
    expect(choice.chosen).toEqual({ coreType: "Haswell", threads: 2 });
    expect(chooseTorchConfig([{ coreType: "auto", threads: 1, failed: "exit 1" }]).skipped).toMatch(/no configuration/);
  });
});
