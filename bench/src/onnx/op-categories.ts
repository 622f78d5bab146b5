/**
 * What part of a training step an onnxruntime node belongs to, from its name (`primitive@layer#n:Op`, as
 * @mmx/onnx names every node after the equation it lowers) and its operator: the categories that
 * bench/torch_op_profile.py sorts PyTorch's operators into, so that the two steps compare part by part.
 */
export const CATEGORIES = [
  "conv forward",
  "conv input grad",
  "conv filter grad",
  "batch norm",
  "pool forward",
  "pool backward",
  "relu forward",
  "relu backward",
  "dense",
  "layout",
  "loss, optimizer, other",
] as const;
export type Category = (typeof CATEGORIES)[number];

/** A node's category; nodes onnxruntime made itself (layout reorders, its transposes) are `layout`. */
export function categoryOf(nodeName: string, op: string): Category {
  const at = nodeName.replace(/^fused /, "").match(/^([a-z_]+)@([^#]*)#/);
  if (!at) return op === "MaxPool" ? "pool forward" : op === "Conv" || op === "FusedConv" ? "conv forward" : "layout";
  const [, primitive, scope] = at as unknown as [string, string, string];
  const layer = scope.split(".").pop() ?? "";
  if (primitive === "conv_transpose") return "conv input grad";
  if (primitive === "conv_filter_grad") return "conv filter grad";
  if (primitive === "conv" || op === "Conv" || op === "FusedConv") return "conv forward";
  if (primitive === "reduce_sum" && /conv|proj/.test(layer)) return "conv filter grad";
  if (/^bn|norm/.test(layer)) return "batch norm";
  if (primitive === "max_pool" || primitive === "avg_pool") return "pool forward";
  if (primitive === "scatter_add" || primitive === "max_pool_argmax" || primitive === "avg_pool_grad") return "pool backward";
  if (primitive === "relu") return "relu forward";
  if (scope !== "<top>" && (primitive === "greater" || primitive === "where" || primitive === "mul")) return "relu backward";
  if (primitive === "matmul" || /linear|dense|fc|out/.test(layer)) return "dense";
  return "loss, optimizer, other";
}
