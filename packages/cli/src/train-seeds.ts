import { dispose, getBackend, np, type PyTree } from "@mmx/core";
import { batchCount, batches } from "@mmx/data";
import { bceSoftmax, softCrossEntropy } from "@mmx/losses";
import { trainSeeds, type TrainState } from "@mmx/mixup";
import { sgd, type SgdState } from "@mmx/optim";
import { foldIn } from "@mmx/random";
import { writeJsonAtomic } from "./atomic-file.js";
import { useBackend } from "./backends.js";
import { saveCheckpoint } from "./checkpoint.js";
import { resolveLayers, type TrainConfig } from "./config.js";
import { validateConfig } from "./config-schema.js";
import type { LoadedData } from "./datasets.js";
import { divergenceError, nonFiniteIn } from "./divergence.js";
import { trainBatchOptions } from "./train-batch-options.js";
import { UsageError } from "./errors.js";
import { evaluate } from "./evaluate.js";
import { buildModel, initModel } from "./models.js";
import { loopPosition, type ProgressSink } from "./progress.js";
import { acquireRunLock, checkOutFolder } from "./run-folder.js";
import { checkNoForeignRunFiles, runFiles, type EpochRecord } from "./run-files.js";
import { methodSpec } from "./methods.js";
import { makePolicy, makeSchedule, mixStepOptions, runKeys, type TrainResult } from "./train.js";

export interface TrainSeedsOptions {
  /** One run folder per config. */
  outs: readonly string[];
  /** The data every config names (they differ only in their seed). */
  data: LoadedData;
  progress?: ProgressSink;
  label?: string;
  /** Evaluate on the test split every N epochs and after the last, as `train`'s `evalEvery` (NaN metrics between). */
  evalEvery?: number;
}

/**
 * Why the seeds of a config cannot train as one program, or undefined: its method draws masks or feature noise in
 * the shape of each seed's own layer (CutMix, PatchUp, Noisy Feature Mixup), which `trainSeeds` refuses.
 */
export function vmapSeedsMisfit(config: TrainConfig): string | undefined {
  const policy = makePolicy(config, 1);
  if (!policy?.needsShapes) return undefined;
  const { cutmix, patchup } = policy.options;
  return `${methodSpec(config.method).title} ${SHAPED_DRAWS[cutmix ? "cutmix" : patchup ? "patchup" : "noise"]} in the shape of each seed's own layer, which seeds trained as one program cannot share`;
}

/** What each policy option whose draws take a boundary's shape does. */
const SHAPED_DRAWS: Readonly<Record<"cutmix" | "patchup" | "noise", string>> = { cutmix: "pastes a box per example", patchup: "swaps blocks of a feature map", noise: "adds noise to the mixed features" };

/**
 * Trains runs that differ only in their seed as one program (`trainSeeds` from @mmx/mixup): each seed keeps
 * its own init, data order, augmentation and λ/permutation draws (`runKeys(seed)`, as `train` uses), and every
 * seed mixes at the layer the first seed draws, the one draw they share. The step takes every option `train`'s
 * does (`mixStepOptions`: the policy with its λ mode, pairing, ways, α schedule and off epoch, label smoothing,
 * RegMixup, the placement options); a method whose draws take a layer's shape is refused (`vmapSeedsMisfit`).
 * Each run gets an ordinary run folder (config, metrics after every epoch, checkpoint), in `train`'s format.
 * No --resume: the runs start fresh.
 */
export async function trainSeedRuns(configs: readonly TrainConfig[], opts: TrainSeedsOptions): Promise<TrainResult[]> {
  if (configs.length === 0) throw new UsageError("trainSeedRuns: no configs");
  if (opts.outs.length !== configs.length) throw new UsageError(`trainSeedRuns: ${configs.length} configs but ${opts.outs.length} run folders`);
  const first = configs[0]!;
  const settings = (c: TrainConfig) => JSON.stringify({ ...c, seed: 0 });
  configs.forEach((c, i) => {
    validateConfig(c, "train");
    if (settings(c) !== settings(first)) throw new UsageError(`trainSeedRuns: config ${i} differs from config 0 in more than its seed`);
  });
  if ((first.stepsPerCall ?? 1) > 1) throw new UsageError(`trainSeedRuns: stepsPerCall ${first.stepsPerCall}: the seeds train one vmapped step per call; train them with stepsPerCall 1, or one run at a time`);
  const misfit = vmapSeedsMisfit(first);
  if (misfit) throw new UsageError(`trainSeedRuns: method '${first.method}': ${misfit}; train its seeds one run at a time`);
  opts.outs.forEach((o) => checkOutFolder(o));
  await useBackend(first.backend);
  const log = (line: string) => opts.progress?.log(line);
  const locks = opts.outs.map((o) => acquireRunLock(o, "mmx reproduce --vmap-seeds", log));
  try {
    return await trainLocked(configs, opts);
  } finally {
    for (const l of locks) l.release();
  }
}

