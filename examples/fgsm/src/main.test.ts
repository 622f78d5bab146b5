import { describe, expect, it } from "vitest";
import { main } from "./main.js";

describe("example: fgsm (smoke)", () => {
  it("prints clean and FGSM accuracy per method", async () => {
    const text = await main(["--smoke"]);
    for (const name of ["no mixup", "input mixup \\(α=1\\)", "manifold mixup \\(α=2\\)"]) expect(text).toMatch(new RegExp(`^${name} +\\d+\\.\\d +\\d+\\.\\d$`, "m"));
  });
});
