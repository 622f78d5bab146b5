import { np, type NDArray as Array } from "@mmx/core";
import { checkLabels } from "@mmx/losses";

/**
 * Checks integer labels (of any shape: they are read flat) on the host before a compiled step runs: inside the
 * program they are not known, and one outside [0, classes) would make an all-zero target row (a finite, wrong
 * loss). `classes()` gives the model's class count, tracing the program first where it is not known yet.
 */
export function checkHostLabels(labels: Array, classes: () => number, what: string): void {
  const flat = labels.ndim === 1 ? labels : np.reshape(labels, [labels.size]);
  try {
    if (flat.dtype !== "int32") checkLabels(flat, 0, what);
    checkLabels(flat, classes(), what);
  } finally {
    if (flat !== labels) flat.dispose();
  }
}
