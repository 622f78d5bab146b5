#!/usr/bin/env node
// Packs what a GPU machine needs to run the cross-backend suite and the benchmark without network: the built
// workspace packages (and the sources the suite runs on), the node_modules they load (dawn.node for linux-x64 only),
// and the Vulkan loader libvulkan.so.1; `--with-node` adds this Node binary. See docs/gpu.md.
//
//   npm run bundle:gpu [-- --out FILE.tar.xz] [--with-node] [--no-build]     (default .cache/mmx-gpu.tar.xz)
//
// The bundle targets a machine with a real Vulkan driver (NVIDIA's ships its ICD with the driver): Mesa's lavapipe
// with its LLVM is ~200 MiB unpacked, so the software Vulkan stays out of it. Fails above 64 MiB.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const LIMIT_BYTES = 64 * 1024 * 1024;
const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
};
const out = resolve(option("--out", join(root, ".cache", "mmx-gpu.tar.xz")));
const withNode = flag("--with-node");
const log = (...m) => console.error("[gpu-bundle]", ...m);

if (process.platform !== "linux" || process.arch !== "x64") throw new Error(`gpu-bundle: builds a linux-x64 bundle, and must run on one (this is ${process.platform}-${process.arch})`);

// ---- what the suite and the bench load ----

/** Workspace packages: the bench's imports, the suite's packages, and their @mmx dependencies. */
const WORKSPACE_ROOTS = ["@mmx/bench", "@mmx/core", "@mmx/testing", "@mmx/mixup"];
/** npm packages the suite or the bench load that no workspace package.json lists (root devDependencies). */
const EXTRA_NPM = ["vitest", "fast-check", "webgpu", "@tensorflow/tfjs", "@tensorflow/tfjs-backend-webgpu"];
/**
 * Never loaded at run time in Node: type declarations, the CLI dependencies of @tensorflow/tfjs (its tf.node.js needs
 * none), and the browser-only runtime of @mmx/onnx (onnxruntime-web).
 */
const SKIP_NPM = (name) =>
  name.startsWith("@types/") || name === "@webgpu/types" || ["core-js", "regenerator-runtime", "yargs", "chalk", "argparse", "onnxruntime-web"].includes(name);
/** The suite's files outside the packages. */
const ROOT_FILES = ["package.json", "tsconfig.base.json", "vitest.config.ts", "scripts/backends.vitest.config.ts", "scripts/backends-plan.setup.ts", "scripts/test-backends.mjs"];

const readJson = (file) => JSON.parse(readFileSync(file, "utf8"));

function workspaceDirs() {
  const dirs = new Map();
  for (const group of ["packages", "examples"]) {
    const base = join(root, group);
    if (!existsSync(base)) continue;
    for (const d of readdirSync(base)) if (existsSync(join(base, d, "package.json"))) dirs.set(readJson(join(base, d, "package.json")).name, join(base, d));
  }
  dirs.set(readJson(join(root, "bench", "package.json")).name, join(root, "bench"));
  return dirs;
}

