import { describe, expect, it } from "vitest";
import { parseFashionSubset } from "./subset.js";

function file(train: number, test: number, h = 2, w = 2, labels = [3, 9, 0]): Uint8Array {
  const bytes = new Uint8Array(24 + (train + test) * (h * w + 1));
  bytes.set([0x4d, 0x4d, 0x58, 0x46]);
  const view = new DataView(bytes.buffer);
  [1, train, test, h, w].forEach((v, i) => view.setUint32(4 + 4 * i, v, true));
  let at = 24;
  for (const [count, first] of [[train, 0], [test, train]] as const) {
    for (let i = 0; i < count * h * w; i++) bytes[at++] = (first * h * w + i) % 256;
    for (let i = 0; i < count; i++) bytes[at++] = labels[(first + i) % labels.length]!;
  }
  return bytes;
}

describe("the Fashion-MNIST subset file", () => {
  it("reads both splits: pixels scaled to [0, 1], labels as int32", () => {
    const s = parseFashionSubset(file(2, 1), "f.bin");
    expect([s.height, s.width, s.train.count, s.test.count]).toEqual([2, 2, 2, 1]);
    expect(Array.from(s.train.pixels)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(s.train.x[5]).toBeCloseTo(5 / 255);
    expect(Array.from(s.train.labels)).toEqual([3, 9]);
    expect(Array.from(s.test.pixels)).toEqual([8, 9, 10, 11]);
    expect(Array.from(s.test.labels)).toEqual([0]);
  });

  it("names the file and the problem in one line when it is not one", () => {
    expect(() => parseFashionSubset(new Uint8Array(30), "a.bin")).toThrow(/^a\.bin: not a Fashion-MNIST subset file/);
    expect(() => parseFashionSubset(file(2, 1).subarray(0, 30), "b.bin")).toThrow(/^b\.bin: 30 bytes, expected 39 for 2 train and 1 test images of 2x2$/);
    expect(() => parseFashionSubset(file(2, 1, 2, 2, [3, 12]), "c.bin")).toThrow(/^c\.bin: train label 1 is 12, outside \[0, 10\)$/);
  });
});
