import fc from "fast-check";
import { beforeAll, describe, it } from "vitest";
import { jit, np, tag, tidy, type Array } from "@mmx/core";
import { assertAllClose, describePlan, EXECUTOR_ONLY_BACKENDS, inputFor, permutationOf, planBackends, propertyRuns, readTree, useTestBackend } from "@mmx/testing";
import * as nn from "@mmx/nn";
import { key } from "@mmx/random";
import { mixup } from "./index.js";

/**
 * The cut-point invariant on random residual programs: mixing at boundary k equals running the program up
 * to k's tag on the batch, interpolating by hand every per-example value that is still read afterwards
 * (skip paths included; batch statistics left as they are), and running the rest on what crossed. The
 * reference finds the crossing values from the program's own op list, not from the traced IR. With bn: "clean",
 * every batch statistic the rest computes is the clean run's instead. Eager and jitted, on every backend under test.
 */
const plan = await planBackends(undefined, { exclude: EXECUTOR_ONLY_BACKENDS });
if (!process.env["MMX_PLAN_FILE"]) console.log(describePlan(plan));

const RUNS = 12;
const TOL = { rtol: 1e-4, atol: 1e-5 };

/** Values are numbered: 0 is x, op i makes value i + 1. "stat" makes a batch mean ([D]); every other op a per-example [B, D]. */
type Op =
  | { kind: "dense"; a: number }
  | { kind: "add"; a: number; b: number }
  | { kind: "stat"; a: number }
  | { kind: "norm"; a: number; s: number }
  | { kind: "tag"; a: number };

interface Program {
  batch: number;
  width: number;
  classes: number;
  ops: Op[];
  /** The values the head reads (summed): the last per-example value and one more. */
  outputs: number[];
  /** The boundary to mix at: 0 = the input, i = the i-th tag op. */
  k: number;
  lambda: number;
  perm: number[];
  seed: number;
}

const programArb: fc.Arbitrary<Program> = fc
  .record({
    batch: fc.integer({ min: 2, max: 5 }),
    width: fc.integer({ min: 1, max: 4 }),
    classes: fc.integer({ min: 2, max: 3 }),
    raw: fc.array(fc.record({ op: fc.integer({ min: 0, max: 5 }), a: fc.nat(), b: fc.nat() }), { minLength: 2, maxLength: 9 }),
    extra: fc.nat(),
    k: fc.nat(),
    lambda: fc.integer({ min: 0, max: 20 }).map((i) => i / 20),
    seed: fc.integer({ min: 1, max: 1e6 }),
  })
  .chain((r) => {
    const perExample = [0];
    const stats: number[] = [];
    const ops: Op[] = [];
    const pick = (list: number[], i: number) => list[i % list.length]!;
    for (const { op, a, b } of [...r.raw, { op: 5, a: r.extra, b: 0 }]) {
      const made = ops.length + 1;
      if (op === 0 || op === 1) ops.push({ kind: "dense", a: pick(perExample, a) });
      else if (op === 2) ops.push({ kind: "add", a: pick(perExample, a), b: pick(perExample, b) });
      else if (op === 3) {
        ops.push({ kind: "stat", a: pick(perExample, a) });
        stats.push(made);
        continue;
      } else if (op === 4 && stats.length > 0) ops.push({ kind: "norm", a: pick(perExample, a), s: pick(stats, b) });
      else ops.push({ kind: "tag", a: pick(perExample, a) });
      perExample.push(made);
    }
    const tags = ops.filter((o) => o.kind === "tag").length;
    return permutationOf(r.batch).map((perm) => ({
      batch: r.batch,
      width: r.width,
      classes: r.classes,
      ops,
      outputs: [perExample[perExample.length - 1]!, pick(perExample, r.extra)],
      k: r.k % (tags + 1),
      lambda: r.lambda,
      perm,
      seed: r.seed,
    }));
  });

type Params = { w: Array[]; b: Array[]; head: Array };

function paramsFor(p: Program): Params {
  const dense = p.ops.map((_, i) => i);
  return {
    w: dense.map((i) => np.mul(inputFor([p.width, p.width], p.seed + 17 * i), 0.9)),
    b: dense.map((i) => np.mul(inputFor([p.width], p.seed + 31 * i), 0.1)),
    head: inputFor([p.width, p.classes], p.seed + 7),
  };
}

/**
 * Runs the program; `after(t, values)` may replace values once op t has run (t = -1: before the first op), and
 * `statOf(j)` may give the value a "stat" op making value j takes instead of computing it.
 */
function run(p: Program, params: Params, x: Array, after?: (t: number, values: Array[]) => void, statOf?: (j: number) => Array | undefined): Array {
  const values: Array[] = [x];
  after?.(-1, values);
  let tagCount = 0;
  p.ops.forEach((op, i) => {
    const v = (j: number) => values[j]!;
    if (op.kind === "dense") values.push(np.tanh(np.add(np.matmul(v(op.a), params.w[i]!), params.b[i]!)));
    else if (op.kind === "add") values.push(np.add(v(op.a), v(op.b)));
    else if (op.kind === "stat") values.push(statOf?.(i + 1) ?? np.mean(v(op.a), { axis: 0 }));
    else if (op.kind === "norm") values.push(np.mul(np.sub(v(op.a), v(op.s)), 0.5));
    else values.push(tag(v(op.a), `t${++tagCount}`));
    after?.(i, values);
  });
  const summed = p.outputs.slice(1).reduce((acc, j) => np.add(acc, values[j]!), values[p.outputs[0]!]!);
  return np.matmul(summed, params.head);
}

