import { np, type Array } from "@mmx/core";
import type { UniformSampler } from "./sign-step.js";

/**
 * A seeded host-side sampler of float32 values uniform in [0, 1) (a SplitMix32 stream: exact 32-bit
 * integer arithmetic, so the draws are the same on every backend). A stand-in for PGD's random start
 * until @mmx/random's keyed `uniform` is available; each call continues the stream.
 */
export function hostUniform(seed: number): UniformSampler {
  if (!Number.isInteger(seed)) throw new TypeError(`hostUniform: seed must be an integer, got ${seed}`);
  let state = seed | 0;
  const next = (): number => {
    state = (state + 0x9e3779b9) | 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    z ^= z >>> 16;
    // 24 random bits: exactly representable in float32, so the value stays below 1.
    return (z >>> 8) / 16777216;
  };
  return (shape: readonly number[]): Array => {
    const size = shape.reduce((n, d) => n * d, 1);
    const values = new Float32Array(size);
    for (let i = 0; i < size; i++) values[i] = next();
    return np.array(values, { shape });
  };
}
