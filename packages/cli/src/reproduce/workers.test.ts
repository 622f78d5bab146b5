import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { pickFastest, probeFastest, threadsPerRun } from "../backends.js";
import { run, tempDir } from "../test-helpers.js";

const packageDir = resolve(import.meta.dirname, "../..");
const finals = (dir: string) =>
  (JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")).outcomes as { dataset: string; method: string; seed: number; final: object; fgsm: object; spectra: object; curve: { epoch: number; trainLoss: number; testError: number; testNll: number }[] }[]).map((o) => ({
    run: `${o.dataset} ${o.method} ${o.seed}`,
    final: { ...o.final, seconds: 0, examplesPerSecond: 0 },
    fgsm: o.fgsm,
    spectra: o.spectra,
    curve: o.curve.map((e) => [e.epoch, e.trainLoss, e.testError, e.testNll]),
  }));

describe("mmx reproduce --jobs 2", () => {
  it("trains in worker threads (the built command) and gets the numbers of a one-thread run", async () => {
    // Worker threads run compiled JavaScript: build this package (its dependencies are built by
    // `npm test`'s typecheck step), then run its bin as a user would.
    const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
    execFileSync(process.execPath, [tsc, "-p", join(packageDir, "tsconfig.build.json")], { stdio: "pipe" });
    const parallel = join(tempDir(), "parallel");
    const child = spawnSync(process.execPath, [join(packageDir, "dist/bin.js"), "reproduce", "--preset", "tiny", "--jobs", "2", "--out", parallel], { encoding: "utf8" });
    expect(child.status, child.stderr).toBe(0);
    const stderr = child.stderr;
    // The default backend (onnx where it runs: then each worker gets its share of the cores as
    // onnxruntime intra-op threads, and onnxruntime runs inside worker threads).
    const chosen = pickFastest(await probeFastest()).name;
    expect(child.stdout).toMatch(new RegExp(`; backend ${chosen} \\(.*\\), 2 runs at a time; `));
    if (chosen === "onnx") expect(child.stdout).toMatch(new RegExp(`; ${threadsPerRun(2)} onnxruntime intra-op threads? per run\\), 2 runs at a time; `));
    expect(stderr).toMatch(/training 2 runs at a time, each in a worker thread/);
    expect(stderr.match(/^\[\d+\/18\] .*: test error/gm)).toHaveLength(18);

    const serial = join(tempDir(), "serial");
    expect((await run(["reproduce", "--preset", "tiny", "--jobs", "1", "--out", serial, "--quiet"])).code).toBe(0);
    expect(finals(parallel)).toEqual(finals(serial));
  });
});
