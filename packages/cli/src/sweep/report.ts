import { METHOD_REGISTRY } from "../methods.js";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeChart } from "../reproduce/render.js";
import { REPRODUCE_METRICS } from "../reproduce/table.js";
import type { Method } from "../config.js";
import { finishedResults, readManifest } from "./folder.js";
import type { CellResult } from "./run-cell.js";
import { interval, type Interval } from "./stats.js";

/**
 * The report's metrics: the last epoch's test error, NLL and ECE, the NLL and ECE after temperature
 * scaling (T fitted on held-out training examples; "--" for cells without), and FGSM accuracy.
 */
const METRICS = REPRODUCE_METRICS;
type MetricKey = (typeof METRICS)[number]["key"];

/** One group of cells (all but the seed equal): its metrics over the seeds. */
export interface GroupRow {
  group: string;
  context: string;
  method: Method;
  alpha: number;
  /** The eligible set by boundary name (manifold mixup). */
  eligible: string[];
  seeds: number[];
  stats: Record<MetricKey, Interval>;
  fgsmEps: number;
}

export function groupRows(results: readonly CellResult[]): GroupRow[] {
  const groups = new Map<string, CellResult[]>();
  for (const r of results) groups.set(r.group, [...(groups.get(r.group) ?? []), r]);
  return [...groups.values()].map((rs) => {
    const c = rs[0]!.config;
    return {
      group: rs[0]!.group,
      context: rs[0]!.context,
      method: c.method,
      alpha: c.alpha,
      eligible: METHOD_REGISTRY[c.method].placement === "eligible" ? c.layerNames : [],
      seeds: rs.map((r) => r.config.seed),
      stats: Object.fromEntries(METRICS.map((m) => [m.key, interval(rs.map(m.value))])) as GroupRow["stats"],
      fgsmEps: rs[0]!.fgsm.eps,
    };
  });
}

export const methodOf = (r: GroupRow) => {
  const placement = METHOD_REGISTRY[r.method].placement;
  return placement === "nowhere" ? r.method : placement === "input" ? `${r.method} α=${r.alpha}` : `${r.method} α=${r.alpha} {${r.eligible.join(",")}}`;
};
const scaled = (m: (typeof METRICS)[number], x: number) => (Number.isFinite(x) ? (x * m.scale).toFixed(m.digits) : "--");
const cell = (m: (typeof METRICS)[number], s: Interval) => `${scaled(m, s.mean)} ± ${scaled(m, s.std)} [${scaled(m, s.lo)}, ${scaled(m, s.hi)}]`;

/** mean ± std [95% interval] per group and metric, as fixed-width text or Markdown. */
export function formatGroups(rows: readonly GroupRow[], style: "text" | "markdown"): string {
  const header = ["context", "method", "seeds", ...METRICS.map((m) => `${m.title} mean ± std [95% CI]`)];
  const body = rows.map((r) => [r.context, methodOf(r), String(r.seeds.length), ...METRICS.map((m) => cell(m, r.stats[m.key]))]);
  if (style === "markdown") return [`| ${header.join(" | ")} |`, `|${header.map((_, j) => (j < 2 ? "---" : "---:")).join("|")}|`, ...body.map((l) => `| ${l.join(" | ")} |`)].join("\n");
  const widths = header.map((h, j) => Math.max(h.length, ...body.map((l) => l[j]!.length)));
  const line = (l: string[]) => l.map((c, j) => (j < 2 ? c.padEnd(widths[j]!) : c.padStart(widths[j]!))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)].join("\n");
}

/**
 * Per context and metric, the groups ranked best first, and whether the leader's 95% interval
 * clears the runner-up's (with one seed there is no interval, and the line says so).
 */
export function rankings(rows: readonly GroupRow[]): string[] {
  const lines: string[] = [];
  for (const context of new Set(rows.map((r) => r.context))) {
    const inContext = rows.filter((r) => r.context === context);
    if (inContext.length < 2) continue;
    for (const m of METRICS) {
      // Groups without the metric (cells finished before calibration was recorded, or without held-out data) are left out.
      const measured = inContext.filter((r) => Number.isFinite(r.stats[m.key].mean));
      if (measured.length < 2) continue;
      const ranked = [...measured].sort((a, b) => (m.lowerIsBetter ? 1 : -1) * (a.stats[m.key].mean - b.stats[m.key].mean));
      const [first, second] = ranked as [GroupRow, GroupRow];
      const a = first.stats[m.key];
      const b = second.stats[m.key];
      const separated = Number.isFinite(a.lo) && Number.isFinite(b.lo) ? (m.lowerIsBetter ? a.hi < b.lo : a.lo > b.hi) : undefined;
      const verdict = separated === undefined ? "one seed: no interval" : separated ? "its 95% interval clears the runner-up's" : "its 95% interval overlaps the runner-up's";
      lines.push(`${context}, ${m.title.replace(" %", "")}: ${ranked.map((r, i) => `${i + 1}. ${methodOf(r)} ${scaled(m, r.stats[m.key].mean)}`).join("  ")} (${verdict})`);
    }
  }
  return lines;
}