/** A package's directory as Node finds it from `fromDir` (node_modules up the tree), or null. */
function findPackage(name, fromDir) {
  for (let d = fromDir; ; d = dirname(d)) {
    const candidate = join(d, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return candidate;
    if (d === dirname(d) || d === dirname(root)) return null;
  }
}

function depsOf(pkgDir) {
  const j = readJson(join(pkgDir, "package.json"));
  const optionalPeers = j.peerDependenciesMeta ?? {};
  return {
    required: Object.keys(j.dependencies ?? {}),
    // Installed optional dependencies (native bindings for this platform) and non-optional peers.
    ifPresent: [...Object.keys(j.optionalDependencies ?? {}), ...Object.keys(j.peerDependencies ?? {}).filter((p) => !optionalPeers[p]?.optional)],
  };
}

function closure() {
  const workspaces = workspaceDirs();
  const mmx = new Set();
  const npm = new Map(); // real dir -> path relative to root (where it sits in node_modules)
  const queue = [];
  const visitWorkspace = (name) => {
    if (mmx.has(name)) return;
    const dir = workspaces.get(name);
    if (!dir) throw new Error(`gpu-bundle: no workspace package ${name}`);
    mmx.add(name);
    queue.push(dir);
  };
  for (const name of WORKSPACE_ROOTS) visitWorkspace(name);
  // The bench imports @mmx packages its package.json does not list: follow its imports too.
  for (const file of readdirSync(join(root, "bench", "src"))) {
    for (const m of readFileSync(join(root, "bench", "src", file), "utf8").matchAll(/from "(@mmx\/[a-z-]+)"/g)) visitWorkspace(m[1]);
  }
  const visitNpm = (name, fromDir, required) => {
    if (SKIP_NPM(name)) return;
    if (workspaces.has(name)) return visitWorkspace(name);
    const dir = findPackage(name, fromDir);
    if (!dir) {
      if (required) throw new Error(`gpu-bundle: ${name} (needed from ${relative(root, fromDir) || "."}) is not installed; run npm ci`);
      return;
    }
    const real = realpathSync(dir);
    if (npm.has(real)) return;
    npm.set(real, relative(root, dir));
    queue.push(dir);
  };
  for (const name of EXTRA_NPM) visitNpm(name, root, true);
  while (queue.length > 0) {
    const dir = queue.shift();
    const { required, ifPresent } = depsOf(dir);
    for (const d of required) visitNpm(d, dir, true);
    for (const d of ifPresent) visitNpm(d, dir, false);
  }
  return { mmx: [...mmx].map((n) => ({ name: n, dir: workspaces.get(n) })), npm: [...npm.entries()].map(([real, at]) => ({ real, at })) };
}

// ---- what of each package to keep ----

/** Files nothing loads at run time. */
const DROP_ANYWHERE = (rel) => /\.(map|d\.ts|d\.mts|d\.cts|tsbuildinfo)$/.test(rel) || /(^|\/)(README|CHANGELOG|HISTORY)(\.[a-z]+)?$/i.test(rel) || /(^|\/)(test|tests|__tests__|docs|example|examples)\//.test(rel);

/** Per-package pruning: tfjs packages load only their dist/*.node.js (and wasm's .wasm files); dawn only for linux-x64. */
function keepFile(pkgName, rel) {
  if (rel === "package.json" || /^LICEN[CS]E/i.test(rel)) return true;
  if (DROP_ANYWHERE(rel)) return false;
  if (pkgName.startsWith("@tensorflow/")) return /^dist\/[^/]+\.node\.js$/.test(rel) || /^dist\/[^/]+\.wasm$/.test(rel);
  if (pkgName === "webgpu") return rel === "index.js" || rel.startsWith("dist/linux-x64/");
  return true;
}

function copyPackage(pkgName, from, to) {
  const walk = (dir) => {
    for (const entry of readdirSync(dir)) {
      const abs = join(dir, entry);
      const rel = relative(from, abs);
      if (rel === "node_modules") continue; // nested installs are visited as packages of their own
      const st = lstatSync(abs);
      if (st.isDirectory()) walk(abs);
      else if ((st.isFile() || st.isSymbolicLink()) && keepFile(pkgName, rel)) {
        mkdirSync(dirname(join(to, rel)), { recursive: true });
        cpSync(abs, join(to, rel), { dereference: true });
      }
    }
  };
  walk(from);
}

// ---- build, assemble, pack ----

if (!flag("--no-build")) {
  log("building the workspace packages (turbo)");
  execFileSync(process.execPath, [join(root, "node_modules", "turbo", "bin", "turbo"), "run", "build", "--filter=@mmx/bench...", "--filter=@mmx/testing...", "--filter=@mmx/mixup..."], { cwd: root, stdio: ["ignore", "inherit", "inherit"] });
}

const stage = mkdtempSync(join(tmpdir(), "mmx-gpu-bundle-"));
const top = join(stage, "mmx-gpu");
mkdirSync(top);
try {
  const { mmx, npm } = closure();
  for (const f of ROOT_FILES) cpSync(join(root, f), join(top, f));
  for (const { name, dir } of mmx) {
    const rel = relative(root, dir);
    for (const part of ["package.json", "tsconfig.json", "dist", "src"]) {
      const src = join(dir, part);
      if (!existsSync(src)) continue;
      if (part === "dist" && !existsSync(join(src, "index.js"))) throw new Error(`gpu-bundle: ${name} is not built (${relative(root, src)}/index.js missing)`);
      cpSync(src, join(top, rel, part), { recursive: true, filter: (p) => !p.endsWith(".tsbuildinfo") });
    }
    // npm workspaces link each package into node_modules: the same relative link here.
    const link = join(top, "node_modules", name);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(relative(dirname(link), join(top, rel)), link);
  }
  for (const { real, at } of npm) copyPackage(readJson(join(real, "package.json")).name, real, join(top, at));

  // The Vulkan loader (the driver itself comes with the GPU machine's driver install).
  const loader = ["/usr/lib/x86_64-linux-gnu/libvulkan.so.1", "/usr/lib64/libvulkan.so.1", "/usr/lib/libvulkan.so.1"].find(existsSync);
  if (!loader) throw new Error("gpu-bundle: libvulkan.so.1 not found; install libvulkan1 (apt-get install libvulkan1)");
  mkdirSync(join(top, "lib"));
  cpSync(realpathSync(loader), join(top, "lib", "libvulkan.so.1"));

  if (withNode) {
    mkdirSync(join(top, "bin"));
    cpSync(process.execPath, join(top, "bin", "node"));
  }
  cpSync(join(root, "scripts", "gpu-bundle-run.sh"), join(top, "run.sh"));
  cpSync(join(root, "docs", "gpu.md"), join(top, "GPU.md"));
  writeFileSync(
    join(top, "MANIFEST.txt"),
    [
      `mmx GPU bundle, built ${new Date().toISOString()} from ${execFileSync("git", ["-C", root, "rev-parse", "--short", "HEAD"]).toString().trim()}`,
      `node ${process.version}${withNode ? " (bundled in bin/node)" : " (not bundled: the machine needs Node >= 20.19)"}; libvulkan.so.1 from ${realpathSync(loader)}`,
      `workspace packages: ${mmx.map((m) => m.name).join(", ")}`,
      `npm packages (${npm.length}): ${npm.map((p) => p.at.replace(/^node_modules\//, "")).join(", ")}`,
      "",
    ].join("\n"),
  );

  const du = (p) => {
    const st = lstatSync(p);
    return st.isDirectory() ? readdirSync(p).reduce((s, e) => s + du(join(p, e)), 0) : st.isFile() ? st.size : 0;
  };
  log(`unpacked: ${(du(top) / 2 ** 20).toFixed(1)} MiB (${npm.length} npm packages, ${mmx.length} workspace packages)`);
  mkdirSync(dirname(out), { recursive: true });
  execFileSync("tar", ["-C", stage, "-cf", out, "--owner=0", "--group=0", "--use-compress-program=xz -T0 -9", "mmx-gpu"], { stdio: "inherit" });
  const size = statSync(out).size;
  log(`wrote ${out}: ${(size / 2 ** 20).toFixed(1)} MiB`);
  if (size > LIMIT_BYTES) {
    rmSync(out);
    throw new Error(`gpu-bundle: the bundle is ${(size / 2 ** 20).toFixed(1)} MiB, over the 64 MiB limit${withNode ? " (try without --with-node)" : ""}`);
  }
  console.log(out);
} finally {
  rmSync(stage, { recursive: true, force: true });
}
