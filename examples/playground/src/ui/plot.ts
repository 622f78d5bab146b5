import { ARM_COLORS, GRID, INK, MUTED, rgb } from "./palette.js";

/** Where a plot's data area sits on its canvas, and the data ranges it shows. */
export class Frame {
  constructor(
    readonly ctx: CanvasRenderingContext2D,
    readonly left: number,
    readonly top: number,
    readonly width: number,
    readonly height: number,
    readonly x: readonly [number, number],
    readonly y: readonly [number, number],
  ) {}
  px(v: number): number {
    return this.left + ((v - this.x[0]) / (this.x[1] - this.x[0])) * this.width;
  }
  py(v: number): number {
    return this.top + (1 - (v - this.y[0]) / (this.y[1] - this.y[0])) * this.height;
  }
}

export const FONT = '11px Inter, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
const LABEL_FONT = 'italic 12px Inter, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

/** Evenly spaced round numbers covering [lo, hi], about `count` of them. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  const span = hi - lo;
  if (!(span > 0)) return [lo];
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9 * span; v += step) out.push(Math.abs(v) < 1e-12 ? 0 : v);
  return out;
}

/** A tick label with as many decimals as the spacing of the ticks needs. */
export function formatTick(v: number, spacing = 0): string {
  if (v === 0) return "0";
  if (Math.abs(v) >= 1000) return `${+(v / 1000).toFixed(1)}k`;
  let decimals = 0;
  while (decimals < 6 && spacing > 0 && Math.abs(spacing * 10 ** decimals - Math.round(spacing * 10 ** decimals)) > 1e-6) decimals++;
  return (+v.toFixed(decimals)).toFixed(decimals).replace("-", "−");
}

function spacingOf(ticks: readonly number[]): number {
  return ticks.length > 1 ? Math.abs(ticks[1]! - ticks[0]!) : 0;
}

