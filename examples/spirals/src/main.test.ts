import { describe, expect, it } from "vitest";
import { memory } from "@mmx/core";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { main } from "./main.js";

/** A full collection, then turns of the event loop for the FinalizationRegistry callbacks. */
async function collectGarbage(): Promise<void> {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

describe("example: spirals (smoke)", () => {
  it("trains the three methods and prints their error, decision map and bottleneck spread, with no dispose and no leak", async () => {
    await collectGarbage();
    const before = memory().numTensors;
    const text = await main(["--smoke"]);
    for (const name of ["no mixup", "input mixup \\(α=1\\)", "manifold mixup \\(α=2\\)"]) expect(text).toMatch(new RegExp(`^${name}: test error \\d+\\.\\d\\d%$`, "m"));
    expect(text.match(/^ {2}[#.+]{16}$/gm)).toHaveLength(3 * 8);
    expect(text.match(/bottleneck spread \(std along principal axes\): arm 0: \d+\.\d{3} x \d+\.\d{3}, arm 1: /g)).toHaveLength(3);
    await collectGarbage();
    expect(memory().numTensors).toBe(before);
  });
});
