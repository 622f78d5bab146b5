import { describe, expect, it } from "vitest";
import { main } from "./main.js";

describe("example: per-example gradients (smoke)", () => {
  it("the vmapped gradients equal a loop of grad calls, and the norms are printed", async () => {
    const text = await main(["--smoke"]);
    const diff = Number(/largest difference from a loop of 16 grad calls: (\S+)/.exec(text)?.[1]);
    expect(diff).toBeLessThan(1e-5);
    expect(text).toMatch(/gradient norm: median \d+\.\d{4}, largest \d+\.\d{4}/);
  });
});
