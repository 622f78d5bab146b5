import { dispose } from "@mmx/core";
import * as nn from "@mmx/nn";
import { formatOptions, getFlag, getNumber, getString, parseArgs, type OptionSpec } from "./args.js";
import { attackAccuracy, spectraAt } from "./analysis.js";
import { describeChoice, resolveBackend, useBackend } from "./backends.js";
import { readCheckpointInfo } from "./checkpoint.js";
import { conflictingOptions, resolveLayers, scheduleChange, trainConfigFromArgs, TRAIN_OPTIONS, type TrainConfig } from "./config.js";
import { datasetShape } from "./datasets.js";
import { blameAsync, UsageError } from "./errors.js";
import { collectLogits, evaluate } from "./evaluate.js";
import { flatnessOf } from "./flatness.js";
import { heldOutData } from "./held-out.js";
import { CALIBRATION_EXAMPLES } from "./calibrate-run.js";
import { calibrationReport, type CalibrationReport } from "@mmx/metrics";
import { buildModel } from "./models.js";
import { openRun, type OpenedRun } from "./open-run.js";
import { Progress, type ProgressStream } from "./progress.js";
import { writeJsonAtomic } from "./atomic-file.js";
import { checkOutFolder } from "./run-folder.js";
import { checkNoForeignRunFiles, requireRun, resultFile, runFiles } from "./run-files.js";
import { train } from "./train.js";

/** Where a command writes: results to stdout, progress and notes to stderr. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: ProgressStream;
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

export const RUN_OPTION: OptionSpec = { name: "run", kind: "string", placeholder: "DIR", help: "a run folder written by mmx train (or give it as the first argument)" };
const BACKEND_OPTION: OptionSpec = { name: "backend", kind: "string", placeholder: "NAME", help: "a backend from availableBackends()", defaultText: "the one that trained the run" };
const JSON_OPTION: OptionSpec = { name: "json", kind: "flag", help: "print the result as JSON" };

/** Saves a command's result in the run folder and says where on stderr (stdout stays the result). */
function saveResult(io: CliIo, path: string, result: unknown): void {
  writeJsonAtomic(path, result);
  io.stderr.write(`saved ${path}\n`);
}

function runArg(args: { values: Record<string, unknown>; positionals: readonly string[] }, command: string): string {
  const fromOption = args.values.run as string | undefined;
  const fromPositional = args.positionals[0];
  if (fromOption && fromPositional) throw new UsageError(`mmx ${command}: give the run folder once (--run ${fromOption} or ${fromPositional})`);
  return requireRun(fromOption ?? fromPositional, command);
}

// ---------------------------------------------------------------- train

