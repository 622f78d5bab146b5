import { Array } from "./array.js";
import type { ShapedArray } from "./aval.js";
import { DeviceArray } from "./device-array.js";
import type { ScanParams } from "./higher-order.js";
import { evalJaxpr, Jaxpr } from "./jaxpr.js";
import { describeValue, traceFlat } from "./jaxpr-trace.js";
import { tidy } from "./memory.js";
import { dce } from "./passes.js";
import * as np from "./np.js";
import { scanOutAvals, ScanTypeError, sliceAval } from "./scan-shape.js";
import { bindMultiple } from "./trace.js";
import { firstDifference, flatten, leafPaths, unflatten, type PyTree, type TreeDef } from "./tree.js";

export { ScanTypeError } from "./scan-shape.js";

/** Binds a scan at whichever trace owns its operands (`[consts, init carry, xs]`); gives `[final carry, ys]`. */
export function bindScan(operands: readonly Array[], params: ScanParams): Array[] {
  const outAvals = scanOutAvals(
    operands.map((o) => o.aval),
    params,
  );
  return bindMultiple("scan", operands, params, outAvals, (ops) => runScanEagerly(ops, params, outAvals));
}

/** Slice i of a scanned operand, its leading axis dropped. */
export function sliceAt(x: Array, i: number): Array {
  return np.reshape(np.slice(x, [i, ...x.shape.slice(1).map(() => 0)], [1, ...x.shape.slice(1)]), x.shape.slice(1));
}

/** The eager scan: the body's program, evaluated once per step on the host; each step's temporaries freed at its end. */
function runScanEagerly(operands: readonly Array[], p: ScanParams, outAvals: readonly ShapedArray[]): Array[] {
  const { body, numConsts, numCarry, length, reverse } = p;
  const consts = operands.slice(0, numConsts);
  const xs = operands.slice(numConsts + numCarry);
  let carry = operands.slice(numConsts, numConsts + numCarry);
  const numYs = body.outs.length - numCarry;
  const ys: Array[][] = globalThis.Array.from({ length: numYs }, () => []);
  // Arrays the loop must not free: the operands (the caller's) and every y until it is stacked.
  const held = new Set<Array>(operands);
  for (let t = 0; t < length; t++) {
    const i = reverse ? length - 1 - t : t;
    const outs = tidy(() => evalJaxpr(body, [...consts, ...carry, ...xs.map((x) => sliceAt(x, i))]));
    const next = outs.slice(0, numCarry);
    outs.slice(numCarry).forEach((y, k) => {
      ys[k]![i] = y;
      held.add(y);
    });
    // A carry of the previous step that nothing holds any more is freed now, not when the loop ends.
    for (const c of carry) if (!held.has(c) && !next.includes(c)) disposeArray(c);
    carry = next;
  }
  const stacked = tidy(() => ys.map((list, k) => (length === 0 ? np.zeros(outAvals[numCarry + k]!.shape, outAvals[numCarry + k]!.dtype) : np.stack(list, 0))));
  const kept = new Set<Array>([...operands, ...carry]);
  for (const list of ys) for (const y of new Set(list)) if (!kept.has(y)) disposeArray(y);
  return [...carry, ...stacked];
}

const disposeArray = (a: Array) => {
  if (a instanceof DeviceArray) a.dispose();
};

/**
 * Stages a step function into a closed body: the values it closes over become leading operands (`consts`),
 * its own binders follow. How scan and its rules make the programs they bind.
 */
export function traceBody(fn: (...args: Array[]) => Array[], avals: readonly ShapedArray[]): { body: Jaxpr; consts: Array[] } {
  const { closed } = traceFlat(fn, avals);
  const { jaxpr } = closed;
  // Rules trace more than the body needs (a VJP step also computes the forward's outputs): drop that here, once.
  return { body: dce(new Jaxpr([], [...jaxpr.constVars, ...jaxpr.inBinders], jaxpr.eqns, jaxpr.outs)), consts: [...closed.consts] };
}

export interface ScanOptions {
  /** The number of steps; required when `xs` has no leaves, checked against their leading axis otherwise. */
  length?: number;
  /** Walk xs from the last slice to the first; ys keep each slice's index. */
  reverse?: boolean;
}

const arrayLeaf = (leaf: unknown, path: string, what: string): Array => {
  if (leaf instanceof Array) return leaf;
  if (typeof leaf === "number") return np.full([], leaf);
  throw new TypeError(`scan: ${what} leaf ${path} is ${describeValue(leaf)}; expected an array or a number`);
};

/**
 * `lax.scan(f, init, xs, { length, reverse })`: `f(carry, x) -> [carry, y]` applied over the leading axis of
 * `xs`, as one primitive (one program under jit, not a JS loop): returns `[final carry, ys]`, ys stacked on a
 * leading axis. `init`, `xs` and f's results are pytrees; the carry must keep its structure, shapes and
 * dtypes. Differentiable (grad, jvp), batchable (vmap) and compiled by every executor. Equals:
 * ```
 * let c = init; const ys = [];
 * for (let i = 0; i < length; i++) { const [c2, y] = f(c, xs[i]); c = c2; ys.push(y); }
 * return [c, stack(ys)];
 * ```
 */
