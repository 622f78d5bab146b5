import { afterAll, describe, expect, it } from "vitest";
import { getBackend, jit, np, setBackend, type Array } from "./index.js";

/**
 * Arrays with a zero-length axis (an empty batch) go through every primitive with the right shape: tfjs's
 * broadcastTo and where give [1] for [0] on cpu, which mmx reported as its own internal error.
 */
describe("primitives whose result is empty", () => {
  const before = getBackend();
  afterAll(async () => {
    await setBackend(before);
  });
  const programs: [string, () => Array][] = [
    ["zeros int32 [0]", () => np.zeros([0], "int32")],
    ["full [0,3]", () => np.full([0, 3], 2)],
    ["broadcast a scalar to [0,3]", () => np.broadcastTo(np.array(1), [0, 3])],
    ["where over [0,2]", () => np.where(np.greater(np.zeros([0, 2]), 0), np.zeros([0, 2]), 1)],
    ["oneHot of no labels", () => np.oneHot(np.zeros([0], "int32"), 4)],
    ["matmul [0,3]x[3,2]", () => np.matmul(np.zeros([0, 3]), np.ones([3, 2]))],
  ];
  for (const backend of ["cpu", "wasm"]) {
    it(`have their shape on ${backend}, eager and jitted`, async () => {
      await setBackend(backend);
      for (const [what, make] of programs) {
        const eager = make();
        const jitted = jit(make)();
        for (const out of [eager, jitted]) {
          expect(out.size, what).toBe(0);
          expect(out.dataSync().length, what).toBe(0);
        }
        expect(jitted.shape, what).toEqual(eager.shape);
      }
    });
  }
});
