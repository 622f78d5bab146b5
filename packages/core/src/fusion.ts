import * as tf from "@tensorflow/tfjs-core";
import { Literal } from "./array.js";
import { matchLinearBiasRelu, VarReaders } from "./fusion-patterns.js";
import { isHigherOrderEqn, Var, type Atom, type Eqn, type Jaxpr } from "./jaxpr.js";
import { byChannelGroups } from "./lowering/grouped.js";
import { explicitPadding, tfjsLowering } from "./lowering/tfjs.js";
import type { BinaryPrimitive, Params, Primitive } from "./primitives.js";
import { broadcastShapes, shapeEqual } from "./shape.js";

/**
 * How the tfjs executor runs a jaxpr: a list of kernels, each one tfjs call (or a few) that computes
 * one variable of the program. Most kernels are one equation lowered as the backend's table says;
 * on the backends below, some groups of equations become one kernel. The jaxpr is not changed: this
 * plan is the executor's business, and transforms never see it.
 *
 * - matmul (untransposed) or conv, + a bias over the last axis, + an optional relu (the pattern
 *   of fusion-patterns.ts, shared with the ONNX executor): tfjs's fused matmul / conv kernel. The
 *   relu's gradient reads its output, so nothing else of the group needs to be kept.
 * - broadcast_to of a literal (how `np.zeros` and the VJPs' zeros appear): tf.fill, with no scalar
 *   tensor and no broadcast.
 * - where with a literal branch: that branch filled to the output shape, so that where needs no
 *   broadcasting.
 * - a relu's gradient, `where(y > 0, g, 0)`: g · step(y).
 * - on wasm, an explicit broadcast_to read by binary operations that broadcast by themselves: skipped.
 * Measured on wasm (bench/README.md); cpu has the same kernels. Other backends (webgpu) keep one
 * kernel per equation until measured there.
 */
export interface Kernel {
  /** What it computes, for profiles: a primitive, or a fused group such as "matmul+add+relu". */
  readonly name: string;
  readonly scope: string;
  /** The variables and literals it reads, in the order `run` takes their tensors. */
  readonly inputs: readonly Atom[];
  readonly out: Var;
  /** Makes the output tensor; temporaries are freed by the caller's scope. */
  run(inputs: tf.Tensor[]): tf.Tensor;
}

export const FUSING_BACKENDS: ReadonlySet<string> = new Set(["cpu", "wasm"]);

export interface PlanOptions {
  /** Fuse on this backend (default: when it is in FUSING_BACKENDS). */
  fuse?: boolean;
}

export function planKernels(jaxpr: Jaxpr, backend: string, opts: PlanOptions = {}): Kernel[] {
  const single = (eqn: Eqn, inputs: readonly Atom[] = eqn.inputs): Kernel => {
    if (isHigherOrderEqn(eqn)) throw new Error(`internal error: a ${eqn.primitive} reached the tfjs kernel planner (inlineHigherOrder runs first)`);
    const lower = tfjsLowering(eqn.primitive as Primitive, backend);
    return { name: eqn.primitive, scope: eqn.scope, inputs, out: eqn.out, run: (xs) => lower(xs, eqn.params as never) };
  };
  if (!(opts.fuse ?? FUSING_BACKENDS.has(backend))) return jaxpr.eqns.map((e) => single(e));

  const outputs = new Set(jaxpr.outs.filter((a): a is Var => a instanceof Var));

  const absorbed = new Set<Eqn>();
  /** Equations to run at another equation's place (the fused kernel, once its inputs exist). */
  const placed = new Map<Eqn, Kernel[]>();
  /** Equations whose inputs are redirected (binary operations reading a broadcast's source). */
  const rewired = new Map<Eqn, Atom[]>();

  const readers = new VarReaders(jaxpr);
  for (const eqn of jaxpr.eqns) {
    if (absorbed.has(eqn)) continue;
    const fused = fuseProducerBiasRelu(eqn, readers, backend);
    if (fused) {
      for (const e of fused.absorbed) absorbed.add(e);
      placed.set(fused.at, [fused.kernel]);
    }
  }

  if (NATIVE_BROADCAST_BACKENDS.has(backend)) {
    for (const eqn of jaxpr.eqns) if (eqn.primitive === "broadcast_to") readBroadcastSource(eqn, readers, rewired);
  }

  const producer = new Map<Var, { eqn: Eqn; inputs: readonly Atom[] }>();
  for (const eqn of jaxpr.eqns) producer.set(eqn.out, { eqn, inputs: rewired.get(eqn) ?? eqn.inputs });

  const kernels: Kernel[] = [];
  for (const eqn of jaxpr.eqns) {
    const here = placed.get(eqn);
    if (here) kernels.push(...here);
    if (absorbed.has(eqn)) continue;
    const inputs = rewired.get(eqn) ?? eqn.inputs;
    kernels.push(reluMaskKernel(eqn, inputs, producer) ?? literalKernel(eqn, inputs, backend) ?? single(eqn, inputs));
  }
  return deadKernelsRemoved(kernels, outputs);
}

