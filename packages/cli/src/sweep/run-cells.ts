import type { Cell } from "./cells.js";
import { cellDir } from "./folder.js";
import type { CellResult } from "./run-cell.js";
import type { CellRunner } from "./runner.js";
import type { SweepStatus } from "./status.js";

/**
 * Trains `cells` with `runner` (its `parallel` cells at once) into the sweep folder `out`, recording each in
 * `status`, then closes the runner. A cell that fails is recorded and logged with its first line, and the others go
 * on; `onFinished` hears each cell that `status` takes as finished.
 */
export async function runCells(
  runner: CellRunner,
  cells: readonly Cell[],
  opts: { out: string; status: SweepStatus; log: (line: string) => void; onFinished: (cell: Cell, result: CellResult, seconds: number) => void },
): Promise<void> {
  const { out, status, log } = opts;
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
