import { existsSync } from "node:fs";
import { dispose, getBackend, type PyTree } from "@mmx/core";
import { batchCount, batches } from "@mmx/data";
import { bceSoftmax, softCrossEntropy } from "@mmx/losses";
import { trainStep, type MixupPolicy, type TrainState, type TrainStepOptions } from "@mmx/mixup";
import { methodSpec } from "./methods.js";
import { stepOptionsOf } from "./mix-options.js";
import type * as nn from "@mmx/nn";
import { constant, cosine, epochsToSteps, piecewiseConstant, sgd, type Schedule, type SgdState } from "@mmx/optim";
import { foldIn, key, type Key } from "@mmx/random";
import { writeJsonAtomic } from "./atomic-file.js";
import { useBackend } from "./backends.js";
import { loadCheckpoint, saveCheckpoint } from "./checkpoint.js";
import { resolveLayers, type TrainConfig } from "./config.js";
import { validateConfig } from "./config-schema.js";
import { loadData, type LoadedData } from "./datasets.js";
import { divergenceError, nonFiniteIn } from "./divergence.js";
import { trainBatchOptions } from "./train-batch-options.js";
import { checkParamsFit } from "./params-fit.js";
import { blame, blameAsync, UsageError } from "./errors.js";
import { evaluate } from "./evaluate.js";
import { upgradeSgdState } from "./legacy-opt-state.js";
import { buildModel, initModel } from "./models.js";
import { loopPosition, type ProgressSink } from "./progress.js";
import { acquireRunLock, checkOutFolder } from "./run-folder.js";
import { StepTimer } from "./step-timer.js";
import { stepGroups, trainGroup } from "./step-groups.js";
import { stepsPerCallMisfit } from "./steps-per-call.js";
import { checkNoForeignRunFiles, type EpochRecord, readConfigFile, readMetrics, runFiles } from "./run-files.js";

export interface TrainOptions {
  /** The run folder. */
  out: string;
  /** Continue from the checkpoint in `out` (its config must be `config`, but for the epoch count). */
  resume?: boolean;
  /** Replace a run already in `out` instead of refusing (the demo re-runs into the same folders). */
  overwrite?: boolean;
  progress?: ProgressSink;
  /** Shown before the progress bar: which run this is. */
  label?: string;
  /** Data already loaded for this config (the demo shares one load between runs). */
  data?: LoadedData;
  /** Stop after this many epochs of this call, as if interrupted (tests of --resume use it). */
  stopAfterEpochs?: number;
  /** Called after every step: the demo's overall progress and ETA. */
  onStep?: (info: { step: number; loss: number }) => void;
  /** Overrides the progress bar's ETA (seconds left), e.g. of the whole demo. */
  eta?: (runSecondsLeft: number) => number;
  /**
   * Evaluate on the test split every N epochs and after the last epoch of the call, instead of after
   * every epoch (a long run on a small training set spends most of its time evaluating otherwise).
   * The epochs between record NaN test metrics (null in metrics.json). Training is unchanged.
   */
  evalEvery?: number;
}

export interface TrainResult {
  config: TrainConfig;
  model: nn.Model;
  /** The per-example shape the model takes (the data's shape, or flattened for an mlp). */
  input: number[];
  data: LoadedData;
  params: PyTree;
  modelState: PyTree;
  metrics: EpochRecord[];
  /** Steps taken in this call, and the seconds they took (evaluation excluded). */
  stepsThisCall: number;
  trainSeconds: number;
}

/** The three independent streams of randomness of a run, all from its seed. */
export function runKeys(seed: number): { init: Key; shuffle: Key; mix: Key } {
  const root = key(seed);
  return { init: foldIn(root, 0), shuffle: foldIn(root, 1), mix: foldIn(root, 2) };
}

export function makeSchedule(config: TrainConfig, stepsPerEpoch: number): Schedule {
  switch (config.schedule) {
    case "constant":
      return constant(config.lr);
    case "cosine":
      return cosine({ base: config.lr, steps: config.epochs * stepsPerEpoch });
    case "multistep":
      return piecewiseConstant({ base: config.lr, milestones: epochsToSteps(config.milestones, stepsPerEpoch) });
  }
}

const withPolicy = (policy: MixupPolicy | undefined) => (policy ? { policy } : {});

/** The run's mixup policy; `stepsPerEpoch` is needed by an α schedule (it spans the run's steps). */
export function makePolicy(config: TrainConfig, stepsPerEpoch?: number): MixupPolicy | undefined {
  return methodSpec(config.method).policy(config, stepsPerEpoch === undefined ? undefined : { totalSteps: config.epochs * stepsPerEpoch });
}

