import { describe, expect, it } from "vitest";
import { FALLBACK_BACKEND, FASTEST_FIRST, pickFastest, probeFastest, resolveBackend, setRunThreads, threadsPerRun, type BackendCandidate } from "./backends.js";

const ONNX_UP: BackendCandidate = { name: "onnx", available: true, detail: "onnxruntime-node 1.30.0, CPU execution provider" };
const ONNX_DOWN: BackendCandidate = { name: "onnx", available: false, detail: "@mmx/onnx could not be imported (Cannot find package '@mmx/onnx')" };
const WASM: BackendCandidate = { name: "wasm", available: true, detail: "tfjs wasm" };

describe("pickFastest", () => {
  it("takes onnx where it runs, and says what runs it", () => {
    expect(FASTEST_FIRST).toEqual(["onnx", "wasm"]);
    const c = pickFastest([WASM, ONNX_UP]);
    expect(c.name).toBe("onnx");
    expect(c.reason).toBe("the fastest backend here: onnxruntime-node 1.30.0, CPU execution provider");
  });

  it("falls back to wasm, naming why onnx was passed over", () => {
    const c = pickFastest([ONNX_DOWN, WASM]);
    expect(c.name).toBe("wasm");
    expect(c.reason).toBe("the fastest backend available here: tfjs wasm; onnx is not available (@mmx/onnx could not be imported (Cannot find package '@mmx/onnx'))");
    // Not probed at all (an empty list): still wasm, which is always present.
    expect(pickFastest([])).toEqual({ name: FALLBACK_BACKEND, reason: "the fastest backend available here; onnx is not available (not found)" });
  });

  it("ignores backends it does not rank, however they are marked", () => {
    expect(pickFastest([{ name: "webgpu", available: true, detail: "llvmpipe" }, ONNX_DOWN, WASM]).name).toBe("wasm");
  });
});

describe("resolveBackend", () => {
  it("keeps a backend given with --backend, unprobed", async () => {
    expect(await resolveBackend("cpu")).toEqual({ name: "cpu", reason: "as given with --backend" });
  });

  it("otherwise picks from what the probe finds here, and says how to override", async () => {
    const found = await probeFastest();
    expect(found.map((c) => c.name)).toEqual(["onnx", "wasm"]);
    expect(found[1]!.available).toBe(true);
    const onnx = found[0]!;
    // Whatever this machine has: available with onnxruntime's description, or not with the reason.
    expect(onnx.detail).toMatch(onnx.available ? /^onnxruntime-node \d+\.\d+\.\d+, (CPU|CUDA) execution provider/ : /\S/);
    const chosen = await resolveBackend(undefined);
    expect(chosen.name).toBe(onnx.available ? "onnx" : "wasm");
    expect(chosen.reason).toBe(`${pickFastest(found).reason}; --backend chooses another`);
  });
});

describe("threadsPerRun", () => {
  it("shares the cores out over the runs, at least one thread each", () => {
    expect(threadsPerRun(1, 2)).toBe(2);
    expect(threadsPerRun(2, 2)).toBe(1);
    expect(threadsPerRun(3, 2)).toBe(1);
    expect(threadsPerRun(2, 16)).toBe(8);
    expect(threadsPerRun(3, 16)).toBe(5);
    expect(threadsPerRun(1, 1)).toBe(1);
  });
});

describe("setRunThreads", () => {
  it("sets onnx's intra-op threads, and nothing for wasm", async () => {
    expect(await setRunThreads("wasm", 3)).toBeUndefined();
    const onnx = await import("@mmx/onnx").catch(() => undefined);
    if (!onnx) return expect(await setRunThreads("onnx", 3)).toBeUndefined();
    const before = onnx.onnxRuntimeOptions().intraOpThreads;
    try {
      expect(await setRunThreads("onnx", 3)).toBe("3 onnxruntime intra-op threads per run");
      expect(onnx.onnxRuntimeOptions().intraOpThreads).toBe(3);
      expect(await setRunThreads("onnx", 1)).toBe("1 onnxruntime intra-op thread per run");
      expect(onnx.onnxDevice().detail).toMatch(/\b1 intra-op thread/);
    } finally {
      onnx.setOnnxRuntimeOptions({ intraOpThreads: before });
    }
  });
});
