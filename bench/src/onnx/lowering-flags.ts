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

/** `key=value,key=value` of onnxruntime session config entries (passed through as they are: onnxruntime checks them). */
export function parseSessionConfig(flag: string, text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of text.split(",").filter(Boolean)) {
    const at = pair.indexOf("=");
    if (at <= 0) throw new Error(`${flag}: expected key=value pairs of onnxruntime session config entries, got '${pair}'`);
    out[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return out;
}
