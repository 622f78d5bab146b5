import { DeviceArray, ELEMENTWISE_PRIMITIVES, Literal, ShapedArray, dce, eqnOuts, isScanEqn, inlineHigherOrder, shapeEqual, type Atom, type ClosedJaxpr, type Eqn, type Jaxpr, type Primitive, type Var } from "@mmx/core";
import { GraphBuilder, subgraphsOf, valueInfo, type Value } from "./graph-builder.js";
import { DEFAULT_LOWERING_OPTIONS, lowerGemmAccumulate, onnxLowerings, type LoweringOptions, type OnnxLowering } from "./lowerings.js";
import { encodeModel, type ModelMessage, type NodeMessage } from "./proto.js";
import { planFusions, readsOf } from "./fusions.js";
import { readGradientOnce } from "./read-gradient-once.js";
import { distributeNesterovStep } from "./nesterov-step.js";
import { lowerMaxPoolRoute } from "./lower-pool.js";
import { lowerConv } from "./lower-conv.js";
import { toNHWC } from "./layout.js";
import { lowerScan } from "./lower-scan.js";

export const OPSET = 17;
/** The IR version that goes with opset 17. */
export const IR_VERSION = 8;

/** Jaxpr rewrites to a faster ONNX form, in order (each keeps the program's values, up to rounding). */
const REWRITES: readonly ((j: Jaxpr) => Jaxpr)[] = [readGradientOnce, distributeNesterovStep];

/** A primitive that cannot be written as ONNX: names the primitive and the layer it sits in. */
export class OnnxLoweringError extends Error {
  constructor(
    readonly primitive: string,
    readonly scope: string,
    reason: string,
  ) {
    super(`@mmx/onnx: cannot lower ${primitive}${scope ? ` in layer "${scope}"` : " (outside any layer)"} to ONNX: ${reason}`);
    this.name = "OnnxLoweringError";
  }
}

export interface LowerOptions {
  /** Graph input names for the jaxpr's invars (default in_0, in_1, ...). */
  readonly inputNames?: readonly string[];
  /** Graph output names (default out_0, out_1, ...). */
  readonly outputNames?: readonly string[];
  readonly graphName?: string;
  readonly docString?: string;
  readonly lowering?: LoweringOptions;
}

export interface LoweredModel {
  readonly model: ModelMessage;
  readonly bytes: Uint8Array;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inAvals: readonly ShapedArray[];
  readonly outAvals: readonly ShapedArray[];
}

const NHWC_TO_NCHW = [0, 3, 1, 2];

/**
 * Elementwise equations on NHWC values that exist in NCHW too (a conv's output, and what elementwise
 * work made of it) run in NCHW, with per-channel operands ([C] or [1,1,1,C]: batch-norm scales)
 * reshaped to [1,C,1,1]: a conv -> batch norm -> ReLU -> conv chain then needs no transposes. The
 * NHWC form is a Transpose that is swept away when nothing reads it. Undefined when it does not apply.
 */
function lowerOnNCHW(b: GraphBuilder, eqn: Eqn, inputs: readonly Value[], lower: OnnxLowering<Primitive>, lowering: LoweringOptions): string | undefined {
  const out = eqn.out.aval;
  if (!ELEMENTWISE_PRIMITIVES.has(eqn.primitive as Primitive) || out.ndim !== 4) return undefined;
  const channels = out.shape[3]!;
  const same = (s: readonly number[]) => shapeEqual(s, out.shape);
  let twins = 0;
  const moved: Value[] = [];
  for (const v of inputs) {
    if (v.splat !== undefined) {
      moved.push({ name: b.scalar(v.splat, v.aval.dtype), aval: new ShapedArray([], v.aval.dtype), splat: v.splat });
      continue;
    }
    if (v.aval.ndim === 0) {
      moved.push(v);
      continue;
    }
    const twin = same(v.aval.shape) ? b.nchwOf.get(v.name) : undefined;
    if (twin !== undefined) {
      twins++;
      moved.push({ name: twin, aval: new ShapedArray(NHWC_TO_NCHW.map((a) => v.aval.shape[a]!), v.aval.dtype) });
      continue;
    }
    // A per-channel vector, or a broadcast of one (read without making the full array).
    const small = v.broadcastOf ?? v;
    const s = small.aval.shape;
    const perChannel = s.length <= 4 && s.slice(0, -1).every((d) => d === 1) && (s[s.length - 1] === channels || small.aval.size === 1);
    if (!perChannel) return undefined;
    const c = small.aval.size === 1 ? 1 : channels;
    moved.push({ name: b.op("Reshape", [small.name, b.int64s([1, c, 1, 1])]), aval: new ShapedArray([1, c, 1, 1], v.aval.dtype) });
  }
  if (twins === 0) return undefined;
  const outNCHW = new ShapedArray(NHWC_TO_NCHW.map((a) => out.shape[a]!), out.dtype);
  return toNHWC(b, lower(b, moved, eqn.params as never, outNCHW, lowering));
}

