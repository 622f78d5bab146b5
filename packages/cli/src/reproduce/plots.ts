import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { RunOutcome } from "./pipeline.js";
import { stat } from "./table.js";
import { writeChart } from "./render.js";

/** The methods (or eligible sets) as the runs name them, in the order they were run: the plots' legend order. */
const methodOrder = (outcomes: readonly RunOutcome[]): string[] => [...new Set(outcomes.map((o) => o.label))];
const PALETTE = ["#7f7f7f", "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#bcbd22"];
/** The two arms' colours, the same in every spirals plot: the ends of the decision function's blue-orange scale. */
const armColor = { field: "label", type: "nominal", scale: { domain: ["arm 0", "arm 1"], range: ["#08306b", "#7f2704"] }, title: "class" };
const methodColor = (order: readonly string[]) => ({ field: "method", type: "nominal", sort: order, scale: { domain: order, range: order.map((_, i) => PALETTE[i % PALETTE.length]) }, title: null });

/** Figure 1 (a, b): p(arm 1 | x) over the plane with the test points, one panel per method. */
export function boundariesSpec(outcomes: readonly RunOutcome[]): Record<string, unknown> {
  const order = methodOrder(outcomes);
  const pictured = outcomes.filter((o) => o.spirals);
  const cell = pictured[0]!.spirals!.cell;
  const values = pictured.flatMap((o) => [
    // Each cell reaches 15% into its neighbours, so anti-aliasing leaves no seams between cells.
    ...o.spirals!.grid.map((g) => ({ method: o.label, kind: "grid", x: g.x - cell / 2, x2: g.x + 0.65 * cell, y: g.y - cell / 2, y2: g.y + 0.65 * cell, p: g.p })),
    ...o.spirals!.points.map((p) => ({ method: o.label, kind: "point", px: p.x, py: p.y, label: `arm ${p.label}` })),
  ]);
  const axis = (title: string) => ({ type: "quantitative", scale: { domain: [-1.3, 1.3], nice: false }, title });
  return {
    title: { text: `Spirals: decision function of the Figure-1 network (seed ${pictured[0]!.seed})`, subtitle: "colour: p(arm 1 | x); points: test set" },
    data: { values },
    facet: { column: { field: "method", type: "nominal", sort: order, title: null } },
    spec: {
      width: 260,
      height: 260,
      layer: [
        {
          transform: [{ filter: "datum.kind === 'grid'" }],
          mark: { type: "rect", strokeWidth: 0, clip: true },
          encoding: {
            x: { field: "x", ...axis("x₁") },
            x2: { field: "x2" },
            y: { field: "y", ...axis("x₂") },
            y2: { field: "y2" },
            color: { field: "p", type: "quantitative", scale: { scheme: "blueorange", domain: [0, 1] }, title: "p(arm 1)" },
          },
        },
        {
          transform: [{ filter: "datum.kind === 'point'" }],
          mark: { type: "circle", size: 9, opacity: 0.9, stroke: "white", strokeWidth: 0.3 },
          encoding: {
            x: { field: "px", ...axis("x₁") },
            y: { field: "py", ...axis("x₂") },
            fill: armColor,
          },
        },
      ],
    },
    resolve: { scale: { color: "shared" } },
  };
}

/** Figure 1 (d, e): the test points' 2-D bottleneck representations, one panel per method. */
export function bottleneckSpec(outcomes: readonly RunOutcome[]): Record<string, unknown> {
  const order = methodOrder(outcomes);
  const pictured = outcomes.filter((o) => o.spirals);
  const values = pictured.flatMap((o) => o.spirals!.bottleneck.map((b) => ({ method: o.label, h1: b.x, h2: b.y, label: `arm ${b.label}` })));
  return {
    title: { text: `Spirals: 2-D bottleneck representations of the test points (seed ${pictured[0]!.seed})`, subtitle: "each panel on its own scale" },
    data: { values },
    facet: { column: { field: "method", type: "nominal", sort: order, title: null } },
    spec: {
      width: 260,
      height: 260,
      mark: { type: "circle", size: 10, opacity: 0.7 },
      encoding: {
        x: { field: "h1", type: "quantitative", scale: { zero: false }, title: "h₁" },
        y: { field: "h2", type: "quantitative", scale: { zero: false }, title: "h₂" },
        color: armColor,
      },
    },
    resolve: { scale: { x: "independent", y: "independent" } },
  };
}

