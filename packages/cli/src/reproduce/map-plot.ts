import { formatDelta, MAP_COMPARISONS, MAP_METRICS, type MapMetric, type MapPoint } from "./map-table.js";

/**
 * A heatmap of one metric over the grid, one panel per comparison (manifold − none, input − none):
 * training-set size up, epochs across, the difference as colour (blue where mixup does better, red
 * where it does worse, white at no difference, one symmetric scale for both panels) and as text
 * ("*": the seed intervals are apart). Points without both methods are left blank.
 */
export function mapHeatmapSpec(points: readonly MapPoint[], metric: MapMetric): Record<string, unknown> {
  const m = MAP_METRICS.find((x) => x.key === metric)!;
  const values = points.flatMap((p) =>
    MAP_COMPARISONS.flatMap((c) => {
      const d = p.deltas[c.method]?.[metric];
      return d && Number.isFinite(d.value) ? [{ comparison: c.title, size: p.size, epochs: p.epochs, delta: d.value * m.scale, label: formatDelta(d, m) }] : [];
    }),
  );
  const reach = Math.max(1e-9, ...values.map((v) => Math.abs(v.delta)));
  const sizes = [...new Set(points.map((p) => p.size))].sort((a, b) => b - a);
  const epochs = [...new Set(points.map((p) => p.epochs))].sort((a, b) => a - b);
  return {
    title: { text: `Where mixup wins: difference in ${m.title} from no mixup, last epoch`, subtitle: `mean over seeds; below 0 (blue): mixup better; "*": seed intervals (mean ± std) apart` },
    data: { values },
    facet: { column: { field: "comparison", type: "nominal", sort: MAP_COMPARISONS.map((c) => c.title), title: null, header: { labelFontSize: 13 } } },
    spec: {
      width: Math.max(160, 70 * epochs.length),
      height: Math.max(120, 45 * sizes.length),
      encoding: {
        x: { field: "epochs", type: "ordinal", sort: epochs, title: "epochs", axis: { labelAngle: 0 } },
        y: { field: "size", type: "ordinal", sort: sizes, title: "training images" },
      },
      layer: [
        { mark: { type: "rect", stroke: "white", strokeWidth: 1 }, encoding: { color: { field: "delta", type: "quantitative", scale: { scheme: "redblue", reverse: true, domain: [-reach, reach] }, title: `Δ ${m.title}` } } },
        { mark: { type: "text", fontSize: 12 }, encoding: { text: { field: "label", type: "nominal" }, color: { value: "black" } } },
      ],
    },
  };
}
