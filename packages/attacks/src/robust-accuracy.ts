import { Array, jit, np, type PyTree } from "@mmx/core";
import type { Attack, Model } from "./types.js";

export interface Batch<Y extends PyTree = Array> {
  readonly x: Array;
  readonly y: Y;
}

export interface RobustAccuracyOptions<P extends PyTree, Y extends PyTree> {
  attack: Attack<P, Y>;
  model: Model<P>;
  params: P;
  /** The dataset, batch by batch (a sync or async iterable). The batches stay the caller's. */
  batches: Iterable<Batch<Y>> | AsyncIterable<Batch<Y>>;
  /**
   * The class labels [B] (int32) of a batch's targets. By default y itself: int32 labels [B] are used
   * as they are and float rows [B, C] (one-hot) by their argmax.
   */
  labels?: (y: Y) => Array;
}

export interface RobustAccuracy {
  /** How many examples were evaluated. */
  readonly count: number;
  /** Accuracy on the clean inputs. */
  readonly clean: number;
  /** Accuracy on the attacked inputs (every example counts, including those already misclassified). */
  readonly adversarial: number;
  readonly cleanCorrect: number;
  readonly adversarialCorrect: number;
}

// One counting program per model, shared by every call (jit caches by shapes inside it).
const counters = new WeakMap<Model, ReturnType<typeof makeCounter>>();

/**
 * How many rows the model classifies right, and how many have a prediction at all: a row of logits holding
 * NaN (an input so far out that the model overflows) is neither right nor wrong, and makes the accuracy NaN.
 */
function makeCounter(model: Model) {
  return jit((params: PyTree, x: Array, labels: Array) => {
    const logits = model(params, x);
    const predicted = np.argmax(logits, -1);
    // NaN is the one value not equal to itself.
    const defined = np.min(np.astype(np.equal(logits, logits), "int32"), { axis: -1 });
    const correct = np.sum(np.astype(np.equal(predicted, np.astype(labels, predicted.dtype)), "int32"));
    return [correct, np.sum(defined)];
  });
}

function defaultLabels(y: unknown, rows: number): Array {
  if (!(y instanceof Array)) throw new TypeError(`robustAccuracy: the batch's y is not an mmx Array; pass labels: (y) => int32 class labels [B]`);
  if (y.ndim === 1 && y.dtype === "int32") return y;
  if (y.ndim === 2 && y.dtype === "float32") return np.argmax(y, -1);
  throw new TypeError(`robustAccuracy: cannot read class labels from y ${y.dtype}[${y.shape.join(",")}] for ${rows} inputs; expected int32 [B] or one-hot float32 [B, C], or pass labels: (y) => Array`);
}

/**
 * Clean and adversarial accuracy of `model` at `params` over a dataset: each batch is attacked with
 * `attack` (white-box, against the same params) and both batches are classified by argmax. Every
 * array made along the way is freed before the next batch.
 */
export async function robustAccuracy<P extends PyTree, Y extends PyTree>(opts: RobustAccuracyOptions<P, Y>): Promise<RobustAccuracy> {
  const { attack, model, params, batches } = opts;
  if (typeof attack !== "function") throw new TypeError("robustAccuracy: attack must be an attack from fgsm, ifgsm or pgd");
  if (typeof model !== "function") throw new TypeError("robustAccuracy: model must be a function (params, x) => logits");
  if (batches === null || typeof batches !== "object" || !(Symbol.iterator in batches || Symbol.asyncIterator in batches)) {
    throw new TypeError("robustAccuracy: batches must be an iterable (or async iterable) of { x, y }");
  }
  let counter = counters.get(model);
  if (!counter) counters.set(model, (counter = makeCounter(model)));

  let count = 0;
  let cleanCorrect = 0;
  let adversarialCorrect = 0;
  let index = 0;
  for await (const batch of batches) {
    const { x, y } = batch ?? ({} as Batch<Y>);
    if (!(x instanceof Array) || x.ndim < 1) throw new TypeError(`robustAccuracy: batch ${index} has no x array with a batch axis`);
    const rows = x.shape[0]!;
    const labels = opts.labels ? opts.labels(y) : defaultLabels(y, rows);
    try {
      if (!(labels instanceof Array) || labels.ndim !== 1 || labels.shape[0] !== rows) {
        throw new TypeError(`robustAccuracy: batch ${index}: labels must be an array of shape [${rows}], got ${labels instanceof Array ? `${labels.dtype}[${labels.shape.join(",")}]` : typeof labels}`);
      }
      cleanCorrect += readCount(counter(params, x, labels) as [Array, Array], rows);
      const adv = attack(params, x, y);
      try {
        adversarialCorrect += readCount(counter(params, adv, labels) as [Array, Array], rows);
      } finally {
        adv.dispose();
      }
    } finally {
      if (labels !== y && labels instanceof Array) labels.dispose();
    }
    count += rows;
    index++;
  }
  if (count === 0) throw new RangeError("robustAccuracy: the dataset gave no examples");
  return { count, clean: cleanCorrect / count, adversarial: adversarialCorrect / count, cleanCorrect, adversarialCorrect };
}

/** The count of right rows, or NaN when a row had no prediction (NaN logits). */
function readCount([correct, definedRows]: [Array, Array], rows: number): number {
  const [v, defined] = [correct.item(), definedRows.item()];
  correct.dispose();
  definedRows.dispose();
  return defined < rows ? Number.NaN : v;
}
