#!/usr/bin/env node
// A user's first install of @mmx/onnx, as packages/onnx/README.md tells it: the packages are packed as npm would
// publish them, installed into an empty project from their tarballs (every other dependency from the npm registry
// or its cache), and one jitted training step runs on the onnx backend. onnxruntime-node's postinstall fetches CUDA
// provider files from outside the npm registry; during these installs that download is pointed at a closed port, so
// an install path that still runs it fails here instead of on a user's offline machine.
// Both documented paths are tried: `allowScripts` in the project's package.json (npm 11) and ONNXRUNTIME_NODE_INSTALL=skip.
// The first project then typechecks a TypeScript consumer of every packed package as a strict user project would
// (`skipLibCheck: false`, `moduleResolution: "nodenext"`), so the published .d.ts files need no skipLibCheck.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const packages = ["core", "random", "nn", "mixup", "losses", "optim", "onnx", "attacks", "metrics", "data"];
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
`;

const tsconfig = {
  compilerOptions: {
    strict: true,
    skipLibCheck: false,
    module: "nodenext",
    moduleResolution: "nodenext",
    target: "es2022",
    noEmit: true,
  },
  files: ["consumer.mts"],
};

const started = Date.now();
const work = mkdtempSync(join(tmpdir(), "mmx-check-install-"));
try {
  run("npx", ["turbo", "run", "build", ...packages.map((p) => `--filter=@mmx/${p}`), "--output-logs=errors-only"], { cwd: root });
  for (const p of packages) run("npm", ["pack", "-w", `@mmx/${p}`, "--pack-destination", work, "--silent"], { cwd: root });
  const tarballs = readdirSync(work).filter((f) => f.endsWith(".tgz")).map((f) => join(work, f));
  if (tarballs.length !== packages.length) fail(`expected ${packages.length} tarballs in ${work}, found ${tarballs.length}`);

  const paths = [
    { name: "allowScripts", pkg: { allowScripts: { "onnxruntime-node": false, protobufjs: false } }, env: {} },
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
    if (i === 0) typecheck(project);
  }
  console.log(`check-install: ok, ${Math.round((Date.now() - started) / 1000)} s (npm ${run("npm", ["--version"]).trim()})`);
} catch (e) {
  if (!(e instanceof CheckFailed)) throw e;
  console.error(e.message);
  process.exitCode = 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}

/** tsc, as this repository pins it and installed from the npm cache, over the typed consumer in a user's project. */
function typecheck(project) {
  const version = JSON.parse(readFileSync(join(root, "node_modules/typescript/package.json"), "utf8")).version;
  try {
    run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--save-dev", `typescript@${version}`], { cwd: project, env: noOutsideDownloads });
  } catch (err) {
    fail(`installing typescript@${version} from the npm cache failed`, err);
  }
  writeFileSync(join(project, "consumer.mts"), typedConsumer);
  writeFileSync(join(project, "tsconfig.json"), JSON.stringify(tsconfig, null, 2));
  try {
    run("node", [join(project, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"], { cwd: project });
  } catch (err) {
    fail("the packed packages' types do not check in a strict user project with skipLibCheck: false", err);
  }
  console.log(`check-install (types): a consumer of ${packages.map((p) => `@mmx/${p}`).join(", ")} typechecks with strict, skipLibCheck: false, nodenext (typescript ${version})`);
}
