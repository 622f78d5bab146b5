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

describe("example: fashion-mnist (smoke)", () => {
  it("prints a row of mean ± std per method, with no dispose and no leak", async () => {
    await collectGarbage();
    const before = memory().numTensors;
    const text = await main(["--smoke"]);
    const cell = String.raw`\d+\.\d+ ± \d+\.\d+`;
    for (const name of ["no mixup", "input mixup \\(α=1\\)", "manifold mixup \\(α=2\\)"]) expect(text).toMatch(new RegExp(`^${name} +${cell} +${cell} +${cell}$`, "m"));
    await collectGarbage();
    expect(memory().numTensors).toBe(before);
  });
});
