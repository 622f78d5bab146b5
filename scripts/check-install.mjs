#!/usr/bin/env node
// A user's first install of @mmx/onnx, as packages/onnx/README.md tells it: the packages are packed as npm would
// publish them, installed into an empty project from their tarballs (every other dependency from the npm registry
// or its cache), and one jitted training step runs on the onnx backend. onnxruntime-node's postinstall fetches CUDA
// provider files from outside the npm registry; during these installs that download is pointed at a closed port, so
// an install path that still runs it fails here instead of on a user's offline machine.
// Both documented paths are tried: `allowScripts` in the project's package.json (npm 11) and ONNXRUNTIME_NODE_INSTALL=skip.
// The first project then walks the README's "Your own model, in your own project": tsx and TypeScript installed as
// it says, its train.mts (a model function of the user's, mixed, trained by jit(grad) on onnx, no dispose) run with
// tsx until the loss falls, and typechecked with a typed consumer of every packed package under several user
// configurations (strict, `skipLibCheck: false`: nodenext, tsc --init's own, bundler, node10), so the published
// .d.ts files need no skipLibCheck; and under TypeScript 7's tsc --init config, as the README says.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { extractBlocks } from "./check-docs.mjs";
import { LIBRARY_PACKAGES as packages, packPackages } from "./pack-packages.mjs";

const root = resolve(import.meta.dirname, "..");
/** The TypeScript 7 the README's caveat is about (npm's latest when it was written). */
const TYPESCRIPT_7 = "7.0.2";
// global-agent (which onnxruntime-node's install script bootstraps) sends its downloads through these.
const closedPort = "http://127.0.0.1:9";
const noOutsideDownloads = { GLOBAL_AGENT_HTTP_PROXY: closedPort, GLOBAL_AGENT_HTTPS_PROXY: closedPort };

const run = (cmd, args, opts = {}) =>
  execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], ...opts, env: { ...process.env, ...opts.env } });

/** A failed check: its message, and the output of the command that failed, if one did. */
class CheckFailed extends Error {}
function fail(message, err) {
  throw new CheckFailed([`check-install: ${message}`, err?.stdout, err?.stderr].filter(Boolean).join("\n"));
}

// What a user writes after `npm install @mmx/onnx @mmx/nn @mmx/mixup ...`: nothing from this repository's sources.
const trainOneStep = `
import { getBackend, np, setBackend } from "@mmx/core";
import { bceSoftmax } from "@mmx/losses";
import { manifoldMixup, trainStep } from "@mmx/mixup";
import * as nn from "@mmx/nn";
import { onnxDevice } from "@mmx/onnx";
import { sgd } from "@mmx/optim";
import { foldIn, key } from "@mmx/random";

await setBackend("onnx");
const model = nn.mlp([2, 16, 16, 2]);
const { params } = model.init(key(0), [-1, 2]);
const step = trainStep({ model, loss: bceSoftmax, optimizer: sgd({ lr: 0.1, momentum: 0.9 }),
                         policy: manifoldMixup({ alpha: 2, layers: model.paperBoundaries }) });
const x = np.array(Float32Array.from({ length: 16 }, (_, i) => Math.sin(i)), { shape: [8, 2] });
const y = np.array(Int32Array.from({ length: 8 }, (_, i) => i % 2), { dtype: "int32" });
const loss = step(step.init(params), x, y, foldIn(key(1), 0)).loss.item();
if (getBackend() !== "onnx") throw new Error("the step ran on " + getBackend() + ", not onnx");
if (!Number.isFinite(loss)) throw new Error("the loss of one jitted step on onnx is " + loss);
console.log("one jitted Manifold Mixup step on onnx, loss " + loss.toFixed(4) + "; " + onnxDevice().detail);
`;