/**
 * The reference: values made up to the tag (or x for k = 0) and read later are interpolated by hand; statistics
 * are left. With `cleanStats`, every statistic after the tag is the one the clean batch gives.
 */
function byHand(p: Program, params: Params, x: Array, cleanStats = false): Array {
  const tagOps = p.ops.flatMap((o, i) => (o.kind === "tag" ? [i] : []));
  const at = p.k === 0 ? -1 : tagOps[p.k - 1]!;
  const perm = np.array(p.perm, { dtype: "int32" });
  const readLater = new Set<number>(p.outputs);
  p.ops.forEach((op, i) => {
    if (i <= at) return;
    for (const j of op.kind === "add" ? [op.a, op.b] : op.kind === "norm" ? [op.a, op.s] : [op.a]) readLater.add(j);
  });
  const isStat = (j: number) => j > 0 && p.ops[j - 1]!.kind === "stat";
  const clean: Array[] = [];
  if (cleanStats) run(p, params, x, (t, values) => (clean[t + 1] = values[t + 1]!));
  return run(
    p,
    params,
    x,
    (t, values) => {
      if (t !== at) return;
      for (let j = 0; j < values.length; j++) {
        if (!readLater.has(j) || isStat(j)) continue;
        values[j] = np.add(np.mul(values[j]!, p.lambda), np.mul(np.take(values[j]!, perm), 1 - p.lambda));
      }
    },
    (j) => (cleanStats ? clean[j] : undefined),
  );
}

for (const backend of plan.run) {
  describe(`${backend}: cut-point mixing on random residual programs`, () => {
    beforeAll(async () => {
      await useTestBackend(backend);
    });

    for (const bn of ["mixed", "clean"] as const) {
      const what = bn === "mixed" ? "" : ", with every batch statistic after the cut taken from the clean batch";
      it(`bn: "${bn}": equals the prefix, every crossing value mixed by hand, then the suffix${what} (eager and jitted)`, async () => {
        await fc.assert(
          fc.asyncProperty(programArb, async (p) => {
            const v = await readTree(
              tidy(() => {
                const params = paramsFor(p);
                const x = inputFor([p.batch, p.width], p.seed + 1);
                const y = np.array(p.perm.map((i) => i % p.classes), { dtype: "int32" });
                const f = (q: Params, xs: Array) => run(p, q, xs);
                const mixed = (q: Params, xs: Array, ys: Array, perm: Array) => mixup(p.k, p.lambda, { bn, onWarning: () => {} })(f)(q, xs, ys, perm).out;
                const perm = np.array(p.perm, { dtype: "int32" });
                return { eager: mixed(params, x, y, perm), jitted: jit(mixed)(params, x, y, perm), expected: byHand(p, params, x, bn === "clean") };
              }),
            );
            assertAllClose(v.eager, v.expected, { ...TOL, what: `eager, k=${p.k}` });
            assertAllClose(v.jitted, v.expected, { ...TOL, what: `jitted, k=${p.k}` });
          }),
          { numRuns: propertyRuns(backend, RUNS), seed: 1806 },
        );
      });
    }

    it("on nn's PreActResNet18 (training mode): equals the blocks before k, the crossing value mixed by hand, the blocks after (eager and jitted)", async () => {
      const model = nn.preActResNet18(3, { initialChannels: 2 });
      const L = model.layers as Record<string, nn.Sequential>;
      // The chain of units in program order: the stem, each block of each stage, the head; the boundary names after each.
      const units: { layer: nn.Layer; path: string[]; ends: string[] }[] = [{ layer: L["conv1"]!, path: ["conv1"], ends: ["conv1"] }];
      for (const stage of ["layer1", "layer2", "layer3", "layer4"]) {
        const blocks = L[stage]!.names;
        blocks.forEach((b, i) => units.push({ layer: L[stage]!.layers[b]!, path: [stage, b], ends: [`${stage}.${b}`, ...(i === blocks.length - 1 ? [stage] : [])] }));
      }
      units.push({ layer: L["head"]!, path: ["head"], ends: ["head"] });
      const at = (t: unknown, path: string[]) => path.reduce((o, k) => (o as Record<string, unknown> | undefined)?.[k], t);
      const perm = [2, 0, 1];
      for (const name of ["conv1", "layer1.0", "layer2"]) {
        const v = await readTree(
          tidy(() => {
            const { params, state } = model.init(key(7), [-1, 32, 32, 3]);
            const x = inputFor([3, 32, 32, 3], 8);
            const y = np.array([0, 1, 2], { dtype: "int32" });
            const forward = (p: nn.ParamTree, xs: Array, st: unknown) => model.apply(p, xs, { train: true, state: st });
            const mixed = (p: nn.ParamTree, xs: Array, st: unknown) => mixup(name, 0.6)(forward)(p, xs, y, perm, st).out;
            let h = x;
            for (const u of units) {
              h = u.layer.apply((at(params, u.path) ?? {}) as nn.ParamTree, h, { train: true, state: at(state, u.path) ?? {} }).out;
              if (u.ends.includes(name)) h = np.add(np.mul(h, 0.6), np.mul(np.take(h, np.array(perm, { dtype: "int32" })), 0.4));
            }
            return { eager: mixed(params, x, state), jitted: jit(mixed)(params, x, state), expected: h };
          }),
        );
        assertAllClose(v.eager, v.expected, { ...TOL, what: `eager at ${name}` });
        assertAllClose(v.jitted, v.expected, { ...TOL, what: `jitted at ${name}` });
      }
    });
  });
}
