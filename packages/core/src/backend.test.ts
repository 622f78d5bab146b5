import { afterAll, describe, expect, it } from "vitest";
import { getEagerBackend, knownBackends } from "./backend.js";
import { executorFor } from "./executor.js";
import { availableBackends, getBackend, jit, np, registerBackendProvider, registerExecutor, setBackend, UnknownBackendError, type Executor, type Program } from "./index.js";

/**
 * A backend is whatever a provider registers: its name, how it activates, and the executor of its jitted
 * programs. Here a package-like backend runs programs through an executor that records its calls and delegates
 * to cpu's, with eager operations on cpu beside it (as an executor-only backend does).
 */
const calls: string[] = [];
const recording: Executor = {
  name: "recording",
  compile(closed) {
    calls.push("compile");
    const inner = executorFor("cpu").compile(closed);
    const program: Program = {
      run: (inputs) => (calls.push("run"), inner.run(inputs)),
      profile: (inputs) => (calls.push("profile"), inner.profile(inputs)),
      dispose: () => (calls.push("dispose"), inner.dispose()),
    };
    return program;
  },
};
let activations = 0;
registerBackendProvider("recorded", {
  eagerBackend: "cpu",
  activate: async () => {
    activations++;
  },
  probe: async () => ({ ok: true, detail: "a test's recording executor" }),
});
registerExecutor("recorded", recording);
registerBackendProvider("broken", {
  activate: async () => {
    throw new Error("broken: its runtime is missing");
  },
  probe: async () => ({ ok: false, reason: "its runtime is missing" }),
});

afterAll(async () => {
  await setBackend("cpu");
});

describe("backend selection: providers and one backend state", () => {
  it("lists registered backends in registration order, core's tfjs ones first", async () => {
    expect(knownBackends().slice(0, 2)).toEqual(["cpu", "wasm"]);
    expect(knownBackends().slice(-2)).toEqual(["recorded", "broken"]);
    const infos = await availableBackends();
    expect(infos.map((i) => i.name)).toEqual(knownBackends());
    expect(infos.find((i) => i.name === "recorded")).toEqual({ name: "recorded", available: true, detail: "a test's recording executor" });
    expect(infos.find((i) => i.name === "broken")).toEqual({ name: "broken", available: false, detail: "its runtime is missing" });
  });

  it("a backend with an eager backend runs jitted programs on its executor and eager operations beside it", async () => {
    await setBackend("recorded");
    expect(activations).toBe(1);
    expect(getBackend()).toBe("recorded");
    expect(getEagerBackend()).toBe("cpu");
    const x = np.array([1, 2, 3]);
    expect([...np.mul(x, 2).dataSync()]).toEqual([2, 4, 6]);
    const f = jit((a: typeof x) => np.add(a, 1));
    expect([...f(x).dataSync()]).toEqual([2, 3, 4]);
    expect(f.profile(x).timings.length).toBeGreaterThan(0);
    expect(calls).toEqual(["compile", "run", "profile"]);
  });

  it("a switch changes both states together; a failed one changes neither", async () => {
    await setBackend("wasm");
    expect([getBackend(), getEagerBackend()]).toEqual(["wasm", "wasm"]);
    await expect(setBackend("broken")).rejects.toThrow("broken: its runtime is missing");
    await expect(setBackend("nosuch")).rejects.toThrow(UnknownBackendError);
    expect([getBackend(), getEagerBackend()]).toEqual(["wasm", "wasm"]);
    await setBackend("cpu");
    expect([getBackend(), getEagerBackend()]).toEqual(["cpu", "cpu"]);
  });

  it("jit on a backend without an executor says so, naming the backend", async () => {
    registerBackendProvider("no-executor", { eagerBackend: "cpu", activate: async () => {}, probe: async () => ({ ok: true, detail: "none" }) });
    await setBackend("no-executor");
    expect(() => jit((a: ReturnType<typeof np.array>) => np.neg(a))(np.array([1]))).toThrow("jit: no executor is registered for backend 'no-executor'");
    await setBackend("cpu");
  });

  it("a backend name is lower-case letters, digits and '-'", () => {
    expect(() => registerBackendProvider("Bad Name", { activate: async () => {}, probe: async () => ({ ok: true, detail: "" }) })).toThrow(/got "Bad Name"/);
  });
});
