import { Array, Literal, type Operand } from "./array.js";
import type { ShapedArray } from "./aval.js";
import type { DType, TypedArray } from "./dtype.js";
import type { HigherOrderParams, HigherOrderPrimitive } from "./higher-order.js";
import type { Params, Primitive } from "./primitives.js";
import { currentScope } from "./scope.js";
import { RuleError, shapeRules } from "./shape-rules.js";

/**
 * The tracer stack, after JAX's Autodidax. Each active transformation owns a `MainTrace` at a level;
 * level 0 evaluates eagerly. `bind` sends a primitive to the highest-level trace among its operands
 * (or the dynamic trace, while a function is being staged into a jaxpr), raising lower-level operands
 * into it first.
 */
export interface MainTrace {
  readonly level: number;
  readonly trace: Trace;
  /** False once the transformation that owns it has finished: its tracers must not be used again. */
  active: boolean;
}

export abstract class Trace {
  abstract readonly main: MainTrace;
  /** Brings a value from a lower level (a concrete array, or an outer tracer) into this trace. */
  abstract lift(x: Array): Array;
  abstract processPrimitive<P extends Primitive>(primitive: P, operands: readonly Operand[], params: Params<P>, outAval: ShapedArray): Array;

  /**
   * A primitive with several results (scan): `evaluate` runs it on operands of this level. The eager trace
   * does just that; a staging trace overrides it to record one equation.
   */
  processMultiple<P extends HigherOrderPrimitive>(
    _primitive: P,
    operands: readonly Array[],
    _params: HigherOrderParams[P],
    _outAvals: readonly ShapedArray[],
    evaluate: (operands: readonly Array[]) => Array[],
  ): Array[] {
    return evaluate(operands);
  }

  raise(x: Array): Array {
    if (x instanceof Tracer) {
      if (x.main === this.main) return x;
      if (x.main.level > this.main.level) {
        throw new EscapedTracerError(`a tracer of level ${x.main.level} reached a trace of level ${this.main.level}`);
      }
    }
    return this.lift(x);
  }
}

/** An array standing for a value while a function is being transformed. */
export abstract class Tracer extends Array {
  abstract readonly main: MainTrace;

  data(): Promise<TypedArray> {
    throw new ConcretizationError(this.aval);
  }
  dataSync(): TypedArray {
    throw new ConcretizationError(this.aval);
  }
  dispose(): void {
    // A tracer owns no memory.
  }
  override toString(): string {
    return `Traced<${this.aval}>`;
  }
}

/** Raised when code asks for the values of an array that is only known when the program runs. */
export class ConcretizationError extends Error {
  constructor(aval: ShapedArray) {
    super(
      `cannot read the values of a traced array ${aval} while a function is being traced (grad, jit, makeJaxpr, mixup): ` +
        "its values are only known when the program runs. Compute with np.* operations instead, or pass the value as a static argument.",
    );
    this.name = "ConcretizationError";
  }
}

/** Raised when a tracer outlives the transformation that made it (stored in a global, say). */
export class EscapedTracerError extends Error {
  constructor(detail: string) {
    super(
      `an intermediate value of a finished transformation was used (${detail}). ` +
        "Return values from the transformed function instead of storing them outside it.",
    );
    this.name = "EscapedTracerError";
  }
}

/** A shape or dtype mismatch found while binding a primitive; names the primitive and the layer. */
export class ShapeError extends Error {
  constructor(
    readonly primitive: Primitive,
    readonly detail: string,
    readonly scope: string,
  ) {
    super(`${primitive}: ${detail}${scope ? ` (in layer "${scope}")` : ""}`);
    this.name = "ShapeError";
  }
}

const stack: MainTrace[] = [];
let dynamic: MainTrace | null = null;

/** Installs the level-0 (eager) trace. Called once by the module that defines it. */
export function installEvalTrace(makeTrace: (main: MainTrace) => Trace): void {
  if (stack.length > 0) throw new Error("the eval trace is installed already");
  const main = { level: 0, active: true } as { level: number; active: boolean; trace: Trace };
  main.trace = makeTrace(main);
  stack.push(main);
}

/**
 * Runs `fn` with a new main trace on top of the stack. With `dynamic`, every primitive bound inside
 * goes to this trace even when its operands are all constants (how staging into a jaxpr sees them).
 */
export function withNewMain<T>(makeTrace: (main: MainTrace) => Trace, opts: { dynamic: boolean }, fn: (main: MainTrace) => T): T {
  const main = { level: stack.length, active: true } as { level: number; active: boolean; trace: Trace };
  main.trace = makeTrace(main);
  stack.push(main);
  const savedDynamic = dynamic;
  if (opts.dynamic) dynamic = main;
  try {
    return fn(main);
  } finally {
    dynamic = savedDynamic;
    stack.pop();
    main.active = false;
  }
}

/** True while some transformation is staging or tracing (so concrete evaluation is not what runs). */
export function isTracing(): boolean {
  return stack.length > 1;
}

/** True when x is a tracer (of any active trace) rather than a concrete array. */
export function isTracer(x: unknown): x is Tracer {
  return x instanceof Tracer;
}

function topTrace(operands: readonly Operand[]): Trace {
  let top = dynamic ?? stack[0]!;
  for (const x of operands) {
    if (x instanceof Tracer) {
      if (!x.main.active) throw new EscapedTracerError(`a ${x.aval} tracer`);
      if (x.main.level > top.level) top = x.main;
    }
  }
  return top.trace;
}

/** Computes a primitive's output type, turning rule failures into errors that name it and the layer. */
export function abstractEval<P extends Primitive>(primitive: P, avals: readonly ShapedArray[], params: Params<P>): ShapedArray {
  try {
    return shapeRules[primitive](avals, params);
  } catch (e) {
    if (e instanceof RuleError) throw new ShapeError(primitive, e.message, currentScope());
    throw e;
  }
}

/** Applies a primitive to operands at whichever trace owns them. */
export function bind<P extends Primitive>(primitive: P, operands: readonly Operand[], params: Params<P>): Array {
  const trace = topTrace(operands);
  const raised = operands.map((x) => (x instanceof Literal ? x : trace.raise(x)));
  const outAval = abstractEval(primitive, raised.map((x) => x.aval), params);
  return trace.processPrimitive(primitive, raised, params, outAval);
}

/**
 * Applies a primitive with several results (scan) at whichever trace owns its operands, its result types
 * already computed; `evaluate` is how the eager trace runs it.
 */
export function bindMultiple<P extends HigherOrderPrimitive>(
  primitive: P,
  operands: readonly Array[],
  params: HigherOrderParams[P],
  outAvals: readonly ShapedArray[],
  evaluate: (operands: readonly Array[]) => Array[],
): Array[] {
  const trace = topTrace(operands);
  return trace.processMultiple(primitive, operands.map((x) => trace.raise(x)), params, outAvals, evaluate);
}

/** A JS number meeting an array becomes a literal of that array's dtype. */
export function literal(value: number | boolean, dtype: DType): Literal {
  return new Literal(typeof value === "boolean" ? Number(value) : value, dtype);
}
