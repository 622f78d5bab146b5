import type { DType, ShapedArray } from "@mmx/core";
import { AttributeType, DataType, type AttributeMessage, type DataTypeCode, type GraphMessage, type NodeMessage, type TensorMessage, type ValueInfoMessage } from "./proto.js";

/** A value of the graph being built: its ONNX name and its mmx type. */
export interface Value {
  readonly name: string;
  readonly aval: ShapedArray;
  /**
   * Set when every element has this value (a literal, or a literal broadcast to a shape): elementwise
   * lowerings then use a scalar constant and let ONNX broadcasting do the rest.
   */
  readonly splat?: number;
  /**
   * Set when this value is a broadcast (broadcast_to) of a smaller one: elementwise lowerings read that one
   * and let ONNX broadcasting do the rest, and the full array is made (Expand) only if another reader needs it.
   */
  readonly broadcastOf?: Value;
}

export const ONNX_DTYPE: Readonly<Record<DType, DataTypeCode>> = { float32: DataType.FLOAT, int32: DataType.INT32, bool: DataType.BOOL };

// Attribute values, tagged by their ONNX type.
export type Attr = { int: number } | { ints: readonly number[] } | { float: number } | { floats: readonly number[] } | { string: string } | { tensor: TensorMessage } | { graph: GraphMessage };
export const int = (v: number): Attr => ({ int: v });
/** The most inputs one Concat node gets (see GraphBuilder.concat). */
export const MAX_CONCAT_INPUTS = 6;

export const ints = (v: readonly number[]): Attr => ({ ints: v });
export const float = (v: number): Attr => ({ float: v });
export const str = (v: string): Attr => ({ string: v });

function attribute(name: string, a: Attr): AttributeMessage {
  if ("int" in a) return { name, type: AttributeType.INT, i: a.int };
  if ("ints" in a) return { name, type: AttributeType.INTS, ints: [...a.ints] };
  if ("float" in a) return { name, type: AttributeType.FLOAT, f: a.float };
  if ("floats" in a) return { name, type: AttributeType.FLOATS, floats: [...a.floats] };
  if ("string" in a) return { name, type: AttributeType.STRING, s: new TextEncoder().encode(a.string) };
  if ("graph" in a) return { name, type: AttributeType.GRAPH, g: a.graph };
  return { name, type: AttributeType.TENSOR, t: a.tensor };
}

type Data = Float32Array | Int32Array | Uint8Array | BigInt64Array;

