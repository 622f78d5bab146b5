import { ShapedArray } from "./aval.js";
import type { ScanParams } from "./higher-order.js";

/** A scan whose operands do not fit its body: names the operand and both types. */
export class ScanTypeError extends TypeError {
  override readonly name = "ScanTypeError";
}

/** The type of one slice of a scanned operand: its leading (length) axis dropped. */
export const sliceAval = (x: ShapedArray): ShapedArray => new ShapedArray(x.shape.slice(1), x.dtype);
/** The type of `length` stacked slices. */
export const stackedAval = (y: ShapedArray, length: number): ShapedArray => new ShapedArray([length, ...y.shape], y.dtype);

/**
 * The shape rule of scan: checks the operands `[consts, init carry, xs]` against the body's binders and its
 * carry outputs against its carry inputs, and gives the results `[final carry, stacked ys]`.
 */
export function scanOutAvals(inAvals: readonly ShapedArray[], p: ScanParams): ShapedArray[] {
  const { body, numConsts, numCarry, length } = p;
  if (!Number.isInteger(length) || length < 0) throw new ScanTypeError(`scan: length must be a non-negative integer, got ${length}`);
  if (body.constVars.length !== 0) throw new ScanTypeError("scan: the body must be closed (its constants are leading operands)");
  if (inAvals.length !== body.inBinders.length) throw new ScanTypeError(`scan: ${inAvals.length} operands for a body of ${body.inBinders.length} inputs`);
  inAvals.forEach((a, i) => {
    const role = i < numConsts ? `constant ${i}` : i < numConsts + numCarry ? `carry ${i - numConsts}` : `xs ${i - numConsts - numCarry}`;
    let perStep = a;
    if (i >= numConsts + numCarry) {
      if (a.ndim === 0 || a.shape[0] !== length) throw new ScanTypeError(`scan: ${role} is ${a}, which has no leading axis of length ${length}`);
      perStep = sliceAval(a);
    }
    const expected = body.inBinders[i]!.aval;
    if (!perStep.equals(expected)) throw new ScanTypeError(`scan: ${role} is ${perStep} per step, the body takes ${expected}`);
  });
  if (body.outs.length < numCarry) throw new ScanTypeError(`scan: the body returns ${body.outs.length} values for a carry of ${numCarry}`);
  body.outs.slice(0, numCarry).forEach((o, k) => {
    const carryIn = body.inBinders[numConsts + k]!.aval;
    if (!o.aval.equals(carryIn)) throw new ScanTypeError(`scan: the body returns carry ${k} as ${o.aval}, but takes it as ${carryIn}; the carry must keep its shape and dtype`);
  });
  return body.outs.map((o, k) => (k < numCarry ? o.aval : stackedAval(o.aval, length)));
}
