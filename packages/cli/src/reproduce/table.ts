import type { Method } from "../config.js";
import type { RunCalibration } from "../calibrate-run.js";
import type { RunOutcome } from "./pipeline.js";

/** A metric of the table: how to read it off a run, whether lower is better, how to print it. */
export interface MetricDef<O = Pick<RunOutcome, "final" | "fgsm">> {
  key: "error" | "nll" | "ece" | "nllT" | "eceT" | "fgsm";
  title: string;
  value: (o: O) => number;
  lowerIsBetter: boolean;
  /** Scale for printing (100: as a percentage) and digits. */
  scale: number;
  digits: number;
  /** The paper's ordering for this metric, best first, where it reports one (CIFAR-10, PreActResNet18). */
  paper?: { order: Method[]; values: string };
}

export const METRICS: readonly MetricDef[] = [
  { key: "error", title: "test error %", value: (o) => o.final.testError, lowerIsBetter: true, scale: 100, digits: 2, paper: { order: ["manifold", "input", "none"], values: "4.83 / 3.82 / 2.95 %" } },
  { key: "nll", title: "test NLL", value: (o) => o.final.testNll, lowerIsBetter: true, scale: 1, digits: 3, paper: { order: ["manifold", "input", "none"], values: "0.190 / 0.186 / 0.137" } },
  { key: "ece", title: "ECE %", value: (o) => o.final.testEce, lowerIsBetter: true, scale: 100, digits: 2 },
  { key: "fgsm", title: "FGSM acc %", value: (o) => o.fgsm.adversarial, lowerIsBetter: false, scale: 100, digits: 1, paper: { order: ["manifold", "input", "none"], values: "36.32 / 71.51 / 77.50 %" } },
];

/** A measured run (a demo run or a sweep cell): its calibration may be missing (no held-out data, or an older cell). */
export type Measured = Pick<RunOutcome, "final" | "fgsm"> & { calibrated?: RunCalibration };

/** A calibrated metric of a run, NaN (printed "--") where it has none. */
export const afterTemperature = (o: Measured, metric: "nll" | "ece"): number => (o.calibrated && !("missing" in o.calibrated) ? o.calibrated[metric] : NaN);

/**
 * The demo's and the sweep report's columns: the metrics above, with the test NLL and ECE after
 * temperature scaling beside the plain ones.
 */
export const REPRODUCE_METRICS: readonly MetricDef<Measured>[] = [
  ...METRICS.filter((m) => m.key !== "fgsm"),
  // After temperature scaling (T fitted on held-out data): mixup's calibration gain is known to change there.
  { key: "nllT", title: "NLL (T)", value: (o) => afterTemperature(o, "nll"), lowerIsBetter: true, scale: 1, digits: 3 },
  { key: "eceT", title: "ECE % (T)", value: (o) => afterTemperature(o, "ece"), lowerIsBetter: true, scale: 100, digits: 2 },
  ...METRICS.filter((m) => m.key === "fgsm"),
];

export interface Stat {
  mean: number;
  std: number;
  n: number;
}

/** Mean and sample standard deviation (n − 1; 0 for a single value). */
export function stat(values: readonly number[]): Stat {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, n };
}

export interface Row {
  dataset: string;
  method: Method;
  /** The plan it summarises (`planKey`) and its title. */
  variant: string;
  label: string;
  alpha: number;
  seeds: number;
  stats: Record<MetricDef["key"], Stat>;
  fgsmEps: number;
}

export function summarize(outcomes: readonly RunOutcome[]): Row[] {
  const rows: Row[] = [];
  for (const o of outcomes) {
    if (rows.some((r) => r.dataset === o.dataset && r.variant === o.variant)) continue;
    const group = outcomes.filter((p) => p.dataset === o.dataset && p.variant === o.variant);
    const stats = Object.fromEntries(REPRODUCE_METRICS.map((m) => [m.key, stat(group.map(m.value))])) as Row["stats"];
    rows.push({ dataset: o.dataset, method: o.method, variant: o.variant, label: o.label, alpha: o.alpha, seeds: group.length, stats, fgsmEps: o.fgsm.eps });
  }
  return rows;
}