export function tensorMessage(name: string, dims: readonly number[], dataType: DataTypeCode, data: Data): TensorMessage {
  return { name, dims: [...dims], data_type: dataType, raw_data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/** A graph input's or output's type: a tensor of `dtype` whose every dimension is fixed by `shape`. */
export function valueInfo(name: string, dtype: DType, shape: readonly number[]): ValueInfoMessage {
  return { name, type: { tensor_type: { elem_type: ONNX_DTYPE[dtype], shape: { dim: shape.map((d) => ({ dim_value: d })) } } } };
}

/** The subgraphs a node holds (a Loop's body). */
export const subgraphsOf = (n: NodeMessage): GraphMessage[] => n.attribute.flatMap((a) => (a.g ? [a.g] : []));

/**
 * The names a node reads: its inputs, and what its subgraphs read from the enclosing scope (a superset: every
 * name read inside them).
 */
export function nodeReads(n: NodeMessage): string[] {
  return [...n.input, ...subgraphsOf(n).flatMap((g) => g.node.flatMap(nodeReads))];
}

/**
 * Accumulates the nodes and initializers of one ONNX graph. Every node is named after the mmx
 * equation it lowers (`primitive@layer#n`), so that an error from onnxruntime names the layer.
 */
export class GraphBuilder {
  readonly nodes: NodeMessage[] = [];
  readonly initializers: TensorMessage[] = [];
  private counter = 0;
  private readonly constants = new Map<string, string>();
  /** The equation being lowered: its nodes' names start with this. */
  origin = "graph";
  /** For an NHWC value made by transposing an NCHW one (a conv's output): that NCHW value. */
  readonly nchwOf = new Map<string, string>();

  /** Drops nodes whose outputs nothing reads (layout transposes that a fusion made unnecessary). */
  sweep(outputs: readonly string[]): void {
    const wanted = new Set(outputs);
    const kept: NodeMessage[] = [];
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const n = this.nodes[i]!;
      if (!n.output.some((o) => wanted.has(o))) continue;
      kept.push(n);
      for (const x of nodeReads(n)) wanted.add(x);
    }
    kept.reverse();
    this.nodes.splice(0, this.nodes.length, ...kept);
    const used = new Set(this.nodes.flatMap(nodeReads));
    const inits = this.initializers.filter((t) => used.has(t.name) || wanted.has(t.name));
    this.initializers.splice(0, this.initializers.length, ...inits);
  }

  /**
   * @param prefix starts every name this builder makes: a subgraph's builder (a Loop's body) gets its own, so that
   * its names never shadow the enclosing graph's.
   */
  constructor(readonly prefix = "") {}

  /** A new value name: `<prefix>v<n>_<hint>`, which no input, output or parameter name takes. */
  fresh(hint: string): string {
    return `${this.prefix}v${this.counter++}_${hint}`;
  }

  private readonly emitted = new Map<string, string[]>();

  /**
   * Adds one node; returns its outputs' names (one unless `outputs` says more). Every op emitted is
   * pure, so a node identical to an earlier one (same op, inputs and attributes: the filter layout of
   * a conv and of its transposed conv, say) reuses that node's outputs.
   */
  node(opType: string, inputs: readonly string[], attrs: Record<string, Attr> = {}, outputs = 1): string[] {
    if (opType === "Reshape") inputs = this.skipReshapeChain(inputs);
    const key = `${opType}|${outputs}|${inputs.join(",")}|${JSON.stringify(attrs)}`;
    const known = this.emitted.get(key);
    if (known) return known;
    const outs = globalThis.Array.from({ length: outputs }, () => this.fresh(opType.toLowerCase()));
    this.emitted.set(key, outs);
    this.nodes.push({
      name: `${this.origin}#${this.nodes.length}:${opType}`,
      op_type: opType,
      input: [...inputs],
      output: outs,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    if (opType === "Reshape") this.reshapeInput.set(outs[0]!, inputs[0]!);
    return outs;
  }

  /** The data input of each Reshape node, by its output. */
  private readonly reshapeInput = new Map<string, string>();
  /** The values of int64 vector constants (Reshape's shapes). */
  private readonly int64Values = new Map<string, readonly number[]>();

  /**
   * A Reshape of a Reshape reads the first one's input instead (the first is swept if nothing else reads
   * it): lowerings reshape around Gemms and keepdims, and each node costs onnxruntime a few microseconds.
   * Only for explicit target shapes (no 0, which copies a dimension of the input, and no -1).
   */
  private skipReshapeChain(inputs: readonly string[]): readonly string[] {
    const shape = this.int64Values.get(inputs[1]!);
    const source = this.reshapeInput.get(inputs[0]!);
    if (source === undefined || shape === undefined || shape.some((d) => d <= 0)) return inputs;
    return [source, ...inputs.slice(1)];
  }

  /** Adds one node with one output. */
  op(opType: string, inputs: readonly string[], attrs: Record<string, Attr> = {}): string {
    return this.node(opType, inputs, attrs, 1)[0]!;
  }

  /**
   * Concat along `axis`, nested so that no node has more than MAX_CONCAT_INPUTS inputs: WebGPU gives a shader 8
   * storage buffers unless more are requested, and onnxruntime-web's WebGPU Concat binds each input and its output
   * to one (with more, its pipeline fails validation and the whole batch of work is dropped).
   */
  concat(inputs: readonly string[], axis: number): string {
    if (inputs.length === 1) return inputs[0]!;
    if (inputs.length <= MAX_CONCAT_INPUTS) return this.op("Concat", inputs, { axis: { int: axis } });
    const groups: string[] = [];
    for (let i = 0; i < inputs.length; i += MAX_CONCAT_INPUTS) groups.push(this.concat(inputs.slice(i, i + MAX_CONCAT_INPUTS), axis));
    return this.concat(groups, axis);
  }

  /** A node writing to a given name (graph outputs). */
  nodeTo(opType: string, inputs: readonly string[], output: string): void {
    this.nodes.push({ name: `${this.origin}#${this.nodes.length}:${opType}`, op_type: opType, input: [...inputs], output: [output], attribute: [] });
  }

  /** A constant tensor, shared by every node that asks for the same one. */
  constant(dims: readonly number[], dataType: DataTypeCode, data: Data): string {
    const short = data.length <= 64;
    const key = short ? `${dataType}|${dims.join(",")}|${globalThis.Array.from(data as ArrayLike<number | bigint>).join(",")}` : "";
    const known = short ? this.constants.get(key) : undefined;
    if (known) return known;
    const name = this.fresh("const");
    this.initializers.push(tensorMessage(name, dims, dataType, data));
    if (short) this.constants.set(key, name);
    return name;
  }

  /** A float32 constant of one repeated value (vectors of ones), shared by shape. */
  fill(dims: readonly number[], value: number): string {
    const key = `fill|${dims.join(",")}|${value}`;
    const known = this.constants.get(key);
    if (known) return known;
    const name = this.constant(dims, ONNX_DTYPE.float32, new Float32Array(dims.reduce((a, d) => a * d, 1)).fill(value));
    this.constants.set(key, name);
    return name;
  }

  int64s(values: readonly number[]): string {
    const name = this.constant([values.length], DataType.INT64, BigInt64Array.from(values.map((v) => BigInt(v))));
    this.int64Values.set(name, [...values]);
    return name;
  }

  scalar(value: number, dtype: DType): string {
    return this.constant([], ONNX_DTYPE[dtype], dataOf(dtype, [value]));
  }

  /** A constant of mmx dtype and shape. */
  array(values: ArrayLike<number>, shape: readonly number[], dtype: DType): string {
    return this.constant(shape, ONNX_DTYPE[dtype], dataOf(dtype, values));
  }

  /** An initializer holding a given buffer (the program's constants), not shared. */
  initializer(name: string, dtype: DType, shape: readonly number[], data: Float32Array | Int32Array | Uint8Array): void {
    this.initializers.push(tensorMessage(name, shape, ONNX_DTYPE[dtype], data));
  }
}

export function dataOf(dtype: DType, values: ArrayLike<number>): Float32Array | Int32Array | Uint8Array {
  if (dtype === "float32") return Float32Array.from(values);
  if (dtype === "int32") return Int32Array.from(values);
  return Uint8Array.from(values, (v) => (v ? 1 : 0));
}
