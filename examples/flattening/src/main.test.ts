import { describe, expect, it } from "vitest";
import { main } from "./main.js";

describe("example: flattening (smoke)", () => {
  it("prints the mean largest singular value and the sum of the rest per method", async () => {
    const text = await main(["--smoke"]);
    for (const name of ["no mixup", "input mixup \\(α=1\\)", "manifold mixup \\(α=2\\)"]) expect(text).toMatch(new RegExp(`^${name} +\\d+\\.\\d\\d +\\d+\\.\\d\\d$`, "m"));
  });
});
