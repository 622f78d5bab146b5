import type { Array } from "./array.js";
import type { ShapedArray } from "./aval.js";
import { bindCustomVjp, customVjpBatch } from "./custom-vjp.js";
import { isFloat } from "./dtype.js";
import type { HigherOrderParams, HigherOrderPrimitive } from "./higher-order.js";
import { evalJaxpr } from "./jaxpr.js";
import { jvpFlat } from "./jvp.js";
import * as np from "./np.js";
import { bindScan } from "./scan.js";
import { scanBatch, scanForwardWithCarries, scanJvp, scanVjp } from "./scan-rules.js";
import { scanOutAvals } from "./scan-shape.js";

/**
 * What every interpreter of a jaxpr needs of a higher-order primitive, in one table typed over them all: a
 * primitive added to `HigherOrderParams` does not compile until each rule exists. Executors inline or lower
 * them on their own (inline-higher-order.ts, and @mmx/onnx's Loop).
 */
export interface HigherOrderRules<P extends HigherOrderPrimitive> {
  /** The results' types (typecheckJaxpr). */
  outAvals(inAvals: readonly ShapedArray[], params: HigherOrderParams[P]): ShapedArray[];
  /** Applies it at whatever level the operands live (evalJaxpr, and every transform where no operand is transformed). */
  bind(operands: readonly Array[], params: HigherOrderParams[P]): Array[];
  /** Forward mode: results and their tangents (null: zero), from the operands' tangents (null: zero). */
  jvp(operands: readonly Array[], tangents: readonly (Array | null)[], params: HigherOrderParams[P]): { outs: Array[]; outTangents: (Array | null)[] };
  /** grad's forward pass, where some operand is differentiated: the results and what the backward pass reads. */
  vjpForward(operands: readonly Array[], active: readonly boolean[], params: HigherOrderParams[P]): { outs: Array[]; residuals: Array[] };
  /** grad's backward pass: each operand's cotangent (null: none) from the results' cotangents (null: zero). */
  vjpBackward(cts: readonly (Array | null)[], operands: readonly Array[], residuals: readonly Array[], params: HigherOrderParams[P]): (Array | null)[];
  /** vmap, where some operand is batched (batch axis first): the results, each batched. */
  batch(operands: readonly Array[], batched: readonly boolean[], params: HigherOrderParams[P], size: number): Array[];
}

export const higherOrderRules: { readonly [P in HigherOrderPrimitive]: HigherOrderRules<P> } = {
  scan: {
    outAvals: scanOutAvals,
    bind: bindScan,
    jvp: scanJvp,
    vjpForward: (operands, _active, p) => {
      const { outs, carries } = scanForwardWithCarries(operands, p);
      return { outs, residuals: carries };
    },
    vjpBackward: scanVjp,
    batch: scanBatch,
  },
  custom_vjp: {
    outAvals: (inAvals, p) => {
      p.body.inBinders.forEach((v, k) => {
        if (!inAvals[k] || !v.aval.equals(inAvals[k]!)) throw new TypeError(`operand ${k} is ${inAvals[k]}, f takes ${v.aval}`);
      });
      return p.body.outs.map((o) => o.aval);
    },
    bind: bindCustomVjp,
    // Forward mode differentiates f itself (the custom rule is reverse mode's).
    jvp: (operands, tangents, p) => {
      const { outs, outTangents } = jvpFlat((...xs) => evalJaxpr(p.body, xs), operands, operands.map((a, k) => tangents[k] ?? np.zerosLike(a)));
      return { outs, outTangents: outTangents.map((t, k) => (isFloat(outs[k]!.dtype) ? t : null)) };
    },
    vjpForward: (operands, active, p) => {
      const activeConst = active.slice(0, p.numConsts).indexOf(true);
      if (activeConst >= 0) throw new TypeError(`customVjp(${p.name}): f closes over a ${operands[activeConst]!.aval} that is being differentiated; pass it to f as an argument`);
      return p.fwd(operands.slice(p.numConsts));
    },
    vjpBackward: (cts, operands, residuals, p) => {
      const args = operands.slice(p.numConsts);
      const argCts = p.bwd(
        residuals,
        p.body.outs.map((o, k) => cts[k] ?? np.zeros(o.aval.shape, o.aval.dtype)),
      );
      argCts.forEach((c, j) => {
        if (c && !c.aval.equals(args[j]!.aval)) throw new TypeError(`customVjp(${p.name}): bwd gives a ${c.aval} cotangent for an argument leaf of ${args[j]!.aval}`);
      });
      return [...operands.slice(0, p.numConsts).map(() => null), ...argCts];
    },
    batch: customVjpBatch,
  },
};
