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
  // Unrolled: 5 groups of 4 rounds (rotations 13 15 26 6, then 17 29 16 24), each group followed by a
  // key injection (ks[s % 3], ks[(s + 1) % 3] + s) for s = 1..5. Plain locals, no allocation: this is
  // the inner loop of every draw.
  const k2 = (k0 ^ k1 ^ PARITY) >>> 0;
  let a = (x0 + k0) >>> 0;
  let b = (x1 + k1) >>> 0;
  a = (a + b) >>> 0; b = ((b << 13) | (b >>> 19)) ^ a;
  a = (a + b) >>> 0; b = ((b << 15) | (b >>> 17)) ^ a;
  a = (a + b) >>> 0; b = ((b << 26) | (b >>> 6)) ^ a;
  a = (a + b) >>> 0; b = ((b << 6) | (b >>> 26)) ^ a;
  a = (a + k1) >>> 0; b = (b + k2 + 1) >>> 0;
  a = (a + b) >>> 0; b = ((b << 17) | (b >>> 15)) ^ a;
  a = (a + b) >>> 0; b = ((b << 29) | (b >>> 3)) ^ a;
  a = (a + b) >>> 0; b = ((b << 16) | (b >>> 16)) ^ a;
  a = (a + b) >>> 0; b = ((b << 24) | (b >>> 8)) ^ a;
  a = (a + k2) >>> 0; b = (b + k0 + 2) >>> 0;
  a = (a + b) >>> 0; b = ((b << 13) | (b >>> 19)) ^ a;
  a = (a + b) >>> 0; b = ((b << 15) | (b >>> 17)) ^ a;
  a = (a + b) >>> 0; b = ((b << 26) | (b >>> 6)) ^ a;
  a = (a + b) >>> 0; b = ((b << 6) | (b >>> 26)) ^ a;
  a = (a + k0) >>> 0; b = (b + k1 + 3) >>> 0;
  a = (a + b) >>> 0; b = ((b << 17) | (b >>> 15)) ^ a;
  a = (a + b) >>> 0; b = ((b << 29) | (b >>> 3)) ^ a;
  a = (a + b) >>> 0; b = ((b << 16) | (b >>> 16)) ^ a;
  a = (a + b) >>> 0; b = ((b << 24) | (b >>> 8)) ^ a;
  a = (a + k1) >>> 0; b = (b + k2 + 4) >>> 0;
  a = (a + b) >>> 0; b = ((b << 13) | (b >>> 19)) ^ a;
  a = (a + b) >>> 0; b = ((b << 15) | (b >>> 17)) ^ a;
  a = (a + b) >>> 0; b = ((b << 26) | (b >>> 6)) ^ a;
  a = (a + b) >>> 0; b = ((b << 6) | (b >>> 26)) ^ a;
  a = (a + k2) >>> 0; b = (b + k0 + 5) >>> 0;
  out[at] = a;
  out[at + 1] = b;
}