export function scan<C, X, Y>(f: (carry: C, x: X) => readonly [C, Y], init: C, xs: X, opts: ScanOptions = {}): [C, Y] {
  if (typeof f !== "function") throw new TypeError(`scan: f must be a function (carry, x) => [carry, y], got ${describeValue(f)}`);
  const [initLeaves, carryTree] = flatten(init);
  const carryPaths = leafPaths(carryTree, "init");
  const carry = initLeaves.map((l, i) => arrayLeaf(l, carryPaths[i]!, "init"));
  const [xLeaves, xTree] = flatten(xs);
  const xPaths = leafPaths(xTree, "xs");
  const xArrays = xLeaves.map((l, i) => {
    if (!(l instanceof Array)) throw new TypeError(`scan: xs leaf ${xPaths[i]} is ${describeValue(l)}; expected an array with a leading axis to scan over`);
    if (l.ndim === 0) throw new TypeError(`scan: xs leaf ${xPaths[i]} is a scalar ${l.aval}; it has no leading axis to scan over`);
    return l;
  });
  let length = opts.length;
  if (length !== undefined && !(Number.isInteger(length) && length >= 0)) throw new RangeError(`scan: length must be a non-negative integer, got ${length}`);
  let lengthFrom = "the length option";
  xArrays.forEach((x, i) => {
    const n = x.shape[0]!;
    if (length === undefined) [length, lengthFrom] = [n, `xs leaf ${xPaths[i]} ${x.aval}`];
    else if (n !== length) throw new RangeError(`scan: xs leaf ${xPaths[i]} ${x.aval} has leading axis ${n}, but ${lengthFrom} says ${length}`);
  });
  if (length === undefined) throw new TypeError("scan: xs has no arrays, so the number of steps must be given as { length }");

  let yTree: TreeDef | undefined;
  const carryAvals = carry.map((c) => c.aval);
  const step = (...flat: Array[]): Array[] => {
    const c = unflatten<C>(carryTree, flat.slice(0, carry.length));
    const x = unflatten<X>(xTree, flat.slice(carry.length));
    const result = f(c, x) as unknown;
    if (!globalThis.Array.isArray(result) || result.length !== 2) throw new TypeError(`scan: f must return [carry, y], got ${describeValue(result)}`);
    const [cOut, cOutTree] = flatten(result[0]);
    if (!cOutTree.equals(carryTree)) throw new TypeError(`scan: f returns a carry whose structure differs from init's at ${firstDifference(cOutTree, carryTree) ?? "the root"}`);
    const cArrays = cOut.map((l, i) => arrayLeaf(l, carryPaths[i]!, "the returned carry's"));
    cArrays.forEach((a, i) => {
      if (!a.aval.equals(carryAvals[i]!)) throw new ScanTypeError(`scan: f returns carry ${carryPaths[i]} as ${a.aval}, but init has ${carryAvals[i]}; the carry must keep its shape and dtype`);
    });
    const [yLeaves, yt] = flatten(result[1] as PyTree);
    yTree = yt;
    const yPaths = leafPaths(yt, "y");
    return [...cArrays, ...yLeaves.map((l, i) => arrayLeaf(l, yPaths[i]!, "y"))];
  };
  const { body, consts } = traceBody(step, [...carryAvals, ...xArrays.map((x) => sliceAval(x.aval))]);
  const params: ScanParams = { body, numConsts: consts.length, numCarry: carry.length, length, reverse: opts.reverse ?? false };
  const operands = [...consts, ...carry, ...xArrays];
  const outs = body.outs.length === 0 ? [] : bindScan(operands, params);
  return [unflatten<C>(carryTree, outs.slice(0, carry.length)), unflatten<Y>(yTree!, outs.slice(carry.length))];
}

/**
 * `lax.foriLoop(lo, hi, body, init)`: `body(i, value)` for i = lo, ..., hi - 1 (i an int32 scalar array),
 * threading `value` (a pytree); a scan with static bounds, so grad, jvp, vmap and jit all apply.
 */
export function foriLoop<T>(lo: number, hi: number, body: (i: Array, value: T) => T, init: T): T {
  if (!Number.isInteger(lo) || !Number.isInteger(hi)) throw new TypeError(`foriLoop: lo and hi must be integers known when tracing, got ${describeValue(lo)} and ${describeValue(hi)}`);
  const step = ([i, v]: [Array, T], _x: null): [[Array, T], null] => [[np.add(i, 1), body(i, v)], null];
  const [[, value]] = scan(step, [np.full([], lo, "int32"), init] as [Array, T], null, {
    length: Math.max(0, hi - lo),
  });
  return value;
}
