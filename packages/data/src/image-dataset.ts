import { type Array, DeviceArray, np } from "@mmx/core";
import { hostArray, type HostArray } from "./host-array.js";

/** Pixel byte p as the float32 value p / 255, precomputed once. */
const BYTE_TO_UNIT = Float32Array.from({ length: 256 }, (_, p) => p / 255);

/** Bytes 0..255 as float32 values in [0, 1]. */
export function bytesToUnit(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = BYTE_TO_UNIT[bytes[i]!]!;
  return out;
}

export interface ImageDatasetInit {
  name: string;
  split?: string;
  /** NHWC pixel bytes, `count * height * width * channels` of them. */
  pixels: Uint8Array;
  labels: Int32Array;
  imageShape: readonly [number, number, number];
  classNames: readonly string[];
}

/**
 * Labelled images held as compact bytes on the host. `x` and `y` are the mmx Arrays the brief names
 * (float32 `[N, H, W, C]` in [0, 1] and int32 `[N]`); they are made on first use, because a full
 * training set as float32 on the backend is large and batching never needs it. `host` gives the same
 * values as typed arrays for {@link batches}. `x` and `y` are freed once unreachable; `dispose()` frees them sooner.
 */
export class ImageDataset {
  readonly name: string;
  readonly split: string | undefined;
  readonly pixels: Uint8Array;
  readonly labels: Int32Array;
  readonly imageShape: readonly [number, number, number];
  readonly classNames: readonly string[];
  private xArray: Array | undefined;
  private yArray: Array | undefined;
  private hostCache: { x: HostArray<Float32Array>; y: HostArray<Int32Array> } | undefined;

  constructor(init: ImageDatasetInit) {
    this.name = init.name;
    this.split = init.split;
    this.pixels = init.pixels;
    this.labels = init.labels;
    this.imageShape = [...init.imageShape] as [number, number, number];
    this.classNames = [...init.classNames];
    const [h, w, c] = this.imageShape;
    if (this.pixels.length !== this.labels.length * h * w * c) {
      throw new TypeError(`${this.name}: ${this.pixels.length} pixel bytes do not make ${this.labels.length} images of ${h}x${w}x${c}`);
    }
    const bad = this.labels.findIndex((l) => !(l >= 0 && l < this.classNames.length));
    if (bad >= 0) throw new RangeError(`${this.name}: label ${this.labels[bad]} of example ${bad} is outside [0, ${this.classNames.length})`);
  }

  /** The number of examples. */
  get count(): number {
    return this.labels.length;
  }
  get numClasses(): number {
    return this.classNames.length;
  }
  /** `[N, H, W, C]`. */
  get shape(): readonly number[] {
    return [this.count, ...this.imageShape];
  }

  /** float32 `[N, H, W, C]` in [0, 1]; made on first use, freed by `dispose()`. */
  get x(): Array {
    if (!isLive(this.xArray)) {
      this.xArray = np.array(this.host.x.data, { shape: this.shape, dtype: "float32" });
    }
    return this.xArray;
  }
  /** int32 `[N]`; made on first use, freed by `dispose()`. */
  get y(): Array {
    if (!isLive(this.yArray)) {
      this.yArray = np.array(this.labels, { shape: [this.count], dtype: "int32" });
    }
    return this.yArray;
  }
  /** The images as float32 in [0, 1] and the labels, as host arrays (made once, then shared). */
  get host(): { x: HostArray<Float32Array>; y: HostArray<Int32Array> } {
    this.hostCache ??= {
      x: hostArray(bytesToUnit(this.pixels), this.shape),
      y: hostArray(this.labels, [this.count]),
    };
    return this.hostCache;
  }

  /** How many examples each class has. */
  classCounts(): number[] {
    const counts = new globalThis.Array<number>(this.numClasses).fill(0);
    for (const l of this.labels) counts[l]!++;
    return counts;
  }

  /** Frees `x` and `y` if they were made (they are made again on next use). */
  dispose(): void {
    this.xArray?.dispose();
    this.yArray?.dispose();
    this.xArray = undefined;
    this.yArray = undefined;
  }
}

function isLive(a: Array | undefined): a is Array {
  return a !== undefined && !(a instanceof DeviceArray && a.isDisposed);
}
