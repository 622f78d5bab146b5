/**
 * The paper's comparison on Fashion-MNIST: an MLP trained without mixup, with input mixup (α = 1) and
 * with manifold mixup (α = 2, mixing at the input or either hidden layer), over several seeds; prints
 * mean ± std of the test error, NLL and ECE of the last epoch.
 *
 *   npm start -w @mmx/example-fashion-mnist            (a few minutes)
 *   npm start -w @mmx/example-fashion-mnist -- --smoke (seconds: a tiny setting, for CI)
 */
import { pathToFileURL } from "node:url";
import { jit, setBackend, type NDArray } from "@mmx/core";
import { batches, fashionMnist, hostArray, type HostArray, type ImageDataset } from "@mmx/data/node";
import { bceSoftmax } from "@mmx/losses";
import { metricsAccumulator, type MetricsResult } from "@mmx/metrics";
import { inputMixup, manifoldMixup, trainStep, type MixupPolicy } from "@mmx/mixup";
import * as nn from "@mmx/nn";
import { cosine, sgd } from "@mmx/optim";
import * as random from "@mmx/random";

const FULL = { train: 10_000, test: 10_000, hidden: 256, epochs: 8, batch: 100, seeds: [0, 1, 2] };
const SMOKE = { train: 300, test: 200, hidden: 32, epochs: 1, batch: 50, seeds: [0, 1] };

/** Images [B, 28, 28, 1] as rows [B, 784] for the MLP (the values are not copied). */
const flat = (x: HostArray) => hostArray(x.data, [x.shape[0]!, 784]);

export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<string> {
  const s = argv.includes("--smoke") ? SMOKE : FULL;
  await setBackend("wasm");
  // The standard split; `limit` keeps a class-balanced prefix of each.
  const train = await fashionMnist({ split: "train", limit: s.train });
  const test = await fashionMnist({ split: "test", limit: s.test });
  const model = nn.mlp([784, s.hidden, s.hidden, 10]);
  const methods: [string, () => MixupPolicy | undefined][] = [
    ["no mixup", () => undefined],
    ["input mixup (α=1)", () => inputMixup({ alpha: 1 })],
    ["manifold mixup (α=2)", () => manifoldMixup({ alpha: 2, layers: model.paperBoundaries })],
  ];
  const lines = [`Fashion-MNIST, MLP 784-${s.hidden}-${s.hidden}-10, ${s.train} train / ${s.test} test images, ${s.epochs} epochs, seeds ${s.seeds.join(", ")}`, ""];
  lines.push(`${"method".padEnd(22)}${"test error %".padStart(16)}${"test NLL".padStart(18)}${"ECE %".padStart(16)}`);
  for (const [name, policy] of methods) {
    const results: MetricsResult[] = [];
    for (const seed of s.seeds) results.push(await trainAndTest(model, policy(), train, test, s, seed));
    const col = (f: (r: MetricsResult) => number, scale: number, digits: number) => meanStd(results.map(f), scale, digits);
    lines.push(`${name.padEnd(22)}${col((r) => r.error, 100, 2).padStart(16)}${col((r) => r.nll, 1, 3).padStart(18)}${col((r) => r.ece, 100, 2).padStart(16)}`);
  }
  const text = lines.join("\n");
  console.log(text);
  return text;
}

async function trainAndTest(model: nn.Model, policy: MixupPolicy | undefined, train: ImageDataset, test: ImageDataset, s: typeof FULL, seed: number): Promise<MetricsResult> {
  const steps = s.epochs * Math.floor(train.count / s.batch);
  // BCE on softmax, the official code's loss, averages over the 10 classes: its gradients are about a
  // tenth of cross-entropy's, hence a learning rate of 0.5 rather than 0.1.
  const optimizer = sgd({ lr: cosine({ base: 0.5, steps }), momentum: 0.9, nesterov: true, weightDecay: 1e-4 });
  const step = trainStep({ model, loss: bceSoftmax, optimizer, ...(policy ? { policy } : {}), donate: true });
  const root = random.key(seed);
  let state = step.init(model.init(random.foldIn(root, 0), [-1, 784]).params);
  let t = 0;
  for (let epoch = 0; epoch < s.epochs; epoch++) {
    for (const b of batches(train, { batchSize: s.batch, key: random.foldIn(random.foldIn(root, 1), epoch), dropLast: true, transform: flat })) {
      ({ state } = step(state, b.x, b.y, random.foldIn(random.foldIn(root, 2), t++)));
    }
    // Yield once an epoch: the collector frees the epoch's batches and losses between tasks, never inside a
    // synchronous loop (docs/ownership.md); the old states were already freed by the step (donate: true).
    await new Promise((resolve) => setImmediate(resolve));
  }
  // Test: the last epoch's model, batch by batch.
  const forward = jit((p: nn.ParamTree, x: NDArray) => model.apply(p, x).out);
  const acc = metricsAccumulator();
  for (const b of batches(test, { batchSize: 1000, shuffle: false, key: root, transform: flat })) {
    acc.add(forward(state.params, b.x), b.y);
  }
  return acc.result();
}

function meanStd(values: number[], scale: number, digits: number): string {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const std = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / Math.max(1, values.length - 1));
  return `${(mean * scale).toFixed(digits)} ± ${(std * scale).toFixed(digits)}`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
