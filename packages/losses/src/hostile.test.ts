import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { np } from "@mmx/core";
import { bceSoftmax, mse, nll, softCrossEntropy } from "./index.js";

describe("an empty batch is refused by every loss, under every reduction (its mean is undefined; it was a NaN or a crash)", () => {
  it("bceSoftmax, softCrossEntropy, nll, mse", () => {
    const losses = [
      ["bceSoftmax", (r: "mean" | "none") => bceSoftmax(np.zeros([0, 3]), np.zeros([0, 3]), { reduction: r })],
      ["softCrossEntropy", (r: "mean" | "none") => softCrossEntropy(np.zeros([0, 3]), np.zeros([0], "int32"), { reduction: r })],
      ["nll", (r: "mean" | "none") => nll(np.zeros([0, 3]), np.zeros([0], "int32"), { reduction: r })],
      ["mse", (r: "mean" | "none") => mse(np.zeros([0, 3]), np.zeros([0, 3]), { reduction: r })],
    ] as const;
    fc.assert(
      fc.property(fc.constantFrom(...losses), fc.constantFrom("mean" as const, "none" as const), ([name, loss], reduction) => {
        expect(() => loss(reduction)).toThrow(new RegExp(`^${name}: the batch is empty \\(float32 \\[0,3\\]\\); a loss needs at least one example$`));
      }),
      { numRuns: 16 },
    );
  });
});
