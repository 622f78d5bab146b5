import { Array, Literal, type Operand } from "./array.js";
import type { ShapedArray } from "./aval.js";
import { HIGHER_ORDER_PRIMITIVES, type HigherOrderParams, type HigherOrderPrimitive } from "./higher-order.js";
import { higherOrderRules, type HigherOrderRules } from "./higher-order-rules.js";
import type { Params, Primitive } from "./primitives.js";
import { atScope } from "./scope.js";
import { abstractEval, bind } from "./trace.js";
import type { TreeDef } from "./tree.js";

/**
 * The IR: a jaxpr is `{ lambda constvars ; invars . let eqns in (outs) }`, as in JAX. It is the
 * contract between tracing and execution: it holds no tfjs type, and every transform reads and
 * writes it through these classes.
 */
export class Var {
  private static counter = 0;
  readonly id = Var.counter++;
  constructor(readonly aval: ShapedArray) {}
}

/** An equation operand: a variable or a scalar literal written in the program. */
export type Atom = Var | Literal;

/** What an equation applies: a primitive of the table, or a higher-order one (scan) with several results. */
export type EqnPrimitive = Primitive | HigherOrderPrimitive;
export type EqnParams<P extends EqnPrimitive> = P extends Primitive ? Params<P> : P extends HigherOrderPrimitive ? HigherOrderParams[P] : never;

export interface Eqn<P extends EqnPrimitive = EqnPrimitive> {
  readonly primitive: P;
  readonly inputs: readonly Atom[];
  readonly params: EqnParams<P>;
  /** The result; for a primitive with several results (scan), the first of `outs`. */
  readonly out: Var;
  /** Every result, in order, for a primitive with several (scan); absent for the others. Read it with `eqnOuts`. */
  readonly outs?: readonly Var[];
  /** The named scope (layer path) the primitive was bound in, or "". */
  readonly scope: string;
}

/** Every result of an equation: `[out]`, or `outs` for a primitive with several. */
export function eqnOuts(eqn: Eqn): readonly Var[] {
  return eqn.outs ?? [eqn.out];
}

/** Narrows an equation to a higher-order primitive (scan, custom_vjp): its rules are `higherOrderRules`. */
export function isHigherOrderEqn(eqn: Eqn): eqn is Eqn<HigherOrderPrimitive> {
  return HIGHER_ORDER_PRIMITIVES.has(eqn.primitive);
}

/** Narrows an equation to a primitive of the table (one result; its rules are the `RuleTable`s). */
export function isFirstOrderEqn(eqn: Eqn): eqn is Eqn<Primitive> {
  return !HIGHER_ORDER_PRIMITIVES.has(eqn.primitive);
}

/** The rules of a higher-order equation's primitive. */
export function rulesOf(eqn: Eqn<HigherOrderPrimitive>): HigherOrderRules<HigherOrderPrimitive> {
  return higherOrderRules[eqn.primitive] as HigherOrderRules<HigherOrderPrimitive>;
}

/** Narrows an equation to a custom_vjp. */
export function isCustomVjpEqn(eqn: Eqn): eqn is Eqn<"custom_vjp"> {
  return eqn.primitive === "custom_vjp";
}

/** Narrows an equation to a scan. */
export function isScanEqn(eqn: Eqn): eqn is Eqn<"scan"> {
  return eqn.primitive === "scan";
}

export class Jaxpr {
  constructor(
    readonly constVars: readonly Var[],
    readonly inBinders: readonly Var[],
    readonly eqns: readonly Eqn[],
    readonly outs: readonly Atom[],
  ) {}

  toString(): string {
    return printJaxpr(this);
  }
}

/** A jaxpr with the values of its constvars, and the pytree structures of its inputs and outputs. */
export class ClosedJaxpr {
  constructor(
    readonly jaxpr: Jaxpr,
    readonly consts: readonly Array[],
    readonly inTree?: TreeDef,
    readonly outTree?: TreeDef,
  ) {
    if (consts.length !== jaxpr.constVars.length) {
      throw new Error(`internal error: ${jaxpr.constVars.length} constvars but ${consts.length} consts`);
    }
  }
  get inAvals(): ShapedArray[] {
    return this.jaxpr.inBinders.map((v) => v.aval);
  }
  get outAvals(): ShapedArray[] {
    return this.jaxpr.outs.map((v) => v.aval);
  }
  toString(): string {
    return printJaxpr(this.jaxpr);
  }
}

