import { Array, dispose, jit, np, type Jitted, type PyTree } from "@mmx/core";
import { capture } from "@mmx/mixup";
import type { Model, ParamTree } from "@mmx/nn";
import { SPIRALS } from "./settings.js";

/** A square of the plane, [x0, x1] × [y0, y1], and the centres of an n × n grid over it (rows from the top). */
export interface Square {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

export function gridPoints(sq: Square, n: number): Float32Array {
  const out = new Float32Array(2 * n * n);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      out[2 * (r * n + c)] = sq.x0 + ((sq.x1 - sq.x0) * (c + 0.5)) / n;
      out[2 * (r * n + c) + 1] = sq.y1 - ((sq.y1 - sq.y0) * (r + 0.5)) / n;
    }
  }
  return out;
}

/**
 * What the figure shows of a model, computed with jitted programs: p(arm 1) over a grid of the input plane, the
 * 2-D bottleneck codes of a set of points, and p(arm 1) over a grid of the bottleneck plane (the layers after the
 * bottleneck applied to each grid point). Each is awaited (`callAsync`), so they run on asynchronous backends too.
 */
export class SpiralViews {
  private readonly probs: Jitted<(p: PyTree, x: Array) => Array>;
  private readonly codes: Jitted<(p: PyTree, x: Array) => Array>;
  private readonly headProbs: Jitted<(p: PyTree, h: Array) => Array>;
  private readonly inputGrid: Array;

  constructor(model: Model) {
    const bottleneck = model.paperBoundaries[model.paperBoundaryNames.indexOf("bottleneck")]!;
    const head = model.slice(model.names.indexOf("bottleneck") + 1);
    const logits = (p: PyTree, x: Array) => model.apply(p as ParamTree, x).out;
    this.probs = jit((p: PyTree, x: Array) => np.softmax(logits(p, x), -1));
    this.codes = jit((p: PyTree, x: Array) => capture(bottleneck)(logits)(p, x));
    this.headProbs = jit((p: PyTree, h: Array) => np.softmax(head.apply(head.pick(p), h).out, -1));
    const e = SPIRALS.extent;
    this.inputGrid = np.array(gridPoints({ x0: -e, x1: e, y0: -e, y1: e }, SPIRALS.grid), { shape: [SPIRALS.grid ** 2, 2] });
  }

  /** p(arm 1) for each cell of the input-plane grid, row-major from the top left. */
  async decision(params: PyTree): Promise<Float32Array> {
    return armOne(await this.probs.callAsync(params, this.inputGrid));
  }

  /** p(arm 1) for each point of x [N, 2]. */
  async predict(params: PyTree, x: Array): Promise<Float32Array> {
    return armOne(await this.probs.callAsync(params, x));
  }

  /** The bottleneck codes [N, 2] of x [N, 2], flattened. */
  async bottleneck(params: PyTree, x: Array): Promise<Float32Array> {
    const h = await this.codes.callAsync(params, x);
    const values = (await h.data()) as Float32Array;
    h.dispose();
    return values;
  }

  /** p(arm 1) over an n × n grid of the bottleneck plane. */
  async bottleneckDecision(params: PyTree, sq: Square, n: number): Promise<Float32Array> {
    const grid = np.array(gridPoints(sq, n), { shape: [n * n, 2] });
    try {
      return await armOne(await this.headProbs.callAsync(params, grid));
    } finally {
      grid.dispose();
    }
  }

  dispose(): void {
    dispose(this.inputGrid);
  }
}

async function armOne(p: Array): Promise<Float32Array> {
  const values = (await p.data()) as Float32Array;
  p.dispose();
  const out = new Float32Array(values.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = values[2 * i + 1]!;
  return out;
}
