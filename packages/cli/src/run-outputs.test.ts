import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { run, tempDir } from "./test-helpers.js";

const readJson = (path: string) => JSON.parse(readFileSync(path, "utf8"));

describe("what a run folder keeps", () => {
  it("config.json records the model's widths; eval, attack and spectra save their results there", async () => {
    const out = join(tempDir(), "run");
    const trained = await run(["train", "--dataset", "spirals", "--n-train", "128", "--n-test", "100", "--batch", "32", "--epochs", "1", "--backend", "cpu", "--out", out]);
    expect(trained.code, trained.stderr).toBe(0);
    // No --hidden: the spiral net's default width, written down so that the run says what it trained.
    expect(readJson(join(out, "config.json"))).toMatchObject({ model: "spiral-net", hidden: [128] });

    const evaluated = await run(["eval", out, "--json"]);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    expect(evaluated.stderr).toContain(`saved ${join(out, "eval-test.json")}`);
    expect(readJson(join(out, "eval-test.json"))).toEqual(JSON.parse(evaluated.stdout));

    const attacked = await run(["attack", out, "--eps", "0.05", "--json"]);
    expect(attacked.code, attacked.stderr).toBe(0);
    expect(readJson(join(out, "attack-fgsm-eps0.05.json"))).toEqual(JSON.parse(attacked.stdout));
    const pgd = await run(["attack", out, "--pgd", "--eps", "0.05", "--steps", "2"]);
    expect(pgd.code, pgd.stderr).toBe(0);
    expect(readJson(join(out, "attack-pgd-eps0.05-steps2.json"))).toMatchObject({ attack: "pgd", eps: 0.05, steps: 2, stepSize: 0.0125, count: 100 });

    const spectra = await run(["spectra", out, "--layer", "hidden1", "--json"]);
    expect(spectra.code, spectra.stderr).toBe(0);
    expect(readJson(join(out, "spectra-hidden1-test.json"))).toEqual(JSON.parse(spectra.stdout));
    // Progress while it works (plain lines here, not a terminal): the first and last of each phase.
    expect(spectra.stderr).toMatch(/^spectra: representations at boundary 1 \(hidden1\): batch 1\/1$/m);
    expect(spectra.stderr).toMatch(/^spectra: singular values: class 1\/2$/m);
    expect(spectra.stderr).toMatch(/^spectra: singular values: class 2\/2$/m);
  });
});
