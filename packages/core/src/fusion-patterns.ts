import { Var, type Eqn, type Jaxpr } from "./jaxpr.js";
import { inlineIdentities } from "./passes.js";
import { IDENTITY_PRIMITIVES } from "./primitives.js";
import { shapeEqual } from "./shape.js";

/**
 * The program patterns that executors fuse into one kernel, found on the jaxpr alone. Both executors
 * (the tfjs one in core, the ONNX one) import these matchers, so a change in how layers trace (nn's
 * dense and conv, the relu primitive) is seen by both, and a contract test in nn checks that its
 * layers still produce them. What each executor does with a match, and which extra limits its
 * kernels impose (transposed operands, strides with dilation), stays with the executor.
 */

/** Who reads each variable; a variable that is a program output has no "only" readers. */
export class VarReaders {
  private readonly byVar = new Map<Var, Eqn[]>();
  private readonly outputs: ReadonlySet<Var>;

  constructor(jaxpr: Jaxpr) {
    for (const eqn of jaxpr.eqns) {
      for (const a of eqn.inputs) if (a instanceof Var) this.byVar.set(a, [...(this.byVar.get(a) ?? []), eqn]);
    }
    this.outputs = new Set(jaxpr.outs.filter((a): a is Var => a instanceof Var));
  }

  /** The equations reading v, or null when v is a program output (so it cannot be fused away). */
  only(v: Var): readonly Eqn[] | null {
    return this.outputs.has(v) ? null : (this.byVar.get(v) ?? []);
  }

  /** The one equation reading v, when v is read exactly once and is no output. */
  sole(v: Var): Eqn | null {
    const rs = this.only(v);
    return rs && rs.length === 1 ? rs[0]! : null;
  }
}

/** A matmul or conv, + a bias over the last (channel) axis, + an optional relu. */
export interface LinearBiasRelu {
  readonly linear: Eqn<"matmul"> | Eqn<"conv">;
  readonly add: Eqn<"add">;
  readonly bias: Var;
  readonly relu?: Eqn<"relu">;
  /** The variable the group computes: the relu's output, else the add's. */
  readonly out: Var;
}

/**
 * `linear -> add(bias) [-> relu]`, float32, where the bias is a vector over the output's last axis
 * and each intermediate is read only by the next step of the group (and is no program output).
 */
export function matchLinearBiasRelu(linear: Eqn, readers: VarReaders): LinearBiasRelu | null {
  if ((linear.primitive !== "matmul" && linear.primitive !== "conv") || linear.out.aval.dtype !== "float32") return null;
  const add = readers.sole(linear.out);
  if (!add || add.primitive !== "add") return null;
  const bias = add.inputs[0] === linear.out ? add.inputs[1]! : add.inputs[0]!;
  const shape = linear.out.aval.shape;
  if (!(bias instanceof Var) || bias === linear.out || bias.aval.ndim !== 1 || bias.aval.shape[0] !== shape[shape.length - 1]) return null;
  if (!shapeEqual(add.out.aval.shape, shape)) return null;
  const next = readers.sole(add.out);
  const relu = next?.primitive === "relu" ? (next as Eqn<"relu">) : undefined;
  return { linear: linear as Eqn<"matmul"> | Eqn<"conv">, add: add as Eqn<"add">, bias, ...(relu ? { relu } : {}), out: (relu ?? add).out };
}

/**
 * Every linear + bias [+ relu] group of a jaxpr, in program order, as an executor sees the program:
 * with its identities (layer tags, stop_gradient) inlined.
 */
export function linearBiasReluGroups(jaxpr: Jaxpr): LinearBiasRelu[] {
  const inlined = inlineIdentities(jaxpr, IDENTITY_PRIMITIVES);
  const readers = new VarReaders(inlined);
  return inlined.eqns.flatMap((e) => matchLinearBiasRelu(e, readers) ?? []);
}
