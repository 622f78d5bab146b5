import { describe, expect, it } from "vitest";
import { tensorsLeftBy } from "@mmx/testing/node";
import { main } from "./main.js";

describe("example: fgsm (smoke)", () => {
  it("prints clean and FGSM accuracy per method, with no dispose and no leak", async () => {
    const { result: text, left } = await tensorsLeftBy(() => main(["--smoke"]));
    for (const name of ["no mixup", "input mixup \\(α=1\\)", "manifold mixup \\(α=2\\)"]) expect(text).toMatch(new RegExp(`^${name} +\\d+\\.\\d +\\d+\\.\\d$`, "m"));
    expect(left).toBe(0);
  });
});
