import type { Cell } from "./cells.js";
import { cellDir } from "./folder.js";
import type { CellResult } from "./run-cell.js";
import { cellRunner } from "./runner.js";
import type { SweepStatus } from "./status.js";

/**
 * Trains `cells` on this machine into the sweep folder `out`, `jobs` at once at most, recording each in `status`:
 * a cell that fails is recorded and logged with its first line, and the others go on. `onFinished` hears each
 * cell that `status` takes as finished (not one it had already given up on).
 */
export async function trainCellsHere(
  cells: readonly Cell[],
  opts: { out: string; jobs: number; backend: string; status: SweepStatus; log: (line: string) => void; onFinished: (cell: Cell, result: CellResult, seconds: number) => void },
): Promise<void> {
  const { out, status, log } = opts;
  const runner = await cellRunner(Math.min(opts.jobs, cells.length), opts.backend, log);
  log(`training ${runner.description}`);
  try {
    const todo = [...cells];
    await Promise.all(
      Array.from({ length: runner.parallel }, async () => {
        for (let cell = todo.shift(); cell; cell = todo.shift()) {
          status.start(cell.id);
          const t0 = performance.now();
          try {
            const r = await runner.run(cell, cellDir(out, cell.id));
            const seconds = (performance.now() - t0) / 1000;
            if (status.finish(cell.id, seconds)) opts.onFinished(cell, r, seconds);
          } catch (e) {
            const message = (e as Error).message.split("\n")[0]!;
            status.fail(cell.id, message);
            log(`${cell.label}: failed: ${message}`);
          }
        }
      }),
    );
  } finally {
    await runner.close();
  }
}