/** Per-class singular-value spectra of the representations at the measured layer, first seed, log scale. */
export function spectraSpec(outcomes: readonly RunOutcome[], dataset: string, classNames: readonly string[], top = 20): Record<string, unknown> {
  const order = methodOrder(outcomes);
  const seed = outcomes.find((o) => o.dataset === dataset)!.seed;
  const runs = outcomes.filter((o) => o.dataset === dataset && o.seed === seed);
  // Values below 1e-6 of a class's largest are numerically zero (a class of n examples, centred, has
  // rank n - 1 at most): left out, so the log axis shows the spectrum rather than rounding noise.
  const values = runs.flatMap((o) =>
    o.spectra.classes.flatMap((c) =>
      c.singularValues
        .slice(0, top)
        .map((v, i) => ({ method: o.label, cls: classNames[c.label] ?? String(c.label), rank: i + 1, sv: v }))
        .filter((d) => d.sv > 1e-6 * (c.singularValues[0] ?? 0)),
    ),
  );
  const maxRank = Math.max(...values.map((v) => v.rank));
  const title = { text: `${dataset}: singular values of each class's representations at '${runs[0]!.spectra.layerName}' (seed ${seed})`, subtitle: "flatter representations: fewer large singular values" };
  if (maxRank <= 3) {
    // A narrow layer (the spirals' 2-D bottleneck) has 2 or 3 values per class: a line over them says little,
    // bars side by side per rank and method say it all, on a linear axis from 0.
    return {
      title,
      data: { values: values.map((v) => ({ ...v, sigma: `σ${"₀₁₂₃"[v.rank]}` })) },
      facet: { column: { field: "cls", type: "nominal", sort: classNames, title: null, header: { labelFontSize: 11 } } },
      spec: {
        width: 120 * maxRank,
        height: 180,
        mark: { type: "bar" },
        encoding: {
          x: { field: "sigma", type: "nominal", title: null, axis: { labelAngle: 0, labelFontSize: 12 } },
          xOffset: { field: "method", type: "nominal", sort: order },
          y: { field: "sv", type: "quantitative", title: "singular value" },
          color: methodColor(order),
        },
      },
    };
  }
  const ticks = maxRank <= 10 ? globalThis.Array.from({ length: maxRank }, (_, i) => i + 1) : [1, 5, 10, 15, 20].filter((r) => r <= maxRank);
  return {
    title,
    data: { values },
    facet: { field: "cls", type: "nominal", sort: classNames, title: null, header: { labelFontSize: 11 } },
    columns: Math.min(5, classNames.length),
    spec: {
      width: 150,
      height: 120,
      mark: { type: "line", point: { size: 12 } },
      encoding: {
        x: { field: "rank", type: "ordinal", title: "rank", axis: { labelAngle: 0, values: ticks } },
        y: { field: "sv", type: "quantitative", scale: { type: "log" }, title: "singular value" },
        color: methodColor(order),
      },
    },
  };
}

/** Test error and training loss per epoch, mean over seeds with a band of ±1 std, per dataset. */
export function curvesSpec(outcomes: readonly RunOutcome[]): Record<string, unknown> {
  const order = methodOrder(outcomes);
  const values: Record<string, unknown>[] = [];
  for (const dataset of new Set(outcomes.map((o) => o.dataset))) {
    for (const method of methodOrder(outcomes)) {
      const runs = outcomes.filter((o) => o.dataset === dataset && o.label === method);
      const epochs = Math.min(...runs.map((o) => o.curve.length));
      for (let e = 0; e < epochs; e++) {
        for (const [metric, read] of [
          ["test error %", (o: RunOutcome) => 100 * o.curve[e]!.testError],
          ["training loss", (o: RunOutcome) => o.curve[e]!.trainLoss],
        ] as const) {
          const s = stat(runs.map(read));
          // An epoch without a test evaluation (a plan's evalEvery) has no test point.
          if (!Number.isFinite(s.mean)) continue;
          // Neither an error nor a loss goes below 0: the band is cut there.
          values.push({ dataset, method, metric, epoch: e + 1, mean: s.mean, lo: Math.max(0, s.mean - s.std), hi: s.mean + s.std });
        }
      }
    }
  }
  return {
    title: { text: "Learning curves (mean ± std over seeds)", subtitle: "training loss is on the mixed batches for the mixup methods" },
    data: { values },
    facet: { row: { field: "metric", type: "nominal", title: null, sort: ["test error %", "training loss"] }, column: { field: "dataset", type: "nominal", title: null } },
    spec: {
      width: 300,
      height: 170,
      layer: [
        { mark: { type: "area", opacity: 0.18 }, encoding: { x: { field: "epoch", type: "quantitative" }, y: { field: "lo", type: "quantitative", title: null, scale: { zero: false } }, y2: { field: "hi" }, color: methodColor(order) } },
        { mark: { type: "line" }, encoding: { x: { field: "epoch", type: "quantitative" }, y: { field: "mean", type: "quantitative" }, color: methodColor(order) } },
      ],
    },
    resolve: { scale: { y: "independent", x: "independent" } },
  };
}

/** Writes every plot of the demo as SVG and PNG under `dir`; returns the paths. */
export async function writePlots(dir: string, outcomes: readonly RunOutcome[], classNames: Record<string, readonly string[]>): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  if (outcomes.some((o) => o.spirals)) {
    written.push(...(await writeChart(join(dir, "spirals-boundaries"), boundariesSpec(outcomes))));
    written.push(...(await writeChart(join(dir, "spirals-bottleneck"), bottleneckSpec(outcomes))));
  }
  for (const dataset of new Set(outcomes.map((o) => o.dataset))) {
    written.push(...(await writeChart(join(dir, `${dataset}-spectra`), spectraSpec(outcomes, dataset, classNames[dataset] ?? []))));
  }
  written.push(...(await writeChart(join(dir, "learning-curves"), curvesSpec(outcomes))));
  return written;
}
