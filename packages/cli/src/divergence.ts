import { Array, jit, np, tree, type PyTree } from "@mmx/core";
import { DEFAULT_ALPHA, type TrainConfig } from "./config.js";
import { UsageError } from "./errors.js";

/**
 * 0 when every float value of the tree is finite, else NaN: x·0 is NaN exactly for NaN and ±Inf, and
 * a NaN anywhere makes the sum NaN. One small program, so a step's whole state is checked on the device
 * and only a scalar is read back.
 */
const defect = jit((leaves: Array[]) => leaves.reduce<Array>((acc, x) => np.add(acc, np.sum(np.mul(x, 0))), np.array(0)));

/** Where the tree holds a non-finite value ("params.layers[2].w"), or undefined when it holds none. */
export function nonFiniteIn(state: PyTree): string | undefined {
  const [leaves, def] = tree.flatten(state);
  const floats = (leaves as Array[]).filter((x) => x instanceof Array && x.dtype === "float32");
  if (floats.length === 0) return undefined;
  const d = defect(floats);
  const ok = Number.isFinite(d.item());
  d.dispose();
  if (ok) return undefined;
  const paths = tree.leafPaths(def);
  const at = (leaves as Array[]).findIndex((x) => x instanceof Array && x.dtype === "float32" && !(x.dataSync() as Float32Array).every(Number.isFinite));
  return `the updated state holds non-finite values (first at ${paths[at] ?? `leaf ${at}`})`;
}

/** Settings that commonly make SGD diverge, with why, strongest first (those set away from the defaults before the others). */
function suspects(config: TrainConfig, given: readonly string[]): { flag: string; why: string; given: boolean }[] {
  const out: { flag: string; why: string; given: boolean; weight: number }[] = [];
  const shrink = config.lr * config.weightDecay;
  // A huge rate makes lr·wd large with any decay: then the rate is to blame, not the decay.
  if (shrink >= 1 && (config.lr < 1 || given.includes("wd"))) out.push({ flag: "wd", why: `--wd ${config.weightDecay} with --lr ${config.lr}: each step scales the weights by 1 - lr·wd = ${1 - shrink}`, given: given.includes("wd"), weight: shrink });
  if (config.lr >= 1) out.push({ flag: "lr", why: `--lr ${config.lr} is large for SGD`, given: given.includes("lr"), weight: config.lr });
  if (config.momentum >= 0.99) out.push({ flag: "momentum", why: `--momentum ${config.momentum} is close to 1`, given: given.includes("momentum"), weight: 1 / (1 - config.momentum) });
  return out.sort((a, b) => Number(b.given) - Number(a.given) || b.weight - a.weight);
}

/** The options that shape the optimisation, each with its value and mmx train's default. */
const TRAINING_FLAGS: readonly [string, (c: TrainConfig) => unknown, (c: TrainConfig) => unknown][] = [
  ["lr", (c) => c.lr, () => 0.1],
  ["wd", (c) => c.weightDecay, () => 1e-4],
  ["momentum", (c) => c.momentum, () => 0.9],
  ["batch", (c) => c.batch, () => 128],
  ["alpha", (c) => c.alpha, (c) => DEFAULT_ALPHA[c.method]],
  ["schedule", (c) => c.schedule, () => "constant"],
  ["loss", (c) => c.loss, () => "bce"],
];

/** The training options whose values differ from the defaults: the ones the user set. */
export function optionsSet(config: TrainConfig): string[] {
  return TRAINING_FLAGS.filter(([, value, fallback]) => value(config) !== fallback(config)).map(([f]) => f);
}

export interface Divergence {
  config: TrainConfig;
  /** What went wrong: "the loss is NaN", "the updated state holds non-finite values (...)". */
  what: string;
  epoch: number;
  /** The step within the epoch (1-based), of `stepsPerEpoch`. */
  step: number;
  stepsPerEpoch: number;
  globalStep: number;
  checkpoint: string;
  /** The epoch of the checkpoint left on disk, or undefined if the run wrote none. */
  lastGoodEpoch: number | undefined;
}

/**
 * The error of a diverged run: where (epoch, step, global step), what, the likely cause among the
 * settings, the options set and the checkpoint kept. A UsageError (exit 2) when the user's settings
 * explain it; with mmx's defaults and no likely cause it is reported as a bug.
 */
export function divergenceError(d: Divergence): Error {
  const given = optionsSet(d.config);
  const found = suspects(d.config, given);
  const set = TRAINING_FLAGS.filter(([f]) => given.includes(f)).map(([f, v]) => `--${f} ${String(v(d.config))}`);
  const cause = found.length > 0 ? ` Likely cause: ${found[0]!.why}${found.length > 1 ? `; also ${found.slice(1).map((s) => s.why).join("; ")}` : ""}.` : "";
  const flags = ` Options set: ${set.length > 0 ? set.join(", ") : "none (all defaults)"}.`;
  const kept = d.lastGoodEpoch === undefined ? " No checkpoint was written (it diverged before its first epoch ended)." : ` The last good checkpoint (epoch ${d.lastGoodEpoch}) is kept in ${d.checkpoint}.`;
  const message = `training diverged at epoch ${d.epoch}, step ${d.step} of ${d.stepsPerEpoch} (global step ${d.globalStep}): ${d.what}.${cause}${flags}${kept}`;
  return found.length > 0 || given.length > 0 ? new UsageError(message) : new Error(message);
}
