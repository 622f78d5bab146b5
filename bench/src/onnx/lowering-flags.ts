import { DEFAULT_LOWERING_OPTIONS, type LoweringOptions } from "@mmx/onnx";

/** `key=value,key=value` over the lowering options, keys checked against the options that exist (a value the lowering does not know falls to its default branch). */
export function parseLowering(flag: string, text: string): LoweringOptions {
  const out: Record<string, unknown> = { ...DEFAULT_LOWERING_OPTIONS };
  for (const pair of text.split(",").filter(Boolean)) {
    const [k, v] = pair.split("=");
    if (!k || v === undefined || !(k in DEFAULT_LOWERING_OPTIONS)) {
      throw new Error(`${flag}: expected key=value pairs over ${Object.keys(DEFAULT_LOWERING_OPTIONS).join(", ")}; got '${pair}'`);
    }
    out[k] = v;
  }
  return out as unknown as LoweringOptions;
}
