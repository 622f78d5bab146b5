import { describe, expect, it } from "vitest";
import { failedImpls, torchMode } from "./pytorch.js";
import { perRoundRatio, runRounds, type Steppable } from "./rounds.js";
import { putInRoundOrder, type ImplName } from "./run-workload.js";
import { DEFAULT_TORCH_TIMEOUTS, parseTorchReply, replyTimeoutMs, TorchPeerHung, TorchStepper, type TorchTimeouts } from "./torch-stepper.js";

/**
 * A stand-in for bench/torch_stepper.py that speaks its protocol without torch (Node runs it), so
 * that the client and the rounds are tested wherever the bench's tests run. FAKE picks a behaviour.
 */
const FAKE_PEER = `
const how = process.env.FAKE;
const say = (o) => process.stdout.write(JSON.stringify(o) + "\\n");
if (how === "skip") { say({ skipped: "import torch failed: ModuleNotFoundError: No module named 'torch'" }); process.exit(0); }
if (how === "crash") { process.stderr.write("Illegal instruction in sgemm\\n"); process.exit(132); }
// "hang-ready" never says it is ready; "hang" stops answering after FAKE_HANG_AFTER steps; both stay alive.
if (how === "hang-ready") setInterval(() => {}, 1 << 30);
else say({ ready: { torch_version: "fake", threads: 2, interop_threads: 1, blas: "fake", blas_threads: 2, blas_core: "Zen", env: {}, sgemm_gflops: 100, workload: "mlp", batch: 128 } });
let steps = 0;
require("readline").createInterface({ input: process.stdin }).on("line", (line) => {
  const [command, mode] = line.split(" ");
  if (how === "hang" && steps >= Number(process.env.FAKE_HANG_AFTER)) return;
  if (command === "quit") { say({ peak_rss_mb: 42 }); process.exit(0); }
  if (command !== "step") return say({ error: "unknown command " + JSON.stringify(line) });
  steps++;
  if (how === "die" && steps === 3) { process.stderr.write("Segmentation fault\\n"); process.exit(139); }
  if (how === "error" && mode === "manifold") return say({ error: "non-finite loss in mlp/manifold" });
  say({ mode, ms: { plain: 5, input: 6, manifold: 7 }[mode], cpu_ms: 9, idle_ms: 3, idle_cpu_ms: 0.25 });
  if (how === "leave" && steps === 2) { process.stderr.write("out of memory\\n"); process.exit(1); }
});
`;

const startFake = (how: string, timeouts?: Partial<TorchTimeouts>, hangAfter = 2) =>
  TorchStepper.start(process.execPath, ["-e", FAKE_PEER], { ...process.env, FAKE: how, FAKE_HANG_AFTER: String(hangAfter) }, { workload: "mlp", ...(timeouts ? { timeouts } : {}) });

/** Limits small enough for a test: a node process starts and answers well within them, a hung one is given up on at once. */
const SHORT: TorchTimeouts = { readyMs: 10_000, firstReplyMs: 10_000, slowestMultiple: 5, minReplyMs: 1_000 };

async function started(how: string, timeouts?: Partial<TorchTimeouts>, hangAfter?: number) {
  const s = await startFake(how, timeouts, hangAfter);
  if ("skipped" in s) throw new Error(`the fake peer did not start: ${s.skipped}`);
  return s;
}

