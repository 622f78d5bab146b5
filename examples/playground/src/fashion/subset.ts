/**
 * The Fashion-MNIST subset the page trains on, as written by scripts/fashion-subset.mjs (little-endian):
 * "MMXF" | u32 version = 1 | u32 trainCount | u32 testCount | u32 height | u32 width |
 * train pixels (u8) | train labels (u8) | test pixels | test labels.
 */
export interface FashionSplit {
  /** Pixels in [0, 1], [count, height·width] row-major. */
  x: Float32Array;
  labels: Int32Array;
  /** The raw bytes, for drawing. */
  pixels: Uint8Array;
  count: number;
}

export interface FashionSubset {
  train: FashionSplit;
  test: FashionSplit;
  height: number;
  width: number;
}

export const FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"] as const;

const HEADER_BYTES = 24;

/** Parses the subset file; `source` names it in errors. */
export function parseFashionSubset(bytes: Uint8Array, source: string): FashionSubset {
  if (bytes.length < HEADER_BYTES || String.fromCharCode(...bytes.subarray(0, 4)) !== "MMXF") throw new Error(`${source}: not a Fashion-MNIST subset file (no "MMXF" header)`);
  const head = new DataView(bytes.buffer, bytes.byteOffset, HEADER_BYTES);
  const [version, trainCount, testCount, height, width] = [4, 8, 12, 16, 20].map((at) => head.getUint32(at, true)) as [number, number, number, number, number];
  if (version !== 1) throw new Error(`${source}: format version ${version}, expected 1`);
  const row = height * width;
  const expected = HEADER_BYTES + (trainCount + testCount) * (row + 1);
  if (bytes.length !== expected) throw new Error(`${source}: ${bytes.length} bytes, expected ${expected} for ${trainCount} train and ${testCount} test images of ${height}x${width}`);
  let at = HEADER_BYTES;
  const split = (count: number, name: string): FashionSplit => {
    const pixels = bytes.subarray(at, (at += count * row));
    const labels = Int32Array.from(bytes.subarray(at, (at += count)));
    const bad = labels.findIndex((l) => l >= FASHION_CLASSES.length);
    if (bad >= 0) throw new Error(`${source}: ${name} label ${bad} is ${labels[bad]}, outside [0, ${FASHION_CLASSES.length})`);
    const x = new Float32Array(pixels.length);
    for (let i = 0; i < pixels.length; i++) x[i] = pixels[i]! / 255;
    return { x, labels, pixels, count };
  };
  const train = split(trainCount, "train");
  const test = split(testCount, "test");
  return { train, test, height, width };
}

/** Fetches and parses the subset shipped with the page. */
export async function loadFashionSubset(url: string): Promise<FashionSubset> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status} (run the playground's build, which writes it)`);
  return parseFashionSubset(new Uint8Array(await response.arrayBuffer()), url);
}
