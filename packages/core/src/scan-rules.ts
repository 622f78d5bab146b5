import type { Array } from "./array.js";
import { ShapedArray } from "./aval.js";
import { vjpFlat } from "./autodiff.js";
import { isFloat } from "./dtype.js";
import type { ScanParams } from "./higher-order.js";
import { evalJaxpr, Jaxpr } from "./jaxpr.js";
import { jvpFlat } from "./jvp.js";
import * as np from "./np.js";
import { bindScan, traceBody } from "./scan.js";
import { vmapFlat } from "./vmap.js";

/**
 * The rules of scan for jvp, grad and vmap. Each transforms the body (by tracing the transform of its
 * program) and binds another scan, so a transformed scan is still one loop, at whatever level it runs:
 * eagerly, or staged into a program under jit.
 */

/** The body as a function of its binders. */
const bodyFn = (body: Jaxpr) => (...args: Array[]) => evalJaxpr(body, args);

/** Splits a scan's operands into its three groups. */
function groups<T>(xs: readonly T[], p: ScanParams): [T[], T[], T[]] {
  return [xs.slice(0, p.numConsts), xs.slice(p.numConsts, p.numConsts + p.numCarry), xs.slice(p.numConsts + p.numCarry)];
}

const zerosOf = (a: ShapedArray) => np.zeros(a.shape, a.dtype);
const indicesWhere = <T>(xs: readonly T[], keep: (x: T, i: number) => boolean) => xs.flatMap((x, i) => (keep(x, i) ? [i] : []));

/**
 * Forward mode: a scan over primals and tangents together. Float carries always carry a tangent (a zero one
 * may become nonzero in later steps); constants and xs carry one only where it is not a symbolic zero.
 */
export function scanJvp(operands: readonly Array[], tangents: readonly (Array | null)[], p: ScanParams): { outs: Array[]; outTangents: (Array | null)[] } {
  const { body } = p;
  const [consts, carry, xs] = groups(operands, p);
  const [tConsts, tCarry, tXs] = groups(tangents, p);
  const constsT = indicesWhere(tConsts, (t, i) => t !== null && isFloat(consts[i]!.dtype));
  const carryT = indicesWhere(carry, (c) => isFloat(c.dtype));
  const xsT = indicesWhere(tXs, (t, i) => t !== null && isFloat(xs[i]!.dtype));
  const binders = body.inBinders.map((v) => v.aval);
  const [kAvals, cAvals, xAvals] = groups(binders, p);
  const numYs = body.outs.length - p.numCarry;
  const ysT = indicesWhere(body.outs.slice(p.numCarry), (o) => isFloat(o.aval.dtype));

  const step = (...flat: Array[]): Array[] => {
    let at = 0;
    const take = (n: number) => flat.slice(at, (at += n));
    const [k, tk, c, tc, x, tx] = [take(consts.length), take(constsT.length), take(carry.length), take(carryT.length), take(xs.length), take(xsT.length)];
    const full = (avals: ShapedArray[], which: number[], given: Array[]) => avals.map((a, i) => (which.includes(i) ? given[which.indexOf(i)]! : zerosOf(a)));
    const { outs, outTangents } = jvpFlat(bodyFn(body), [...k, ...c, ...x], [...full(kAvals, constsT, tk), ...full(cAvals, carryT, tc), ...full(xAvals, xsT, tx)]);
    return [...outs.slice(0, p.numCarry), ...carryT.map((i) => outTangents[i]!), ...outs.slice(p.numCarry), ...ysT.map((j) => outTangents[p.numCarry + j]!)];
  };
  const avals = [...kAvals, ...constsT.map((i) => kAvals[i]!), ...cAvals, ...carryT.map((i) => cAvals[i]!), ...xAvals, ...xsT.map((i) => xAvals[i]!)];
  const traced = traceBody(step, avals);
  const tangentOperand = (t: Array | null, a: Array) => t ?? np.zerosLike(a);
  const results = bindScan(
    [
      ...traced.consts,
      ...consts,
      ...constsT.map((i) => tConsts[i]!),
      ...carry,
      ...carryT.map((i) => tangentOperand(tCarry[i] ?? null, carry[i]!)),
      ...xs,
      ...xsT.map((i) => tXs[i]!),
    ],
    { ...p, body: traced.body, numConsts: traced.consts.length + consts.length + constsT.length, numCarry: carry.length + carryT.length },
  );
  const outCarry = results.slice(0, p.numCarry);
  const outCarryT = results.slice(p.numCarry, p.numCarry + carryT.length);
  const ys = results.slice(p.numCarry + carryT.length, p.numCarry + carryT.length + numYs);
  const ysTangents = results.slice(p.numCarry + carryT.length + numYs);
  const outTangents: (Array | null)[] = [
    ...carry.map((_, i) => (carryT.includes(i) ? outCarryT[carryT.indexOf(i)]! : null)),
    ...ys.map((_, j) => (ysT.includes(j) ? ysTangents[ysT.indexOf(j)]! : null)),
  ];
  return { outs: [...outCarry, ...ys], outTangents };
}

/**
 * The forward pass of grad: the scan, also emitting the carry each step starts from (stacked). These are the
 * residuals: the backward scan recomputes each step's forward from its carry (so per-step activations are
 * not stored; the step runs twice).
 */
export function scanForwardWithCarries(operands: readonly Array[], p: ScanParams): { outs: Array[]; carries: Array[] } {
  const { body } = p;
  const carryIn = body.inBinders.slice(p.numConsts, p.numConsts + p.numCarry);
  const withCarries = new Jaxpr([], body.inBinders, body.eqns, [...body.outs, ...carryIn]);
  const results = bindScan(operands, { ...p, body: withCarries });
  const n = body.outs.length;
  return { outs: results.slice(0, n), carries: results.slice(n) };
}