// ---------------------------------------------------------------------------------------------
// Printing

/** Short names a, b, ..., z, aa, ... in order of first use; `given` names come first, and their names are never reused. */
function varNames(given: ReadonlyMap<Var, string> = new Map()): (v: Var) => string {
  const names = new Map<Var, string>(given);
  const taken = new Set(given.values());
  let next = 0;
  const letters = "abcdefghijklmnopqrstuvwxyz";
  const nameOf = (i: number): string => {
    let s = "";
    do {
      s = letters[i % 26] + s;
      i = Math.floor(i / 26) - 1;
    } while (i >= 0);
    return s;
  };
  return (v) => {
    let n = names.get(v);
    if (n === undefined) {
      do n = nameOf(next++);
      while (taken.has(n));
      names.set(v, n);
    }
    return n;
  };
}

function formatParam(value: unknown): string {
  if (value instanceof Jaxpr) return printJaxpr(value).replace(/\n/g, "\n      ");
  if (typeof value === "function") return "<function>";
  if (globalThis.Array.isArray(value)) return value.length === 1 ? `(${formatParam(value[0])},)` : `(${value.map(formatParam).join(",")})`;
  if (typeof value === "string") return value;
  return String(value);
}

export function formatParams(params: object): string {
  const entries = Object.entries(params);
  if (entries.length === 0) return "";
  return `[${entries.map(([k, v]) => `${k}=${formatParam(v)}`).join(" ")}]`;
}

/**
 * The jaxpr as text, JAX's notation. `inNames` names the input binders (one per binder, e.g. parameter paths
 * from `prettyJaxpr`); every other variable gets a short letter name.
 */
export function printJaxpr(jaxpr: Jaxpr, opts: { inNames?: readonly string[] } = {}): string {
  if (opts.inNames && opts.inNames.length !== jaxpr.inBinders.length) {
    throw new RangeError(`printJaxpr: ${opts.inNames.length} input names for ${jaxpr.inBinders.length} input binders`);
  }
  const name = varNames(new Map(opts.inNames?.map((n, i) => [jaxpr.inBinders[i]!, n])));
  const binder = (v: Var) => `${name(v)}:${v.aval}`;
  const atom = (a: Atom) => (a instanceof Var ? name(a) : a.toString());
  const head = `{ lambda ${jaxpr.constVars.map(binder).join(" ")}; ${jaxpr.inBinders.map(binder).join(" ")}. let`;
  const lines = jaxpr.eqns.map((e) => `    ${eqnOuts(e).map(binder).join(" ")} = ${e.primitive}${formatParams(e.params)} ${e.inputs.map(atom).join(" ")}`);
  const tail = `  in (${jaxpr.outs.map(atom).join(", ")}) }`;
  return [head, ...lines, tail].join("\n");
}

// ---------------------------------------------------------------------------------------------
// Type checking

export class JaxprTypeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "JaxprTypeError";
  }
}

