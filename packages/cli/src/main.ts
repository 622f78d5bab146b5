import { attackCommand, evalCommand, spectraCommand, trainCommand, type CliIo } from "./commands.js";
import { asUserError, didYouMean, listChoices, UsageError } from "./errors.js";
import { reproduceCommand } from "./reproduce/command.js";
import { SweepFailed } from "./sweep/sweep-failed.js";

const COMMANDS: Readonly<Record<string, { run: (argv: readonly string[], io: CliIo) => Promise<void>; summary: string }>> = {
  train: { run: trainCommand, summary: "train a model (no mixup, input mixup, manifold mixup); writes a run folder" },
  eval: { run: evalCommand, summary: "test error, NLL and ECE of a saved run" },
  attack: { run: attackCommand, summary: "accuracy of a saved run under FGSM (or PGD)" },
  spectra: { run: spectraCommand, summary: "per-class singular values of a saved run's representations at a layer" },
  reproduce: { run: reproduceCommand, summary: "the demo: the paper's comparison on spirals and Fashion-MNIST, 3 seeds, table and plots" },
  // Imported when used: the queue client (BullMQ, ioredis) stays out of the other commands' start-up.
  sweep: { run: async (argv, io) => (await import("./sweep/command.js")).sweepCommand(argv, io), summary: "a grid of train runs (methods, α, eligible sets, seeds, ...), resumable, here or on a BullMQ queue; sweep report aggregates" },
  worker: { run: async (argv, io) => (await import("./sweep/worker-command.js")).workerCommand(argv, io), summary: "takes sweep cells from a BullMQ queue (mmx sweep --queue) and trains them" },
};

export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length)) + 2;
  return [
    "mmx: Manifold Mixup (Verma et al., ICML 2019) from the command line",
    "",
    "usage: mmx <command> [options]     (mmx <command> --help lists its options)",
    "",
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}${c.summary}`),
    "",
    "examples:",
    "  mmx reproduce",
    "  mmx train --dataset spirals --method manifold --epochs 100 --out runs/spirals-mm",
    "  mmx eval runs/spirals-mm",
    "  mmx attack runs/spirals-mm --fgsm --eps 0.03",
    "  mmx spectra runs/spirals-mm --layer bottleneck",
    "",
  ].join("\n");
}

const defaultIo = (): CliIo => ({ stdout: (t) => process.stdout.write(t), stderr: process.stderr });

/** The line that follows a bug's stack trace. */
export const REPORT_BUG = "This is a bug in mmx, not a mistake of yours: please report it, with the command line and the trace above.";

/**
 * Runs `mmx` with these arguments and returns the exit status: 0 on success, 2 for the user's mistake
 * (a bad option, a missing, broken or busy file, a diverged run: one line naming the culprit), 1 for a
 * bug in mmx (its stack trace, then a line asking to report it).
 */
export async function main(argv: readonly string[], io: CliIo = defaultIo()): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "help" || command === "--help" || command === "-h") {
    io.stdout(usage());
    return command === undefined ? 2 : 0;
  }
  const entry = COMMANDS[command];
  try {
    if (!entry) throw new UsageError(`unknown command '${command}'${didYouMean(command, Object.keys(COMMANDS))}; valid commands: ${listChoices(Object.keys(COMMANDS))}`);
    await entry.run(rest, io);
    return 0;
  } catch (e) {
    const mistake = asUserError(e);
    if (mistake) {
      const line = mistake.message.replace(/\s*\n\s*/g, " ");
      io.stderr.write(`${line.startsWith("mmx ") ? "" : "mmx: "}${line}\n`);
      return 2;
    }
    if (e instanceof SweepFailed) {
      io.stderr.write(`mmx ${command}: ${e.message}\n`);
      return 1;
    }
    io.stderr.write(`mmx ${command}: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n${REPORT_BUG}\n`);
    return 1;
  }
}
