import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { UsageError } from "../errors.js";
import type { Cell } from "./cells.js";
import { readCellResult, type CellResult } from "./run-cell.js";
import type { SweepSpec } from "./spec.js";

/**
 * A sweep folder: `sweep.json` (the spec and its cells), `status.json` (progress), `sweep.lock`
 * (while a sweep process writes it), and one run folder
 * per cell under `cells/<id>/` (config.json, metrics.json, checkpoint.mmx: `mmx eval` opens it) with
 * the cell's `cell.json` once it is finished.
 */
export const sweepFiles = (out: string) => ({
  manifest: join(out, "sweep.json"),
  status: join(out, "status.json"),
  /** Held by the sweep process that writes the folder. */
  lock: join(out, "sweep.lock"),
  cells: join(out, "cells"),
});

export const cellDir = (out: string, id: string) => join(sweepFiles(out).cells, id);

/** What `sweep.json` holds. */
export interface SweepManifest {
  spec: SweepSpec;
  backend: string;
  cells: Cell[];
}

export function readManifest(out: string): SweepManifest {
  const { manifest } = sweepFiles(out);
  if (!existsSync(manifest)) throw new UsageError(`mmx sweep report: ${out} is not a sweep folder (${manifest} is missing); run mmx sweep SPEC --out ${out} first`);
  try {
    return JSON.parse(readFileSync(manifest, "utf8")) as SweepManifest;
  } catch (e) {
    throw new UsageError(`mmx sweep report: ${manifest} is not valid JSON (${(e as Error).message.split("\n")[0]})`);
  }
}

/** The finished cells of a sweep, in the manifest's order. */
export function finishedResults(out: string, cells: readonly Cell[]): CellResult[] {
  return cells.map((c) => readCellResult(cellDir(out, c.id), c.id)).filter((r): r is CellResult => r !== undefined);
}