/** The frame box, ticks with their labels, and the axis names. */
export function drawAxes(f: Frame, labels: { x: string; y: string }, opts: { grid?: boolean; xTicks?: number[]; yTicks?: number[] } = {}): void {
  const { ctx } = f;
  const xTicks = opts.xTicks ?? niceTicks(f.x[0], f.x[1], 4);
  const yTicks = opts.yTicks ?? niceTicks(f.y[0], f.y[1], 4);
  ctx.save();
  if (opts.grid) {
    ctx.strokeStyle = GRID;
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (const t of yTicks) {
      const y = Math.round(f.py(t)) + 0.5;
      ctx.moveTo(f.left, y);
      ctx.lineTo(f.left + f.width, y);
    }
    ctx.stroke();
  }
  ctx.strokeStyle = "#c9cdd6";
  ctx.lineWidth = 1;
  ctx.strokeRect(Math.round(f.left) + 0.5, Math.round(f.top) + 0.5, Math.round(f.width), Math.round(f.height));
  ctx.fillStyle = MUTED;
  ctx.font = FONT;
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  ctx.beginPath();
  for (const t of xTicks) {
    const x = f.px(t);
    ctx.moveTo(x, f.top + f.height);
    ctx.lineTo(x, f.top + f.height + 4);
    ctx.fillText(formatTick(t, spacingOf(xTicks)), x, f.top + f.height + 6);
  }
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (const t of yTicks) {
    const y = f.py(t);
    ctx.moveTo(f.left - 4, y);
    ctx.lineTo(f.left, y);
    ctx.fillText(formatTick(t, spacingOf(yTicks)), f.left - 6, y);
  }
  ctx.strokeStyle = "#c9cdd6";
  ctx.stroke();
  ctx.fillStyle = INK;
  ctx.font = LABEL_FONT;
  ctx.textAlign = "center";
  ctx.textBaseline = "bottom";
  ctx.fillText(labels.x, f.left + f.width / 2, f.top + f.height + 34);
  ctx.translate(f.left - 32, f.top + f.height / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textBaseline = "bottom";
  ctx.fillText(labels.y, 0, 0);
  ctx.restore();
}

/**
 * p(arm 1) over an n × n grid (rows from the top) as a soft tint: arm 0's colour where p is near 0, arm 1's near
 * 1, white at the boundary. Drawn smoothly scaled into the frame.
 */
export function drawProbabilityMap(f: Frame, p: Float32Array, n: number): void {
  const [a0, a1] = [rgb(ARM_COLORS[0]), rgb(ARM_COLORS[1])];
  const image = new ImageData(n, n);
  for (let i = 0; i < n * n; i++) {
    const v = p[i]!;
    const [c, s] = v >= 0.5 ? [a1, 2 * v - 1] : [a0, 1 - 2 * v];
    const a = 0.5 * Math.pow(s, 0.7);
    for (let k = 0; k < 3; k++) image.data[4 * i + k] = Math.round(255 * (1 - a) + c[k]! * a);
    image.data[4 * i + 3] = 255;
  }
  const tile = new OffscreenCanvas(n, n);
  tile.getContext("2d")!.putImageData(image, 0, 0);
  f.ctx.save();
  f.ctx.imageSmoothingEnabled = true;
  f.ctx.imageSmoothingQuality = "high";
  f.ctx.drawImage(tile, f.left, f.top, f.width, f.height);
  f.ctx.restore();
}

/** The p = level line through an n × n grid of values (marching squares, rows from the top). */
export function drawContour(f: Frame, p: Float32Array, n: number, level = 0.5): void {
  const { ctx } = f;
  const cell = (c: number, r: number) => [f.left + ((c + 0.5) / n) * f.width, f.top + ((r + 0.5) / n) * f.height] as const;
  ctx.save();
  ctx.beginPath();
  ctx.rect(f.left, f.top, f.width, f.height);
  ctx.clip();
  ctx.beginPath();
  for (let r = 0; r + 1 < n; r++) {
    for (let c = 0; c + 1 < n; c++) {
      const v = [p[r * n + c]!, p[r * n + c + 1]!, p[(r + 1) * n + c + 1]!, p[(r + 1) * n + c]!];
      const corners = [cell(c, r), cell(c + 1, r), cell(c + 1, r + 1), cell(c, r + 1)];
      const crossings: (readonly [number, number])[] = [];
      for (let e = 0; e < 4; e++) {
        const [va, vb] = [v[e]! - level, v[(e + 1) % 4]! - level];
        if (va < 0 !== vb < 0) {
          const t = va / (va - vb);
          const [pa, pb] = [corners[e]!, corners[(e + 1) % 4]!];
          crossings.push([pa[0] + t * (pb[0] - pa[0]), pa[1] + t * (pb[1] - pa[1])]);
        }
      }
      for (let k = 0; k + 1 < crossings.length; k += 2) {
        ctx.moveTo(...crossings[k]!);
        ctx.lineTo(...crossings[k + 1]!);
      }
    }
  }
  ctx.strokeStyle = "rgba(28, 34, 48, 0.75)";
  ctx.lineWidth = 1.4;
  ctx.stroke();
  ctx.restore();
}

/** Points coloured by their arm, with a thin white ring so they read on any background. */
export function drawPoints(f: Frame, xy: ArrayLike<number>, labels: ArrayLike<number>, radius = 2.3): void {
  const { ctx } = f;
  ctx.save();
  ctx.beginPath();
  ctx.rect(f.left, f.top, f.width, f.height);
  ctx.clip();
  ctx.lineWidth = 0.8;
  ctx.strokeStyle = "rgba(255,255,255,0.9)";
  for (const arm of [0, 1]) {
    ctx.fillStyle = ARM_COLORS[arm]!;
    ctx.beginPath();
    for (let i = 0; i < labels.length; i++) {
      if (labels[i] !== arm) continue;
      const x = f.px(xy[2 * i]!);
      const y = f.py(xy[2 * i + 1]!);
      ctx.moveTo(x + radius, y);
      ctx.arc(x, y, radius, 0, 2 * Math.PI);
    }
    ctx.fill();
    ctx.stroke();
  }
  ctx.restore();
}