/**
 * Backends whose broadcasting binary kernels are as fast as same-shape ones (wasm: XNNPACK), so
 * that an explicit broadcast feeding them is wasted work (the batch-norm scale and shift, and their
 * gradients, broadcast [1,1,1,C] to [N,H,W,C]: 3.5% of a PreActResNet18 step).
 */
const NATIVE_BROADCAST_BACKENDS: ReadonlySet<string> = new Set(["wasm"]);
const BROADCASTING_BINARY: ReadonlySet<Primitive> = new Set<BinaryPrimitive>(["add", "sub", "mul", "div", "maximum", "minimum"]);

/**
 * Lets the float32 binary operations that read broadcast_to(x) read x itself, when their output
 * shape stays the same (another operand already has the full shape). The broadcast is dropped
 * when no other equation reads it.
 */
function readBroadcastSource(bcast: Eqn, readers: VarReaders, rewired: Map<Eqn, Atom[]>): void {
  const source = bcast.inputs[0]!;
  const bcastReaders = readers.only(bcast.out);
  if (!(source instanceof Var) || source.aval.dtype !== "float32" || !bcastReaders) return;
  for (const reader of bcastReaders) {
    if (!BROADCASTING_BINARY.has(reader.primitive as Primitive) || reader.out.aval.dtype !== "float32") continue;
    const current = rewired.get(reader) ?? [...reader.inputs];
    const replaced = current.map((a) => (a === bcast.out ? source : a));
    if (shapeEqual(broadcastShapes(...replaced.map((a) => a.aval.shape)) ?? [], reader.out.aval.shape)) rewired.set(reader, replaced);
  }
}

/** Drops kernels whose result nothing reads any more (masks and zeros that the rewrites bypassed). */
function deadKernelsRemoved(kernels: Kernel[], outputs: ReadonlySet<Var>): Kernel[] {
  const live = new Set<Var>(outputs);
  const kept: Kernel[] = [];
  for (let i = kernels.length - 1; i >= 0; i--) {
    const k = kernels[i]!;
    if (!live.has(k.out)) continue;
    kept.push(k);
    for (const a of k.inputs) if (a instanceof Var) live.add(a);
  }
  return kept.reverse();
}

/**
 * A relu's gradient as arithmetic rather than a comparison and a select (tfjs-wasm runs Greater and
 * Select outside XNNPACK, ~30x slower than Step and Mul, measured): g · step(v) for
 * - `where(v > 0, g, g · v)` with v a relu's output (the relu VJP rule's form): equal everywhere,
 *   NaN included;
 * - `where(v > 0, g, 0)` (the zero a literal or a fill: leaky ReLU and hand-written masks): equal
 *   wherever v is not NaN (there the select gives 0 and this NaN).
 */
function reluMaskKernel(eqn: Eqn, inputs: readonly Atom[], producer: ReadonlyMap<Var, { eqn: Eqn; inputs: readonly Atom[] }>): Kernel | null {
  if (eqn.primitive !== "where" || eqn.out.aval.dtype !== "float32") return null;
  const [c, a, b] = inputs as [Atom, Atom, Atom];
  const mask = c instanceof Var ? producer.get(c) : undefined;
  if (!mask || mask.eqn.primitive !== "greater" || !isLiteral(mask.inputs[1], 0)) return null;
  const v = mask.inputs[0]!;
  if (!(v instanceof Var) || v.aval.dtype !== "float32" || !(a instanceof Var) || a === v) return null;
  const other = b instanceof Var ? producer.get(b) : undefined;
  const zero = isLiteral(b, 0) || (other?.eqn.primitive === "broadcast_to" && isLiteral(other.inputs[0], 0));
  const scaled = other?.eqn.primitive === "mul" && producer.get(v)?.eqn.primitive === "relu" && sameOperands(other.inputs, [a, v]);
  if (!zero && !scaled) return null;
  if (!shapeEqual(broadcastShapes(a.aval.shape, v.aval.shape) ?? [], eqn.out.aval.shape)) return null;
  return { name: "relu_grad", scope: eqn.scope, inputs: [a, v], out: eqn.out, run: ([g, x]) => tf.mul(g!, tf.step(x!)) };
}

