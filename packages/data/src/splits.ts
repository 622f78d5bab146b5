export type Split = "train" | "test";
export const SPLITS: readonly Split[] = ["train", "test"];

/**
 * The order in which a split's examples are stored: classes interleaved so that every prefix of the
 * split (what `limit` keeps) has about the same class proportions as the whole. Example j of class c
 * (of n_c) sits at its relative position (j + 1/2) / n_c; ties go to the lower class. With equal class
 * sizes this is plain round-robin. Returns [class, index within class] pairs.
 */
export function stratifiedOrder(classSizes: readonly number[]): [number, number][] {
  const items: [number, number][] = [];
  classSizes.forEach((n, c) => {
    for (let j = 0; j < n; j++) items.push([c, j]);
  });
  // Compare (2j+1)/n_c exactly by cross-multiplying integers.
  return items.sort(([c1, j1], [c2, j2]) => (2 * j1 + 1) * classSizes[c2]! - (2 * j2 + 1) * classSizes[c1]! || c1 - c2);
}