async function trainLocked(configs: readonly TrainConfig[], opts: TrainSeedsOptions): Promise<TrainResult[]> {
  const config = configs[0]!;
  const S = configs.length;
  const { data } = opts;
  opts.outs.forEach((o) => checkNoForeignRunFiles(o));
  const files = opts.outs.map(runFiles);
  const { model, input } = buildModel(config.model, data, config.hidden);
  const layers = resolveLayers(config.method, methodSpec(config.method).placement === "eligible" ? config.layers.map(String) : undefined, model);
  if (layers.layers.join() !== config.layers.join()) throw new UsageError(`train: its config's layers [${config.layers.join(",")}] are not ${config.method} mixup's for this model ([${layers.layers.join(",")}])`);
  const stepsPerEpoch = batchCount(data.trainCount, config.batch, true);
  if (stepsPerEpoch === 0) throw new UsageError(`--batch ${config.batch} is larger than the training set (${data.trainCount} examples of ${data.name})`);

  const optimizer = sgd({ lr: makeSchedule(config, stepsPerEpoch), momentum: config.momentum, nesterov: config.nesterov, weightDecay: config.weightDecay });
  const step = trainSeeds<PyTree, SgdState>({ model, loss: config.loss === "bce" ? bceSoftmax : softCrossEntropy, optimizer, seeds: S, ...mixStepOptions(config, stepsPerEpoch), donate: true });
  const keys = configs.map((c) => runKeys(c.seed));
  const inits = keys.map((k) => initModel(model, k.init, input, config.hidden));
  let state: TrainState<PyTree, SgdState> = step.init(
    inits.map((i) => i.params),
    inits.map((i) => i.state),
  );
  dispose(inits.flatMap((i) => [i.params, i.state]));
  configs.forEach((c, s) => writeJsonAtomic(files[s]!.config, c));

  const metrics: EpochRecord[][] = configs.map(() => []);
  let globalStep = 0;
  let trainSeconds = 0;
  for (let epoch = 0; epoch < config.epochs; epoch++) {
    const lossSums = new Float64Array(S);
    let count = 0;
    const started = performance.now();
    const streams = keys.map((k) => batches(data.train, trainBatchOptions(data, config.batch, input, k.shuffle, epoch)));
    for (;;) {
      const next = streams.map((it) => it.next());
      if (next.some((n) => n.done)) break;
      const bs = next.map((n) => n.value!);
      const x = np.stack(bs.map((b) => b.x));
      const y = np.stack(bs.map((b) => b.y));
      dispose(bs.flatMap((b) => [b.x, b.y]));
      const r = step(state, x, y, keys.map((k) => foldIn(k.mix, globalStep)), { epoch, step: globalStep });
      const losses = r.loss.dataSync();
      dispose([r.loss, x, y]);
      state = r.state;
      const bad = Array.from(losses).findIndex((l) => !Number.isFinite(l));
      const broken = bad >= 0 ? `the loss is ${losses[bad]}` : nonFiniteIn(state);
      if (broken) {
        const s = bad >= 0 ? bad : 0;
        dispose([state.params, state.opt, state.modelState]);
        throw divergenceError({ config: configs[s]!, what: `${broken} (one of the seeds ${configs.map((c) => c.seed).join(", ")}, trained together)`, epoch: epoch + 1, step: count + 1, stepsPerEpoch, globalStep: globalStep + 1, checkpoint: files[s]!.checkpoint, lastGoodEpoch: epoch === 0 ? undefined : epoch });
      }
      losses.forEach((l, s) => (lossSums[s] += l));
      count++;
      globalStep++;
      if (opts.progress) {
        const elapsed = (performance.now() - started) / 1000;
        const left = (config.epochs - epoch) * stepsPerEpoch - count;
        opts.progress.update({
          ...loopPosition(opts.label, epoch, config.epochs, count, stepsPerEpoch, config.epochs),
          loss: lossSums.reduce((a, b) => a + b, 0) / (S * count),
          examplesPerSecond: (S * count * config.batch) / Math.max(elapsed, 1e-9),
          etaSeconds: left * (elapsed / count),
        });
      }
    }
    const seconds = (performance.now() - started) / 1000;
    trainSeconds += seconds;
    const evalNow = (epoch + 1) % (opts.evalEvery ?? 1) === 0 || epoch + 1 === config.epochs;
    for (let s = 0; s < S; s++) {
      const own = step.seed(state, s);
      const test = evalNow ? evaluate(model, own.params, own.modelState, data.test, input) : { error: NaN, nll: NaN, ece: NaN };
      metrics[s]!.push({
        epoch: epoch + 1,
        step: globalStep,
        lr: optimizer.schedule.valueAt(globalStep - 1),
        trainLoss: lossSums[s]! / count,
        testError: test.error,
        testNll: test.nll,
        testEce: test.ece,
        seconds,
        examplesPerSecond: (count * config.batch) / seconds,
      });
      writeJsonAtomic(files[s]!.metrics, { config: configs[s], epochs: metrics[s] });
      await saveCheckpoint(files[s]!.checkpoint, { config: configs[s]!, epoch: epoch + 1, step: globalStep, backend: getBackend(), params: own.params, opt: own.opt, modelState: own.modelState });
      dispose([own.params, own.opt, own.modelState]);
    }
  }
  const results = configs.map((c, s): TrainResult => {
    const own = step.seed(state, s);
    dispose(own.opt);
    // The seeds share the program's time: each is charged its share.
    return { config: c, model, input, data, params: own.params, modelState: own.modelState, metrics: metrics[s]!, stepsThisCall: globalStep, trainSeconds: trainSeconds / S };
  });
  dispose([state.params, state.opt, state.modelState]);
  opts.progress?.done();
  return results;
}
