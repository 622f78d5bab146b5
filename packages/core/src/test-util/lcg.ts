/**
 * A small deterministic generator for the tests' cotangents and directions: values in [0, 1) from a seed,
 * so a failing property replays from its seed alone (no randomness outside it).
 */
export function lcg(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}
