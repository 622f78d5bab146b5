import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
// @ts-expect-error: plain ESM helpers of this directory, without type declarations
import { findChromium, root } from "./harness.mjs";
// @ts-expect-error: as above
import { runSuite } from "./run-suite.mjs";
// @ts-expect-error: as above
import { summarize } from "./summarize.mjs";

/**
 * mmx in a real browser: Debian's Chromium, headless, driven by playwright-core, on a page served cross-origin
 * isolated from 127.0.0.1. On every backend the browser has (wasm, webgl, webgpu, onnx-wasm, onnx-webgpu) the page
 * trains an MLP with manifold mixup, checks primitives and VJPs against tfjs's cpu backend, and checks the mixup
 * invariants (page/checks.ts). Without Chromium the suite is skipped with a line saying why.
 */
/**
 * Checks known to fail because of a bug in the runtime under them, not in mmx: each must still fail (so that a fixed
 * runtime shows up here, and the entry goes), and is printed.
 */
const KNOWN_FAILURES: Readonly<Record<string, Readonly<Record<string, string>>>> = {};

const chromium = findChromium() as { path?: string; reason?: string };
if (!chromium.path) console.log(`browser suite skipped: ${chromium.reason}`);

describe.skipIf(!chromium.path)(`in Chromium (${chromium.path ?? chromium.reason})`, () => {
  it("trains and passes the primitive, VJP and mixup checks on every backend the browser has", async () => {
    const shots = join(root as string, ".cache", "browser");
    mkdirSync(shots, { recursive: true });
    const out = await runSuite({ steps: 30, runs: 3, screenshot: join(shots, "suite.png") });
    const { lines, failures } = summarize(out) as { lines: string[]; failures: string[] };
    console.log(lines.join("\n"));
    const known = (f: string) => Object.entries(KNOWN_FAILURES).some(([target, checks]) => Object.keys(checks).some((name) => f.startsWith(`${target}: ${name}:`)));
    expect(failures.filter((f) => !known(f))).toEqual([]);
    const reports = out.result.reports as { target: string; skipped?: string }[];
    for (const [target, checks] of Object.entries(KNOWN_FAILURES)) {
      if (reports.find((r) => r.target === target)?.skipped !== undefined) continue;
      for (const [name, why] of Object.entries(checks)) {
        console.log(`known failure, ${target}: ${name}: ${why}`);
        expect(failures.some((f) => f.startsWith(`${target}: ${name}:`)), `${target}: '${name}' passes now: remove it from KNOWN_FAILURES`).toBe(true);
      }
    }
    // wasm and onnx-wasm need nothing but the page's own files: they must run wherever Chromium does.
    for (const must of ["wasm", "onnx-wasm"]) expect(reports.find((r) => r.target === must)?.skipped).toBeUndefined();
    expect(out.result.crossOriginIsolated).toBe(true);
    // No console error: a WebGPU validation error would void results silently, and the page loads every file it asks for.
    expect(out.consoleErrors).toEqual([]);
  });
});