/** Float32 arithmetic on fills that rounds as onnxruntime and tfjs do (one rounding of the exact result). */
const FOLDABLE: Partial<Record<Primitive, (...v: number[]) => number>> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  neg: (a) => -a,
  maximum: (a, b) => Math.max(a, b),
  minimum: (a, b) => Math.min(a, b),
};

/**
 * The value every element of an equation's result has, when it is a constant fill: a broadcast or
 * reshape of a fill, or float arithmetic on fills (the seed of a gradient times a constant, say).
 */
function constantFill(eqn: Eqn, read: (a: Atom) => Value): number | undefined {
  const fillOf = (a: Atom) => (a instanceof Literal ? a.value : read(a).splat);
  if (eqn.primitive === "broadcast_to" || eqn.primitive === "reshape") return fillOf(eqn.inputs[0]!);
  const fold = FOLDABLE[eqn.primitive as Primitive];
  if (!fold || eqn.out.aval.dtype !== "float32") return undefined;
  const values = eqn.inputs.map(fillOf);
  if (values.some((v) => v === undefined)) return undefined;
  return Math.fround(fold(...(values as number[])));
}

/** How a node that lowers an equation is named: `primitive@layer`, so that runtime errors name the layer. */
export const originOf = (eqn: Eqn) => `${eqn.primitive}@${eqn.scope || "<top>"}`;

/** A literal becomes a shared scalar constant (a splat); a variable is what `env` bound it to. */
function readAtom(b: GraphBuilder, env: ReadonlyMap<Var, Value>, a: Atom): Value {
  if (a instanceof Literal) return { name: b.scalar(a.value, a.aval.dtype), aval: a.aval, splat: a.value };
  const v = env.get(a);
  if (!v) throw new Error("internal error: a variable is read before it is bound");
  return v;
}

/**
 * Lowers a jaxpr's equations into `b`, binding each result in `env` (which holds its inputs and constants
 * already): the whole program, or a scan's body into its Loop's subgraph.
 */
