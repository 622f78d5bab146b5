import { describe, expect, it } from "vitest";
import { makeJaxpr, np, ShapedArray, type Array } from "@mmx/core";
import { batchRoles, type BatchRole } from "./batch-roles.js";

/** The role of a program's output, x being its first argument. */
const roleOfOutput = (f: (x: Array, w: Array) => Array, x: readonly number[], w: readonly number[] = [1]): BatchRole => {
  const { jaxpr } = makeJaxpr(f)(new ShapedArray(x, "float32"), new ShapedArray(w, "float32"));
  return batchRoles(jaxpr, 0).get(jaxpr.outs[0] as never) ?? { kind: "independent" };
};

describe("batch roles: which values carry the examples, and on which axis", () => {
  it("elementwise, matmul and conv keep the example axis; broadcasting moves it with the rank", () => {
    expect(roleOfOutput((x, w) => np.tanh(np.matmul(x, w)), [4, 3], [3, 2])).toEqual({ kind: "batch", axis: 0 });
    expect(roleOfOutput((x, w) => np.add(x, w), [4, 3], [3])).toEqual({ kind: "batch", axis: 0 });
    expect(roleOfOutput((x, w) => np.add(np.reshape(x, [1, 4, 3]), w), [4, 3], [2, 1, 1])).toEqual({ kind: "batch", axis: 1 });
  });

  it("a reduction over the examples is a statistic, and so is what is computed from statistics alone", () => {
    expect(roleOfOutput((x) => np.mean(x, { axis: 0 }), [4, 3])).toEqual({ kind: "statistic" });
    expect(roleOfOutput((x, w) => np.mul(np.sqrt(np.mean(np.square(x), { axis: 0 })), w), [4, 3], [3])).toEqual({ kind: "statistic" });
    expect(roleOfOutput((x) => np.sum(x, { axis: 1 }), [4, 3])).toEqual({ kind: "batch", axis: 0 });
    // xᵀx sums over the examples (a Gram matrix of features).
    expect(roleOfOutput((x) => np.matmul(np.transpose(x), x), [4, 3])).toEqual({ kind: "statistic" });
  });

  it("transposes and row-major reshapes track the axis; merging or gathering the examples entangles them", () => {
    expect(roleOfOutput((x) => np.transpose(x), [4, 3])).toEqual({ kind: "batch", axis: 1 });
    expect(roleOfOutput((x) => np.reshape(x, [4, 2, 3]), [4, 6])).toEqual({ kind: "batch", axis: 0 });
    expect(roleOfOutput((x) => np.reshape(x, [24]), [4, 6]).kind).toBe("entangled");
    expect(roleOfOutput((x) => np.take(x, [1, 0, 3, 2], 0), [4, 6])).toEqual({ kind: "entangled", reason: "take gathers along the example axis (it reorders or picks examples)" });
    expect(roleOfOutput((x) => np.take(x, [1, 0], 1), [4, 6])).toEqual({ kind: "batch", axis: 0 });
  });

  it("values that do not depend on x are independent", () => {
    expect(roleOfOutput((_x, w) => np.exp(w), [4, 3], [3])).toEqual({ kind: "independent" });
  });
});
