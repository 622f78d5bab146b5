import { makeJaxpr, tree, type DType } from "@mmx/core";
import { lowerToOnnx } from "./lower-jaxpr.js";

export interface OnnxTensorSpec {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
}

/** A model function written as a standalone ONNX model. */
export interface ExportedOnnx {
  /** The serialised ModelProto (opset 17). */
  readonly bytes: Uint8Array;
  readonly inputs: readonly OnnxTensorSpec[];
  readonly outputs: readonly OnnxTensorSpec[];
  /** Writes the model to a `.onnx` file (Node; in a browser, offer `bytes` as a download instead). */
  save(path: string): void;
}

/** How `save` writes bytes on this platform: set by the platform entry. */
let writeBytes: (path: string, bytes: Uint8Array) => void = () => {
  throw new Error("this platform cannot write files; use the model's bytes (in a browser, offer them as a Blob download)");
};

export function setFileWriter(writer: (path: string, bytes: Uint8Array) => void): void {
  writeBytes = writer;
}

/** `[0].w` -> `input_0_w`; a lone leaf is just `input`. */
function namesFor(paths: readonly string[], prefix: string): string[] {
  if (paths.length === 1) return [prefix];
  return paths.map((p) => `${prefix}_${p.replace(/[^A-Za-z0-9]+/g, "_").replace(/^_+|_+$/g, "")}`);
}

/**
 * `exportOnnx(f, ...exampleArgs)`: traces `f` at the example arguments' shapes and dtypes and writes
 * it as an ONNX model that any ONNX runtime loads. Array arguments become the model's inputs
 * (named after their pytree paths), arrays that `f` closes over (the trained parameters) become
 * initializers, and the outputs keep `f`'s output order. Export the forward pass in eval mode: a
 * closure such as `(x) => model.apply(params, x, { train: false })`. Shapes are fixed by the examples.
 */
export function exportOnnx<F extends (...args: any[]) => unknown>(f: F, ...exampleArgs: Parameters<F>): ExportedOnnx {
  const closed = makeJaxpr(f as unknown as (...args: any[]) => never)(...exampleArgs);
  const inputNames = namesFor(tree.leafPaths(closed.inTree!), "input");
  const outputNames = namesFor(tree.leafPaths(closed.outTree!), "output");
  const lowered = lowerToOnnx(closed, {
    inputNames,
    outputNames,
    graphName: f.name || "mmx_model",
    docString: `exported by @mmx/onnx from ${f.name || "an anonymous function"}`,
  });
  const spec = (names: readonly string[], avals: typeof lowered.inAvals) => names.map((name, i) => ({ name, dtype: avals[i]!.dtype, shape: avals[i]!.shape }));
  return {
    bytes: lowered.bytes,
    inputs: spec(lowered.inputNames, lowered.inAvals),
    outputs: spec(lowered.outputNames, lowered.outAvals),
    save(path: string) {
      try {
        writeBytes(path, lowered.bytes);
      } catch (e) {
        throw new Error(`exportOnnx: could not write ${path}: ${(e as Error).message}`);
      }
    },
  };
}
