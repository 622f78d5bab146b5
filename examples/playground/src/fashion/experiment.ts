import { dispose, jit, np, type Array, type PyTree } from "@mmx/core";
import { fgsm, robustAccuracy } from "@mmx/attacks";
import { batchIndices, epochOrder, gatherRows, hostArray } from "@mmx/data";
import { nll as nllLoss, softCrossEntropy } from "@mmx/losses";
import { error, nll } from "@mmx/metrics";
import { inputMixup, manifoldMixup, trainStep, type MixupPolicy, type TrainState, type TrainStep } from "@mmx/mixup";
import * as nn from "@mmx/nn";
import { sgd, type SgdState } from "@mmx/optim";
import * as random from "@mmx/random";
import type { MethodId } from "../ui/palette.js";
import type { FashionSubset } from "./subset.js";

export interface FashionSettings {
  epochs: number;
  inputAlpha: number;
  manifoldAlpha: number;
  /** Manifold mixup's eligible boundaries, by name (input, hidden1, hidden2). */
  layers: string[];
  lr: number;
  /** FGSM's L∞ radius, on pixels in [0, 1]. */
  eps: number;
}

export const DEFAULT_FASHION: FashionSettings = { epochs: 5, inputAlpha: 1, manifoldAlpha: 2, layers: ["input", "hidden1", "hidden2"], lr: 0.1, eps: 0.05 };
export const FASHION_MODEL = { sizes: [784, 256, 256, 10], batch: 128 } as const;

/** One method's scores after an epoch, on the test images. */
export interface EpochScores {
  epoch: number;
  testError: number;
  nll: number;
  fgsmAccuracy: number;
}

const METHODS: readonly { id: MethodId; label: string; policy(s: FashionSettings, boundaryOf: (n: string) => number): MixupPolicy | undefined }[] = [
  { id: "none", label: "No mixup", policy: () => undefined },
  { id: "input", label: "Input mixup", policy: (s) => inputMixup({ alpha: s.inputAlpha }) },
  { id: "manifold", label: "Manifold mixup", policy: (s, b) => manifoldMixup({ alpha: s.manifoldAlpha, layers: s.layers.map(b) }) },
];

class FashionRun {
  state: TrainState<PyTree, SgdState>;
  readonly step: TrainStep<PyTree, SgdState>;
  steps = 0;
  epoch = 0;
  readonly scores: EpochScores[] = [];
  private order: Int32Array[] = [];

  constructor(
    readonly id: MethodId,
    readonly label: string,
    policy: MixupPolicy | undefined,
    model: nn.Model,
    lr: number,
    params: PyTree,
  ) {
    this.step = trainStep({ model, loss: softCrossEntropy, optimizer: sgd({ lr, momentum: 0.9, nesterov: true, weightDecay: 1e-4 }), ...(policy ? { policy } : {}), donate: true });
    this.state = this.step.init(params);
  }

  /** One step (awaited: some backends run programs asynchronously); says whether it ended an epoch. */
  async runStep(data: FashionSubset): Promise<{ loss: Array; epochEnd: boolean }> {
    if (this.order.length === 0) this.order = batchIndices(epochOrder(data.train.count, { key: random.foldIn(random.key(13), this.epoch) }), FASHION_MODEL.batch, true);
    const rows = this.order.shift()!;
    const x = np.array(gatherRows(hostArray(data.train.x, [data.train.count, 784]), rows).data, { shape: [rows.length, 784] });
    const y = np.array(gatherRows(hostArray(data.train.labels, [data.train.count]), rows).data, { shape: [rows.length], dtype: "int32" });
    const r = await this.step.callAsync(this.state, x, y, random.foldIn(random.key(14), this.steps++));
    dispose([x, y]);
    this.state = r.state;
    const epochEnd = this.order.length === 0;
    if (epochEnd) this.epoch++;
    return { loss: r.loss, epochEnd };
  }
}

/** Three MLPs on the Fashion-MNIST subset, trained side by side from the same weights on the same batches. */
export class FashionExperiment {
  readonly model = nn.mlp([...FASHION_MODEL.sizes]);
  runs: FashionRun[] = [];
  private readonly logits = (p: PyTree, x: Array) => this.model.apply(p as nn.ParamTree, x).out;
  private readonly predict = jit(this.logits);
  private testX: Array | undefined;
  private testY: Array | undefined;
  settings: FashionSettings;

