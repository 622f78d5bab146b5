/** Shape arithmetic shared by the shape rules, the numpy layer and the lowerings. */
export type Shape = readonly number[];

export function shapeSize(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function shapeEqual(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function shapeString(shape: Shape): string {
  return `[${shape.join(",")}]`;
}

/** Numpy broadcasting of several shapes, or null when they do not broadcast. */
export function broadcastShapes(...shapes: Shape[]): number[] | null {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const j = rank - s.length + i;
      const d = s[i]!;
      if (out[j] === 1) out[j] = d;
      else if (d !== 1 && d !== out[j]) return null;
    }
  }
  return out;
}

/** Normalises a possibly negative axis against a rank, throwing a message that names the caller. */
export function normalizeAxis(axis: number, rank: number, what: string): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= Math.max(rank, 1)) {
    throw new RangeError(`${what}: axis ${axis} is out of range for an array of rank ${rank}`);
  }
  return axis < 0 ? axis + rank : axis;
}

export function normalizeAxes(axes: number | readonly number[] | undefined | null, rank: number, what: string): number[] {
  if (axes === undefined || axes === null) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof axes === "number" ? [axes] : [...axes];
  const out = list.map((a) => normalizeAxis(a, rank, what));
  if (new Set(out).size !== out.length) throw new RangeError(`${what}: repeated axis in ${JSON.stringify(list)}`);
  return out.sort((a, b) => a - b);
}

export function assertShape(shape: unknown, what: string): asserts shape is number[] {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new TypeError(`${what}: a shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
}

/** The axes along which `from` was broadcast to reach `to` (leading new axes and stretched 1s). */
export function broadcastedAxes(from: Shape, to: Shape): number[] {
  const lead = to.length - from.length;
  const axes: number[] = [];
  for (let i = 0; i < to.length; i++) {
    if (i < lead || (from[i - lead] === 1 && to[i] !== 1)) axes.push(i);
  }
  return axes;
}
