import { describe, expect, it } from "vitest";
import { availableBackends } from "../index.js";
import { describePlan, parseBackendList, planBackends, propertyRuns, RequestedBackendUnavailableError } from "./plan.js";

const infos = await availableBackends();
const unavailable = infos.find((i) => !i.available);

describe("the backend plan of a test run (MMX_BACKENDS)", () => {
  it("parses comma or space separated lists, lower-cased and without repeats; empty means unset", () => {
    expect(parseBackendList("cpu, WASM webgpu,cpu")).toEqual(["cpu", "wasm", "webgpu"]);
    expect(parseBackendList("  ")).toBeNull();
    expect(parseBackendList(undefined)).toBeNull();
  });

  it("unset: cpu and wasm run, every other backend is listed as skipped with a reason", async () => {
    const plan = await planBackends("");
    expect(plan.run).toEqual(["cpu", "wasm"]);
    expect(plan.requested).toBeNull();
    expect(plan.skipped.map((s) => s.name).sort()).toEqual(infos.map((i) => i.name).filter((n) => n !== "cpu" && n !== "wasm").sort());
    for (const s of plan.skipped) expect(s.reason).toMatch(/add it to MMX_BACKENDS/);
    expect(describePlan(plan)).toMatch(/^backends under test \(MMX_BACKENDS unset: cpu,wasm\): cpu, wasm\n {2}skipped /);
  });

  it("runs exactly the requested backends, in the order asked (the first is the reference)", async () => {
    const plan = await planBackends("wasm,cpu");
    expect(plan.run).toEqual(["wasm", "cpu"]);
    expect(plan.skipped.map((s) => s.name)).not.toContain("cpu");
    expect(describePlan(plan)).toMatch(/MMX_BACKENDS=wasm,cpu\): wasm, cpu/);
  });

  it("a suite's excluded backends are skipped with its reason, requested or not, and never fail the plan", async () => {
    // onnx is not registered in core's own tests (its package is not imported): requested, it would fail the plan.
    const plan = await planBackends("cpu,onnx", { exclude: { onnx: "runs jitted programs only" } });
    expect(plan.run).toEqual(["cpu"]);
    expect(plan.skipped).toContainEqual({ name: "onnx", reason: "runs jitted programs only" });
    expect((await planBackends("", { exclude: { wasm: "not here" } })).run).toEqual(["cpu"]);
  });

  it("fails on an unknown name, listing the known ones", async () => {
    await expect(planBackends("cpu,cuda9")).rejects.toThrow(/unknown backend 'cuda9'; known: cpu, wasm, webgl, webgpu/);
  });

  it.skipIf(!unavailable)(`fails when a requested backend cannot run here (${unavailable?.name}), saying why`, async () => {
    const err = await planBackends(`cpu,${unavailable!.name}`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RequestedBackendUnavailableError);
    expect(String(err)).toContain(`'${unavailable!.name}': ${unavailable!.detail}`);
  });

  it("property runs: a per-backend variable wins, else MMX_PROPERTY_RUNS or the suite's count, halved on webgpu", () => {
    expect(propertyRuns("cpu", 25, {})).toBe(25);
    expect(propertyRuns("webgpu", 25, {})).toBe(13);
    expect(propertyRuns("webgpu", 3, {})).toBe(2);
    expect(propertyRuns("wasm", 25, { MMX_PROPERTY_RUNS: "40" })).toBe(40);
    expect(propertyRuns("webgpu", 25, { MMX_PROPERTY_RUNS: "40" })).toBe(20);
    expect(propertyRuns("webgpu", 25, { MMX_PROPERTY_RUNS: "40", MMX_PROPERTY_RUNS_WEBGPU: "30" })).toBe(30);
    expect(propertyRuns("cpu", 25, { MMX_PROPERTY_RUNS: "zero" })).toBe(25);
  });
});

describe("the tensorflow backend (tfjs-node / tfjs-node-gpu, optional)", () => {
  const tensorflow = infos.find((i) => i.name === "tensorflow")!;
  it.skipIf(tensorflow.available)("where neither package is installed, says what to install and what it needs", () => {
    expect(tensorflow.detail).toMatch(/@tensorflow\/tfjs-node-gpu/);
    expect(tensorflow.detail).toMatch(/@tensorflow\/tfjs-node\b/);
    expect(tensorflow.detail).toMatch(/CUDA 11\.2 \+ cuDNN 8\.1/);
    expect(tensorflow.detail).toMatch(/webgpu backend \(Vulkan\), which needs neither/);
  });
  it.runIf(tensorflow.available)("where one is installed, names which libtensorflow it runs on", () => {
    expect(tensorflow.detail).toMatch(/libtensorflow (with CUDA|on the CPU) \(@tensorflow\/tfjs-node(-gpu)?\)/);
  });
});
