import { readFile } from "node:fs/promises";
import { DataFileError } from "./errors.js";
import { ImageDataset } from "./image-dataset.js";
import { CIFAR10_CLASSES } from "./classes.js";


const SIDE = 32;
const PLANE = SIDE * SIDE;
const IMAGE_BYTES = 3 * PLANE;

export interface Cifar100Options {
  /** Which label to read: one of the 100 fine classes or one of the 20 coarse superclasses. */
  labels?: "fine" | "coarse";
}

/**
 * Reads CIFAR-10 binary batch files (`data_batch_1.bin` … `data_batch_5.bin`, `test_batch.bin` from
 * `cifar-10-binary.tar.gz`), in the order given. Each record is a label byte (0..9) then 3,072 pixel
 * bytes: the red, green and blue 32x32 planes, row-major. The result is NHWC (`x` is [N, 32, 32, 3]).
 * Truncated or malformed files throw a {@link DataFileError} naming the file and the byte offset.
 */
export async function readCifar10(paths: string | readonly string[]): Promise<ImageDataset> {
  const { pixels, labels } = await readRecords(list(paths), { labelBytes: 1, labelIndex: 0, numClasses: 10, caller: "readCifar10" });
  return new ImageDataset({ name: "cifar10", pixels, labels, imageShape: [SIDE, SIDE, 3], classNames: CIFAR10_CLASSES });
}

/**
 * Reads CIFAR-100 binary files (`train.bin`, `test.bin` from `cifar-100-binary.tar.gz`). Each record
 * is a coarse label byte (0..19), a fine label byte (0..99), then 3,072 pixel bytes as in CIFAR-10.
 * `labels` picks which label becomes `y` (default fine). Class names are the indices as strings (the
 * names live in the archive's `fine_label_names.txt` / `coarse_label_names.txt`).
 */
export async function readCifar100(paths: string | readonly string[], options: Cifar100Options = {}): Promise<ImageDataset> {
  const which = options.labels ?? "fine";
  if (which !== "fine" && which !== "coarse") throw new RangeError(`readCifar100: unknown labels ${JSON.stringify(which)}; valid: fine, coarse`);
  const numClasses = which === "fine" ? 100 : 20;
  // Both labels are checked against their own ranges; `labelIndex` picks the one kept.
  const { pixels, labels } = await readRecords(list(paths), { labelBytes: 2, labelIndex: which === "fine" ? 1 : 0, numClasses, caller: "readCifar100", ranges: [20, 100] });
  const classNames = globalThis.Array.from({ length: numClasses }, (_, i) => String(i));
  return new ImageDataset({ name: `cifar100-${which}`, pixels, labels, imageShape: [SIDE, SIDE, 3], classNames });
}

interface RecordFormat {
  labelBytes: number;
  labelIndex: number;
  numClasses: number;
  caller: string;
  /** The valid range of each label byte (default: `numClasses` for the one label). */
  ranges?: readonly number[];
}

function list(paths: string | readonly string[]): string[] {
  const all = typeof paths === "string" ? [paths] : [...paths];
  if (all.length === 0) throw new TypeError("CIFAR reader: no files given");
  return all;
}

async function readRecords(paths: readonly string[], format: RecordFormat): Promise<{ pixels: Uint8Array; labels: Int32Array }> {
  const files = await Promise.all(paths.map((p) => readDataFile(p, format.caller)));
  const recordBytes = format.labelBytes + IMAGE_BYTES;
  const ranges = format.ranges ?? [format.numClasses];
  let total = 0;
  files.forEach((bytes, f) => {
    const path = paths[f]!;
    if (bytes.length === 0) throw new DataFileError(path, 0, `${format.caller}: ${path} is empty`);
    if (bytes.length % recordBytes !== 0) {
      const whole = Math.floor(bytes.length / recordBytes);
      const at = whole * recordBytes;
      throw new DataFileError(path, at, `${format.caller}: ${path} is truncated or malformed: ${bytes.length} bytes is not a whole number of ${recordBytes}-byte records (record ${whole}, at byte offset ${at}, has only ${bytes.length - at} bytes)`);
    }
    for (let at = 0; at < bytes.length; at += recordBytes) {
      for (let k = 0; k < format.labelBytes; k++) {
        const label = bytes[at + k]!;
        if (label >= ranges[k]!) {
          throw new DataFileError(path, at + k, `${format.caller}: ${path} is malformed: label ${label} at byte offset ${at + k} (record ${at / recordBytes}) is outside [0, ${ranges[k]})`);
        }
      }
    }
    total += bytes.length / recordBytes;
  });

  const pixels = new Uint8Array(total * IMAGE_BYTES);
  const labels = new Int32Array(total);
  let n = 0;
  for (const bytes of files) {
    for (let at = 0; at < bytes.length; at += recordBytes, n++) {
      labels[n] = bytes[at + format.labelIndex]!;
      planesToInterleaved(bytes.subarray(at + format.labelBytes, at + recordBytes), pixels, n * IMAGE_BYTES);
    }
  }
  return { pixels, labels };
}

/** CHW planes (R plane, G plane, B plane) to HWC (RGB per pixel). */
function planesToInterleaved(src: Uint8Array, dst: Uint8Array, offset: number): void {
  for (let p = 0; p < PLANE; p++) {
    const o = offset + 3 * p;
    dst[o] = src[p]!;
    dst[o + 1] = src[PLANE + p]!;
    dst[o + 2] = src[2 * PLANE + p]!;
  }
}

async function readDataFile(path: string, caller: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new DataFileError(path, undefined, `${caller}: missing data file ${path}`);
    throw new DataFileError(path, undefined, `${caller}: cannot read data file ${path} (${code ?? (e as Error).message})`);
  }
}