const fmt = (m: Omit<MetricDef, "value">, s: Stat) => `${(s.mean * m.scale).toFixed(m.digits)} ± ${(s.std * m.scale).toFixed(m.digits)}`;
const methodLabel = (r: Row) => `${r.label}${r.method === "none" ? "" : ` (α=${r.alpha})`}`;

/** The table as fixed-width text (stdout) or Markdown (docs). */
export function formatTable(rows: readonly Row[], style: "text" | "markdown"): string {
  const header = ["dataset", "method", ...REPRODUCE_METRICS.map((m) => m.title)];
  const body = rows.map((r) => [r.dataset, methodLabel(r), ...REPRODUCE_METRICS.map((m) => `${fmt(m, r.stats[m.key])}${m.key === "fgsm" ? ` (ε=${r.fgsmEps})` : ""}`)]);
  if (style === "markdown") {
    const best = bestCells(rows);
    const cells = body.map((line, i) => line.map((c, j) => (j >= 2 && best.has(`${i}:${j - 2}`) ? `**${c}**` : c)));
    return [`| ${header.join(" | ")} |`, `|${header.map((_, j) => (j < 2 ? "---" : "---:")).join("|")}|`, ...cells.map((l) => `| ${l.join(" | ")} |`)].join("\n");
  }
  const widths = header.map((h, j) => Math.max(h.length, ...body.map((l) => l[j]!.length)));
  const line = (l: string[]) => l.map((c, j) => (j < 2 ? c.padEnd(widths[j]!) : c.padStart(widths[j]!))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)].join("\n");
}

/** Which (row, metric) cells hold each dataset's best mean. */
function bestCells(rows: readonly Row[]): Set<string> {
  const out = new Set<string>();
  for (const [j, m] of REPRODUCE_METRICS.entries()) {
    for (const dataset of new Set(rows.map((r) => r.dataset))) {
      const idx = rows.map((r, i) => [r, i] as const).filter(([r]) => r.dataset === dataset);
      const best = idx.reduce((a, b) => (better(m, b[0].stats[m.key].mean, a[0].stats[m.key].mean) ? b : a));
      out.add(`${best[1]}:${j}`);
    }
  }
  return out;
}

const better = (m: Omit<MetricDef, "value">, a: number, b: number) => (m.lowerIsBetter ? a < b : a > b);

/** The methods of one dataset ranked best first on a metric. */
function ranking(rows: readonly Row[], dataset: string, m: Omit<MetricDef, "value">): Row[] {
  return rows.filter((r) => r.dataset === dataset).sort((a, b) => (m.lowerIsBetter ? 1 : -1) * (a.stats[m.key].mean - b.stats[m.key].mean));
}

/**
 * Sentences read off the numbers: the best method per metric and dataset, whether its lead over the
 * runner-up exceeds the seed-to-seed spread, and how each ranking compares with the paper's (manifold
 * mixup first, then input mixup, then no mixup, on CIFAR-10 error, NLL and FGSM accuracy).
 */
export function findings(rows: readonly Row[]): string[] {
  const lines: string[] = [];
  let agreeFirst = 0;
  let agreeOrder = 0;
  let compared = 0;
  const short = (ms: readonly string[]) => ms.join(" > ");
  // The paper's ranking is of its three methods at their own places: compared only where the rows are those.
  const paperMethods = rows.every((r) => r.variant === r.method);
  for (const dataset of new Set(rows.map((r) => r.dataset))) {
    const parts: string[] = [];
    for (const m of REPRODUCE_METRICS) {
      const ranked = ranking(rows, dataset, m);
      const [first, second] = ranked as [Row, Row | undefined];
      let text = `${m.title.replace(" %", "")}: ${first.variant} best`;
      if (second) {
        const gap = Math.abs(first.stats[m.key].mean - second.stats[m.key].mean);
        const spread = first.stats[m.key].std + second.stats[m.key].std;
        if (gap <= spread) text += ` (its lead over ${second.variant} is within the seed spread)`;
      }
      const order = ranked.map((r) => r.variant);
      if (m.paper && paperMethods) {
        compared++;
        const same = order.length === m.paper.order.length && order.every((o, i) => o === m.paper!.order[i]);
        if (order[0] === m.paper.order[0]) agreeFirst++;
        if (same) agreeOrder++;
        text += `; ranking ${short(order)}${same ? ", as in the paper" : ` (paper: ${short(m.paper.order)})`}`;
      } else {
        text += `; ranking ${short(order)}${m.paper ? "" : ` (the paper reports no ${m.key === "ece" ? "ECE" : "temperature-scaled metrics"})`}`;
      }
      parts.push(text);
    }
    lines.push(`${dataset}: ${parts.join(". ")}.`);
  }
  if (!paperMethods) return [...lines, ...eligibleSetLines(rows)];
  lines.push(
    `Compared with the paper (CIFAR-10 PreActResNet18: manifold > input > none on test error, NLL and FGSM accuracy; ">" = better): here manifold mixup ranks first in ${agreeFirst} of ${compared} (dataset, metric) comparisons, and the whole ranking matches the paper's in ${agreeOrder} of ${compared}.`,
  );
  return lines;
}

