import { Array, Literal, type Operand } from "./array.js";
import { ShapedArray } from "./aval.js";
import { ClosedJaxpr, Jaxpr, Var, type Atom, type Eqn } from "./jaxpr.js";
import type { HigherOrderParams, HigherOrderPrimitive } from "./higher-order.js";
import type { Params, Primitive } from "./primitives.js";
import { currentScope } from "./scope.js";
import { Trace, Tracer, withNewMain, type MainTrace } from "./trace.js";
import { flatten, unflatten, type PyTree, type TreeDef } from "./tree.js";

/** Staging: while a function runs on these tracers, every primitive it binds is recorded as an equation. */
class JaxprTracer extends Tracer {
  constructor(
    readonly main: MainTrace,
    readonly aval: ShapedArray,
  ) {
    super();
  }
}

class JaxprBuilder {
  readonly eqns: Eqn[] = [];
  readonly vars = new Map<JaxprTracer, Var>();
  readonly consts = new Map<Array, JaxprTracer>();

  newTracer(main: MainTrace, aval: ShapedArray): JaxprTracer {
    const t = new JaxprTracer(main, aval);
    this.vars.set(t, new Var(aval));
    return t;
  }
  varOf(t: JaxprTracer): Var {
    const v = this.vars.get(t);
    if (!v) throw new Error("internal error: a tracer of another jaxpr reached this builder");
    return v;
  }
}

class JaxprTrace extends Trace {
  constructor(
    readonly main: MainTrace,
    readonly builder: JaxprBuilder,
  ) {
    super();
  }

  /** Values from below (concrete arrays, outer tracers) become constvars, one per distinct value. */
  lift(x: Array): Array {
    let t = this.builder.consts.get(x);
    if (!t) {
      t = this.builder.newTracer(this.main, x.aval);
      this.builder.consts.set(x, t);
    }
    return t;
  }

  processPrimitive<P extends Primitive>(primitive: P, operands: readonly Operand[], params: Params<P>, outAval: ShapedArray): Array {
    const inputs: Atom[] = operands.map((x) => (x instanceof Literal ? x : this.builder.varOf(x as JaxprTracer)));
    const out = this.builder.newTracer(this.main, outAval);
    this.builder.eqns.push({ primitive, inputs, params: params as never, out: this.builder.varOf(out), scope: currentScope() });
    return out;
  }

  override processMultiple<P extends HigherOrderPrimitive>(primitive: P, operands: readonly Array[], params: HigherOrderParams[P], outAvals: readonly ShapedArray[]): Array[] {
    const inputs = operands.map((x) => this.builder.varOf(x as JaxprTracer));
    const outs = outAvals.map((a) => this.builder.newTracer(this.main, a));
    const outVars = outs.map((t) => this.builder.varOf(t));
    if (outVars.length === 0) return [];
    this.builder.eqns.push({ primitive, inputs, params: params as never, out: outVars[0]!, outs: outVars, scope: currentScope() });
    return outs;
  }
}

/** What a traced function may return at a leaf: an array or a JS number (a float32 scalar). */
function outAtom(trace: JaxprTrace, leaf: unknown, path: () => string): Atom {
  if (typeof leaf === "number" || typeof leaf === "boolean") return new Literal(Number(leaf), typeof leaf === "boolean" ? "bool" : "float32");
  if (leaf instanceof Array) return trace.builder.varOf(trace.raise(leaf) as JaxprTracer);
  throw new TypeError(`a traced function must return arrays or numbers at its leaves; ${path()} is ${describeValue(leaf)}`);
}

export function describeValue(x: unknown): string {
  if (x === null) return "null";
  if (typeof x === "object") return `an object of class ${x.constructor?.name ?? "unknown"}`;
  return `a ${typeof x} (${String(x)})`;
}

/**
 * Stages a function of flat arrays into a closed jaxpr, given the abstract values of its arguments.
 * The building block of makeJaxpr, grad, jit and mixup.
 */
export function traceFlat(fn: (...args: Array[]) => PyTree, avals: readonly ShapedArray[]): { closed: ClosedJaxpr; outTree: TreeDef } {
  const builder = new JaxprBuilder();
  return withNewMain(
    (main) => new JaxprTrace(main, builder),
    { dynamic: true },
    (main) => {
      const trace = main.trace as JaxprTrace;
      const inTracers = avals.map((a) => builder.newTracer(main, a));
      const result = fn(...inTracers);
      const [outLeaves, outTree] = flatten(result);
      const outs = outLeaves.map((leaf, i) => outAtom(trace, leaf, () => `output leaf ${i}`));
      const constEntries = [...builder.consts.entries()];
      const jaxpr = new Jaxpr(
        constEntries.map(([, t]) => builder.varOf(t)),
        inTracers.map((t) => builder.varOf(t)),
        builder.eqns,
        outs,
      );
      return { closed: new ClosedJaxpr(jaxpr, constEntries.map(([value]) => value), undefined, outTree), outTree };
    },
  );
}

/** The abstract value of an argument leaf: arrays give their own, numbers are float32 scalars. */
export function avalOf(leaf: unknown, path: string): ShapedArray {
  if (leaf instanceof Array) return leaf.aval;
  if (leaf instanceof ShapedArray) return leaf;
  if (typeof leaf === "number") return new ShapedArray([], "float32");
  throw new TypeError(`${path} must be an array, a number or a ShapedArray, got ${describeValue(leaf)}`);
}

/**
 * `makeJaxpr(f)(...args)`: the jaxpr of `f` at these argument types. Arguments are pytrees whose leaves
 * are arrays, numbers, or `ShapedArray`s (types without data).
 */
export function makeJaxpr(f: (...args: any[]) => PyTree): (...args: any[]) => ClosedJaxpr {
  return (...args) => {
    const [leaves, inTree] = flatten(args);
    const avals = leaves.map((l, i) => avalOf(l, `argument leaf ${i}`));
    const { closed, outTree } = traceFlat((...flat) => f(...unflatten<unknown[]>(inTree, flat)), avals);
    return new ClosedJaxpr(closed.jaxpr, closed.consts, inTree, outTree);
  };
}
