import { Array } from "@mmx/core";

/** The shape of `like[name]` when it is an array: how a layer reads sizes from given params. */
export function leafShape(like: unknown, name: string): readonly number[] | undefined {
  if (like === null || typeof like !== "object") return undefined;
  const v = (like as Record<string, unknown>)[name];
  return v instanceof Array ? v.shape : undefined;
}
