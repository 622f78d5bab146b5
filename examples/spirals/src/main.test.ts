import { describe, expect, it } from "vitest";
import { tensorsLeftBy } from "@mmx/testing/node";
import { main } from "./main.js";

describe("example: spirals (smoke)", () => {
  it("trains the three methods and prints their error, decision map and bottleneck spread, with no dispose and no leak", async () => {
    const { result: text, left } = await tensorsLeftBy(() => main(["--smoke"]));
    for (const name of ["no mixup", "input mixup \\(α=1\\)", "manifold mixup \\(α=2\\)"]) expect(text).toMatch(new RegExp(`^${name}: test error \\d+\\.\\d\\d%$`, "m"));
    expect(text.match(/^ {2}[#.+]{16}$/gm)).toHaveLength(3 * 8);
    expect(text.match(/bottleneck spread \(std along principal axes\): arm 0: \d+\.\d{3} x \d+\.\d{3}, arm 1: /g)).toHaveLength(3);
    expect(left).toBe(0);
  });
});
