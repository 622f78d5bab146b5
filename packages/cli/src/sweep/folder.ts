import { existsSync, readFileSync, statSync } from "node:fs";
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
  let raw: unknown;
  try {
    if (!statSync(manifest).isFile()) throw new UsageError(`mmx sweep report: ${manifest} is not a regular file`);
    raw = JSON.parse(readFileSync(manifest, "utf8"));
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`mmx sweep report: ${manifest} is not valid JSON (${(e as Error).message.split("\n")[0]})`);
  }
  // What the report reads of it: the backend and each cell's id (the cells' results are checked as they are read).
  const m = raw as Partial<SweepManifest> | null;
  const fail = (why: string): never => {
    throw new UsageError(`mmx sweep report: ${manifest} ${why}; it is not a sweep manifest of mmx (edited by hand?)`);
  };
  if (typeof m !== "object" || m === null || Array.isArray(m)) return fail("is not an object");
  if (typeof m.backend !== "string") fail(`has ${JSON.stringify(m.backend)} as 'backend'`);
  if (!Array.isArray(m.cells)) return fail(`has ${JSON.stringify(m.cells)?.slice(0, 40)} as 'cells', not a list`);
  m.cells.forEach((c: unknown, i) => {
    const id = (c as { id?: unknown } | null)?.id;
    // An id names a folder under cells/: a hash, never a path.
    if (typeof id !== "string" || !/^[0-9a-f]{4,64}$/.test(id)) fail(`has ${JSON.stringify(id)} as the id of cell ${i}`);
  });
  return m as SweepManifest;
}

/** The finished cells of a sweep, in the manifest's order. */
export function finishedResults(out: string, cells: readonly Cell[]): CellResult[] {
  return cells.map((c) => readCellResult(cellDir(out, c.id), c.id)).filter((r): r is CellResult => r !== undefined);
}