const sameOperands = (xs: readonly Atom[], ys: readonly Atom[]) => xs.length === 2 && ((xs[0] === ys[0] && xs[1] === ys[1]) || (xs[0] === ys[1] && xs[1] === ys[0]));

const isLiteral = (a: Atom | undefined, value?: number): a is Literal => a instanceof Literal && (value === undefined || a.value === value);

/** broadcast_to(literal) as a fill; where(c, a, b) with its literal operands filled to the output shape. */
function literalKernel(eqn: Eqn, inputs: readonly Atom[], backend: string): Kernel | null {
  const { shape, dtype } = eqn.out.aval;
  if (eqn.primitive === "broadcast_to" && isLiteral(inputs[0])) {
    const value = inputs[0].value;
    return { name: "fill", scope: eqn.scope, inputs: [], out: eqn.out, run: () => tf.fill([...shape], value, dtype) };
  }
  if (eqn.primitive === "where" && shape.length > 0 && inputs.some((a) => isLiteral(a))) {
    const where = tfjsLowering("where", backend);
    const vars = inputs.filter((x): x is Var => x instanceof Var);
    return {
      name: "where",
      scope: eqn.scope,
      inputs: vars,
      out: eqn.out,
      run: (xs) => {
        let i = 0;
        const operands = inputs.map((a, j) => (a instanceof Literal ? tf.fill([...shape], a.value, j === 0 ? "bool" : dtype) : xs[i++]!));
        return where(operands, {});
      },
    };
  }
  return null;
}

/**
 * Backends whose fused matmul / conv kernels clamp the relu activation in a way that maps NaN to 0
 * (wasm: XNNPACK's output clamp), where the relu primitive keeps NaN: the relu runs as its own kernel.
 */
const NAN_DROPPING_FUSED_RELU: ReadonlySet<string> = new Set(["wasm"]);

interface Fused {
  kernel: Kernel;
  /** Where it runs: the bias add, by when every input exists. */
  at: Eqn;
  absorbed: Eqn[];
}

/**
 * matmul/conv -> add(bias) [-> relu] (the shared pattern) as one fused kernel, within the limits of
 * tfjs's fused kernels: an untransposed 2-D matmul; a conv with dilation only at unit strides.
 */
function fuseProducerBiasRelu(producer: Eqn, readers: VarReaders, backend: string): Fused | null {
  const group = matchLinearBiasRelu(producer, readers);
  if (!group) return null;
  if (producer.primitive === "matmul") {
    const p = producer.params as Params<"matmul">;
    if (p.transposeA || p.transposeB || producer.out.aval.ndim !== 2) return null;
  } else {
    const p = producer.params as Params<"conv">;
    if ((p.strides[0] > 1 || p.strides[1] > 1) && (p.dilation[0] > 1 || p.dilation[1] > 1)) return null;
  }
  const [x, w] = producer.inputs as [Atom, Atom];
  if (!(x instanceof Var) || !(w instanceof Var)) return null;
  const { add, bias } = group;
  const relu = NAN_DROPPING_FUSED_RELU.has(backend) ? undefined : group.relu;
  const out = relu ? relu.out : add.out;
  const activation = relu ? "relu" : "linear";
  const name = `${producer.primitive}+add${relu ? "+relu" : ""}`;
  const run = producer.primitive === "matmul" ? fusedMatmul(activation) : fusedConv(producer.params as Params<"conv">, activation);
  return {
    kernel: { name, scope: producer.scope, inputs: [x, w, bias], out, run },
    at: add,
    absorbed: [producer, add, ...(relu ? [relu] : [])],
  };
}

type Activation = "relu" | "linear";

function fusedMatmul(activation: Activation): Kernel["run"] {
  return ([a, b, bias]) => tf.fused.matMul({ a: a!, b: b!, bias: bias!, activation });
}

/** tfjs's fused conv takes one group: a grouped conv fuses group by group (its bias splits with its channels). */
function fusedConv(p: Params<"conv">, activation: Activation): Kernel["run"] {
  return (inputs) =>
    byChannelGroups(p.groups, inputs, ([x, w, bias]) =>
      tf.fused.conv2d({
        x: x as tf.Tensor4D,
        filter: w as tf.Tensor4D,
        strides: p.strides as [number, number],
        pad: explicitPadding(p.padding) as never,
        dataFormat: "NHWC",
        dilations: p.dilation as [number, number],
        bias: bias!,
        activation,
      }),
    );
}
