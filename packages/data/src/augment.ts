import { hostArray, type HostArray, type HostData } from "./host-array.js";

/** Checks an NHWC image batch and returns its dimensions. */
function imageDims(x: HostArray, what: string): [number, number, number, number] {
  if (x.shape.length !== 4) throw new TypeError(`${what}: expected NHWC images [N, H, W, C], got shape [${x.shape.join(",")}]`);
  return x.shape as unknown as [number, number, number, number];
}

function sameKind<T extends HostData>(data: T, length: number): T {
  return new (data.constructor as new (n: number) => T)(length);
}

/**
 * Mirrors images left to right: image n is flipped where `which[n]` is truthy (all of them when
 * `which` is omitted). Returns a new host array of the same shape and type.
 */
export function flipHorizontal<T extends HostData>(x: HostArray<T>, which?: ArrayLike<number | boolean>): HostArray<T> {
  const [n, h, w, c] = imageDims(x, "flipHorizontal");
  if (which !== undefined && which.length !== n) throw new TypeError(`flipHorizontal: ${which.length} flags for ${n} images`);
  const out = sameKind(x.data, x.data.length);
  const rowLength = w * c;
  for (let img = 0; img < n; img++) {
    const base = img * h * rowLength;
    if (which !== undefined && !which[img]) {
      out.set(x.data.subarray(base, base + h * rowLength), base);
      continue;
    }
    for (let row = 0; row < h; row++) {
      const r = base + row * rowLength;
      for (let col = 0; col < w; col++) {
        const src = r + col * c;
        const dst = r + (w - 1 - col) * c;
        for (let k = 0; k < c; k++) out[dst + k] = x.data[src + k]!;
      }
    }
  }
  return hostArray(out, x.shape, "flipHorizontal");
}

/**
 * Crops each image out of its zero-padded copy: the image padded by `padding` on every side, then the
 * H×W window whose top-left corner is (dy[n], dx[n]) in the padded image, each in [0, 2·padding]
 * (so dy = dx = padding gives the image back). This is torchvision's RandomCrop(size, padding) with the
 * offsets given; {@link randomCrop} draws them from a key.
 */
export function padCrop<T extends HostData>(x: HostArray<T>, offsets: { dy: ArrayLike<number>; dx: ArrayLike<number> }, padding: number): HostArray<T> {
  const [n, h, w, c] = imageDims(x, "padCrop");
  if (!(Number.isInteger(padding) && padding >= 0)) throw new RangeError(`padCrop: padding must be a whole number >= 0, got ${padding}`);
  const { dy, dx } = offsets;
  if (dy.length !== n || dx.length !== n) throw new TypeError(`padCrop: ${dy.length} dy and ${dx.length} dx offsets for ${n} images`);
  const out = sameKind(x.data, x.data.length); // zeros: the padding
  const rowLength = w * c;
  for (let img = 0; img < n; img++) {
    const oy = dy[img]!;
    const ox = dx[img]!;
    if (!(Number.isInteger(oy) && Number.isInteger(ox) && oy >= 0 && ox >= 0 && oy <= 2 * padding && ox <= 2 * padding)) {
      throw new RangeError(`padCrop: offsets (${oy}, ${ox}) of image ${img} must be whole numbers in [0, ${2 * padding}]`);
    }
    // Output (row, col) reads source (row + oy − padding, col + ox − padding).
    const shiftY = oy - padding;
    const shiftX = ox - padding;
    const colStart = Math.max(0, -shiftX);
    const colEnd = Math.min(w, w - shiftX);
    if (colStart >= colEnd) continue;
    const base = img * h * rowLength;
    for (let row = Math.max(0, -shiftY); row < Math.min(h, h - shiftY); row++) {
      const src = base + (row + shiftY) * rowLength + (colStart + shiftX) * c;
      out.set(x.data.subarray(src, src + (colEnd - colStart) * c), base + row * rowLength + colStart * c);
    }
  }
  return hostArray(out, x.shape, "padCrop");
}