export async function trainCommand(argv: readonly string[], io: CliIo): Promise<void> {
  const args = parseArgs(argv, TRAIN_OPTIONS, "train");
  if (args.help) return io.stdout(`mmx train: train a model with no mixup, input or manifold mixup, or another method of the mixup algebra (--method)\n\n${formatOptions(TRAIN_OPTIONS)}\n`);
  const quiet = getFlag(args, "quiet") ?? false;
  const progress = new Progress(quiet ? null : io.stderr);
  let config: TrainConfig;
  let out: string;
  if (getFlag(args, "resume")) {
    const dir = getString(args, "out");
    if (!dir) throw new UsageError("mmx train --resume needs --out DIR: the run folder to continue");
    out = requireRun(dir, "train --resume");
    const given = conflictingOptions(args);
    if (given.length > 0) {
      throw new UsageError(`mmx train --resume continues the run saved in ${out} with its own settings; drop ${given.join(", ")} (only --epochs, --backend, --steps-per-call and --quiet may be given), or start a new run with another --out`);
    }
    const info = readCheckpointInfo(runFiles(out).checkpoint);
    const epochs = getNumber(args, "epochs") ?? info.config.epochs;
    if (!(Number.isInteger(epochs) && epochs >= info.epoch)) throw new UsageError(`--epochs ${epochs}: the run in ${out} has already trained ${info.epoch} epochs`);
    const reshaped = scheduleChange(info.config, epochs);
    if (reshaped) throw new UsageError(`mmx train --resume: --epochs ${epochs} ${reshaped}; resume with --epochs ${info.config.epochs}, or start a new run`);
    // Like the backend, the steps per call change how the run's steps are executed, not which: the flag may change them.
    const { stepsPerCall: saved, ...settings } = info.config;
    const stepsPerCall = getNumber(args, "steps-per-call") ?? saved ?? 1;
    config = { ...settings, epochs, backend: getString(args, "backend") ?? info.backend, ...(stepsPerCall > 1 ? { stepsPerCall } : {}) };
    if (getString(args, "backend") === undefined) {
      const checkpoint = runFiles(out).checkpoint;
      await blameAsync(`checkpoint ${checkpoint} (trained on backend '${info.backend}'; --backend chooses another)`, () => useBackend(info.backend));
    }
    if (info.epoch >= epochs) {
      io.stdout(`${out} has already trained ${info.epoch} of ${epochs} epochs; nothing to do (raise --epochs to train longer)\n`);
      return;
    }
    progress.log(`resuming ${out} at epoch ${info.epoch + 1} of ${epochs} (step ${info.step}) on ${config.backend}`);
  } else {
    const { layerRefs, backend: given, ...rest } = trainConfigFromArgs(args);
    out = getString(args, "out") ?? `runs/${rest.dataset}-${rest.method}-s${rest.seed}`;
    checkOutFolder(out);
    checkNoForeignRunFiles(out);
    const { model, hidden } = buildModel(rest.model, datasetShape(rest.dataset), rest.hidden);
    const layers = resolveLayers(rest.method, layerRefs, model);
    const backend = await resolveBackend(given);
    // A --backend that cannot run is then the one line printed, with no backend line before it.
    if (given !== undefined) await useBackend(given);
    progress.log(describeChoice(backend));
    config = { ...rest, ...(hidden ? { hidden } : {}), ...layers, backend: backend.name };
  }
  const result = await train(config, { out, resume: getFlag(args, "resume") ?? false, progress });
  const last = result.metrics[result.metrics.length - 1]!;
  io.stdout(`${out}: epoch ${last.epoch}/${config.epochs}  train loss ${last.trainLoss.toFixed(4)}  test error ${pct(last.testError)}  NLL ${last.testNll.toFixed(4)}  ECE ${pct(last.testEce)}  (backend ${config.backend})\n`);
  dispose([result.params, result.modelState]);
}

// ---------------------------------------------------------------- eval

export { CALIBRATION_EXAMPLES } from "./calibrate-run.js";

export const EVAL_OPTIONS: readonly OptionSpec[] = [
  RUN_OPTION,
  { name: "split", kind: "string", choices: ["test", "train"], help: "which split to evaluate", defaultText: "test" },
  { name: "flatness", kind: "flag", help: "also the sharpness of the training loss: its Hessian's largest eigenvalue on the first training examples (power iteration)" },
  { name: "flatness-examples", kind: "int", placeholder: "N", help: "training examples for --flatness", defaultText: "128", min: 1 },
  { name: "calibration-examples", kind: "int", placeholder: "N", help: "held-out examples to fit the temperature on (spirals: fresh points; images: training examples after --train-limit)", defaultText: String(CALIBRATION_EXAMPLES), min: 1 },
  BACKEND_OPTION,
  JSON_OPTION,
];