  constructor(
    readonly data: FashionSubset,
    settings: FashionSettings,
  ) {
    this.settings = settings;
    this.start(settings);
  }

  start(settings: FashionSettings): void {
    this.stop();
    this.settings = settings;
    const boundaryOf = (name: string) => this.model.paperBoundaries[this.model.paperBoundaryNames.indexOf(name)]!;
    const init = () => this.model.init(random.key(12), [-1, 784]).params as PyTree;
    this.runs = METHODS.map((m) => new FashionRun(m.id, m.label, m.policy(settings, boundaryOf), this.model, settings.lr, init()));
    this.testX = np.array(this.data.test.x, { shape: [this.data.test.count, 784] });
    this.testY = np.array(this.data.test.labels, { shape: [this.data.test.count], dtype: "int32" });
  }

  stop(): void {
    for (const r of this.runs) dispose([r.state.params, r.state.opt]);
    this.runs = [];
    dispose([this.testX, this.testY]);
  }

  get done(): boolean {
    return this.runs.every((r) => r.epoch >= this.settings.epochs);
  }

  /** Trains round-robin for about `budgetMs`; returns the steps run, the losses, and the runs that finished an epoch. */
  async trainFor(budgetMs: number): Promise<{ steps: number; losses: { id: MethodId; loss: Array }[]; epochEnds: FashionRun[] }> {
    const t0 = performance.now();
    const losses: { id: MethodId; loss: Array }[] = [];
    const epochEnds: FashionRun[] = [];
    do {
      for (const r of this.runs) {
        if (r.epoch >= this.settings.epochs) continue;
        const { loss, epochEnd } = await r.runStep(this.data);
        losses.push({ id: r.id, loss });
        if (epochEnd) epochEnds.push(r);
      }
    } while (!this.done && epochEnds.length === 0 && performance.now() - t0 < budgetMs);
    return { steps: losses.length, losses, epochEnds };
  }

  /**
   * Test error, NLL and FGSM accuracy of a run now, on the test images. The attack's programs run synchronously, so
   * with `attack: false` (a backend that runs programs asynchronously) its accuracy is NaN.
   */
  async evaluate(run: FashionRun, attack: boolean): Promise<EpochScores> {
    const params = run.state.params;
    const out = await this.predict.callAsync(params, this.testX!);
    await out.data();
    const scores = { testError: error(out, this.testY!), nll: nll(out, this.testY!) };
    out.dispose();
    let fgsmAccuracy = Number.NaN;
    if (attack) {
      const fgsmAttack = fgsm({ model: this.logits, loss: (l: Array, y: Array) => nllLoss(l, y), eps: this.settings.eps });
      fgsmAccuracy = (await robustAccuracy({ attack: fgsmAttack, model: this.logits, params, batches: [{ x: this.testX!, y: this.testY! }] })).adversarial;
    }
    const result = { epoch: run.epoch, ...scores, fgsmAccuracy };
    run.scores.push(result);
    return result;
  }

  /** FGSM versions of the first n test images under run's current weights, and its predictions on both. */
  async adversarialExamples(run: FashionRun, n: number): Promise<{ adv: Float32Array; clean: Int32Array; attacked: Int32Array }> {
    const x = np.array(this.data.test.x.subarray(0, n * 784), { shape: [n, 784] });
    const y = np.array(this.data.test.labels.subarray(0, n), { shape: [n], dtype: "int32" });
    const attack = fgsm({ model: this.logits, loss: (l: Array, t: Array) => nllLoss(l, t), eps: this.settings.eps });
    const adv = attack(run.state.params, x, y);
    const [lc, la] = [this.predict(run.state.params, x), this.predict(run.state.params, adv)];
    const [pc, pa] = [np.argmax(lc, -1), np.argmax(la, -1)];
    const result = { adv: (await adv.data()) as Float32Array, clean: (await pc.data()) as Int32Array, attacked: (await pa.data()) as Int32Array };
    dispose([x, y, adv, lc, la, pc, pa]);
    return result;
  }
}

export type { FashionRun };
