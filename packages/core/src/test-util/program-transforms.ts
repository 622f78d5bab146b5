import { grad, jit, jvp, np, vjp, vmap, type Array as MxArray } from "../index.js";
import { expectAllClose } from "./close.js";
import { build, inputs, type Step } from "./random-programs.js";

/**
 * The transform properties over random programs, shared by core's suites (eager and jitted, on every backend
 * under test) and the onnx executor's (jitted): each makes a program, its inputs, the transformed functions and
 * the references they must equal; the suite picks which of them it runs, jitted or not, and what it holds them to.
 */

/** A drawn random program: see `program` in random-programs.ts. */
export interface RandomProgram {
  m: number;
  n: number;
  steps: Step[];
  seed: number;
}

/** The i-th example of a batch: the slice at i along axis 0, without that axis. */
export const example = (x: MxArray, i: number) => np.squeeze(np.slice(x, [i, ...x.shape.slice(1).map(() => 0)], [1, ...x.shape.slice(1)]), 0);

/** <a, b>: the sum of the elementwise product. */
export const dot = (a: MxArray, b: MxArray) => np.sum(np.mul(a, b));

/** `size` examples of a program's two data inputs, stacked along a new axis 0, and one weight (the first example's). */
export const batchOf = (m: number, n: number, seed: number, size: number) => {
  const examples = Array.from({ length: size }, (_, i) => inputs(m, n, seed + 7 * i));
  return [np.stack(examples.map((e) => e[0])), np.stack(examples.map((e) => e[1])), examples[0]![2]] as const;
};

/** vmap(f) over a batch, the weight shared or mapped (each example's a scaled copy), and the stacked f(x_i) it must equal. */
export function vmapAgainstStacked({ m, n, steps, seed }: RandomProgram, size: number, mapWeights: boolean) {
  const f = build(steps);
  const [xs, ys, w0] = batchOf(m, n, seed, size);
  const w = mapWeights ? np.stack(Array.from({ length: size }, (_, i) => np.mul(w0, 1 - 0.3 * i))) : w0;
  const inAxes = [0, 0, mapWeights ? 0 : null];
  const stacked = np.stack(Array.from({ length: size }, (_, i) => f(example(xs, i), example(ys, i), mapWeights ? example(w, i) : w)));
  return { vmapped: vmap(f, { inAxes }) as (...args: MxArray[]) => MxArray, args: [xs, ys, w], stacked };
}

/**
 * The gradient of the program's sum with respect to the shared weight: vmap(grad) must stack the per-example
 * gradients, grad(vmap) must be their sum.
 */
export function perExampleGradients({ m, n, steps, seed }: RandomProgram, size: number) {
  const f = build(steps);
  const loss = (x: MxArray, y: MxArray, w: MxArray) => np.sum(f(x, y, w));
  const [xs, ys, w] = batchOf(m, n, seed, size);
  const inAxes = [0, 0, null];
  const perExample = Array.from({ length: size }, (_, i) => grad(loss, { argnums: 2 })(example(xs, i), example(ys, i), w) as MxArray);
  const total = (x: MxArray, y: MxArray, ww: MxArray) => np.sum(vmap(loss, { inAxes })(x, y, ww) as MxArray);
  return {
    args: [xs, ys, w],
    stacked: np.stack(perExample),
    summed: perExample.reduce((a, b) => np.add(a, b)),
    vmapGrad: vmap(grad(loss, { argnums: 2 }), { inAxes }) as (...args: MxArray[]) => MxArray,
    gradVmap: grad(total, { argnums: 2 }) as (...args: MxArray[]) => MxArray,
  };
}

/**
 * The program f at its inputs x, its jvp along the directions v made from x, jit(jvp(f)), and vjp(f) of the
 * cotangent u made from the output: `values.reverse` holds <v_j, vjp(f)(u)_j> for each input, whose sum must
 * equal <jvp(f)(x; v), u>.
 */
export function jvpAndVjp({ m, n, steps, seed }: RandomProgram, directions: (args: MxArray[]) => MxArray[], cotangent: (out: MxArray) => MxArray) {
  const f = build(steps);
  const args = inputs(m, n, seed);
  const vs = directions(args);
  const [out, tangent] = jvp(f, args, vs) as [MxArray, MxArray];
  const u = cotangent(out);
  const [, pullback] = vjp(f, ...args);
  const cts = pullback(u) as MxArray[];
  const [jitOut, jitTangent] = jit((...xs: MxArray[]) => jvp(f, xs, vs))(...args) as [MxArray, MxArray];
  return { f, args, vs, u, values: { out, tangent, jitOut, jitTangent, reverse: cts.map((ct, j) => dot(ct, vs[j]!)) } };
}

/** <jvp(f)(x; v), u> = <v, vjp(f)(x)(u)>, from the values read back. */
export function expectTransposed(forward: readonly number[], reverse: readonly (readonly number[])[]): void {
  expectAllClose(forward, [reverse.reduce((acc, d) => acc + d[0]!, 0)], { rtol: 1e-3, atol: 1e-4, what: "<jvp, u> vs <v, vjp(u)>" });
}
