import { describe, expect, it } from "vitest";
import * as nn from "@mmx/nn";
import * as random from "@mmx/random";
import { dispose } from "@mmx/core";
import { annotatedJaxpr, insertedEquations } from "./jaxpr-diff.js";
import { stepJaxprs } from "./step-jaxpr.js";

const model = nn.spiralNet({ hidden: 8 });
const params = model.init(random.key(0), [-1, 2]).params;

describe("the mixed step's jaxpr, with what mixup inserted", () => {
  it("marks exactly the interpolations of the hidden state and of the targets (λ per batch)", () => {
    const bottleneck = model.paperBoundaries[3]!;
    const { clean, mixed } = stepJaxprs(model, params, bottleneck, { batch: 4, perExample: false, view: "forward" });
    const inserted = [...insertedEquations(clean, mixed)].map((i) => mixed.jaxpr.eqns[i]!);
    // λ·h + (1−λ)·h[perm], twice: once on the bottleneck codes f32[4,2], once on the one-hot targets f32[4,2].
    expect(mixed.jaxpr.eqns.length - clean.jaxpr.eqns.length).toBe(inserted.length);
    const gathers = inserted.filter((e) => e.primitive === "take");
    expect(gathers).toHaveLength(2);
    expect(inserted.every((e) => ["take", "mul", "sub", "add"].includes(e.primitive))).toBe(true);
    // The hidden-state gather reads the bottleneck's tagged output.
    const tagged = mixed.jaxpr.eqns.filter((e) => e.primitive === "tag").map((e) => e.out);
    expect(tagged).toContain(gathers[0]!.inputs[0]);
  });

  it("annotates every printed equation line, and the gradient step keeps the insertions marked", () => {
    const { clean, mixed } = stepJaxprs(model, params, 0, { batch: 4, perExample: true, view: "step" });
    const lines = annotatedJaxpr(clean, mixed);
    expect(lines).toHaveLength(mixed.jaxpr.eqns.length + 2);
    expect(lines[0]!.text).toMatch(/^\{ lambda /);
    const marked = lines.filter((l) => l.inserted);
    expect(marked.length).toBeGreaterThan(4);
    expect(marked.length).toBeLessThan(lines.length / 2);
  });
});

dispose(params);
