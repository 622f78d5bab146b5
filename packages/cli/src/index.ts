/**
 * @mmx/cli: the `mmx` command (train, eval, attack, spectra, reproduce) and the library functions
 * behind it, for scripts that want the same training loop, run folders and demo without a shell.
 */
export { main, usage } from "./main.js";
export { parseArgs, formatOptions, type OptionSpec, type OptionKind, type ParsedArgs } from "./args.js";
export { UsageError } from "./errors.js";
export { useBackend, resolveBackend, pickFastest, probeFastest, threadsPerRun, setRunThreads, FALLBACK_BACKEND, FASTEST_FIRST, type BackendChoice, type BackendCandidate } from "./backends.js";
export { DATASETS, loadData, type DatasetName, type DataConfig, type LoadedData } from "./datasets.js";
export { MODELS, buildModel, modelsFor, type ModelName } from "./models.js";
export { METHODS, LOSSES, SCHEDULES, TRAIN_OPTIONS, resolveLayers, type TrainConfig, type Method } from "./config.js";
export { METHOD_REGISTRY, LAMBDA_MODES, methodSpec, type MethodSpec, type MixSettings, type Placement, type LambdaMode } from "./methods.js";
export { train, runKeys, type TrainOptions, type TrainResult } from "./train.js";
export { evaluate, collectLogits } from "./evaluate.js";
export { heldOutData, type HeldOut } from "./held-out.js";
export { attackAccuracy, features, spectraAt, type Trained, type AttackSpec } from "./analysis.js";
export { openRun, type OpenedRun } from "./open-run.js";
export { saveCheckpoint, loadCheckpoint, readCheckpointInfo, CheckpointError, type Checkpoint } from "./checkpoint.js";
export { writeFileAtomic } from "./atomic-file.js";
export { validateConfig } from "./config-schema.js";
export { acquireRunLock, checkOutFolder, LOCK_FILE, type RunLock, type LockOwner } from "./run-folder.js";
export { runFiles, readMetrics, type EpochRecord } from "./run-files.js";
export { Progress, type ProgressState } from "./progress.js";
export { reproduce, type ReproduceReport } from "./reproduce/command.js";
export { PRESETS, SMALL_DATA_PRESETS, REGIMES, findPreset, type Preset, type PresetName, type RegimeName, type DatasetPlan } from "./reproduce/presets.js";
export { renderChart } from "./reproduce/render.js";
export { methodPlans, eligibleSetPlans, planKey, planTitle, PAPER_METHODS, type MethodPlan } from "./reproduce/method-plans.js";