/** The flattening measure per dataset and method: mean over classes (then seeds) of the largest singular value and of the sum of the rest. */
export function flatteningLines(outcomes: readonly RunOutcome[]): string[] {
  const lines: string[] = [];
  for (const dataset of new Set(outcomes.map((o) => o.dataset))) {
    const group = outcomes.filter((o) => o.dataset === dataset);
    const layer = group[0]!.spectra.layerName;
    const parts: string[] = [];
    const means: Record<string, { largest: number; rest: number }> = {};
    for (const variant of new Set(group.map((o) => o.variant))) {
      const runs = group.filter((o) => o.variant === variant);
      const largest = stat(runs.map((o) => o.spectra.largest)).mean;
      const rest = stat(runs.map((o) => o.spectra.restSum)).mean;
      means[variant] = { largest, rest };
      parts.push(`${runs[0]!.label} ${largest.toPrecision(4)} / ${rest.toPrecision(4)}`);
    }
    const mm = means.manifold;
    const none = means.none;
    const verdict =
      mm && none
        ? mm.largest < none.largest && mm.rest < none.rest
          ? "both smaller with manifold mixup than without, as in the paper (MNIST: 51.73 -> 31.65 and 78.67 -> 40.98)"
          : `not both smaller with manifold mixup than without (largest ${mm.largest < none.largest ? "smaller" : "larger"}, rest ${mm.rest < none.rest ? "smaller" : "larger"}), unlike the paper's MNIST result (51.73 -> 31.65, 78.67 -> 40.98)`
        : "";
    lines.push(`${dataset} flattening at '${layer}' (per-class singular values, largest / sum of the rest, mean over classes and seeds): ${parts.join(", ")}${verdict ? `; ${verdict}` : ""}.`);
  }
  return lines;
}

/**
 * The paper's Table 5 beside an eligible-set comparison: on CIFAR-10 (PreActResNet18, test accuracy) {0,1,2} was
 * best at 97.23, {0} (input mixup) 96.73, {} (no mixup) 95.27, and the sets without the input were worse.
 */
function eligibleSetLines(rows: readonly Row[]): string[] {
  const error = REPRODUCE_METRICS.find((m) => m.key === "error")!;
  const lines = [...new Set(rows.map((r) => r.dataset))].map((dataset) => {
    const ranked = ranking(rows, dataset, error);
    const withInput = ranked.filter((r) => r.method === "manifold" && r.variant.split("-").slice(1).includes("0"));
    const withoutInput = ranked.filter((r) => r.method === "manifold" && !r.variant.split("-").slice(1).includes("0"));
    const mean = (rs: readonly Row[]) => rs.reduce((s, r) => s + r.stats.error.mean, 0) / rs.length;
    const inputSide =
      withInput.length > 0 && withoutInput.length > 0
        ? `; sets with the input average ${(100 * mean(withInput)).toFixed(2)}% test error, sets without it ${(100 * mean(withoutInput)).toFixed(2)}% (${mean(withoutInput) > mean(withInput) ? "worse, as in the paper" : "not worse, unlike the paper"})`
        : "";
    return `${dataset} by eligible set, test error best first: ${ranked.map((r) => `${r.label.replace(/^manifold mixup /, "").replace(/^no mixup$/, "{}")} ${(100 * r.stats.error.mean).toFixed(2)}%`).join(", ")}${inputSide}.`;
  });
  lines.push("The paper's Table 5 (CIFAR-10, PreActResNet18, test accuracy by eligible set): {0,1,2} 97.23% best, {0} 96.73%, {} 95.27%; sets without the input were worse.");
  return lines;
}
