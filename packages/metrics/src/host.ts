import { Array } from "@mmx/core";

/** A row-major matrix read back from the device: evaluation metrics run on the host, in float64. */
export interface HostMatrix {
  readonly values: ArrayLike<number>;
  readonly rows: number;
  readonly cols: number;
}

/** Class labels as given to a metric: an mmx Array or host numbers. */
export type Labels = Array | ArrayLike<number>;

function describe(x: unknown): string {
  if (x instanceof Array) return `${x.dtype}[${x.shape.join(",")}]`;
  if (x === null) return "null";
  return typeof x;
}

/** Reads a [N, C] score matrix (logits or probabilities); `what` names the caller in errors. */
export function hostScores(x: Array, what: string): HostMatrix {
  if (!(x instanceof Array)) throw new TypeError(`${what}: expected an mmx Array of shape [N, C], got ${describe(x)}`);
  if (x.ndim !== 2) throw new TypeError(`${what}: expected scores of shape [N, C] (one row per example), got ${describe(x)}`);
  if (x.dtype !== "float32") throw new TypeError(`${what}: expected float32 scores, got ${describe(x)}`);
  const [rows, cols] = x.shape as [number, number];
  if (cols < 1) throw new TypeError(`${what}: scores need at least one class column, got ${describe(x)}`);
  return { values: x.dataSync(), rows, cols };
}

/**
 * Reads class labels for `rows` examples: integers of shape [N] (any dtype, integral values) or
 * one-hot rows of shape [N, C] (the class is each row's argmax). Every label must lie in [0, cols).
 */
export function hostLabels(labels: Labels, rows: number, cols: number, what: string): Int32Array {
  let values: ArrayLike<number>;
  if (labels instanceof Array) {
    values = labels.dataSync();
    if (labels.ndim === 2) {
      if (labels.shape[0] !== rows || labels.shape[1] !== cols) {
        throw new TypeError(`${what}: one-hot labels ${describe(labels)} do not match the scores' [${rows},${cols}]`);
      }
      const classes = argmaxRows({ values, rows, cols });
      const odd = classes.indexOf(NO_PREDICTION);
      if (odd >= 0) throw new RangeError(`${what}: one-hot label row ${odd} holds NaN`);
      return classes;
    }
    if (labels.ndim !== 1) throw new TypeError(`${what}: expected labels of shape [N] or one-hot [N, C], got ${describe(labels)}`);
  } else if (labels !== null && typeof labels === "object" && typeof (labels as ArrayLike<number>).length === "number") {
    values = labels;
    // Number() would read "1" and true as 1: a label is a number.
    const odd = globalThis.Array.prototype.findIndex.call(values, (v: unknown) => typeof v !== "number");
    if (odd >= 0) throw new TypeError(`${what}: label ${odd} is ${JSON.stringify((values as ArrayLike<unknown>)[odd])}, not a number`);
  } else {
    throw new TypeError(`${what}: expected labels as an mmx Array or an array of numbers, got ${describe(labels)}`);
  }
  if (values.length !== rows) throw new TypeError(`${what}: ${values.length} labels for ${rows} rows of scores`);
  const out = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    const v = Number(values[i]);
    if (!Number.isInteger(v) || v < 0 || v >= cols) {
      throw new RangeError(`${what}: label ${i} is ${v}; labels must be integers in [0, ${cols}) for ${cols} classes`);
    }
    out[i] = v;
  }
  return out;
}

/** What argmaxRows gives a row holding NaN. */
export const NO_PREDICTION = -1;

/**
 * The first index of each row's maximum (as np.argmax), or NO_PREDICTION for a row holding NaN: it has
 * no prediction, and the metrics made from it are NaN (a NaN must not count as a correct or wrong guess).
 */
export function argmaxRows(m: HostMatrix): Int32Array {
  const out = new Int32Array(m.rows);
  for (let i = 0; i < m.rows; i++) {
    let best = 0;
    let bestValue = Number(m.values[i * m.cols]);
    for (let j = 0; j < m.cols; j++) {
      const v = Number(m.values[i * m.cols + j]);
      if (Number.isNaN(v)) {
        best = NO_PREDICTION;
        break;
      }
      if (v > bestValue) {
        bestValue = v;
        best = j;
      }
    }
    out[i] = best;
  }
  return out;
}
