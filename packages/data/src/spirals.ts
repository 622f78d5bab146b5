import type { Array } from "@mmx/core";
import { type Key, normalValues, split, uniformValues } from "@mmx/random";
import { hostArray, type HostArray, toArray } from "./host-array.js";

export interface SpiralsOptions {
  /** Total number of points, shared out over the classes as evenly as possible. */
  n: number;
  /** Number of arms (classes), default 2. */
  classes?: number;
  /** Standard deviation of the Gaussian noise added to each coordinate, default 0.05 (the arms reach radius 1). */
  noise?: number;
  /** How many full turns each arm makes from the centre to radius 1, default 1.5. */
  turns?: number;
}

/**
 * The 2-D spirals of the paper's Figure 1, as host arrays: x float32 [n, 2], y int32 [n].
 *
 * Point i belongs to class c = i mod classes (so classes are balanced and interleaved: any prefix is
 * a fair subset). Its position along the arm, t, is uniform in [0, 1); the clean point is at radius t
 * and angle 2π·turns·t + 2π·c/classes (class c's arm is the first arm rotated by 2πc/classes, and the
 * radius grows with the angle), and Gaussian noise of standard deviation `noise` is added to each
 * coordinate. Deterministic per key (the draws come from @mmx/random on the host; V8 computes sin and
 * cos with the same fdlibm code on every platform).
 */
export function spiralPoints(options: SpiralsOptions, key: Key): { x: HostArray<Float32Array>; y: HostArray<Int32Array> } {
  const { n, classes = 2, noise = 0.05, turns = 1.5 } = options;
  if (!(Number.isInteger(n) && n >= 1)) throw new RangeError(`spirals: n must be a whole number >= 1, got ${n}`);
  if (!(Number.isInteger(classes) && classes >= 1)) throw new RangeError(`spirals: classes must be a whole number >= 1, got ${classes}`);
  if (!(Number.isFinite(noise) && noise >= 0)) throw new RangeError(`spirals: noise must be a finite number >= 0, got ${noise}`);
  if (!(Number.isFinite(turns) && turns > 0)) throw new RangeError(`spirals: turns must be a finite number > 0, got ${turns}`);
  const [tKey, noiseKey] = split(key, 2) as [Key, Key];
  const t = uniformValues(tKey, [n]);
  const eps = normalValues(noiseKey, [n, 2]);
  const x = new Float32Array(2 * n);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % classes;
    const angle = 2 * Math.PI * (turns * t[i]! + c / classes);
    x[2 * i] = t[i]! * Math.cos(angle) + noise * eps[2 * i]!;
    x[2 * i + 1] = t[i]! * Math.sin(angle) + noise * eps[2 * i + 1]!;
    y[i] = c;
  }
  return { x: hostArray(x, [n, 2]), y: hostArray(y, [n]) };
}

/**
 * The spirals of {@link spiralPoints} as mmx Arrays: `{ x: float32 [n, 2], y: int32 [n] }`. `n` is the
 * total number of points. The caller owns (and disposes) the arrays.
 *
 * ```ts
 * const { x, y } = spirals({ n: 1000, noise: 0.05 }, random.key(0));
 * ```
 */
export function spirals(options: SpiralsOptions, key: Key): { x: Array; y: Array } {
  const points = spiralPoints(options, key);
  return { x: toArray(points.x), y: toArray(points.y) };
}