export function lowerEquations(b: GraphBuilder, jaxpr: Jaxpr, env: Map<Var, Value>, lowering: LoweringOptions): void {
  const read = (a: Atom): Value => readAtom(b, env, a);

  // Fusions first, then liveness under them: equations that only a fused pattern read are not lowered.
  const fusions = planFusions(jaxpr);
  const live = new Set<Var>(jaxpr.outs.filter((a): a is Var => !(a instanceof Literal)));
  const needed = new Set<Eqn>();
  for (let i = jaxpr.eqns.length - 1; i >= 0; i--) {
    const e = jaxpr.eqns[i]!;
    if (!eqnOuts(e).some((v) => live.has(v))) continue;
    needed.add(e);
    for (const a of readsOf(e, fusions.get(e))) if (!(a instanceof Literal)) live.add(a);
  }

  for (const eqn of jaxpr.eqns) {
    if (!needed.has(eqn)) continue;
    const origin = originOf(eqn);
    b.origin = origin;
    if (isScanEqn(eqn)) {
      let names: string[];
      try {
        names = lowerScan(b, eqn, eqn.inputs.map(read), lowering, lowerEquations);
      } catch (e) {
        if (e instanceof OnnxLoweringError) throw e;
        throw new OnnxLoweringError(eqn.primitive, eqn.scope, (e as Error).message);
      }
      eqnOuts(eqn).forEach((v, k) => env.set(v, { name: names[k]!, aval: v.aval }));
      continue;
    }
    // A constant fill (broadcast_to of a literal, or a broadcast or reshape of a fill) is
    // materialised only if some reader needs the full array.
    const fusion = fusions.get(eqn);
    const fill = fusion ? undefined : constantFill(eqn, read);
    if (fill !== undefined) {
      const aval = eqn.out.aval;
      let name: string | undefined;
      env.set(eqn.out, {
        aval,
        splat: fill,
        get name() {
          if (name === undefined) {
            const at = b.origin;
            b.origin = origin;
            name = aval.ndim === 0 ? b.scalar(fill, aval.dtype) : b.op("Expand", [b.scalar(fill, aval.dtype), b.int64s(aval.shape)]);
            b.origin = at;
          }
          return name;
        },
      });
      continue;
    }
    // A broadcast is made only if a reader needs the full array (see Value.broadcastOf).
    if (!fusion && lowering.broadcasts === "lazy" && eqn.primitive === "broadcast_to" && !(eqn.inputs[0] instanceof Literal) && !shapeEqual(eqn.inputs[0]!.aval.shape, eqn.out.aval.shape)) {
      const source = read(eqn.inputs[0]!);
      const aval = eqn.out.aval;
      let name: string | undefined;
      env.set(eqn.out, {
        aval,
        broadcastOf: source.broadcastOf ?? source,
        get name() {
          if (name === undefined) {
            const at = b.origin;
            b.origin = origin;
            name = b.op("Expand", [source.name, b.int64s(aval.shape)]);
            b.origin = at;
          }
          return name;
        },
      });
      continue;
    }
    const lower = (onnxLowerings as Record<string, OnnxLowering<Primitive> | undefined>)[eqn.primitive];
    if (!lower) throw new OnnxLoweringError(eqn.primitive, eqn.scope, "no ONNX lowering is defined for this primitive");
    if (!fusion) {
      const nchw = lowerOnNCHW(b, eqn, eqn.inputs.map(read), lower, lowering);
      if (nchw !== undefined) {
        env.set(eqn.out, { name: nchw, aval: eqn.out.aval });
        continue;
      }
    }
    let name: string;
    try {
      if (fusion?.kind === "gemmAccumulate") name = lowerGemmAccumulate(b, fusion.matmul.inputs.map(read), fusion.matmul.params, read(fusion.c), fusion.beta);
      else if (fusion?.kind === "convBias") name = lowerConv(b, fusion.conv.inputs.map(read), fusion.conv.params, read(fusion.bias));
      else if (fusion?.kind === "maxPoolRoute") name = lowerMaxPoolRoute(b, read(fusion.ct), read(fusion.x), fusion.params, fusion.pooled && read(fusion.pooled));
      else name = lower(b, eqn.inputs.map(read), eqn.params as never, eqn.out.aval, lowering);
    } catch (e) {
      throw new OnnxLoweringError(eqn.primitive, eqn.scope, (e as Error).message);
    }
    env.set(eqn.out, { name, aval: eqn.out.aval });
  }
}

/**
 * Lowers a closed jaxpr (a whole program: forward, backward, update) to one ONNX model. Constants
 * become initializers, literals shared scalar initializers, identities (tag, stop_gradient) cost
 * nothing, and each output is the producing node's own output wherever that is possible.
 */
