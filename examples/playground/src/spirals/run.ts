import { dispose, np, type Array, type PyTree } from "@mmx/core";
import { batchIndices, epochOrder, gatherRows, type HostArray } from "@mmx/data";
import { bceSoftmax } from "@mmx/losses";
import { trainStep, type TrainState, type TrainStep } from "@mmx/mixup";
import type { Model } from "@mmx/nn";
import { cosine, sgd, type SgdState } from "@mmx/optim";
import * as random from "@mmx/random";
import type { Method } from "./methods.js";
import { SPIRALS, type SpiralSettings } from "./settings.js";

export interface TrainData {
  x: HostArray<Float32Array>;
  y: HostArray<Int32Array>;
}

/**
 * One method's training run: its state, and a step rebuilt whenever the settings change (the state carries over,
 * so a new α or learning rate applies from the next step). Every method sees the same batches in the same order
 * and starts from the same weights: only the mixing differs.
 */
export class MethodRun {
  state: TrainState<PyTree, SgdState>;
  steps = 0;
  /** The training loss of every step so far. */
  readonly losses: number[] = [];
  private step: TrainStep<PyTree, SgdState>;
  /** Steps built so far, by the settings they depend on: dragging a slider back and forth reuses them. */
  private readonly built = new Map<string, TrainStep<PyTree, SgdState>>();
  private pending: Array[] = [];
  private order: Int32Array[] = [];
  private epoch = 0;

  constructor(
    readonly method: Method,
    private readonly model: Model,
    private readonly data: TrainData,
    settings: SpiralSettings,
    initialParams: () => TrainState["params"],
  ) {
    this.step = this.build(settings);
    this.state = this.step.init(initialParams());
  }

  /** Applies new settings from the next step on. */
  update(settings: SpiralSettings): void {
    this.step = this.build(settings);
  }

  private build(s: SpiralSettings): TrainStep<PyTree, SgdState> {
    const key = JSON.stringify(s);
    const known = this.built.get(key);
    if (known) return known;
    const boundaryOf = (name: string) => this.model.paperBoundaries[this.model.paperBoundaryNames.indexOf(name)]!;
    const policy = this.method.policy(s, boundaryOf);
    const step = trainStep({ model: this.model, loss: bceSoftmax, optimizer: sgd({ lr: cosine({ base: s.lr, steps: s.steps, final: s.lr / 50 }), momentum: 0.9, nesterov: true, weightDecay: 1e-4 }), ...(policy ? { policy } : {}), donate: true });
    this.built.set(key, step);
    return step;
  }

  /**
   * Runs n steps, one step by `callAsync` or several as one `step.scan` program (awaited: some backends run programs
   * asynchronously); their losses are read later, by {@link collect}.
   */
  async runSteps(n: number): Promise<void> {
    const batches = globalThis.Array.from({ length: n }, () => this.nextBatch());
    const rows = concat(batches);
    const shape = n === 1 ? [rows.length] : [n, rows.length / n];
    const x = np.array(gatherRows(this.data.x, rows).data, { shape: [...shape, 2] });
    const y = np.array(gatherRows(this.data.y, rows).data, { shape, dtype: "int32" });
    const keys = batches.map(() => random.foldIn(random.key(4), this.steps++));
    const r = n === 1 ? await this.step.callAsync(this.state, x, y, keys[0]!) : await this.step.scanAsync(this.state, x, y, keys);
    dispose([x, y]);
    this.state = r.state;
    this.pending.push("loss" in r ? r.loss : r.losses);
  }

  /** The next batch's row indices, in this epoch's order (whole batches only: the last partial one is dropped). */
  private nextBatch(): Int32Array {
    if (this.order.length === 0) {
      this.order = batchIndices(epochOrder(this.data.y.shape[0]!, { key: random.foldIn(random.key(3), this.epoch++) }), SPIRALS.batch, true);
    }
    return this.order.shift()!;
  }

  /** Reads the losses of the steps run since the last call (waits for them on an asynchronous backend). */
  async collect(): Promise<void> {
    const pending = this.pending;
    this.pending = [];
    for (const losses of pending) {
      this.losses.push(...globalThis.Array.from(await losses.data(), Number));
      losses.dispose();
    }
  }

  dispose(): void {
    dispose([...this.pending, this.state.params, this.state.opt]);
    this.pending = [];
  }
}

function concat(parts: readonly Int32Array[]): Int32Array {
  const out = new Int32Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