/** What the run's training step is given beside the model, loss and optimizer: the policy and every mixing option. */
export function mixStepOptions(config: TrainConfig, stepsPerEpoch: number): Pick<TrainStepOptions, "policy" | "labelSmoothing" | "regMixup" | "mixupOptions" | "patchUpLoss"> {
  return {
    ...withPolicy(makePolicy(config, stepsPerEpoch)),
    ...stepOptionsOf(config.method, config),
    ...(config.labelSmoothing ? { labelSmoothing: config.labelSmoothing } : {}),
    ...(config.bn !== undefined || config.at !== undefined ? { mixupOptions: { ...(config.bn ? { bn: config.bn } : {}), ...(config.at ? { at: config.at } : {}) } } : {}),
    ...(config.patchUpLoss ? { patchUpLoss: true } : {}),
  };
}

/**
 * Trains a model as `config` says: SGD on the dataset's training split, with the mixup policy of
 * `config.method`, evaluating on the test split after every epoch. After each epoch it rewrites
 * `metrics.json` and the checkpoint, each atomically. Every random draw comes from the seed through
 * the epoch and step counters, so a resumed run takes the same steps as an uninterrupted one. With
 * `config.stepsPerCall` K > 1, each K consecutive batches train as one `step.scan` call: the same steps, with the
 * same keys and progress, and the same bookkeeping per step.
 */
export async function train(config: TrainConfig, opts: TrainOptions): Promise<TrainResult> {
  validateConfig(config, "train");
  const misfit = stepsPerCallMisfit(config);
  if (misfit) throw new UsageError(misfit);
  checkOutFolder(opts.out);
  const log = (line: string) => (opts.progress ? opts.progress.log(line) : undefined);
  await useBackend(config.backend);
  // The folder is this run's from here on: a second run into it is refused until this one ends.
  const lock = acquireRunLock(opts.out, opts.resume ? "mmx train --resume" : "mmx train", log);
  try {
    return await trainLocked(config, opts, log);
  } finally {
    lock.release();
  }
}