/** Test error against α per mixup method (and eligible set), one panel per context; no mixup as a dashed line. */
export function alphaCurvesSpec(rows: readonly GroupRow[]): Record<string, unknown> {
  const error = METRICS.find((m) => m.key === "error")!;
  const values = rows.map((r) => {
    const s = r.stats.error;
    const series = METHOD_REGISTRY[r.method].placement === "eligible" ? `${r.method === "manifold" ? "manifold" : METHOD_REGISTRY[r.method].title} {${r.eligible.join(",")}}` : METHOD_REGISTRY[r.method].title;
    return { context: r.context, series, none: r.method === "none", alpha: r.alpha, mean: s.mean * error.scale, lo: (Number.isFinite(s.lo) ? s.lo : s.mean) * error.scale, hi: (Number.isFinite(s.hi) ? s.hi : s.mean) * error.scale };
  });
  const x = { field: "alpha", type: "quantitative", title: "α" };
  const color = { field: "series", type: "nominal", title: null, legend: { labelLimit: 400 } };
  return {
    title: { text: "Test error against α (mean over seeds, 95% interval)", subtitle: "dashed: no mixup" },
    data: { values },
    facet: { column: { field: "context", type: "nominal", title: null } },
    spec: {
      width: 280,
      height: 200,
      layer: [
        { transform: [{ filter: "!datum.none" }], mark: { type: "errorbar" }, encoding: { x, y: { field: "lo", type: "quantitative", title: "test error %", scale: { zero: false } }, y2: { field: "hi" }, color } },
        { transform: [{ filter: "!datum.none" }], mark: { type: "line", point: true }, encoding: { x, y: { field: "mean", type: "quantitative" }, color } },
        { transform: [{ filter: "datum.none" }], mark: { type: "rule", strokeDash: [4, 3] }, encoding: { y: { field: "mean", type: "quantitative" }, color } },
      ],
    },
  };
}

/** Manifold mixup's test error per eligible set (bars with 95% intervals), by α, one row per context. */
export function eligibleSetsSpec(rows: readonly GroupRow[]): Record<string, unknown> {
  const error = METRICS.find((m) => m.key === "error")!;
  const values = rows
    .filter((r) => r.method === "manifold")
    .map((r) => ({ context: r.context, eligible: `{${r.eligible.join(",")}}`, alpha: `α=${r.alpha}`, mean: r.stats.error.mean * error.scale, lo: (Number.isFinite(r.stats.error.lo) ? r.stats.error.lo : r.stats.error.mean) * error.scale, hi: (Number.isFinite(r.stats.error.hi) ? r.stats.error.hi : r.stats.error.mean) * error.scale }));
  const y = { field: "eligible", type: "nominal", title: "eligible set" };
  return {
    title: { text: "Manifold mixup: test error per eligible set (mean over seeds, 95% interval)" },
    data: { values },
    facet: { row: { field: "context", type: "nominal", title: null } },
    spec: {
      width: 320,
      layer: [
        { mark: { type: "bar", opacity: 0.8 }, encoding: { y, yOffset: { field: "alpha" }, x: { field: "mean", type: "quantitative", title: "test error %" }, color: { field: "alpha", type: "nominal", title: null } } },
        { mark: { type: "errorbar" }, encoding: { y, yOffset: { field: "alpha" }, x: { field: "lo", type: "quantitative", title: "test error %" }, x2: { field: "hi" } } },
      ],
    },
  };
}

/** What "(T)" means in the table, and which cells lack it. */
export function calibrationNote(results: readonly CellResult[]): string {
  const fitted = results.filter((r) => r.calibrated && !("missing" in r.calibrated)).length;
  const missing = results.flatMap((r) => (r.calibrated && "missing" in r.calibrated ? [r.calibrated.missing] : []));
  const older = results.filter((r) => r.calibrated === undefined).length;
  const gaps = [
    ...(missing.length ? [`${missing.length} without held-out data (${missing[0]})`] : []),
    ...(older > 0 ? [`${older} finished by an mmx that did not record calibration`] : []),
  ];
  return `"(T)": after temperature scaling, T fitted on held-out training examples (never the test set), in ${fitted} of ${results.length} cells${gaps.length ? `; "--" where a group has cells without it: ${gaps.join(", ")}` : ""}`;
}

export interface SweepReport {
  cells: number;
  finished: number;
  rows: GroupRow[];
  table: string;
  rankings: string[];
  plots: string[];
}

/**
 * Aggregates a sweep folder's finished cells: the group table, the rankings, `report.md`,
 * `report.json` and, with `plots`, `plots/alpha-curves` and `plots/eligible-sets` (SVG and PNG).
 */
export async function sweepReport(out: string, opts: { plots: boolean }): Promise<SweepReport> {
  const manifest = readManifest(out);
  const results = finishedResults(out, manifest.cells);
  const rows = groupRows(results);
  const ranked = rankings(rows);
  const plots: string[] = [];
  if (opts.plots && rows.length > 0) {
    const dir = join(out, "plots");
    mkdirSync(dir, { recursive: true });
    if (rows.some((r) => r.method !== "none")) plots.push(...(await writeChart(join(dir, "alpha-curves"), alphaCurvesSpec(rows))));
    if (rows.some((r) => r.method === "manifold")) plots.push(...(await writeChart(join(dir, "eligible-sets"), eligibleSetsSpec(rows))));
  }
  const table = formatGroups(rows, "text");
  const heading = `${results.length} of ${manifest.cells.length} cells finished, backend ${manifest.backend}; metrics are the last epoch's (no selection on the test set), mean ± sample std [95% t-interval] over seeds; ${calibrationNote(results)}.`;
  writeFileSync(join(out, "report.md"), `# Sweep report\n\n${heading}\n\n${formatGroups(rows, "markdown")}\n\n## Rankings\n\n${ranked.map((l) => `- ${l}`).join("\n")}\n`);
  writeFileSync(join(out, "report.json"), `${JSON.stringify({ cells: manifest.cells.length, finished: results.length, backend: manifest.backend, rows, rankings: ranked, plots }, null, 1)}\n`);
  return { cells: manifest.cells.length, finished: results.length, rows, table: `${heading}\n\n${table}`, rankings: ranked, plots };
}
