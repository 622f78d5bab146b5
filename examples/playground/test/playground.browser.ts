/**
 * The playground in a real browser: its production build loads with no console error, the three spiral models
 * train on the default backend, on tfjs wasm with two threads (the page is cross-origin isolated), and on
 * onnx-wasm where the browser has it, and their losses fall; the decision canvases are drawn, a screenshot is saved
 * (test-results/), and the backend picker switches backend. Run with `npm run test:browser`; without Chromium it
 * skips and says why.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PlaygroundStatus } from "../src/main.js";
import { chromiumMissing, launchChromium } from "./chromium.js";
import { ROOT, serveProductionBuild } from "./serve.js";

const STEPS = 240;
const THREADED_STEPS = 40;
/**
 * tfjs wasm's threads in the threaded run. tfjs caps them at half of navigator.hardwareConcurrency, so that page is
 * told of twice as many logical cores: two threads then run on any machine, a 2-core one included.
 */
const WASM_THREADS = 2;
const ONNX_STEPS = 90;
const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const OUT = join(ROOT, "test-results");
const missing = chromiumMissing();
if (missing) console.log(`playground browser test skipped: ${missing}`);

describe.skipIf(missing !== undefined)("the playground in Chromium (production build)", () => {
  let server: Awaited<ReturnType<typeof serveProductionBuild>>;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    server = await serveProductionBuild();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    page.on("console", (m) => m.type() === "error" && errors.push(`console: ${m.text()}`));
    page.on("pageerror", (e) => errors.push(`page: ${e.message}`));
    await page.goto(`${server.url}?steps=${STEPS}`);
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const status = () => page.evaluate(() => window.mmxPlayground?.status()) as Promise<PlaygroundStatus | undefined>;

  it(`trains the three spiral models ${STEPS} steps on the default backend, and every loss falls`, async () => {
    await page.waitForFunction(() => window.mmxPlayground?.status().spirals.done === true, undefined, { timeout: 240_000, polling: 500 });
    const s = (await status())!;
    console.log(`playground: ${s.backend} (${s.wasmThreads} threads), first trained frame ${(s.spirals.firstTrainedFrameMs! / 1000).toFixed(2)} s after navigation, ${s.spirals.frames} frames`);
    expect(s.backend).toBe("wasm");
    expect(s.spirals.methods.map((m) => m.id)).toEqual(["none", "input", "manifold"]);
    for (const m of s.spirals.methods) {
      expect(m.steps).toBe(STEPS);
      expect(m.losses).toHaveLength(STEPS);
      const [first, last] = [mean(m.losses.slice(0, 30)), mean(m.losses.slice(-30))];
      expect(last, `${m.id}: mean loss of the last 30 steps (${last}) against the first 30 (${first})`).toBeLessThan(first);
      expect(m.testError).toBeGreaterThanOrEqual(0);
    }
    expect(errors).toEqual([]);
  }, 300_000);

  it("draws the decision function and the bottleneck of each model (non-blank canvases), and saves a screenshot", async () => {
    // Each panel has at least a few hundred distinct colours once a map is drawn; an empty plot has a handful.
    const colours = await page.$$eval("canvas.plot", (canvases) =>
      canvases.map((c) => {
        const { data } = (c as HTMLCanvasElement).getContext("2d")!.getImageData(0, 0, (c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height);
        const seen = new Set<number>();
        for (let i = 0; i < data.length; i += 4) seen.add((data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!);
        return seen.size;
      }),
    );
    expect(colours).toHaveLength(6);
    for (const n of colours) expect(n).toBeGreaterThan(200);
    const file = join(OUT, "playground-spirals.png");
    await page.screenshot({ path: file, fullPage: true });
    console.log(`playground: screenshot ${file}`);
    expect(errors).toEqual([]);
  });

  it(`runs tfjs wasm on ${WASM_THREADS} threads in the cross-origin isolated page, and trains ${THREADED_STEPS} steps there`, async () => {
    const threaded = await browser.newPage();
    threaded.on("console", (m) => m.type() === "error" && errors.push(`threaded console: ${m.text()}`));
    threaded.on("pageerror", (e) => errors.push(`threaded page: ${e.message}`));
    await threaded.addInitScript((cores) => Object.defineProperty(Navigator.prototype, "hardwareConcurrency", { get: () => cores }), 2 * WASM_THREADS);
    await threaded.goto(`${server.url}?steps=${THREADED_STEPS}&wasmThreads=${WASM_THREADS}`);
    // The threaded build's workers start from the factory's source, which the Vite bundle keeps intact
    // (vite-tfjs-wasm-threads.ts): without it they fail in the workers and the page never trains.
    await threaded.waitForFunction(() => window.mmxPlayground?.status().spirals.done === true, undefined, { timeout: 240_000, polling: 500 });
    const s = (await threaded.evaluate(() => window.mmxPlayground!.status())) as PlaygroundStatus;
    expect(s.backend).toBe("wasm");
    expect(s.crossOriginIsolated).toBe(true);
    expect(s.wasmThreads).toBe(WASM_THREADS);
    for (const m of s.spirals.methods) {
      expect(m.losses).toHaveLength(THREADED_STEPS);
      expect(mean(m.losses.slice(-10)), `${m.id} on ${WASM_THREADS} threads`).toBeLessThan(mean(m.losses.slice(0, 10)));
    }
    await threaded.close();
    expect(errors).toEqual([]);
  }, 300_000);

  it("trains on onnxruntime-web's wasm provider too (onnx-wasm), where this browser has it", async () => {
    const row = page.locator('.backend[data-backend="onnx-wasm"]');
    if ((await row.count()) === 0 || (await row.isDisabled())) {
      console.log(`playground: onnx-wasm skipped: ${(await row.count()) ? await row.locator(".backend-detail").textContent() : "not listed"}`);
      return;
    }
    const onnx = await browser.newPage();
    onnx.on("console", (m) => m.type() === "error" && errors.push(`onnx-wasm console: ${m.text()}`));
    onnx.on("pageerror", (e) => errors.push(`onnx-wasm page: ${e.message}`));
    await onnx.goto(`${server.url}?backend=onnx-wasm&steps=${ONNX_STEPS}`);
    await onnx.waitForFunction(() => window.mmxPlayground?.status().spirals.done === true, undefined, { timeout: 240_000, polling: 500 });
    const s = (await onnx.evaluate(() => window.mmxPlayground!.status())) as PlaygroundStatus;
    expect(s.backend).toBe("onnx-wasm");
    for (const m of s.spirals.methods) {
      expect(m.losses).toHaveLength(ONNX_STEPS);
      expect(mean(m.losses.slice(-30)), `${m.id} on onnx-wasm`).toBeLessThan(mean(m.losses.slice(0, 30)));
    }
    await onnx.close();
    expect(errors).toEqual([]);
  }, 300_000);

  it("shows the printed jaxpr with mixup's equations highlighted, and every backend with a reason when unavailable", async () => {
    expect(await page.locator(".jaxpr .line.inserted").count()).toBeGreaterThan(0);
    const backends = await page.$$eval(".backend", (rows) => rows.map((r) => ({ name: r.getAttribute("data-backend"), disabled: (r as HTMLButtonElement).disabled, detail: r.querySelector(".backend-detail")?.textContent ?? "" })));
    expect(backends.map((b) => b.name)).toContain("wasm");
    for (const b of backends.filter((b) => b.disabled)) expect(b.detail).toMatch(/^unavailable: ./);
  });

  it("switches backend from the picker while the page runs, and trains there", async () => {
    await page.click('.backend[data-backend="cpu"]');
    await page.waitForFunction(() => window.mmxPlayground?.status().backend === "cpu", undefined, { timeout: 60_000 });
    await page.click('[data-action="play"]');
    await page.waitForFunction(() => window.mmxPlayground!.status().spirals.methods.every((m) => m.steps >= 3), undefined, { timeout: 120_000, polling: 250 });
    expect(await page.locator('.backend.active[data-backend="cpu"]').count()).toBe(1);
    expect(errors).toEqual([]);
  }, 300_000);
});
