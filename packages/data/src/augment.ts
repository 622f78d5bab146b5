import { type Key, split, uniformValues } from "@mmx/random";
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

/** Draws `n` whole numbers uniform in [0, count) from a key (host-side, bit-identical everywhere). */
function uniformInts(key: Key, n: number, count: number): Int32Array {
  const u = uniformValues(key, [n]);
  // u < 1, so the floor is at most count − 1; the min guards against float rounding all the same.
  return Int32Array.from(u, (v) => Math.min(count - 1, Math.floor(v * count)));
}

/**
 * Random crop with zero padding, per image: as torchvision's `RandomCrop(H, padding)` in the official
 * code (padding 4 for 32x32 CIFAR/SVHN images). Offsets are drawn from `key`, uniform over the
 * 2·padding + 1 positions on each axis. Returns a new host array of the same shape.
 */
export function randomCrop<T extends HostData>(x: HostArray<T>, key: Key, options: { padding?: number } = {}): HostArray<T> {
  const [n] = imageDims(x, "randomCrop");
  const padding = options.padding ?? 4;
  if (!(Number.isInteger(padding) && padding >= 0)) throw new RangeError(`randomCrop: padding must be a whole number >= 0, got ${padding}`);
  const [ky, kx] = split(key, 2) as [Key, Key];
  return padCrop(x, { dy: uniformInts(ky, n, 2 * padding + 1), dx: uniformInts(kx, n, 2 * padding + 1) }, padding);
}

/** Flips each image left to right with probability `probability` (default 0.5), drawn from `key`. */
export function randomFlip<T extends HostData>(x: HostArray<T>, key: Key, options: { probability?: number } = {}): HostArray<T> {
  const [n] = imageDims(x, "randomFlip");
  const p = options.probability ?? 0.5;
  if (!(p >= 0 && p <= 1)) throw new RangeError(`randomFlip: probability must be in [0, 1], got ${p}`);
  const u = uniformValues(key, [n]);
  return flipHorizontal(x, Uint8Array.from(u, (v) => (v < p ? 1 : 0)));
}

export interface AugmentOptions {
  /** Zero padding of the random crop (0: no crop); default 4, as the official code uses for 32x32 images. */
  padding?: number;
  /** Random horizontal flip, default true; turn it off for digits (SVHN, MNIST), where a mirror changes the class. */
  flip?: boolean;
}

/**
 * The official code's training augmentation: a random crop with zero padding, then a random horizontal
 * flip, each drawn per image from `key`. Apply it to pixel values before normalising (as the official
 * transform pipeline does: the padding is black in pixel space).
 *
 * ```ts
 * for (const b of batches(train, { batchSize: 100, key: foldIn(k, epoch),
 *                                  transform: (x, k) => normalize(augment(x, k), stats) })) { ... }
 * ```
 */
export function augment<T extends HostData>(x: HostArray<T>, key: Key, options: AugmentOptions = {}): HostArray<T> {
  const { padding = 4, flip = true } = options;
  const [cropKey, flipKey] = split(key, 2) as [Key, Key];
  let out = padding > 0 ? randomCrop(x, cropKey, { padding }) : hostArray(x.data.slice() as T, x.shape);
  if (flip) out = randomFlip(out, flipKey);
  return out;
}

/**
 * The official code's training augmentation per dataset: CIFAR-10/100 crop (padding 4) and flip; SVHN
 * crops but does not flip (a mirrored digit is another digit, or none).
 */
export const AUGMENTATION_PRESETS: Readonly<Record<"cifar10" | "cifar100" | "svhn", Readonly<AugmentOptions>>> = {
  cifar10: { padding: 4, flip: true },
  cifar100: { padding: 4, flip: true },
  svhn: { padding: 4, flip: false },
};
