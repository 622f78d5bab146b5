import { it } from "vitest";
import { setBackend } from "@mmx/core";
import { SpiralExperiment } from "./spirals/experiment.js";
import { DEFAULT_SETTINGS } from "./spirals/settings.js";
it("conv", async () => {
  await setBackend("wasm");
  for (const lr of [0.05, 0.1, 0.2]) {
    const exp = new SpiralExperiment({ ...DEFAULT_SETTINGS, lr, steps: 1500 });
    const t = performance.now();
    while (!exp.done) { exp.trainFor(100); await exp.collect(); }
    const errs = [];
    for (let i = 0; i < 3; i++) errs.push((await exp.snapshot(i)).testError.toFixed(3));
    console.log("lr", lr, "errors", errs.join(" "), "s", ((performance.now() - t) / 1000).toFixed(1));
    exp.stop();
  }
}, 600000);