// A typed consumer of every packed package, checked by tsc against their published .d.ts files (never run).
const typedConsumer = `
import { grad, jit, np, type NDArray } from "@mmx/core";
import { fgsm } from "@mmx/attacks";
import { batches, spirals } from "@mmx/data";
import { fashionMnist } from "@mmx/data/node";
import { bceSoftmax, crossEntropy } from "@mmx/losses";
import { accuracy } from "@mmx/metrics";
import { manifoldMixup, mixup, trainStep, type TrainState } from "@mmx/mixup";
import * as nn from "@mmx/nn";
import { onnxDevice } from "@mmx/onnx";
import { sgd, type SgdState } from "@mmx/optim";
import { key, type Key } from "@mmx/random";

const model = nn.mlp([2, 16, 2]);
const params: nn.ParamTree = model.init(key(0), [-1, 2]).params;
const forward = (p: nn.ParamTree, x: NDArray): NDArray => model.apply(p, x).out;
const step = trainStep({ model, loss: bceSoftmax, optimizer: sgd({ lr: 0.1 }), policy: manifoldMixup({ alpha: 2, layers: model.paperBoundaries }) });
export const state: TrainState<nn.ParamTree, SgdState> = step.init(params);
export const next = (x: NDArray, y: NDArray, k: Key): TrainState<nn.ParamTree, SgdState> => step(state, x, y, k).state;
export const gradient: (x: NDArray) => nn.ParamTree = (x) => grad((p: nn.ParamTree) => np.sum(forward(p, x)))(params);
export const mixed = (x: NDArray, y: NDArray) => jit(mixup(1, 0.5)(forward))(params, x, y, [1, 0]).targets;
export const attack = fgsm({ model: forward, loss: crossEntropy, eps: 0.1 });
export const acc: (logits: NDArray, labels: NDArray) => number = accuracy;
export const device: string = onnxDevice().detail;
export const data = [spirals, batches, fashionMnist] as const;
// @ts-expect-error a string is not a params tree (the published types carry @mmx/nn's ParamTree)
export const misuse = (x: NDArray, y: NDArray) => mixup(1, 0.5)(forward)("params", x, y, [1, 0]);
// A model function of the user's fits trainStep as the README says: { apply: (p, x) => ({ out: f(p, x), state: {} }) }.
type Own = { w: NDArray; b: NDArray };
const own = (p: Own, x: NDArray) => np.add(np.matmul(x, p.w), p.b);
const ownStep = trainStep({ model: { apply: (p: Own, x: NDArray) => ({ out: own(p, x), state: {} }) }, loss: bceSoftmax, optimizer: sgd({ lr: 0.1 }), donate: true });
export const ownState: TrainState<Own, SgdState> = ownStep.init({ w: np.zeros([2, 2]), b: np.zeros([2]) });
`;

// The user configurations the typed files are checked under with this repository's TypeScript, all strict with
// skipLibCheck: false. tsc --init's own config (its "types": [] leaves out every @types package) is made in the
// project by tsc itself.
const strictChecks = {
  module: "nodenext",
  moduleResolution: "nodenext",
  target: "es2022",
  strict: true,
  skipLibCheck: false,
  noEmit: true,
};
const typedFiles = ["consumer.mts", "train.mts"];
const configs = [
  { name: "nodenext", file: "tsconfig.nodenext.json", compilerOptions: strictChecks },
  { name: "bundler", file: "tsconfig.bundler.json", compilerOptions: { ...strictChecks, module: "esnext", moduleResolution: "bundler" } },
  // The classic resolution without esModuleInterop: a default import of a CommonJS package in our .d.ts fails here.
  // It knows no package exports, so the consumer's subpath import (@mmx/data/node) is left to the others.
  { name: "node10", file: "tsconfig.node10.json", compilerOptions: { ...strictChecks, module: "esnext", moduleResolution: "node10" }, files: ["train.mts"] },
];

/** The README's walkthrough: the first ts block of its section "Your own model, in your own project". */
function walkthrough() {
  const text = readFileSync(join(root, "README.md"), "utf8");
  const heading = text.split("\n").indexOf("## Your own model, in your own project");
  if (heading < 0) fail('README.md has no section "## Your own model, in your own project" (the walkthrough this check runs)');
  const block = extractBlocks(text, "README.md").find((b) => b.line > heading + 1);
  if (!block) fail("README.md's walkthrough section has no ts block");
  return block;
}

