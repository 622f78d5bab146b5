#!/usr/bin/env node
// Bundles each library package's browser entry with esbuild (platform "browser", the sources through the
// "@mmx/source" condition) and fails naming every Node built-in that one of them imports, with the importing file,
// and every direct use of a Node global (process, Buffer, __dirname, require) in the workspace sources it bundles.
// Then reports the size of a page that uses core, nn, mixup, optim, losses and random (minified, gzip), without
// the backends' .wasm files: the code loaded up front, and the chunks loaded on first use of a backend.
//
//   npm run check:browser
import { builtinModules } from "node:module";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * Every library package, and the subpath entries a page may import (onnx/proto, for tools): each must bundle for a
 * browser. (cli is a Node program; @mmx/data/node is Node's half.)
 */
export const BROWSER_PACKAGES = ["core", "random", "nn", "mixup", "losses", "optim", "attacks", "metrics", "data", "testing", "onnx", "onnx/proto"];
/** What the size report bundles: the packages a page that trains with mixup imports. */
const SIZE_PACKAGES = ["core", "nn", "mixup", "optim", "losses", "random"];

const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
const isBuiltin = (path) => builtins.has(path) || path.startsWith("node:");

/** esbuild options shared by the check and the size report (and the browser test page). */
export const browserBuildOptions = {
  bundle: true,
  platform: "browser",
  format: "esm",
  target: "es2022",
  conditions: ["@mmx/source"],
  logLevel: "silent",
  absWorkingDir: root,
};

/** Records each Node built-in import (with its importer) instead of failing on the first. */
function nodeBuiltinRecorder(found) {
  return {
    name: "node-builtins",
    setup(b) {
      b.onResolve({ filter: /.*/ }, async (args) => {
        if (!isBuiltin(args.path) || args.pluginData?.inner) return undefined;
        // A package's "browser" field may map the built-in away (to an empty module): that import is fine.
        const resolved = await b.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: { inner: true } });
        if (resolved.errors.length === 0) return resolved.path.startsWith("/") ? resolved : { path: args.path, namespace: "browser-disabled" };
        found.push({ module: args.path, importer: relative(root, args.importer) });
        return { path: args.path, external: true };
      });
      b.onLoad({ filter: /.*/, namespace: "browser-disabled" }, () => ({ contents: "module.exports = {};", loader: "js" }));
    },
  };
}

/** A Node global used directly (not through `globalThis`, which code that also runs in a browser guards). */
const NODE_GLOBAL = /(?<![.\w$])(process|Buffer|__dirname|__filename|require)\s*[.(]/;

/** Direct uses of Node globals in the workspace sources a bundle holds (npm packages guard theirs). */
function nodeGlobalUses(metafile) {
  const uses = [];
  for (const file of Object.keys(metafile.inputs)) {
    if (!file.startsWith("packages/") || !file.endsWith(".ts")) continue;
    readFileSync(join(root, file), "utf8")
      .split("\n")
      .forEach((line, i) => {
        const code = line.replace(/\/\/.*$/, "").trim();
        if (code.startsWith("*") || code.startsWith("/*")) return;
        const m = NODE_GLOBAL.exec(code);
        if (m) uses.push({ global: m[1], at: `${file}:${i + 1}` });
      });
  }
  return uses;
}

async function checkPackage(name) {
  const found = [];
  const result = await build({
    ...browserBuildOptions,
    stdin: { contents: `export * from "@mmx/${name}";`, resolveDir: root, loader: "js" },
    write: false,
    outdir: "out",
    splitting: true,
    metafile: true,
    plugins: [nodeBuiltinRecorder(found)],
  }).catch((e) => ({ errors: e.errors ?? [{ text: e.message }] }));
  const errors = (result.errors ?? []).map((e) => `${e.location ? `${e.location.file}:${e.location.line}: ` : ""}${e.text}`);
  return { name, found, errors, globals: result.metafile ? nodeGlobalUses(result.metafile) : [] };
}

async function sizeReport() {
  const dir = mkdtempSync(join(tmpdir(), "mmx-browser-size-"));
  try {
    await build({
      ...browserBuildOptions,
      stdin: { contents: SIZE_PACKAGES.map((p) => `export * as ${p} from "@mmx/${p}";`).join("\n"), resolveDir: root, loader: "js" },
      outdir: dir,
      splitting: true,
      minify: true,
      entryNames: "main",
      metafile: true,
    });
    const files = readdirSync(dir).filter((f) => f.endsWith(".js"));
    const size = (f) => {
      const bytes = readFileSync(join(dir, f));
      return { raw: statSync(join(dir, f)).size, gzip: gzipSync(bytes).length };
    };
    const kb = (n) => `${(n / 1024).toFixed(0)} KiB`;
    const main = size("main.js");
    const lazy = files.filter((f) => f !== "main.js").map(size);
    const lazyRaw = lazy.reduce((a, s) => a + s.raw, 0);
    const lazyGzip = lazy.reduce((a, s) => a + s.gzip, 0);
    console.log(`bundle size of ${SIZE_PACKAGES.map((p) => `@mmx/${p}`).join(" + ")} (minified, without .wasm files):`);
    console.log(`  loaded up front: ${kb(main.raw)} (${kb(main.gzip)} gzip)`);
    console.log(`  loaded on first use of webgl/webgpu: ${lazy.length} chunk(s), ${kb(lazyRaw)} (${kb(lazyGzip)} gzip)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const results = await Promise.all(BROWSER_PACKAGES.map(checkPackage));
  let failed = false;
  for (const { name, found, errors, globals } of results) {
    if (found.length === 0 && errors.length === 0 && globals.length === 0) {
      console.log(`ok    @mmx/${name}: bundles for the browser with no Node built-in or Node global`);
      continue;
    }
    failed = true;
    const unique = [...new Map(found.map((f) => [`${f.importer} ${f.module}`, f])).values()];
    for (const f of unique) console.log(`FAIL  @mmx/${name}: ${f.importer} imports the Node built-in '${f.module}'`);
    for (const g of globals) console.log(`FAIL  @mmx/${name}: ${g.at} uses the Node global '${g.global}' (read it through globalThis, guarded)`);
    for (const e of errors) console.log(`FAIL  @mmx/${name}: esbuild: ${e}`);
  }
  await sizeReport();
  if (failed) {
    console.log("check:browser failed: keep Node-only code behind the package's \"browser\" export condition or a ./node entry");
    process.exit(1);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