describe("the PyTorch peer's line protocol", () => {
  it("parses each kind of reply and rejects anything else, naming the line", () => {
    expect(parseTorchReply('{"mode": "plain", "ms": 4.5, "cpu_ms": 8, "idle_ms": 2, "idle_cpu_ms": 0.1}')).toEqual({
      kind: "step",
      step: { mode: "plain", ms: 4.5, cpu_ms: 8, idle_ms: 2, idle_cpu_ms: 0.1 },
    });
    expect(parseTorchReply('{"skipped": "import torch failed"}')).toEqual({ kind: "skipped", skipped: "import torch failed" });
    expect(parseTorchReply('{"error": "unknown command"}')).toEqual({ kind: "error", error: "unknown command" });
    expect(parseTorchReply('{"peak_rss_mb": 300}')).toEqual({ kind: "bye", peakRssMb: 300 });
    expect(parseTorchReply('{"ready": {"sgemm_gflops": 150, "threads": 2}}').kind).toBe("ready");
    expect(() => parseTorchReply("Traceback (most recent call last):")).toThrow(/not JSON: Traceback/);
    expect(() => parseTorchReply('{"mode": "plain", "ms": "fast"}')).toThrow(/unexpected reply: \{"mode"/);
  });

  it("starts a peer, steps each mode and reads the peer's own timings, then closes it with its peak RSS", async () => {
    const { stepper, ready } = await started("ok");
    expect(ready).toMatchObject({ threads: 2, blas_core: "Zen", sgemm_gflops: 100 });
    expect(await stepper.step("plain")).toEqual({ mode: "plain", ms: 5, cpu_ms: 9, idle_ms: 3, idle_cpu_ms: 0.25 });
    expect((await stepper.step("manifold")).ms).toBe(7);
    expect(await stepper.close()).toEqual({ peakRssMb: 42 });
  });

  it("reports why a peer cannot run: no torch, a crash before its ready line, no interpreter", async () => {
    expect(await startFake("skip")).toEqual({ skipped: "import torch failed: ModuleNotFoundError: No module named 'torch'" });
    expect(await startFake("crash")).toEqual({ skipped: "the PyTorch peer exited with 132: Illegal instruction in sgemm" });
    const missing = await TorchStepper.start("/nonexistent/python3", ["torch_stepper.py"], process.env);
    expect(missing).toEqual({ skipped: expect.stringMatching(/^\/nonexistent\/python3 failed to start: .*ENOENT/) });
  });

  it("turns the peer's error line into a rejected step, and keeps serving", async () => {
    const { stepper } = await started("error");
    await expect(stepper.step("manifold")).rejects.toThrow("PyTorch manifold: non-finite loss in mlp/manifold");
    expect((await stepper.step("input")).ms).toBe(6);
    await stepper.close();
  });

  it("rejects every step after the peer died, saying how and with its last stderr line", async () => {
    const { stepper } = await started("die");
    await stepper.step("plain");
    await stepper.step("input");
    await expect(stepper.step("manifold")).rejects.toThrow("the PyTorch peer exited with 139: Segmentation fault");
    await expect(stepper.step("plain")).rejects.toThrow("the PyTorch peer exited with 139: Segmentation fault");
    expect(await stepper.close()).toEqual({});
  });

  it("rejects the step asked of a peer that died between steps", async () => {
    const { stepper } = await started("leave");
    await stepper.step("plain");
    await stepper.step("input");
    await expect(stepper.step("manifold")).rejects.toThrow("the PyTorch peer exited with 1: out of memory");
  });
});

describe("a PyTorch peer that stops answering", () => {
  it("waits long for a first reply, then a multiple of the slowest reply so far, never under a floor", () => {
    const t: TorchTimeouts = { readyMs: 1, firstReplyMs: 180_000, slowestMultiple: 20, minReplyMs: 60_000 };
    expect(replyTimeoutMs(t, undefined)).toBe(180_000);
    expect(replyTimeoutMs(t, 50)).toBe(60_000);
    expect(replyTimeoutMs(t, 9_000)).toBe(180_000);
    expect(DEFAULT_TORCH_TIMEOUTS.readyMs).toBeGreaterThanOrEqual(60_000);
  });

  it("is killed when a step gets no reply in time; the error names the workload and the command, and later steps fail at once", async () => {
    const { stepper } = await started("hang", SHORT);
    await stepper.step("plain");
    await stepper.step("input");
    const t0 = performance.now();
    const hung = stepper.step("plain");
    await expect(hung).rejects.toThrow(TorchPeerHung);
    await expect(hung).rejects.toThrow("the PyTorch peer of workload mlp gave no reply to 'step plain' within 1 s; the bench killed it");
    expect(performance.now() - t0).toBeLessThan(6_000);
    const t1 = performance.now();
    await expect(stepper.step("manifold")).rejects.toThrow("gave no reply to 'step plain'");
    expect(await stepper.close()).toEqual({});
    expect(performance.now() - t1).toBeLessThan(2_000);
  });

  it("that never says it is ready is killed and reported as skipped", async () => {
    expect(await startFake("hang-ready", { ...SHORT, readyMs: 400 })).toEqual({ skipped: "the PyTorch peer of workload mlp gave no ready line within 400 ms; the bench killed it" });
  });

  it("takes all of its modes out of the workload's rounds with one line, and the others go on", async () => {
    // Two warm-up rounds: the peer answers the first round's three steps and the second's plain one.
    const { stepper } = await started("hang", SHORT, 4);
    const order: string[] = [];
    const lines: string[] = [];
    const unsupported: string[] = [];
    const impls = new Map<string, Steppable>([
      ["mmx plain", { run: async () => order.push("mmx plain") }],
      ...(["plain", "input", "manifold"] as const).map((m) => [`PyTorch ${m}`, torchMode(stepper, m)] as [string, Steppable]),
    ]);
    const onFail = (name: string, e: unknown) => {
      const { names, line } = failedImpls(name, e, { name: "mlp", modes: ["plain", "input", "manifold"] });
      if (line) lines.push(line);
      for (const n of names) {
        unsupported.push(n);
        impls.delete(n);
      }
    };
    const times = await runRounds(impls, { steps: 3, warmup: 2, onFail });
    await stepper.close();
    // The second warm-up round's input step got no reply: every PyTorch mode went, once (the manifold
    // mode was not stepped after it); mmx took every round.
    expect(lines).toEqual(["the PyTorch peer of workload mlp gave no reply to 'step input' within 1 s; the bench killed it; mlp goes on without PyTorch"]);
    expect(unsupported).toEqual(["PyTorch plain", "PyTorch input", "PyTorch manifold"]);
    expect([...impls.keys()]).toEqual(["mmx plain"]);
    expect(times.get("mmx plain")!.wallMs).toHaveLength(3);
    expect(order).toHaveLength(5);
  });
});

describe("the rounds", () => {
  const recorder = (name: string, order: string[], failAt?: number): Steppable => {
    let calls = 0;
    return {
      run: async () => {
        if (++calls === failAt) throw new Error(`${name} has no kernel for this`);
        order.push(name);
      },
    };
  };

  it("warms up in order, then steps every implementation once a round with the first rotating", async () => {
    const order: string[] = [];
    const impls = new Map(["a", "b", "c"].map((n) => [n, recorder(n, order)]));
    const times = await runRounds(impls, { steps: 4, warmup: 1, onFail: () => expect.unreachable() });
    expect(order.join("")).toBe("abc" + "abc" + "bca" + "cab" + "abc");
    expect([...times.values()].map((t) => t.wallMs.length)).toEqual([4, 4, 4]);
  });

  it("drops an implementation that fails, reports it, and goes on with the others", async () => {
    const order: string[] = [];
    const failed: string[] = [];
    const impls = new Map([
      ["a", recorder("a", order)],
      ["b", recorder("b", order, 3)],
    ]);
    const times = await runRounds(impls, { steps: 4, warmup: 1, onFail: (n, e) => failed.push(`${n}: ${(e as Error).message}`) });
    expect(failed).toEqual(["b: b has no kernel for this"]);
    expect([...impls.keys()]).toEqual(["a"]);
    expect(times.get("a")!.wallMs).toHaveLength(4);
    expect(times.get("b")!.wallMs).toHaveLength(1);
    expect(perRoundRatio(times.get("a")!.wallMs, times.get("b")!.wallMs)).toBeUndefined();
  });

  it("takes a self-timed peer's steps as the peer measured them, in the same rounds as the others", async () => {
    const { stepper } = await started("ok");
    const order: string[] = [];
    const impls = new Map<string, Steppable>([["mmx plain", recorder("mmx plain", order)], ...(["plain", "input", "manifold"] as const).map((m) => [`PyTorch ${m}`, torchMode(stepper, m)] as [string, Steppable])]);
    const times = await runRounds(impls, { steps: 3, warmup: 2, onFail: () => expect.unreachable() });
    await stepper.close();
    expect(order).toHaveLength(5);
    expect(times.get("PyTorch plain")).toMatchObject({ wallMs: [5, 5, 5], cpuMs: [9, 9, 9], idleMs: [3, 3, 3], idleCpuMs: [0.25, 0.25, 0.25] });
    expect(times.get("PyTorch plain")!.hostCpuMs).toHaveLength(3); // this process's CPU while the peer stepped
    expect(times.get("mmx plain")!.hostCpuMs).toEqual([]);
    expect(times.get("PyTorch manifold")!.wallMs).toEqual([7, 7, 7]);
    expect(perRoundRatio(times.get("PyTorch manifold")!.wallMs, times.get("PyTorch plain")!.wallMs)).toEqual({ median: 1.4, min: 1.4, max: 1.4 });
  });

  it("gives the median, smallest and largest of the per-round ratios", () => {
    expect(perRoundRatio([2, 9, 3, 4], [1, 3, 3, 2])).toEqual({ median: 2, min: 1, max: 3 });
    expect(perRoundRatio([1, 2], [1])).toBeUndefined();
    expect(perRoundRatio([], [])).toBeUndefined();
  });
});

describe("a workload's round order", () => {
  it("puts each PyTorch mode right after the same mmx mode, then the in-process peers", () => {
    const names = ["mmx plain", "mmx input", "mmx manifold", "tfjs eager", "tfjs-layers", "PyTorch plain", "PyTorch input", "PyTorch manifold"] as const;
    const impls = new Map<ImplName, number>(names.map((n, i) => [n, i]));
    putInRoundOrder(impls);
    expect([...impls.keys()]).toEqual(["mmx plain", "PyTorch plain", "mmx input", "PyTorch input", "mmx manifold", "PyTorch manifold", "tfjs eager", "tfjs-layers"]);
    const withoutTorch = new Map<ImplName, number>([["tfjs eager", 0], ["mmx manifold", 1], ["mmx plain", 2]]);
    putInRoundOrder(withoutTorch);
    expect([...withoutTorch.keys()]).toEqual(["mmx plain", "mmx manifold", "tfjs eager"]);
  });
});
