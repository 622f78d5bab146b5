import { join } from "node:path";
import { type EmbeddedSource, packSplit, readJsonFile, type Split } from "./embedded.js";

/** A grey-image package that stores each class as a JSON file `{ data }` (mnist, fashion-mnist). */
export interface ClassFileSource extends Omit<EmbeddedSource, "build"> {
  /** The loader's name, first in every error. */
  readonly caller: string;
  /** The folder of the class files inside the package (`src/digits`): `<c>.json` for class c. */
  readonly folder: string;
  /** The images of one file's `data` list, each `H·W·C` bytes (errors name the file). */
  decode(data: unknown[], file: string): Uint8Array[];
  /** One class's images, in file order, as its train and test images. */
  split(images: Uint8Array[], file: string): Record<Split, Uint8Array[]>;
}

/** The embedded source that reads every class file into the two splits, class-interleaved. */
export function classFileSource(spec: ClassFileSource): EmbeddedSource {
  const { caller, folder, decode, split, ...source } = spec;
  return {
    ...source,
    build(packageDir, progress) {
      const perSplit: Record<Split, Uint8Array[][]> = { train: [], test: [] };
      const classes = source.classNames.length;
      for (let c = 0; c < classes; c++) {
        const file = join(packageDir, folder, `${c}.json`);
        const data = (readJsonFile(file, caller) as { data?: unknown }).data;
        if (!globalThis.Array.isArray(data)) throw new Error(`${caller}: ${file} has no "data" list`);
        const { train, test } = split(decode(data, file), file);
        perSplit.train.push(train);
        perSplit.test.push(test);
        progress(c + 1, classes, file);
      }
      return { train: packSplit(perSplit.train, source.imageShape), test: packSplit(perSplit.test, source.imageShape) };
    },
  };
}
