import fc from "fast-check";
import { np } from "@mmx/core";
import { describe, expect, test } from "vitest";
import { Key, foldIn, key, randomBits, split } from "./key.js";
import { threefry2x32 } from "./threefry.js";

const word = fc.integer({ min: 0, max: 0xffffffff });
const anyKey = fc.tuple(word, word).map(([hi, lo]) => new Key(hi, lo));

describe("key(seed)", () => {
  test("a 32-bit seed s gives the words [0, s], like jax.random.PRNGKey", () => {
    expect(key(0).data()).toEqual([0, 0]);
    expect(key(42).data()).toEqual([0, 42]);
    expect(key(0xffffffff).data()).toEqual([0, 0xffffffff]);
  });

  test("larger and negative seeds are 64-bit two's complement, bit-cast to [hi, lo]", () => {
    // The 64-bit split of 999999999999 is 232 * 2^32 + 3567587327 (the example in Nx.Random.key's docs,
    // whose threefry keys follow JAX's).
    expect(key(999999999999).data()).toEqual([232, 3567587327]);
    expect(232 * 2 ** 32 + 3567587327).toBe(999999999999);
    expect(key(2 ** 32 + 5).data()).toEqual([1, 5]);
    expect(key(-1).data()).toEqual([0xffffffff, 0xffffffff]);
    expect(key(-(2 ** 32)).data()).toEqual([0xffffffff, 0]);
    expect(key(-1n).data()).toEqual([0xffffffff, 0xffffffff]);
    expect(key((1n << 64n) - 1n).data()).toEqual([0xffffffff, 0xffffffff]);
    expect(key(123n).equals(key(123))).toBe(true);
  });

  test("numbers and bigints agree on every safe integer", () => {
    fc.assert(
      fc.property(fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }), (s) => {
        expect(key(s).data()).toEqual(key(BigInt(s)).data());
      }),
      { numRuns: 200 },
    );
  });

  test("bad seeds are errors naming the seed", () => {
    expect(() => key(1.5)).toThrow(/key: seed must be a safe integer or a bigint, got number 1.5/);
    expect(() => key(NaN)).toThrow(/got number NaN/);
    expect(() => key(2 ** 60)).toThrow(/safe integer/);
    expect(() => key(1n << 64n)).toThrow(/fit in 64 bits/);
    expect(() => key("3" as never)).toThrow(/got string "3"/);
  });

  test("a Key is immutable and validates its words", () => {
    const k = key(7);
    expect(() => {
      (k as { hi: number }).hi = 3;
    }).toThrow();
    expect(() => new Key(-1, 0)).toThrow(/word hi must be an integer in \[0, 2\^32\), got -1/);
    expect(() => new Key(0, 2 ** 32)).toThrow(/word lo/);
  });
});

describe("split", () => {
  // Expected keys from NVIDIA/TensorRT-Incubator, mlir-tensorrt/integrations/PJRT/test/JAX/test_random.py
  // (`key1, key2 = random.split(random.PRNGKey(seed))` for seeds 0, 1, 2, run with JAX's default
  // partitionable threefry).
  test.each([
    [0, [1797259609, 2579123966], [928981903, 3453687069]],
    [1, [507451445, 1853169794], [1948878966, 4237131848]],
    [2, [1821159224, 3364244817], [637334850, 3278974502]],
  ])("split(key(%i)) equals JAX's published keys", (seed, k1, k2) => {
    const [a, b] = split(key(seed));
    expect(a!.data()).toEqual(k1);
    expect(b!.data()).toEqual(k2);
  });

  test("key i is the hash of counter i, whatever n is (JAX's partitionable layout)", () => {
    fc.assert(
      fc.property(anyKey, fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 20 }), (k, n, m) => {
        const a = split(k, n);
        const b = split(k, m);
        expect(a).toHaveLength(n);
        for (let i = 0; i < Math.min(n, m); i++) expect(a[i]!.equals(b[i]!)).toBe(true);
        expect(a[n - 1]!.data()).toEqual(threefry2x32(k.hi, k.lo, 0, n - 1));
      }),
      { numRuns: 50 },
    );
  });

  test("split keys are distinct from each other and from the parent", () => {
    fc.assert(
      fc.property(anyKey, (k) => {
        const keys = split(k, 64);
        const seen = new Set(keys.map(String));
        seen.add(String(k));
        expect(seen.size).toBe(65);
      }),
      { numRuns: 30 },
    );
  });

  test("bad n and non-keys are errors", () => {
    expect(() => split(key(0), 0)).toThrow(/split: n must be an integer >= 1, got 0/);
    expect(() => split(key(0), 2.5)).toThrow(/got 2.5/);
    expect(() => split(0 as never)).toThrow(/split: expected a Key .* got number 0/);
    const arr = np.array([0, 0], { dtype: "int32" });
    expect(() => split(arr as never)).toThrow(/split: expected a Key .* got DeviceArray of shape \[2\]/);
    arr.dispose();
    expect(() => split([0, 0] as never)).toThrow(/got Array/);
  });
});

