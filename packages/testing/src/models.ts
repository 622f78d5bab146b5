import fc from "fast-check";
import { np, type Array } from "@mmx/core";
import * as nn from "@mmx/nn";
import { key } from "@mmx/random";

/**
 * Random models for property tests: a stack of blocks, each a dense or conv layer followed by an
 * activation, ending in a dense (affine) head. Every block and the head is a tagged boundary
 * (nn.sequential tags its children), so boundary i >= 1 is the output of block i − 1 and the last
 * boundary is the head's output. Models hold no batch statistics, so every example is processed
 * independently of the others.
 */
export interface RandomModel {
  readonly description: string;
  readonly model: nn.Sequential;
  /** Input shape with the batch first. */
  readonly inputShape: readonly number[];
  readonly numClasses: number;
  /** Boundaries before the head: mixing at any of these is valid (0 = the input). */
  readonly mixableBoundaries: number;
  /** Parameters from a seed (PyTorch's default initialisation). */
  init(seed: number): nn.ParamTree;
  /** The plain model function, `(params, x) => logits`. */
  apply(params: nn.ParamTree, x: Array): Array;
}

export type Activation = "relu" | "tanh" | "gelu";
const ACTIVATIONS: Record<Activation, nn.Layer> = { relu: nn.relu, tanh: nn.tanh, gelu: nn.gelu };

interface Spec {
  batch: number;
  input: { kind: "vector"; features: number } | { kind: "image"; size: number; channels: number };
  convs: { channels: number; kernel: number; activation: Activation }[];
  denses: { features: number; activation: Activation }[];
  classes: number;
}

const specArb = (activations: readonly Activation[]): fc.Arbitrary<Spec> => {
  const activation = fc.constantFrom<Activation>(...activations);
  return fc.record({
  batch: fc.integer({ min: 2, max: 6 }),
  input: fc.oneof(
    fc.record({ kind: fc.constant("vector" as const), features: fc.integer({ min: 1, max: 6 }) }),
    fc.record({ kind: fc.constant("image" as const), size: fc.integer({ min: 3, max: 6 }), channels: fc.integer({ min: 1, max: 3 }) }),
  ),
  convs: fc.array(fc.record({ channels: fc.integer({ min: 1, max: 4 }), kernel: fc.constantFrom(1, 3), activation }), { maxLength: 2 }),
  denses: fc.array(fc.record({ features: fc.integer({ min: 1, max: 8 }), activation }), { minLength: 1, maxLength: 3 }),
  classes: fc.integer({ min: 2, max: 5 }),
  });
};

function build(spec: Spec): RandomModel {
  const blocks: nn.Layer[] = [];
  const parts: string[] = [];
  const image = spec.input.kind === "image";
  if (image) {
    for (const c of spec.convs) {
      blocks.push(nn.block([nn.conv2d(c.channels, c.kernel, { padding: "SAME" }), ACTIVATIONS[c.activation]]));
      parts.push(`conv${c.kernel}x${c.kernel}(${c.channels})+${c.activation}`);
    }
    blocks.push(nn.flatten);
    parts.push("flatten");
  }
  for (const d of spec.denses) {
    blocks.push(nn.block([nn.dense(d.features), ACTIVATIONS[d.activation]]));
    parts.push(`dense(${d.features})+${d.activation}`);
  }
  blocks.push(nn.dense(spec.classes));
  parts.push(`dense(${spec.classes})`);
  const model = nn.sequential(blocks);
  const inputShape = spec.input.kind === "image" ? [spec.batch, spec.input.size, spec.input.size, spec.input.channels] : [spec.batch, spec.input.features];
  const description = `[${inputShape}] -> ${parts.join(" -> ")}`;
  const rm: RandomModel = {
    description,
    model,
    inputShape,
    numClasses: spec.classes,
    mixableBoundaries: blocks.length,
    init: (seed) => model.init(key(seed), [-1, ...inputShape.slice(1)]).params,
    apply: (params, x) => model.apply(params, x).out,
  };
  // How fast-check prints a counterexample: the architecture, not the functions.
  return Object.assign(rm, { [fc.toStringMethod]: () => description });
}

export interface RandomModelOptions {
  /** Activations to draw from (default all). Smooth ones only (tanh, gelu) never leave a layer without gradient. */
  activations?: readonly Activation[];
}

export const randomModel = (opts: RandomModelOptions = {}): fc.Arbitrary<RandomModel> => specArb(opts.activations ?? ["relu", "tanh", "gelu"]).map(build);

/** Deterministic inputs in [-1, 1] for a shape (a tiny LCG: tests need no PRNG of their own). */
export function inputFor(shape: readonly number[], seed: number): Array {
  let s = seed >>> 0 || 1;
  const n = shape.reduce((a, b) => a * b, 1);
  const values = Float32Array.from({ length: n }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1);
  return np.array(values, { shape });
}

/** A permutation arbitrary of length n, and an involutive one (a product of disjoint swaps). */
export const permutationOf = (n: number) => fc.shuffledSubarray(globalThis.Array.from({ length: n }, (_, i) => i), { minLength: n, maxLength: n });

export const involutionOf = (n: number) =>
  permutationOf(n).chain((order) =>
    fc.array(fc.boolean(), { minLength: n >> 1, maxLength: n >> 1 }).map((swaps) => {
      const p = globalThis.Array.from({ length: n }, (_, i) => i);
      swaps.forEach((swap, j) => {
        if (!swap) return;
        const a = order[2 * j]!;
        const b = order[2 * j + 1]!;
        [p[a], p[b]] = [b, a];
      });
      return p;
    }),
  );