const started = Date.now();
const work = mkdtempSync(join(tmpdir(), "mmx-check-install-"));
try {
  const readmeWalkthrough = walkthrough();
  // Packed as the README tells a user to (npm run pack:packages).
  let tarballs;
  try {
    tarballs = packPackages(join(work, "mmx-packages"));
  } catch (err) {
    fail(`packing the packages failed: ${err.message.split("\n")[0]}`, err);
  }

  const paths = [
    // What the README's `npm pkg set allowScripts...` line writes.
    { name: "allowScripts", pkg: { allowScripts: { "onnxruntime-node": false, protobufjs: false, esbuild: false } }, env: {} },
    { name: "ONNXRUNTIME_NODE_INSTALL=skip", pkg: {}, env: { ONNXRUNTIME_NODE_INSTALL: "skip" } },
  ];
  // The control: without either, the install script must reach for the closed port, or this check proves nothing.
  const control = join(work, "project-control");
  run("mkdir", ["-p", control]);
  writeFileSync(join(control, "package.json"), JSON.stringify({ name: "user-project", private: true, type: "module" }));
  let controlInstalled = false;
  try {
    run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", ...tarballs], { cwd: control, env: noOutsideDownloads });
    controlInstalled = true;
  } catch (err) {
    if (!/ECONNREFUSED/.test(`${err.stdout}${err.stderr}`)) fail("the control install failed, but not on the blocked download", err);
    console.log("check-install (control, no configuration): the install script's download hit the closed port, as expected");
  }
  if (controlInstalled) fail("the control install (no allowScripts, no ONNXRUNTIME_NODE_INSTALL) succeeded: the download trap is not live");

  for (const [i, path] of paths.entries()) {
    const project = join(work, `project-${i}`);
    run("mkdir", ["-p", project]);
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "user-project", private: true, type: "module", ...path.pkg }, null, 2));
    writeFileSync(join(project, "train-one-step.mjs"), trainOneStep);
    let log;
    try {
      log = run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", ...tarballs], { cwd: project, env: { ...noOutsideDownloads, ...path.env } });
    } catch (err) {
      fail(`npm install with ${path.name} failed (did onnxruntime-node's install script try a download?)`, err);
    }
    const bin = join(project, "node_modules/onnxruntime-node/bin/napi-v6", process.platform, process.arch);
    if (existsSync(join(bin, "libonnxruntime_providers_cuda.so")) || /Downloading /.test(log))
      fail(`with ${path.name}, onnxruntime-node's install script downloaded the CUDA provider:\n${log}`);
    let out;
    try {
      out = run("node", ["train-one-step.mjs"], { cwd: project });
    } catch (err) {
      fail(`the installed packages did not train a step on onnx (${path.name})`, err);
    }
    console.log(`check-install (${path.name}): ${out.trim()}`);
    if (i === 0) walkThrough(project, readmeWalkthrough);
  }
  console.log(`check-install: ok, ${Math.round((Date.now() - started) / 1000)} s (npm ${run("npm", ["--version"]).trim()})`);
} catch (e) {
  if (!(e instanceof CheckFailed)) throw e;
  console.error(e.message);
  process.exitCode = 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}

/**
 * The README's walkthrough in the user project: tsx and this repository's TypeScript installed (the README says
 * `typescript@5.9`; the pinned 5.9 release here, from the npm cache), its train.mts run with tsx, the loss and the
 * training error checked to fall, then train.mts and the typed consumer typechecked under each configuration, and
 * under TypeScript 7's tsc --init config.
 */
