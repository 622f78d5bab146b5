import { join } from "node:path";
import { getFlag, getNumber, getString, type ParsedArgs } from "../args.js";
import type { CliIo } from "../commands.js";
import { UsageError } from "../errors.js";
import { Progress } from "../progress.js";
import { checkOutFolder } from "../run-folder.js";
import { mapGridFromArgs } from "./map-grid.js";
import { describeMap, rejectNonMapFlags, runMap } from "./map.js";

/** `mmx reproduce --regime map`: the grid from the flags, trained (reusing finished cells), then the table and heatmaps. */
export async function mapCommand(args: ParsedArgs, io: CliIo, defaultJobs: number): Promise<void> {
  rejectNonMapFlags(args.values);
  const grid = mapGridFromArgs(args, getString(args, "preset") ?? "default");
  const jobs = getNumber(args, "jobs") ?? defaultJobs;
  if (!(jobs >= 1)) throw new UsageError(`--jobs must be at least 1, got ${jobs}`);
  const out = getString(args, "out") ?? "runs/reproduce-map";
  checkOutFolder(out);
  const progress = new Progress(getFlag(args, "quiet") ? null : io.stderr);
  const backend = getString(args, "backend");
  const r = await runMap({ grid, out, jobs, progress, ...(backend !== undefined ? { backend } : {}) });
  const plots = r.plots.filter((p) => p.endsWith(".png"));
  io.stdout(`\n${describeMap(grid, r)}\n\n${r.table}\n\n${r.findings.join("\n")}\n\n${plots.length ? `plots: ${plots.join(", ")} (and .svg)\n` : ""}map: ${join(out, "map.md")}, ${join(out, "map.json")}; per cell: mmx sweep report ${out}\n`);
}
