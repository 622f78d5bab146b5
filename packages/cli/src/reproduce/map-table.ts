import type { Method } from "../config.js";
import type { CellResult } from "../sweep/run-cell.js";
import { intervalsOverlap } from "./overlap.js";
import { afterTemperature, stat, type Stat } from "./table.js";

/**
 * The metrics a map compares, read off a cell's last epoch; "(T)": after temperature scaling, T fitted
 * on held-out training examples (NaN, printed "--", for a cell without it).
 */
export const MAP_METRICS = [
  { key: "error", title: "test error %", scale: 100, digits: 2, value: (r: CellResult) => r.final.testError },
  { key: "nll", title: "test NLL", scale: 1, digits: 3, value: (r: CellResult) => r.final.testNll },
  { key: "nllT", title: "test NLL (T)", scale: 1, digits: 3, value: (r: CellResult) => afterTemperature(r, "nll") },
  { key: "eceT", title: "ECE % (T)", scale: 100, digits: 2, value: (r: CellResult) => afterTemperature(r, "ece") },
] as const;
export type MapMetric = (typeof MAP_METRICS)[number]["key"];

/** What each mixup method is compared against. */
export const MAP_COMPARISONS = [
  { method: "manifold", title: "manifold − none" },
  { method: "input", title: "input − none" },
] as const satisfies readonly { method: Method; title: string }[];

/** One mixup method against no mixup, on one metric, at one point of the grid. */
export interface MapDelta {
  /** mean(method) − mean(none): negative where mixup does better. */
  value: number;
  /** Whether the two methods' seed intervals (mean ± std) overlap; with one seed there are no intervals. */
  overlap: boolean | null;
}

/** One point of the grid: a training-set size and an epoch count, the seeds finished there, and the differences. */
export interface MapPoint {
  size: number;
  epochs: number;
  stats: Partial<Record<Method, Record<MapMetric, Stat>>>;
  /** By comparison (the mixup method) and metric; absent where a method has no finished run here. */
  deltas: Partial<Record<(typeof MAP_COMPARISONS)[number]["method"], Record<MapMetric, MapDelta>>>;
}

/** The grid's points from the finished cells, sizes then epochs ascending. */
export function mapPoints(results: readonly CellResult[]): MapPoint[] {
  const key = (r: CellResult) => `${r.config.trainLimit}:${r.config.epochs}`;
  const groups = new Map<string, CellResult[]>();
  for (const r of results) groups.set(key(r), [...(groups.get(key(r)) ?? []), r]);
  const points = [...groups.values()].map((rs): MapPoint => {
    const stats: MapPoint["stats"] = {};
    for (const method of new Set(rs.map((r) => r.config.method))) {
      const runs = rs.filter((r) => r.config.method === method);
      stats[method] = Object.fromEntries(MAP_METRICS.map((m) => [m.key, stat(runs.map(m.value))])) as Record<MapMetric, Stat>;
    }
    const deltas: MapPoint["deltas"] = {};
    for (const c of MAP_COMPARISONS) {
      const mixed = stats[c.method];
      const none = stats.none;
      if (!mixed || !none) continue;
      deltas[c.method] = Object.fromEntries(
        MAP_METRICS.map((m) => {
          const [a, b] = [mixed[m.key], none[m.key]];
          return [m.key, { value: a.mean - b.mean, overlap: a.n > 1 && b.n > 1 ? intervalsOverlap(a, b) : null }];
        }),
      ) as Record<MapMetric, MapDelta>;
    }
    return { size: rs[0]!.config.trainLimit ?? 0, epochs: rs[0]!.config.epochs, stats, deltas };
  });
  return points.sort((a, b) => a.size - b.size || a.epochs - b.epochs);
}

const signed = (x: number, digits: number) => `${x > 0 ? "+" : x < 0 ? "−" : "±"}${Math.abs(x).toFixed(digits)}`;

/** A difference as printed: signed, with "*" where the seed intervals are apart. */
export function formatDelta(d: MapDelta | undefined, m: (typeof MAP_METRICS)[number]): string {
  if (!d || !Number.isFinite(d.value)) return "--";
  return `${signed(d.value * m.scale, m.digits)}${d.overlap === false ? " *" : ""}`;
}

/**
 * The table: per point, no mixup's mean error and NLL, and each mixup method's difference from it.
 * "*": the two methods' seed intervals (mean ± std) do not overlap.
 */
export function formatMap(points: readonly MapPoint[], style: "text" | "markdown"): string {
  const seedsAt = (p: MapPoint) => Math.min(...Object.values(p.stats).map((s) => s.error.n));
  const header = ["train images", "epochs", "seeds", ...MAP_METRICS.flatMap((m) => [`no mixup ${m.title}`, ...MAP_COMPARISONS.map((c) => `${c.title} ${m.title.replace(" %", "")}`)])];
  const body = points.map((p) => [
    String(p.size),
    String(p.epochs),
    String(seedsAt(p)),
    ...MAP_METRICS.flatMap((m) => [p.stats.none && Number.isFinite(p.stats.none[m.key].mean) ? (p.stats.none[m.key].mean * m.scale).toFixed(m.digits) : "--", ...MAP_COMPARISONS.map((c) => formatDelta(p.deltas[c.method]?.[m.key], m))]),
  ]);
  if (style === "markdown") return [`| ${header.join(" | ")} |`, `|${header.map(() => "---:").join("|")}|`, ...body.map((l) => `| ${l.join(" | ")} |`)].join("\n");
  const widths = header.map((h, j) => Math.max(h.length, ...body.map((l) => l[j]!.length)));
  const line = (l: string[]) => l.map((c, j) => c.padStart(widths[j]!)).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)].join("\n");
}

/** Sentences read off the map: per comparison and metric, where mixup does better, and where clearly. */
export function mapFindings(points: readonly MapPoint[]): string[] {
  return MAP_COMPARISONS.flatMap((c) =>
    MAP_METRICS.map((m) => {
      const compared = points.filter((p) => Number.isFinite(p.deltas[c.method]?.[m.key].value ?? NaN));
      const wins = compared.filter((p) => p.deltas[c.method]![m.key].value < 0);
      const clear = wins.filter((p) => p.deltas[c.method]![m.key].overlap === false);
      const withIntervals = wins.filter((p) => p.deltas[c.method]![m.key].overlap !== null);
      const where = (ps: readonly MapPoint[]) => (ps.length ? ps.map((p) => `${p.size}×${p.epochs}`).join(", ") : "none");
      const spread = wins.length === 0 ? "" : withIntervals.length === 0 ? "; one seed per point, so no seed intervals" : `; seed intervals apart at ${clear.length} of the ${withIntervals.length} with several seeds${clear.length ? ` (${where(clear)})` : ""}`;
      return `${c.title}, ${m.title}: lower (mixup better) at ${wins.length} of ${compared.length} points (train images × epochs: ${where(wins)})${spread}.`;
    }),
  );
}