function walkThrough(project, block) {
  const version = (name) => JSON.parse(readFileSync(join(root, "node_modules", name, "package.json"), "utf8")).version;
  const ts = version("typescript");
  try {
    run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--save-dev", `typescript@${ts}`, `tsx@${version("tsx")}`], { cwd: project, env: noOutsideDownloads });
  } catch (err) {
    fail(`installing typescript@${ts} and tsx from the npm cache failed`, err);
  }
  writeFileSync(join(project, "train.mts"), `${block.code}\n`);
  writeFileSync(join(project, "consumer.mts"), typedConsumer);

  const started = Date.now();
  let out;
  try {
    out = run("npx", ["tsx", "train.mts"], { cwd: project });
  } catch (err) {
    fail(`the README's train.mts (README.md:${block.line}) failed under tsx in the user project`, err);
  }
  const loss = out.match(/mixed loss ([\d.]+) -> ([\d.]+)/);
  const error = out.match(/training error ([\d.]+) -> ([\d.]+)/);
  if (!loss || !error) fail(`the README's train.mts printed no "mixed loss a -> b" and "training error a -> b" lines:\n${out}`);
  const [lossBefore, lossAfter, errorBefore, errorAfter] = [loss[1], loss[2], error[1], error[2]].map(Number);
  if (!(lossAfter < lossBefore) || !(errorAfter < errorBefore / 2)) fail(`the README's train.mts did not learn: ${out.trim()}`);
  console.log(`check-install (walkthrough): README.md:${block.line} as train.mts, tsx, onnx, no dispose: ${out.trim().split("\n").join("; ")} (${Math.round((Date.now() - started) / 1000)} s)`);

  const tsc = (tscPath, args, what) => {
    try {
      run("node", [tscPath, ...args, "--noEmit"], { cwd: project });
    } catch (err) {
      fail(`the user project does not typecheck (${what}): the published .d.ts files or the README's train.mts`, err);
    }
  };
  const tsc5 = join(project, "node_modules/typescript/bin/tsc");
  for (const c of configs) {
    writeFileSync(join(project, c.file), JSON.stringify({ compilerOptions: c.compilerOptions, files: c.files ?? typedFiles }, null, 2));
    tsc(tsc5, ["-p", c.file], `typescript ${ts}, ${c.name}, strict, skipLibCheck: false`);
  }
  // tsc --init's config as it writes it ("types": [], noUncheckedIndexedAccess, exactOptionalPropertyTypes, ...),
  // with skipLibCheck turned off as the README says; it takes every .mts file of the project.
  run("node", [tsc5, "--init"], { cwd: project });
  const initConfig = readFileSync(join(project, "tsconfig.json"), "utf8");
  if (!/"skipLibCheck": true/.test(initConfig)) fail(`tsc --init of typescript ${ts} wrote no "skipLibCheck": true to turn off:\n${initConfig}`);
  writeFileSync(join(project, "tsconfig.json"), initConfig.replace(/"skipLibCheck": true/, '"skipLibCheck": false'));
  tsc(tsc5, ["-p", "tsconfig.json"], `typescript ${ts}, tsc --init's config, skipLibCheck: false`);

  // TypeScript 7 with its own tsc --init config (skipLibCheck: true, as the README says to keep), in a folder of
  // its own so that the project's TypeScript stays 5.9; the config there names the project's files.
  const ts7 = join(project, "ts7");
  run("mkdir", ["-p", ts7]);
  writeFileSync(join(ts7, "package.json"), JSON.stringify({ name: "ts7", private: true }));
  try {
    run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", `typescript@${TYPESCRIPT_7}`], { cwd: ts7, env: noOutsideDownloads });
  } catch (err) {
    fail(`installing typescript@${TYPESCRIPT_7} failed`, err);
  }
  const tsc7 = join(ts7, "node_modules/typescript/bin/tsc");
  run("node", [tsc7, "--init"], { cwd: ts7 });
  const init7 = readFileSync(join(ts7, "tsconfig.json"), "utf8");
  writeFileSync(join(ts7, "tsconfig.json"), init7.replace("{", `{\n  "files": ${JSON.stringify(typedFiles.map((f) => `../${f}`))},`));
  tsc(tsc7, ["-p", join(ts7, "tsconfig.json")], `typescript ${TYPESCRIPT_7}, its tsc --init config`);
  console.log(`check-install (types): train.mts and a consumer of ${packages.map((p) => `@mmx/${p}`).join(", ")} typecheck with typescript ${ts} (strict, skipLibCheck: false; ${configs.map((c) => c.name).join(", ")}, tsc --init's config) and typescript ${TYPESCRIPT_7} (its tsc --init config)`);
}
