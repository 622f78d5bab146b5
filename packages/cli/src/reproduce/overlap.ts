import { METRICS, type Row, type Stat } from "./table.js";

/** A seed interval: mean ± one sample standard deviation over the seeds. */
export const seedInterval = (s: Stat): [number, number] => [s.mean - s.std, s.mean + s.std];

/** Whether two seed intervals share a point (touching counts as overlapping: the gap is not larger than the spread). */
export function intervalsOverlap(a: Stat, b: Stat): boolean {
  const [aLo, aHi] = seedInterval(a);
  const [bLo, bHi] = seedInterval(b);
  return aLo <= bHi && bLo <= aHi;
}

/** Two methods compared on one metric of one dataset. */
export interface IntervalComparison {
  dataset: string;
  metric: (typeof METRICS)[number]["key"];
  /** The compared plan with the better mean, and the other one, by `planKey` (a method, or a method and its eligible set). */
  better: string;
  worse: string;
  /** |difference of the means|, in the metric's own units. */
  gap: number;
  /** Null where a method has a single seed: it has no interval. */
  overlap: boolean | null;
}

/**
 * Every pair of methods of each dataset, on every metric of the table: which has the better mean, by
 * how much, and whether their seed intervals (mean ± std) overlap. Intervals that do not overlap are the
 * demo's bar for "the seeds agree on the ordering"; with three seeds it is a rough bar, not a test.
 */
export function compareIntervals(rows: readonly Row[]): IntervalComparison[] {
  const out: IntervalComparison[] = [];
  for (const dataset of new Set(rows.map((r) => r.dataset))) {
    const group = rows.filter((r) => r.dataset === dataset);
    for (const m of METRICS) {
      for (let i = 0; i < group.length; i++) {
        for (let j = i + 1; j < group.length; j++) {
          const [a, b] = [group[i]!, group[j]!];
          const sa = a.stats[m.key];
          const sb = b.stats[m.key];
          const aBetter = m.lowerIsBetter ? sa.mean <= sb.mean : sa.mean >= sb.mean;
          const [better, worse] = aBetter ? [a, b] : [b, a];
          out.push({ dataset, metric: m.key, better: better.variant, worse: worse.variant, gap: Math.abs(sa.mean - sb.mean), overlap: sa.n > 1 && sb.n > 1 ? intervalsOverlap(sa, sb) : null });
        }
      }
    }
  }
  return out;
}

/** One line per dataset: for each metric, each pair as "manifold < none apart" or "... overlap" ("<": better mean). */
export function overlapLines(rows: readonly Row[]): string[] {
  const comparisons = compareIntervals(rows);
  return [...new Set(comparisons.map((c) => c.dataset))].map((dataset) => {
    const parts = METRICS.map((m) => {
      const pairs = comparisons.filter((c) => c.dataset === dataset && c.metric === m.key);
      return `${m.title.replace(" %", "")}: ${pairs.map((c) => `${c.better} ahead of ${c.worse} by ${(c.gap * m.scale).toFixed(m.digits)}, ${c.overlap === null ? "one seed, no intervals" : c.overlap ? "intervals overlap" : "intervals apart"}`).join("; ")}`;
    });
    return `${dataset} seed intervals (mean ± std over the seeds): ${parts.join(". ")}.`;
  });
}
