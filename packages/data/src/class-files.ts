import { join } from "node:path";
import type { CachedImages } from "./cache-file.js";
import { packSplit, readJsonFile, type Split } from "./embedded.js";

/** How one grey-image package stores its classes: a JSON file `{ data }` per class, decoded and split by class. */
export interface ClassFileLayout {
  /** The loader's name, first in every error. */
  readonly caller: string;
  /** The folder of the class files inside the package (`src/digits`): `<c>.json` for each class. */
  readonly folder: string;
  readonly classes: number;
  readonly imageShape: readonly [number, number, number];
  /** The images of one file's `data`, each `H·W·C` bytes (errors name the file). */
  decode(data: unknown, file: string): Uint8Array[];
  /** One class's images, in file order, as its train and test images. */
  split(images: Uint8Array[], file: string): Record<Split, Uint8Array[]>;
}

/** Reads every class file of a package (mnist, fashion-mnist) into the two splits, class-interleaved. */
export function readClassFiles(layout: ClassFileLayout, packageDir: string, progress: (done: number, total: number, file: string) => void): Record<Split, CachedImages> {
  const perSplit: Record<Split, Uint8Array[][]> = { train: [], test: [] };
  for (let c = 0; c < layout.classes; c++) {
    const file = join(packageDir, layout.folder, `${c}.json`);
    const data = (readJsonFile(file, layout.caller) as { data?: unknown }).data;
    if (!globalThis.Array.isArray(data)) throw new Error(`${layout.caller}: ${file} has no "data" list`);
    const { train, test } = layout.split(layout.decode(data, file), file);
    perSplit.train.push(train);
    perSplit.test.push(test);
    progress(c + 1, layout.classes, file);
  }
  return { train: packSplit(perSplit.train, layout.imageShape), test: packSplit(perSplit.test, layout.imageShape) };
}