export function lowerToOnnx(closed: ClosedJaxpr, opts: LowerOptions = {}): LoweredModel {
  // A scan of no steps has no loop to run: its results are its inputs and empty stacks.
  // Nesterov's direction is rewritten to read its gradient once, so that the gradient's matmul can accumulate
  // into the buffer, and the step's scale is distributed, so that the Gemm also takes the buffer's decay.
  const inlined = inlineHigherOrder(closed.jaxpr, (e) => e.params.length === 0);
  const jaxpr = dce(REWRITES.reduce((j, rewrite) => rewrite(j), inlined));
  const lowering = opts.lowering ?? DEFAULT_LOWERING_OPTIONS;
  const b = new GraphBuilder();
  const env = new Map<Var, Value>();
  const graphSources = new Set<string>();

  const inputNames = jaxpr.inBinders.map((_, i) => opts.inputNames?.[i] ?? `in_${i}`);
  if (new Set(inputNames).size !== inputNames.length) throw new Error(`@mmx/onnx: input names repeat: ${inputNames.join(", ")}`);
  jaxpr.inBinders.forEach((v, i) => {
    env.set(v, { name: inputNames[i]!, aval: v.aval });
    graphSources.add(inputNames[i]!);
  });
  jaxpr.constVars.forEach((v, i) => {
    const c = closed.consts[i];
    if (!(c instanceof DeviceArray)) throw new Error("@mmx/onnx: a constant of the program is not a concrete array (was the function traced inside another transformation?)");
    const name = `param_${i}`;
    b.initializer(name, v.aval.dtype, v.aval.shape, c.dataSync());
    env.set(v, { name, aval: v.aval });
    graphSources.add(name);
  });

  lowerEquations(b, jaxpr, env, lowering);
  const read = (a: Atom): Value => readAtom(b, env, a);

  // Outputs: rename the producing node's output where it is produced by a node and not yet an output;
  // otherwise (an input, a constant, a literal, a repeated output) copy it with Identity.
  const outputNames = jaxpr.outs.map((_, i) => opts.outputNames?.[i] ?? `out_${i}`);
  if (new Set(outputNames).size !== outputNames.length) throw new Error(`@mmx/onnx: output names repeat: ${outputNames.join(", ")}`);
  const clash = outputNames.find((n) => inputNames.includes(n));
  if (clash) throw new Error(`@mmx/onnx: '${clash}' names both an input and an output`);
  const producers = new Set(b.nodes.flatMap((n) => n.output));
  const renamed = new Map<string, string>();
  b.origin = "output";
  jaxpr.outs.forEach((a, i) => {
    const src = read(a).name;
    if (producers.has(src) && !renamed.has(src) && !graphSources.has(src) && !b.initializers.some((t) => t.name === src)) {
      renamed.set(src, outputNames[i]!);
    } else {
      b.nodeTo("Identity", [renamed.get(src) ?? src], outputNames[i]!);
    }
  });
  b.sweep([...jaxpr.outs.map((a) => read(a).name), ...outputNames]);
  const rename = (n: string) => renamed.get(n) ?? n;
  const renameAll = (nodes: NodeMessage[]) => {
    for (const node of nodes) {
      node.input = node.input.map(rename);
      node.output = node.output.map(rename);
      // A Loop's body reads outer values by name.
      for (const g of subgraphsOf(node)) renameAll(g.node);
    }
  };
  renameAll(b.nodes);

  const inAvals = jaxpr.inBinders.map((v) => v.aval);
  const outAvals = jaxpr.outs.map((a) => a.aval);
  const model: ModelMessage = {
    ir_version: IR_VERSION,
    opset_import: [{ domain: "", version: OPSET }],
    producer_name: "mmx",
    producer_version: "0.0.0",
    doc_string: opts.docString ?? "",
    graph: {
      name: opts.graphName ?? "mmx_program",
      node: b.nodes,
      initializer: b.initializers,
      input: inAvals.map((a, i) => valueInfo(inputNames[i]!, a.dtype, a.shape)),
      output: outAvals.map((a, i) => valueInfo(outputNames[i]!, a.dtype, a.shape)),
    },
  };
  return { model, bytes: encodeModel(model), inputNames, outputNames, inAvals, outAvals };
}