export async function evalCommand(argv: readonly string[], io: CliIo): Promise<void> {
  const args = parseArgs(argv, EVAL_OPTIONS, "eval", { maxPositionals: 1 });
  if (args.help) return io.stdout(`mmx eval [--run] DIR: test error, NLL and ECE of a saved run, and NLL and ECE after temperature scaling fitted on held-out data\n\n${formatOptions(EVAL_OPTIONS)}\n`);
  const dir = runArg(args, "eval");
  const run = await openRun(dir, "eval", getString(args, "backend"), (l) => io.stderr.write(`${l}\n`));
  const split = getString(args, "split") ?? "test";
  try {
    const m = evaluate(run.model, run.params, run.modelState, split === "train" ? run.data.train : run.data.test, run.input);
    const flat = getFlag(args, "flatness") ? flatnessOf(run, getNumber(args, "flatness-examples") ?? 128) : undefined;
    const calibration = await calibrate(run, split, getNumber(args, "calibration-examples") ?? CALIBRATION_EXAMPLES, (l) => io.stderr.write(`${l}
`));
    const result = { run: dir, epoch: run.epoch, split, count: m.count, error: m.error, nll: m.nll, ece: m.ece, calibration, ...(flat ? { flatness: flat } : {}) };
    saveResult(io, resultFile(dir, "eval", split), result);
    if (getFlag(args, "json")) return io.stdout(`${JSON.stringify(result)}
`);
    const c = calibration;
    const calibrated =
      "skipped" in c
        ? `temperature scaling skipped: ${c.skipped}`
        : `temperature T = ${c.temperature.toFixed(3)}${c.atBound ? ` (at the search's ${c.atBound} bound)` : ""} fitted on ${c.fitOn}: NLL ${c.before.nll.toFixed(4)} -> ${c.after.nll.toFixed(4)}  ECE ${pct(c.before.ece)} -> ${pct(c.after.ece)}`;
    const sharpness = flat ? `
sharpness ${flat.eigenvalue.toPrecision(4)} (Hessian's largest eigenvalue, ${flat.examples} training examples, ${flat.iterations} iterations${flat.converged ? "" : ", not converged"})` : "";
    io.stdout(`${dir} (epoch ${run.epoch}, ${split}, ${m.count} examples): error ${pct(m.error)}  NLL ${m.nll.toFixed(4)}  ECE ${pct(m.ece)}
${calibrated}${sharpness}
`);
  } finally {
    dispose([run.params, run.modelState]);
  }
}

/** The eval result's calibration part: T fitted on held-out data, NLL and ECE of the split before and after. */
type Calibration = ({ fitOn: string } & CalibrationReport) | { skipped: string };

async function calibrate(run: OpenedRun, split: string, size: number, log: (line: string) => void): Promise<Calibration> {
  const held = await heldOutData(run.config, size, log);
  if ("missing" in held) {
    log(`temperature scaling skipped: ${held.missing}`);
    return { skipped: held.missing };
  }
  const fit = collectLogits(run.model, run.params, run.modelState, held.source, run.input);
  const evaluated = collectLogits(run.model, run.params, run.modelState, split === "train" ? run.data.train : run.data.test, run.input);
  try {
    return { fitOn: held.description, ...calibrationReport(fit, evaluated) };
  } finally {
    dispose([fit.logits, evaluated.logits]);
  }
}

// ---------------------------------------------------------------- attack

export const ATTACK_OPTIONS: readonly OptionSpec[] = [
  RUN_OPTION,
  { name: "fgsm", kind: "flag", help: "the fast gradient sign method, one step (the paper's Table 7)", defaultText: "on" },
  { name: "pgd", kind: "flag", help: "projected gradient descent instead (random start)" },
  { name: "eps", kind: "number", help: "the L∞ radius", defaultText: "0.03", min: 0 },
  { name: "steps", kind: "int", placeholder: "N", help: "PGD steps", defaultText: "10", min: 1 },
  { name: "step-size", kind: "number", help: "PGD step size", defaultText: "eps/4", min: 0, minExclusive: true },
  BACKEND_OPTION,
  JSON_OPTION,
];

export async function attackCommand(argv: readonly string[], io: CliIo): Promise<void> {
  const args = parseArgs(argv, ATTACK_OPTIONS, "attack", { maxPositionals: 1 });
  if (args.help) return io.stdout(`mmx attack [--run] DIR --fgsm --eps 0.03: accuracy under a white-box L∞ attack\n\n${formatOptions(ATTACK_OPTIONS)}\n`);
  if (getFlag(args, "fgsm") && getFlag(args, "pgd")) throw new UsageError("mmx attack: choose one attack, --fgsm or --pgd");
  const kind = getFlag(args, "pgd") ? "pgd" : "fgsm";
  if (kind === "fgsm" && (args.values.steps !== undefined || args.values["step-size"] !== undefined)) throw new UsageError("mmx attack: --steps and --step-size apply to --pgd; FGSM is one step of size eps");
  const eps = getNumber(args, "eps") ?? 0.03;
  const steps = getNumber(args, "steps");
  const stepSize = getNumber(args, "step-size");
  if (kind === "pgd" && stepSize === undefined && !(eps > 0)) throw new UsageError(`mmx attack: --pgd with --eps ${eps} has no default step size (eps/4 = 0); give --eps > 0 or --step-size`);
  const dir = runArg(args, "attack");
  const run = await openRun(dir, "attack", getString(args, "backend"), (l) => io.stderr.write(`${l}\n`));
  try {
    const r = await attackAccuracy(run, run.data.test, { kind, eps, clip: run.data.clip, ...(steps !== undefined ? { steps } : {}), ...(stepSize !== undefined ? { stepSize } : {}) });
    const result = {
      run: dir, epoch: run.epoch, attack: kind, eps, ...(kind === "pgd" ? { steps: steps ?? 10, stepSize: stepSize ?? eps / 4 } : {}),
      clip: run.data.clip, count: r.count, cleanAccuracy: r.clean, adversarialAccuracy: r.adversarial,
    };
    saveResult(io, resultFile(dir, "attack", kind, `eps${eps}`, ...(kind === "pgd" ? [`steps${steps ?? 10}`] : [])), result);
    io.stdout(
      getFlag(args, "json")
        ? `${JSON.stringify(result)}\n`
        : `${dir} (epoch ${run.epoch}, ${r.count} test examples): clean accuracy ${pct(r.clean)}  ${kind.toUpperCase()} accuracy ${pct(r.adversarial)} at eps ${eps}${run.data.clip ? "" : " (inputs unclipped)"}\n`,
    );
  } finally {
    dispose([run.params, run.modelState]);
  }
}

// ---------------------------------------------------------------- spectra

export const SPECTRA_OPTIONS: readonly OptionSpec[] = [
  RUN_OPTION,
  { name: "layer", kind: "string", placeholder: "K", help: "the boundary (index, 0 = input, or name) whose representations to measure", defaultText: "the last of the model's mixing set" },
  { name: "split", kind: "string", choices: ["test", "train"], help: "which split's examples", defaultText: "test" },
  { name: "top", kind: "int", placeholder: "N", help: "singular values to print per class", defaultText: "5", min: 1 },
  BACKEND_OPTION,
  JSON_OPTION,
];

export async function spectraCommand(argv: readonly string[], io: CliIo): Promise<void> {
  const args = parseArgs(argv, SPECTRA_OPTIONS, "spectra", { maxPositionals: 1 });
  if (args.help) return io.stdout(`mmx spectra [--run] DIR --layer K: per-class singular values of the representations at boundary K (the paper's Sec. 3.2)\n\n${formatOptions(SPECTRA_OPTIONS)}\n`);
  const dir = runArg(args, "spectra");
  const run = await openRun(dir, "spectra", getString(args, "backend"), (l) => io.stderr.write(`${l}\n`));
  try {
    const all = nn.boundaries(run.model, null, run.model.inputShape);
    const ref = getString(args, "layer") ?? String(run.model.paperBoundaries[run.model.paperBoundaries.length - 1]);
    const hit = /^\d+$/.test(ref) ? all[Number(ref)] : all.find((b) => b.name === ref);
    if (!hit) throw new UsageError(`mmx spectra: the model has no boundary ${/^\d+$/.test(ref) ? ref : `named '${ref}'`}; its boundaries are ${all.map((b) => `${b.index} ${b.name}`).join(", ")}`);
    const split = getString(args, "split") ?? "test";
    const progress = new Progress(io.stderr);
    const phases = { representations: `representations at boundary ${hit.index} (${hit.name}): batch`, classes: "singular values: class" };
    const s = spectraAt(run, split === "train" ? run.data.train : run.data.test, hit.index, run.data.classNames.length, (phase, done, total) =>
      progress.status(`spectra: ${phases[phase]} ${done}/${total}`, done === 1 || done === total));
    progress.done();
    const top = getNumber(args, "top") ?? 5;
    const result = { run: dir, epoch: run.epoch, layer: hit.index, layerName: hit.name, split, mean: s.mean, classes: s.classes };
    saveResult(io, resultFile(dir, "spectra", hit.name, split), result);
    if (getFlag(args, "json")) {
      io.stdout(`${JSON.stringify(result)}\n`);
      return;
    }
    const lines = [`${dir} (epoch ${run.epoch}): singular values of each class's centred representations at boundary ${hit.index} (${hit.name}, [${hit.shape.join(",")}]), ${split} split`];
    lines.push(`${"class".padEnd(14)}${"n".padStart(6)}  ${"largest".padStart(10)}  ${"sum of rest".padStart(12)}  top ${top}`);
    for (const c of s.classes) {
      const name = run.data.classNames[c.label] ?? String(c.label);
      lines.push(`${name.slice(0, 13).padEnd(14)}${String(c.count).padStart(6)}  ${c.largest.toFixed(3).padStart(10)}  ${c.restSum.toFixed(3).padStart(12)}  ${c.singularValues.slice(0, top).map((v) => v.toFixed(3)).join(" ")}`);
    }
    lines.push(`${"mean".padEnd(14)}${"".padStart(6)}  ${s.mean.largest.toFixed(3).padStart(10)}  ${s.mean.restSum.toFixed(3).padStart(12)}`);
    io.stdout(`${lines.join("\n")}\n`);
  } finally {
    dispose([run.params, run.modelState]);
  }
}
