/** One palette for every chart: the two spiral arms, the three methods, and the neutrals around them. */
export const ARM_COLORS = ["#d9622b", "#2b6cb0"] as const;

export type MethodId = "none" | "input" | "manifold";

export const METHOD_COLORS: Record<MethodId, string> = {
  none: "#6b7280",
  input: "#0f9d8a",
  manifold: "#8b3fd9",
};

export const INK = "#1c2230";
export const MUTED = "#6b7385";
export const GRID = "#e6e8ee";

/** "#rrggbb" as [r, g, b] bytes. */
export function rgb(hex: string): [number, number, number] {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}
