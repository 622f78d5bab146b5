/**
 * Plain double-precision implementations of the losses, written from their definitions (no
 * stabilising tricks beyond the max shift): the oracle for property tests and finite differences.
 * Logits and targets are row-major number[][].
 */
export type Rows = number[][];

export function logSoftmaxRow(row: number[]): number[] {
  const m = Math.max(...row);
  const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
  return row.map((v) => v - lse);
}

const mean = (xs: number[]) => xs.reduce((s, v) => s + v, 0) / xs.length;

export function softCrossEntropyRef(logits: Rows, targets: Rows): number {
  return mean(logits.map((row, b) => -logSoftmaxRow(row).reduce((s, lp, c) => s + (targets[b]![c] === 0 ? 0 : targets[b]![c]! * lp), 0)));
}

export function nllRef(logits: Rows, labels: number[]): number {
  return mean(logits.map((row, b) => -logSoftmaxRow(row)[labels[b]!]!));
}

/** PyTorch's BCELoss on softmax probabilities; 1 - p summed from the other classes (exact in double). */
export function bceSoftmaxRef(logits: Rows, targets: Rows): number[] {
  return logits.map((row, b) => {
    const p = logSoftmaxRow(row).map(Math.exp);
    return mean(
      p.map((pc, c) => {
        const rest = p.reduce((s, v, j) => (j === c ? s : s + v), 0);
        const t = targets[b]![c]!;
        return -(t * Math.max(Math.log(pc), -100) + (1 - t) * Math.max(Math.log(rest), -100));
      }),
    );
  });
}

export function mseRef(pred: Rows, target: Rows): number[] {
  return pred.map((row, b) => mean(row.map((v, c) => (v - target[b]![c]!) ** 2)));
}

export const meanOf = mean;

export function oneHotRows(labels: number[], classes: number): Rows {
  return labels.map((l) => Array.from({ length: classes }, (_, c) => (c === l ? 1 : 0)));
}

/** Central differences of f at x (row-major), step h relative to each entry's size. */
export function finiteDifferenceGrad(f: (x: Rows) => number, x: Rows, h = 1e-5): Rows {
  return x.map((row, b) =>
    row.map((v, c) => {
      const step = h * Math.max(1, Math.abs(v));
      const at = (d: number) => f(x.map((r, i) => (i === b ? r.map((u, j) => (j === c ? u + d : u)) : r)));
      return (at(step) - at(-step)) / (2 * step);
    }),
  );
}
