/**
 * The contract between nn's layers and the executors' fusions: a dense or conv layer with a bias
 * followed by relu traces to the linear + bias + relu pattern that both executors match (core's
 * fusion-patterns.ts), in the forward pass and inside a gradient; so a change in how a layer is
 * written cannot silently turn the fused kernels off.
 */
import { describe, expect, it } from "vitest";
import { grad, linearBiasReluGroups, makeJaxpr, np, type Array, type Jaxpr } from "@mmx/core";
import { key } from "@mmx/random";
import { conv2d, dense, flatten, relu, sequential, type Layer, type ParamTree } from "./index.js";

const groupsOf = (jaxpr: Jaxpr) => linearBiasReluGroups(jaxpr).map((g) => `${g.linear.primitive}+add${g.relu ? "+relu" : ""}`);

function traced(model: Layer, inputShape: number[]) {
  const { params } = model.init(key(1), inputShape);
  const x = np.zeros(inputShape);
  const forward = (p: ParamTree, xb: Array) => model.apply(p, xb).out;
  const loss = (p: ParamTree, xb: Array) => np.sum(np.square(forward(p, xb)));
  return { forward: makeJaxpr(forward)(params, x).jaxpr, backward: makeJaxpr(grad(loss))(params, x).jaxpr };
}

describe("nn layers produce the fusable linear + bias + relu equations", () => {
  it("dense -> relu, in the forward pass and in the gradient's", () => {
    const model = sequential({ h: dense(8), a: relu, out: dense(3) }, { inputShape: [-1, 5] });
    const { forward, backward } = traced(model, [4, 5]);
    expect(groupsOf(forward)).toEqual(["matmul+add+relu", "matmul+add"]);
    expect(groupsOf(backward)).toEqual(["matmul+add+relu", "matmul+add"]);
  });

  it("conv2d -> relu, in the forward pass and in the gradient's", () => {
    const model = sequential({ c: conv2d(4, 3, { padding: 1 }), a: relu, f: flatten, out: dense(2) }, { inputShape: [-1, 6, 6, 2] });
    const { forward, backward } = traced(model, [2, 6, 6, 2]);
    expect(groupsOf(forward)).toEqual(["conv+add+relu", "matmul+add"]);
    expect(groupsOf(backward)).toEqual(["conv+add+relu", "matmul+add"]);
  });

  it("relu is one relu equation, whose gradient reads its output", () => {
    const f = (x: Array) => relu.apply({}, x).out;
    const fwd = makeJaxpr(f)(np.zeros([3])).jaxpr;
    expect(fwd.eqns.map((e) => e.primitive)).toEqual(["relu"]);
    const back = makeJaxpr(grad((x: Array) => np.sum(f(x))))(np.zeros([3])).jaxpr;
    const reluEqn = back.eqns.find((e) => e.primitive === "relu")!;
    const mask = back.eqns.find((e) => e.primitive === "greater")!;
    expect(mask.inputs[0]).toBe(reluEqn.out);
  });
});