async function trainLocked(config: TrainConfig, opts: TrainOptions, log: (line: string) => void): Promise<TrainResult> {
  const files = runFiles(opts.out);
  if (!opts.resume && !opts.overwrite && existsSync(files.checkpoint)) {
    throw new UsageError(`${opts.out} already holds a run (${files.checkpoint}); continue it with --resume, or choose another --out`);
  }
  if (!opts.resume) checkNoForeignRunFiles(opts.out);
  const source = opts.resume ? `checkpoint ${files.checkpoint}` : "train";
  // On --resume the data's settings (a cifar10 data folder) come from the checkpoint: the error says so.
  const data = opts.data ?? (opts.resume ? await blameAsync(source, () => loadData(config, log)) : await loadData(config, log));
  const { model, input } = blame(source, () => buildModel(config.model, data, config.hidden));
  const layers = blame(source, () => resolveLayers(config.method, methodSpec(config.method).placement === "eligible" ? config.layers.map(String) : undefined, model));
  if (layers.layers.join() !== config.layers.join()) throw new UsageError(`${source}: its config's layers [${config.layers.join(",")}] are not ${config.method} mixup's for this model ([${layers.layers.join(",")}])`);
  const stepsPerEpoch = batchCount(data.trainCount, config.batch, true);
  if (stepsPerEpoch === 0) throw new UsageError(`--batch ${config.batch} is larger than the training set (${data.trainCount} examples of ${data.name})`);

  const optimizer = sgd({ lr: makeSchedule(config, stepsPerEpoch), momentum: config.momentum, nesterov: config.nesterov, weightDecay: config.weightDecay });
  const step = trainStep<PyTree, SgdState>({ model, loss: config.loss === "bce" ? bceSoftmax : softCrossEntropy, optimizer, ...mixStepOptions(config, stepsPerEpoch), donate: true });
  const keys = runKeys(config.seed);

  let state: TrainState<PyTree, SgdState>;
  let epoch = 0;
  let globalStep = 0;
  let metrics: EpochRecord[] = [];
  /** The epoch of the checkpoint on disk that this run wrote or resumed from. */
  let savedEpoch: number | undefined;
  const makeInit = () => initModel(model, keys.init, input, config.hidden);
  const init = opts.resume ? blame(source, makeInit) : makeInit();
  if (opts.resume) {
    const ckpt = loadCheckpoint(files.checkpoint);
    if (ckpt.backend !== getBackend()) log(`note: ${files.checkpoint} was written on ${ckpt.backend}; continuing on ${getBackend()} is not bit-exact`);
    state = { params: ckpt.params, opt: upgradeSgdState(ckpt.opt) as SgdState, modelState: ckpt.modelState };
    try {
      checkParamsFit({ params: init.params, modelState: init.state, opt: step.init(init.params, init.state).opt }, state, `checkpoint ${files.checkpoint}`);
    } finally {
      dispose([init.params, init.state]);
    }
    epoch = ckpt.epoch;
    savedEpoch = epoch;
    globalStep = ckpt.step;
    if (globalStep !== epoch * stepsPerEpoch) throw new UsageError(`checkpoint ${files.checkpoint}: its step ${globalStep} does not match its epoch ${epoch} (${stepsPerEpoch} steps per epoch)`);
    const recorded = readMetrics(opts.out);
    metrics = recorded.filter((m) => m.epoch <= epoch);
    if (metrics.length < epoch) log(`note: ${files.metrics} has records for ${metrics.length} of the ${epoch} epochs trained; the others are lost`);
    const written = readConfigFile(opts.out);
    // The epoch count, backend and steps per call may change on resume (and config.json may be from a resume killed
    // before its first checkpoint).
    const settings = (c: TrainConfig) => JSON.stringify({ ...c, epochs: 0, backend: "", stepsPerCall: 0 });
    if (written && ("problem" in written || settings(written.config) !== settings(config))) {
      log(`note: ${files.config} ${"problem" in written ? written.problem : "differs from the checkpoint's config"}; it is not read: the run continues with the checkpoint's settings, and config.json is rewritten from them`);
    }
  } else {
    state = step.init(init.params, init.state);
  }
  writeJsonAtomic(files.config, config);

  const batchOptions = (e: number) => trainBatchOptions(data, config.batch, input, keys.shuffle, e);

  const firstEpoch = epoch;
  const lastEpoch = opts.stopAfterEpochs === undefined ? config.epochs : Math.min(config.epochs, epoch + opts.stopAfterEpochs);
  let stepsThisCall = 0;
  let trainSeconds = 0;
  let evalSeconds = 0;
  const stepTimer = new StepTimer();
  const perCall = config.stepsPerCall ?? 1;
  for (; epoch < lastEpoch; epoch++) {
    let lossSum = 0;
    let count = 0;
    const started = performance.now();
    let lastStepEnded = started;
    for (const group of stepGroups(batches(data.train, batchOptions(epoch)), perCall)) {
      const stepKeys = group.map((_, t) => foldIn(keys.mix, globalStep + t));
      const r = trainGroup(step, state, group, stepKeys, { epoch, step: globalStep });
      // From the previous group's end: the batches' preparation is part of a step's cost. A group's steps share its time.
      const groupEnded = performance.now();
      const secondsPerStep = (groupEnded - lastStepEnded) / 1000 / group.length;
      lastStepEnded = groupEnded;
      dispose(group.flatMap((b) => [b.x, b.y]));
      state = r.state;
      for (let t = 0; t < group.length; t++) stepTimer.record(secondsPerStep);
      for (const [t, loss] of r.losses.entries()) {
        // The loss is that of the weights before the update; the updated state is checked once the group is done,
        // at its last step (inside a group only the losses are seen).
        const broken = !Number.isFinite(loss) ? `the loss is ${loss}` : t === r.losses.length - 1 ? nonFiniteIn(state) : undefined;
        if (broken) {
          dispose([state.params, state.opt, state.modelState]);
          throw divergenceError({ config, what: broken, epoch: epoch + 1, step: count + 1, stepsPerEpoch, globalStep: globalStep + 1, checkpoint: files.checkpoint, lastGoodEpoch: savedEpoch });
        }
        lossSum += loss;
        count++;
        globalStep++;
        stepsThisCall++;
        opts.onStep?.({ step: globalStep, loss });
        if (opts.progress) {
          const elapsed = (performance.now() - started) / 1000;
          const perStep = stepTimer.perStep();
          const left = (lastEpoch - epoch) * stepsPerEpoch - count;
          const evalLeft = (evalSeconds / Math.max(1, epoch - firstEpoch)) * (lastEpoch - epoch);
          const runLeft = (left === 0 ? 0 : left * perStep) + evalLeft;
          opts.progress.update({
            ...loopPosition(opts.label, epoch, config.epochs, count, stepsPerEpoch, lastEpoch),
            loss: lossSum / count,
            examplesPerSecond: (count * config.batch) / Math.max(elapsed, 1e-9),
            etaSeconds: opts.eta ? opts.eta(runLeft) : runLeft,
          });
        }
      }
    }
    const seconds = (performance.now() - started) / 1000;
    trainSeconds += seconds;
    const evalStarted = performance.now();
    const evalNow = (epoch + 1) % (opts.evalEvery ?? 1) === 0 || epoch + 1 === lastEpoch;
    const test = evalNow ? evaluate(model, state.params, state.modelState, data.test, input) : { error: NaN, nll: NaN, ece: NaN };
    evalSeconds += (performance.now() - evalStarted) / 1000;
    metrics.push({
      epoch: epoch + 1,
      step: globalStep,
      lr: optimizer.schedule.valueAt(globalStep - 1),
      trainLoss: lossSum / count,
      testError: test.error,
      testNll: test.nll,
      testEce: test.ece,
      seconds,
      examplesPerSecond: (count * config.batch) / seconds,
    });
    writeJsonAtomic(files.metrics, { config, epochs: metrics });
    await saveCheckpoint(files.checkpoint, { config, epoch: epoch + 1, step: globalStep, backend: getBackend(), params: state.params, opt: state.opt, modelState: state.modelState });
    savedEpoch = epoch + 1;
  }
  dispose(state.opt);
  opts.progress?.done();
  return { config, model, input, data, params: state.params, modelState: state.modelState, metrics, stepsThisCall, trainSeconds };
}
