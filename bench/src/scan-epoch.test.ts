import { describe, expect, it } from "vitest";
import { np, tree, type Array as MxArray } from "@mmx/core";
import { bceSoftmax } from "@mmx/losses";
import { inputMixup, manifoldMixup, trainStep } from "@mmx/mixup";
import * as nn from "@mmx/nn";
import { sgd } from "@mmx/optim";
import { foldIn, key } from "@mmx/random";
import { scanEpoch } from "./scan-epoch.js";

const values = (t: unknown) => (tree.leaves(t) as MxArray[]).flatMap((a) => Array.from(a.dataSync(), Number));

describe("an epoch as one scanned program (the bench's scan row)", () => {
  it("takes the very steps of the trainStep loop with the same keys: params, momentum and losses", () => {
    const [steps, batch, sizes] = [4, 6, [3, 8, 8, 2]];
    const model = nn.mlp(sizes);
    const policy = inputMixup({ alpha: 2 });
    const optimizer = sgd({ lr: 0.1, momentum: 0.9, nesterov: true });
    const params = model.init(key(3), [-1, sizes[0]!]).params;
    const xs = np.array(Float32Array.from({ length: steps * batch * 3 }, (_, i) => Math.sin(i * 1.7)), { shape: [steps, batch, 3] });
    const ys = np.array(Int32Array.from({ length: steps * batch }, (_, i) => (i * 5) % 2), { shape: [steps, batch], dtype: "int32" });
    const keys = Array.from({ length: steps }, (_, t) => foldIn(key(11), t));

    const alone = trainStep({ model, loss: bceSoftmax, optimizer, policy, donate: false });
    let state = alone.init(params);
    const losses: number[] = [];
    for (let t = 0; t < steps; t++) {
      const x = np.squeeze(np.slice(xs, [t, 0, 0], [1, batch, 3]), 0);
      const y = np.squeeze(np.slice(ys, [t, 0], [1, batch]), 0);
      const out = alone(state, x, y, keys[t]!);
      losses.push(out.loss.dataSync()[0]!);
      state = out.state;
    }

    const epoch = scanEpoch({ model, loss: bceSoftmax, optimizer, policy });
    const got = epoch(params, optimizer.init(params), xs, ys, keys);
    const close = (a: number[], b: number[]) => a.forEach((v, i) => expect(v).toBeCloseTo(b[i]!, 4));
    close(Array.from(got.losses.dataSync(), Number), losses);
    close(values(got.params), values(state.params));
    close(values(got.opt), values(state.opt));
    expect(new Set(losses).size).toBe(steps);
  });

  it("refuses a policy that draws its layer per step, and keys that do not match the steps", () => {
    const model = nn.mlp([3, 8, 8, 2]);
    const optimizer = sgd({ lr: 0.1 });
    expect(() => scanEpoch({ model, loss: bceSoftmax, optimizer, policy: manifoldMixup({ alpha: 2, layers: model.mixupLayers }) })).toThrow(/draws its layer from \d+ layers/);
    const epoch = scanEpoch({ model, loss: bceSoftmax, optimizer, policy: inputMixup({ alpha: 2 }) });
    const params = model.init(key(0), [-1, 3]).params;
    expect(() => epoch(params, optimizer.init(params), np.zeros([2, 4, 3]), np.zeros([2, 4], "int32"), [key(1)])).toThrow(/keys lists 1 keys for 2 steps/);
  });
});
