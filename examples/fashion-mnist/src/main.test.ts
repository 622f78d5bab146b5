import { describe, expect, it } from "vitest";
import { tensorsLeftBy } from "@mmx/testing/node";
import { main } from "./main.js";

describe("example: fashion-mnist (smoke)", () => {
  it("prints a row of mean ± std per method, with no dispose and no leak", async () => {
    const { result: text, left } = await tensorsLeftBy(() => main(["--smoke"]));
    const cell = String.raw`\d+\.\d+ ± \d+\.\d+`;
    for (const name of ["no mixup", "input mixup \\(α=1\\)", "manifold mixup \\(α=2\\)"]) expect(text).toMatch(new RegExp(`^${name} +${cell} +${cell} +${cell}$`, "m"));
    expect(left).toBe(0);
  });
});
