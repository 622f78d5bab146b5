import { getBackend, np, type Array, type PyTree } from "@mmx/core";
import { spiralPoints } from "@mmx/data";
import * as nn from "@mmx/nn";
import * as random from "@mmx/random";
import { METHODS } from "./methods.js";
import { MethodRun, type TrainData } from "./run.js";
import { SPIRALS, type SpiralSettings } from "./settings.js";
import type { Square } from "./views.js";
import { SpiralViews } from "./views.js";

/**
 * Steps per program run: on onnx, 8 steps as one `step.scan` program, which pays onnxruntime-web's copy of the
 * state into its heap and out once per 8 steps; tfjs has no loops (a scan runs unrolled, and its identity mixes at
 * the other eligible layers cost about what it saves), so there one step per call.
 */
export function stepsPerCall(): number {
  return getBackend() === "onnx" ? 8 : 1;
}

/** What one column of the figure shows at a moment of training. */
export interface MethodSnapshot {
  steps: number;
  /** p(arm 1) over the input-plane grid. */
  decision: Float32Array;
  /** Bottleneck codes of the shown points, [N, 2] flattened. */
  codes: Float32Array;
  /** The square of the bottleneck plane shown, and p(arm 1) over a grid of it. */
  codeSquare: Square;
  codeDecision: Float32Array;
  testError: number;
}

export const CODE_GRID = 48;

/**
 * The paper's Figure 1 as a live experiment: one spiral data set, one network (2-D bottleneck), three runs that
 * start from the same weights and see the same batches. Holds no DOM: the tab drives it and draws what it returns.
 */
export class SpiralExperiment {
  readonly model = nn.spiralNet({ hidden: SPIRALS.hidden });
  readonly train: TrainData;
  readonly test: { x: Float32Array; y: Int32Array };
  /** The training points drawn on the plots (all of them) and their bottleneck codes. */
  runs: MethodRun[] = [];
  private views!: SpiralViews;
  private testX!: Array;
  private shownX!: Array;
  private codeSquares: (Square | undefined)[] = [];

  constructor(public settings: SpiralSettings) {
    this.train = spiralPoints({ n: SPIRALS.trainPoints, noise: SPIRALS.noise }, random.key(0));
    const test = spiralPoints({ n: SPIRALS.testPoints, noise: SPIRALS.noise }, random.key(1));
    this.test = { x: test.x.data, y: test.y.data };
    this.start();
  }

  /** New runs from the initial weights, on the current backend. */
  start(): void {
    this.stop();
    const init = () => this.model.init(random.key(2), [-1, 2]).params as PyTree;
    this.runs = METHODS.map((m) => new MethodRun(m, this.model, this.train, this.settings, init));
    this.views = new SpiralViews(this.model);
    this.testX = np.array(this.test.x, { shape: [SPIRALS.testPoints, 2] });
    this.shownX = np.array(this.train.x.data, { shape: [SPIRALS.trainPoints, 2] });
    this.codeSquares = this.runs.map(() => undefined);
  }

  /** Frees every array of the runs and views (before a backend switch). */
  stop(): void {
    for (const r of this.runs) r.dispose();
    this.runs = [];
    if (this.views) {
      this.views.dispose();
      this.testX.dispose();
      this.shownX.dispose();
    }
  }

  update(settings: SpiralSettings): void {
    this.settings = settings;
    for (const r of this.runs) r.update(settings);
  }

  get done(): boolean {
    return this.runs.every((r) => r.steps >= this.settings.steps);
  }

  /**
   * Trains every unfinished run, round-robin, `stepsPerCall()` steps at a time, for about `budgetMs`; returns the
   * steps run.
   */
  async trainFor(budgetMs: number): Promise<number> {
    const t0 = performance.now();
    let steps = 0;
    do {
      for (const r of this.runs) {
        const n = Math.min(stepsPerCall(), this.settings.steps - r.steps);
        if (n <= 0) continue;
        await r.runSteps(n);
        steps += n;
      }
    } while (!this.done && performance.now() - t0 < budgetMs);
    return steps;
  }

  /** Reads the losses of the steps just run. */
  async collect(): Promise<void> {
    for (const r of this.runs) await r.collect();
  }

  async snapshot(index: number): Promise<MethodSnapshot> {
    const run = this.runs[index]!;
    const params = run.state.params;
    const decision = await this.views.decision(params);
    const codes = await this.views.bottleneck(params, this.shownX);
    const square = this.followSquare(index, codes);
    const codeDecision = await this.views.bottleneckDecision(params, square, CODE_GRID);
    const p = await this.views.predict(params, this.testX);
    let wrong = 0;
    p.forEach((v, i) => (wrong += Number((v > 0.5 ? 1 : 0) !== this.test.y[i])));
    return { steps: run.steps, decision, codes, codeSquare: square, codeDecision, testError: wrong / p.length };
  }

  /** A square around the codes (2nd to 98th percentile, padded), eased from the last one so the view does not jump. */
  private followSquare(index: number, codes: Float32Array): Square {
    const target = squareAround(codes);
    const last = this.codeSquares[index];
    const ease = (a: number, b: number) => (last ? a + 0.35 * (b - a) : b);
    const sq = last ? { x0: ease(last.x0, target.x0), x1: ease(last.x1, target.x1), y0: ease(last.y0, target.y0), y1: ease(last.y1, target.y1) } : target;
    this.codeSquares[index] = sq;
    return sq;
  }
}

export function squareAround(xy: Float32Array): Square {
  const n = xy.length / 2;
  const q = (axis: number, f: number) => {
    const v = Float32Array.from({ length: n }, (_, i) => xy[2 * i + axis]!).sort();
    return v[Math.min(n - 1, Math.max(0, Math.round(f * (n - 1))))]!;
  };
  const [xa, xb, ya, yb] = [q(0, 0.02), q(0, 0.98), q(1, 0.02), q(1, 0.98)];
  const half = Math.max(xb - xa, yb - ya, 1e-3) * 0.62;
  const [cx, cy] = [(xa + xb) / 2, (ya + yb) / 2];
  return { x0: cx - half, x1: cx + half, y0: cy - half, y1: cy + half };
}
