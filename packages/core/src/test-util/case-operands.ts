import { np, type Array as MxArray } from "../index.js";
import type { Operand, PrimitiveCase } from "./primitive-cases.js";

/**
 * How the suites that walk the primitive case table (core's and the onnx executor's) name a case, make its
 * operands and pick the operands they differentiate, so that every suite reads a case the same way.
 */

/** The test's name: the primitive, and the label where one primitive has several cases. */
export const caseName = (c: PrimitiveCase): string => (c.label ? `${c.primitive} (${c.label})` : c.primitive);

/** The operand as an array on the current backend; `scale` multiplies float operands (several examples of one case). */
export const operandArray = (o: Operand, scale = 1): MxArray =>
  np.array(o.dtype === "float32" && scale !== 1 ? o.values.map((v) => v * scale) : o.values, { shape: o.shape, dtype: o.dtype });

/** The operands a suite differentiates: those tfjs's tape checks and those finite differences check, once each. */
export const differentiatedArgs = (c: PrimitiveCase): number[] => [...new Set([...(c.tapeArgs ?? []), ...(c.fdArgs ?? [])])];

/** The case as a function of its differentiated operands alone, the others held at `xs`. */
export const ofDifferentiated = (c: PrimitiveCase, xs: readonly MxArray[], extra: unknown, args: readonly number[]) => (...ds: MxArray[]): MxArray =>
  c.mmx(xs.map((x, i) => (args.includes(i) ? ds[args.indexOf(i)]! : x)), extra);