/** Checks that every variable is bound once before use and that each equation's type follows its rule. */
export function typecheckJaxpr(jaxpr: Jaxpr): void {
  const bound = new Set<Var>();
  const bindVar = (v: Var, where: string) => {
    if (bound.has(v)) throw new JaxprTypeError(`${where}: a variable is bound twice`);
    bound.add(v);
  };
  jaxpr.constVars.forEach((v) => bindVar(v, "constvars"));
  jaxpr.inBinders.forEach((v) => bindVar(v, "invars"));
  const read = (a: Atom, where: string): ShapedArray => {
    if (a instanceof Var && !bound.has(a)) throw new JaxprTypeError(`${where}: uses a variable before it is bound`);
    return a.aval;
  };
  jaxpr.eqns.forEach((e, i) => {
    const where = `equation ${i} (${e.primitive})`;
    const inAvals = e.inputs.map((a) => read(a, where));
    let expected: readonly ShapedArray[];
    try {
      if (isHigherOrderEqn(e)) {
        typecheckJaxpr(e.params.body);
        expected = rulesOf(e).outAvals(inAvals, e.params);
      } else expected = [abstractEval(e.primitive as Primitive, inAvals, e.params as never)];
    } catch (err) {
      throw new JaxprTypeError(`${where}: ${(err as Error).message}`);
    }
    const outs = eqnOuts(e);
    if (outs.length !== expected.length) throw new JaxprTypeError(`${where}: binds ${outs.length} results but its rule gives ${expected.length}`);
    outs.forEach((v, k) => {
      if (!expected[k]!.equals(v.aval)) throw new JaxprTypeError(`${where}: binds ${v.aval} but its rule gives ${expected[k]}`);
      bindVar(v, where);
    });
  });
  jaxpr.outs.forEach((a) => read(a, "outputs"));
}

// ---------------------------------------------------------------------------------------------
// Evaluation

/**
 * An interpreter hook: called for each single-result equation (a scan runs as usual, its body uninterpreted) with its evaluated operands and a thunk that binds
 * the primitive as usual. Returning something else replaces the equation's value: this is how
 * transforms such as mixup act at a point of a program without editing the function that made it.
 */
export type EqnInterpreter = (eqn: Eqn, operands: readonly Operand[], evalDefault: () => Array) => Array;

/**
 * Evaluates a jaxpr on arguments by binding each primitive in turn: eagerly on concrete arrays, or
 * into whatever transformation the arguments belong to.
 */
export function evalJaxpr(closed: ClosedJaxpr | Jaxpr, args: readonly Array[], opts: { interpret?: EqnInterpreter; consts?: readonly Array[] } = {}): Array[] {
  const jaxpr = closed instanceof ClosedJaxpr ? closed.jaxpr : closed;
  const consts = closed instanceof ClosedJaxpr ? closed.consts : (opts.consts ?? []);
  if (args.length !== jaxpr.inBinders.length) {
    throw new TypeError(`evalJaxpr: the jaxpr takes ${jaxpr.inBinders.length} arguments, got ${args.length}`);
  }
  if (consts.length !== jaxpr.constVars.length) {
    throw new TypeError(`evalJaxpr: the jaxpr has ${jaxpr.constVars.length} constvars, got ${consts.length} consts`);
  }
  const env = new Map<Var, Array>();
  jaxpr.constVars.forEach((v, i) => env.set(v, consts[i]!));
  jaxpr.inBinders.forEach((v, i) => {
    const a = args[i]!;
    if (!a.aval.equals(v.aval)) throw new TypeError(`evalJaxpr: argument ${i} is ${a.aval}, the jaxpr expects ${v.aval}`);
    env.set(v, a);
  });
  const read = (a: Atom): Operand => (a instanceof Var ? env.get(a)! : a);
  for (const eqn of jaxpr.eqns) {
    const operands = eqn.inputs.map(read);
    if (isHigherOrderEqn(eqn)) {
      const arrays = operands.map(operandArray);
      const results = atScope(eqn.scope, () => rulesOf(eqn).bind(arrays, eqn.params));
      eqn.outs!.forEach((v, k) => env.set(v, results[k]!));
      continue;
    }
    const evalDefault = () => atScope(eqn.scope, () => bind(eqn.primitive as Primitive, operands, eqn.params as never));
    env.set(eqn.out, opts.interpret ? opts.interpret(eqn, operands, evalDefault) : evalDefault());
  }
  return jaxpr.outs.map((a) => {
    const v = read(a);
    return v instanceof Literal ? literalArray(v) : v;
  });
}

const operandArray = (o: Operand): Array => (o instanceof Literal ? literalArray(o) : o);

/** A literal output of a jaxpr becomes a scalar array (broadcast_to of the literal to shape []). */
function literalArray(lit: Literal): Array {
  return bind("broadcast_to", [lit], { shape: [] });
}
