/**
 * Threefry-2x32 with 20 rounds (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011),
 * the counter-based hash under JAX's default PRNG.
 *
 * Everything here is exact 32-bit unsigned arithmetic on JS numbers: additions are wrapped with `>>> 0`,
 * rotations are built from `<<` and `>>>`. No float rounding and no tensor kernel is involved, so a given
 * key and counter give the same words on every backend and every machine. (tfjs has no uint32 dtype and
 * no xor or shift ops, so none of this could run there anyway.)
 */

/** Skein's key-schedule parity constant: the third key word is k0 ^ k1 ^ PARITY. */
const PARITY = 0x1bd11bda;

/** Rotation distances of the 2x32 variant: rounds 1-4 of each 8-round cycle, then rounds 5-8. */
const ROTATIONS_A = [13, 15, 26, 6] as const;
const ROTATIONS_B = [17, 29, 16, 24] as const;

/** The hash of one 64-bit counter block: two output words. */
export type Words = readonly [number, number];

/**
 * Hashes the counter block (x0, x1) under the key (k0, k1): threefry2x32_20. All four inputs are
 * uint32 values (numbers in [0, 2^32)); the result is two uint32 values.
 */
export function threefry2x32(k0: number, k1: number, x0: number, x1: number): [number, number] {
  threefryInto(k0, k1, x0, x1, SCRATCH, 0);
  return [SCRATCH[0]!, SCRATCH[1]!];
}

const SCRATCH = new Uint32Array(2);

/**
 * The same hash, written into `out[at]` and `out[at + 1]`: the bulk paths use this to fill a
 * Uint32Array without allocating a pair per block.
 */
export function threefryInto(k0: number, k1: number, x0: number, x1: number, out: Uint32Array, at: number): void {
  const k2 = (k0 ^ k1 ^ PARITY) >>> 0;
  const ks = [k0 >>> 0, k1 >>> 0, k2];
  let a = (x0 + ks[0]!) >>> 0;
  let b = (x1 + ks[1]!) >>> 0;
  // Five groups of four rounds; after each group a key injection with the round counter s = 1..5.
  for (let s = 1; s <= 5; s++) {
    const rot = s % 2 === 1 ? ROTATIONS_A : ROTATIONS_B;
    for (let r = 0; r < 4; r++) {
      a = (a + b) >>> 0;
      const d = rot[r]!;
      b = ((b << d) | (b >>> (32 - d))) >>> 0;
      b = (b ^ a) >>> 0;
    }
    a = (a + ks[s % 3]!) >>> 0;
    b = (b + ks[(s + 1) % 3]! + s) >>> 0;
  }
  out[at] = a;
  out[at + 1] = b;
}