/**
 * Reverse mode: a scan in the opposite direction whose carry is the carry's cotangent and the constants'
 * accumulated cotangents, and whose step is the VJP of the body at the saved carry (recomputing its forward).
 * `cts` are the cotangents of the scan's results (null: zero); gives one per operand (null for non-float).
 */
export function scanVjp(cts: readonly (Array | null)[], operands: readonly Array[], carries: readonly Array[], p: ScanParams): (Array | null)[] {
  const { body, numCarry } = p;
  const [consts, carry, xs] = groups(operands, p);
  const [kAvals, cAvals, xAvals] = groups(
    body.inBinders.map((v) => v.aval),
    p,
  );
  const yAvals = body.outs.slice(numCarry).map((o) => o.aval);
  const floatK = indicesWhere(kAvals, (a) => isFloat(a.dtype));
  const floatC = indicesWhere(cAvals, (a) => isFloat(a.dtype));
  const floatX = indicesWhere(xAvals, (a) => isFloat(a.dtype));
  const floatY = indicesWhere(yAvals, (a) => isFloat(a.dtype));
  const outAvals = [...cAvals, ...yAvals.map((a) => new ShapedArray([p.length, ...a.shape], a.dtype))];
  const ctOf = (k: number) => cts[k] ?? zerosOf(outAvals[k]!);

  const step = (...flat: Array[]): Array[] => {
    let at = 0;
    const take = (n: number) => flat.slice(at, (at += n));
    const [k, ctC, ctKAcc, c, x, ctY] = [take(consts.length), take(floatC.length), take(floatK.length), take(carry.length), take(xs.length), take(floatY.length)];
    const { backward } = vjpFlat(bodyFn(body), [...k, ...c, ...x]);
    const outCts = [...cAvals.map((_, i) => (floatC.includes(i) ? ctC[floatC.indexOf(i)]! : null)), ...yAvals.map((_, j) => (floatY.includes(j) ? ctY[floatY.indexOf(j)]! : null))];
    const inCts = backward(outCts);
    const [ctK, ctCPrev, ctX] = groups(inCts, p);
    return [...floatC.map((i) => ctCPrev[i]!), ...floatK.map((i, n) => np.add(ctKAcc[n]!, ctK[i]!)), ...floatX.map((i) => ctX[i]!)];
  };
  const avals = [
    ...kAvals,
    ...floatC.map((i) => cAvals[i]!),
    ...floatK.map((i) => kAvals[i]!),
    ...cAvals,
    ...xAvals,
    ...floatY.map((j) => yAvals[j]!),
  ];
  const traced = traceBody(step, avals);
  const results = bindScan(
    [
      ...traced.consts,
      ...consts,
      ...floatC.map((i) => ctOf(i)),
      ...floatK.map((i) => zerosOf(kAvals[i]!)),
      ...carries,
      ...xs,
      ...floatY.map((j) => ctOf(numCarry + j)),
    ],
    { body: traced.body, numConsts: traced.consts.length + consts.length, numCarry: floatC.length + floatK.length, length: p.length, reverse: !p.reverse },
  );
  const ctInit = results.slice(0, floatC.length);
  const ctConsts = results.slice(floatC.length, floatC.length + floatK.length);
  const ctXs = results.slice(floatC.length + floatK.length);
  return [
    ...consts.map((_, i) => (floatK.includes(i) ? ctConsts[floatK.indexOf(i)]! : null)),
    ...carry.map((_, i) => (floatC.includes(i) ? ctInit[floatC.indexOf(i)]! : null)),
    ...xs.map((_, i) => (floatX.includes(i) ? ctXs[floatX.indexOf(i)]! : null)),
  ];
}

/** Moves the leading axis of x to position 1 ([T, B, ...] <-> [B, T, ...]). */
const swapLeading = (x: Array) => np.transpose(x, [1, 0, ...x.shape.slice(2).map((_, i) => i + 2)]);

/**
 * vmap: a scan whose body is the batched body. The carry is batched throughout (an unbatched init is
 * broadcast: a batched constant or x would make it batched after one step anyway); batched xs ([B, T, ...])
 * are scanned as [T, B, ...], and the ys come back as [B, T, ...]. Results have the batch axis first.
 */
export function scanBatch(operands: readonly Array[], batched: readonly boolean[], p: ScanParams, size: number): Array[] {
  const { body } = p;
  const [consts, carry, xs] = groups(operands, p);
  const [bK, bC, bX] = groups(batched, p);
  const batchedCarry = carry.map((c, i) => (bC[i] ? c : np.broadcastTo(np.reshape(c, [1, ...c.shape]), [size, ...c.shape])));
  const scannedXs = xs.map((x, i) => (bX[i] ? swapLeading(x) : x));
  const flags = [...bK, ...carry.map(() => true), ...bX];
  const withBatch = (a: ShapedArray, b: boolean) => (b ? new ShapedArray([size, ...a.shape], a.dtype) : a);
  const avals = body.inBinders.map((v, i) => withBatch(v.aval, flags[i]!));
  const traced = traceBody((...flat) => vmapFlat(bodyFn(body), flat, flags, size).outs, avals);
  const results = bindScan([...traced.consts, ...consts, ...batchedCarry, ...scannedXs], { ...p, body: traced.body, numConsts: traced.consts.length + consts.length });
  return [...results.slice(0, p.numCarry), ...results.slice(p.numCarry).map(swapLeading)];
}

