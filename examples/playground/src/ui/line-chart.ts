import { Frame, FONT, drawAxes, niceTicks } from "./plot.js";
import { INK } from "./palette.js";

export interface Series {
  label: string;
  color: string;
  /** y per x = 1, 2, ... (a step count), or explicit [x, y] points. */
  values: readonly number[] | readonly (readonly [number, number])[];
}

export interface LineChartOptions {
  xLabel: string;
  yLabel: string;
  /** Exponential smoothing of step series (0: none). */
  smoothing?: number;
  /** Fixed y range; default from 0 to the largest value shown. */
  y?: readonly [number, number];
  /** Start the y axis at 0 (default); false fits it to the values. */
  zero?: boolean;
  /** Mark each point (for short series such as per-epoch metrics). */
  dots?: boolean;
  /** Format of the y ticks. */
  yFormat?: (v: number) => string;
}

/** Series as points, smoothed and thinned to about one point per pixel. */
function points(s: Series, smoothing: number, maxPoints: number): [number, number][] {
  const v = s.values;
  if (v.length === 0) return [];
  if (typeof v[0] !== "number") return (v as readonly (readonly [number, number])[]).map(([x, y]) => [x, y]);
  const ys = v as readonly number[];
  const smooth: number[] = [];
  let acc = ys[0]!;
  for (const y of ys) smooth.push((acc = smoothing * acc + (1 - smoothing) * y));
  const stride = Math.max(1, Math.ceil(smooth.length / maxPoints));
  const out: [number, number][] = [];
  for (let i = 0; i < smooth.length; i += stride) out.push([i + 1, smooth[i]!]);
  if ((smooth.length - 1) % stride !== 0) out.push([smooth.length, smooth[smooth.length - 1]!]);
  return out;
}

/** A line chart with labelled axes and a legend, redrawn in full on each call. */
export function drawLineChart(ctx: CanvasRenderingContext2D, width: number, height: number, series: readonly Series[], opts: LineChartOptions): void {
  ctx.clearRect(0, 0, width, height);
  const margin = { left: 52, right: 16, top: 30, bottom: 44 };
  const lines = series.map((s) => ({ s, pts: points(s, opts.smoothing ?? 0, width) }));
  const all = lines.flatMap((l) => l.pts);
  const xMax = Math.max(1, ...all.map((p) => p[0]));
  const xMin = all.length && typeof series[0]?.values[0] !== "number" ? Math.min(...all.map((p) => p[0])) : 0;
  const [lo, hi] = all.length ? [Math.min(...all.map((p) => p[1])), Math.max(...all.map((p) => p[1]))] : [0, 1];
  const pad = 0.08 * Math.max(hi - lo, 1e-3);
  const yMax = opts.y ? opts.y[1] : opts.zero === false ? hi + pad : Math.max(1e-3, hi) * 1.08;
  const yMin = opts.y ? opts.y[0] : opts.zero === false ? Math.max(0, lo - pad) : 0;
  const f = new Frame(ctx, margin.left, margin.top, width - margin.left - margin.right, height - margin.top - margin.bottom, [xMin, xMax], [yMin, yMax]);
  drawAxes(f, { x: opts.xLabel, y: opts.yLabel }, { grid: true, xTicks: niceTicks(xMin, xMax, 6).filter((t) => Number.isInteger(t)), yTicks: niceTicks(yMin, yMax, 4) });
  ctx.save();
  ctx.beginPath();
  ctx.rect(f.left, f.top - 2, f.width, f.height + 4);
  ctx.clip();
  for (const { s, pts } of lines) {
    ctx.strokeStyle = s.color;
    ctx.lineWidth = 2;
    ctx.lineJoin = "round";
    ctx.beginPath();
    pts.forEach(([x, y], i) => (i === 0 ? ctx.moveTo(f.px(x), f.py(y)) : ctx.lineTo(f.px(x), f.py(y))));
    ctx.stroke();
    if (opts.dots) {
      ctx.fillStyle = s.color;
      for (const [x, y] of pts) {
        ctx.beginPath();
        ctx.arc(f.px(x), f.py(y), 3, 0, 2 * Math.PI);
        ctx.fill();
      }
    }
  }
  ctx.restore();
  // Legend, top right, above the data area.
  ctx.save();
  ctx.font = FONT;
  ctx.textBaseline = "middle";
  let x = f.left + f.width;
  for (const { s } of [...lines].reverse()) {
    const w = ctx.measureText(s.label).width;
    x -= w;
    ctx.fillStyle = INK;
    ctx.fillText(s.label, x, 14);
    x -= 20;
    ctx.strokeStyle = s.color;
    ctx.lineWidth = 2.5;
    ctx.beginPath();
    ctx.moveTo(x, 14);
    ctx.lineTo(x + 14, 14);
    ctx.stroke();
    x -= 18;
  }
  ctx.restore();
}
