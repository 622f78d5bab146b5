// Builds a page from a TypeScript entry with esbuild (the mmx packages from their sources, for the browser), serves
// it on 127.0.0.1 with the COOP/COEP headers that make it cross-origin isolated (wasm threads need that), and runs it
// in Chromium through playwright-core. The page publishes its result as a promise in `window.__mmx`.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { dirname, extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

export const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** The flags the suite launches Chromium with: headless, WebGPU on (SwiftShader without a GPU), nothing fetched. */
export const CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--enable-unsafe-webgpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

const CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];

/** The Chromium binary to drive ($MMX_CHROMIUM, else Debian's), or why there is none. */
export function findChromium() {
  const explicit = process.env.MMX_CHROMIUM;
  if (explicit) return existsSync(explicit) ? { path: explicit } : { reason: `MMX_CHROMIUM=${explicit} does not exist` };
  const found = CANDIDATES.find((p) => existsSync(p));
  return found ? { path: found } : { reason: `no Chromium found (looked for ${CANDIDATES.join(", ")}; install Debian's with \`apt-get install -y chromium\`, or set MMX_CHROMIUM)` };
}

/** The directories the page's server mounts beside the page: the backends' wasm files. */
export const WASM_MOUNTS = {
  "/tfjs-wasm/": join(root, "node_modules/@tensorflow/tfjs-backend-wasm/dist"),
  "/ort/": join(root, "node_modules/onnxruntime-web/dist"),
};

/** Bundles `entry` (a .ts file) for the browser into a fresh directory with an index.html; returns the directory. */
export async function buildPage(entry, title = "mmx browser suite") {
  const dir = mkdtempSync(join(tmpdir(), "mmx-browser-page-"));
  await build({
    entryPoints: { main: entry },
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    conditions: ["@mmx/source"],
    outdir: dir,
    logLevel: "error",
    absWorkingDir: root,
  });
  writeFileSync(join(dir, "index.html"), `<!doctype html><meta charset="utf-8"><title>${title}</title><link rel="icon" href="data:,"><pre id="log"></pre><script type="module" src="./main.js"></script>\n`);
  return dir;
}

const TYPES = { ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm", ".json": "application/json", ".map": "application/json" };

/** A static server on 127.0.0.1 (a free port): `dir` at "/", plus `mounts`; cross-origin isolated when `isolate`. */
export function startServer(dir, { mounts = WASM_MOUNTS, isolate = true } = {}) {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    const mount = Object.keys(mounts).find((m) => path.startsWith(m));
    const base = mount ? mounts[mount] : dir;
    const rel = mount ? path.slice(mount.length) : path.slice(1) || "index.html";
    const file = normalize(join(base, rel));
    const headers = isolate ? { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" } : {};
    if (!file.startsWith(base + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, headers).end(`not found: ${path}`);
      return;
    }
    res.writeHead(200, { ...headers, "Content-Type": TYPES[extname(file)] ?? "application/octet-stream", "Cache-Control": "no-store" });
    res.end(readFileSync(file));
  });
  return new Promise((resolvePromise) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      resolvePromise({ url: `http://127.0.0.1:${port}/`, close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}

/**
 * Opens `url` in Chromium and waits for `window.__mmx` to settle; returns its value and the page's console errors
 * and uncaught exceptions. A screenshot goes to `screenshot` when given.
 */
export async function runInChromium(executablePath, url, { timeoutMs = 300_000, screenshot, onLog } = {}) {
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS, timeout: 60_000 });
  const consoleErrors = [];
  try {
    const page = await browser.newPage();
    page.on("console", (m) => {
      if (m.type() === "error") consoleErrors.push(m.text());
      onLog?.(`[page ${m.type()}] ${m.text()}`);
    });
    page.on("pageerror", (e) => consoleErrors.push(`uncaught: ${e.message}`));
    await page.goto(url, { waitUntil: "load", timeout: 60_000 });
    await page.waitForFunction(() => "__mmx" in window, undefined, { timeout: 60_000 });
    const result = await page.evaluate(
      (ms) => Promise.race([window.__mmx, new Promise((_, reject) => setTimeout(() => reject(new Error(`the page did not finish within ${ms} ms`)), ms))]),
      timeoutMs,
    );
    if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
    return { result, consoleErrors, version: browser.version() };
  } finally {
    await browser.close();
  }
}

/**
 * Opens each of `urls` in a page of its own in one Chromium and waits for every `window.__mmx` to settle; the pages
 * stay open for `step(i)`, which calls page i's `window.__mmxStep()` twice and returns the second call's wall time (ms,
 * measured in the page) and the CPU time that Chromium's processes spent meanwhile (ms, all threads; `undefined`
 * where /proc is not readable). The first, untimed call brings the page's data back into the caches that the other
 * pages' steps evicted, as in a training loop. Close with `close()`.
 */
export async function openPages(executablePath, urls, { onLog } = {}) {
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS, timeout: 60_000 });
  try {
    const pages = [];
    for (const url of urls) {
      const page = await browser.newPage();
      page.on("console", (m) => onLog?.(`[page ${m.type()}] ${m.text()}`));
      await page.goto(url, { waitUntil: "load", timeout: 60_000 });
      await page.waitForFunction(() => "__mmx" in window, undefined, { timeout: 60_000 });
      pages.push({ page, result: await page.evaluate(() => window.__mmx) });
    }
    return {
      version: browser.version(),
      results: pages.map((p) => p.result),
      async step(i) {
        await pages[i].page.evaluate(() => window.__mmxStep());
        const cpu0 = descendantsCpuMs();
        const wall = await pages[i].page.evaluate(() => window.__mmxStep());
        const cpu1 = descendantsCpuMs();
        return { wall, cpu: cpu0 === undefined || cpu1 === undefined ? undefined : cpu1 - cpu0 };
      },
      close: () => browser.close(),
    };
  } catch (e) {
    await browser.close();
    throw e;
  }
}

/** CPU time (ms, every thread) of this process's descendants, from /proc/<pid>/task/<tid>/schedstat (Linux). */
export function descendantsCpuMs() {
  let entries;
  try {
    entries = readdirSync("/proc").filter((d) => /^\d+$/.test(d));
  } catch {
    return undefined;
  }
  const parent = new Map();
  for (const pid of entries) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      parent.set(pid, stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    } catch {
      // The process ended while we looked.
    }
  }
  const mine = new Set([String(process.pid)]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, ppid] of parent) if (!mine.has(pid) && mine.has(ppid)) (mine.add(pid), (grew = true));
  }
  mine.delete(String(process.pid));
  let ns = 0;
  for (const pid of mine) {
    try {
      for (const tid of readdirSync(`/proc/${pid}/task`)) ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
    } catch {
      // The process or thread ended while we looked.
    }
  }
  return ns / 1e6;
}

export function removeDir(dir) {
  rmSync(dir, { recursive: true, force: true });
}
