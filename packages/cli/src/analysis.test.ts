import { batches } from "@mmx/data";
import { capture } from "@mmx/mixup";
import { key } from "@mmx/random";
import { describe, expect, it } from "vitest";
import { asFunction, features } from "./analysis.js";
import { loadData, reshapeBatch } from "./datasets.js";
import { buildModel } from "./models.js";

describe("features", () => {
  it("gives, jitted, what capture gives eagerly, at every boundary", async () => {
    const data = await loadData({ dataset: "spirals", spiralsTrain: 64, spiralsTest: 300, spiralsNoise: 0.05, dataSeed: 0 });
    const { model, input } = buildModel("spiral-net", data, [16]);
    const init = model.init(key(3), [-1, ...input]);
    const t = { model, params: init.params, modelState: init.state, input };
    for (const layer of [0, 2, 3]) {
      // Batches of 128 over 300 points: two full ones and a smaller last one (a second signature).
      const jitted = features(t, data.test, layer, 128);
      const eager: number[] = [];
      const at = capture(layer)(asFunction(model));
      for (const b of batches(data.test, { batchSize: 128, shuffle: false, key: key(0), transform: (x) => reshapeBatch(x, input) })) {
        for (const v of at({ params: t.params, state: t.modelState }, b.x).dataSync()) eager.push(v);
      }
      expect(jitted.labels).toHaveLength(300);
      expect(jitted.values.length).toBe(300 * jitted.dim);
      expect(jitted.dim).toBe(layer === 0 ? 2 : layer === 3 ? 2 : 16);
      expect(eager).toHaveLength(jitted.values.length);
      let worst = 0;
      eager.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - jitted.values[i]!))));
      expect(worst).toBeLessThan(1e-5);
    }
  });
});