describe("foldIn", () => {
  test("folding in i gives the i-th split key (JAX hashes the seed words [0, data] as one block)", () => {
    fc.assert(
      fc.property(anyKey, fc.integer({ min: 0, max: 40 }), (k, i) => {
        expect(foldIn(k, i).equals(split(k, 41)[i]!)).toBe(true);
      }),
      { numRuns: 50 },
    );
  });

  test("distinct data give distinct keys; negative data wrap to uint32", () => {
    const k = key(3);
    const keys = new Set([0, 1, 2, 3, 1000, 2 ** 31, 2 ** 32 - 1].map((d) => String(foldIn(k, d))));
    expect(keys.size).toBe(7);
    expect(foldIn(k, -1).equals(foldIn(k, 2 ** 32 - 1))).toBe(true);
  });

  test("bad data and non-keys are errors", () => {
    expect(() => foldIn(key(0), 0.5)).toThrow(/foldIn: data must be an integer in \[-2\^31, 2\^32\), got number 0.5/);
    expect(() => foldIn(key(0), 2 ** 32)).toThrow(/foldIn: data/);
    expect(() => foldIn({ hi: 0, lo: 0 } as never, 1)).toThrow(/foldIn: expected a Key .* got Object/);
  });
});

describe("randomBits", () => {
  test("word i is the xor of the hash of counter i; the same key gives the same words", () => {
    fc.assert(
      fc.property(anyKey, fc.integer({ min: 0, max: 50 }), (k, n) => {
        const bits = randomBits(k, n);
        expect(bits).toEqual(randomBits(k, n));
        for (let i = 0; i < n; i += 7) {
          const [a, b] = threefry2x32(k.hi, k.lo, 0, i);
          expect(bits[i]).toBe((a ^ b) >>> 0);
        }
      }),
      { numRuns: 50 },
    );
  });

  test("split and foldIn give streams that differ from the parent's and from each other", () => {
    const k = key(11);
    const [a, b] = split(k);
    const streams = [k, a!, b!, foldIn(k, 5), foldIn(a!, 5)].map((kk) => Array.from(randomBits(kk, 16)).join(","));
    expect(new Set(streams).size).toBe(streams.length);
  });

  test("bits are balanced: each of the 32 bit positions is set about half the time", () => {
    const n = 20000;
    const bits = randomBits(key(2024), n);
    for (let b = 0; b < 32; b++) {
      let ones = 0;
      for (let i = 0; i < n; i++) ones += (bits[i]! >>> b) & 1;
      // Binomial(n, 1/2): sd = sqrt(n)/2 ~ 70.7; a 5-sd band fails a fair generator with prob ~6e-7 per bit.
      expect(Math.abs(ones - n / 2)).toBeLessThan(5 * Math.sqrt(n) / 2);
    }
  });
});
