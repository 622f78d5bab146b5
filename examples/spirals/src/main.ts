/**
 * Figure 1 of Manifold Mixup (Verma et al., ICML 2019): two interleaved spirals, a network with a 2-D
 * bottleneck in the middle, trained without mixup, with input mixup (α = 1) and with manifold mixup
 * (α = 2, mixing at the input or any layer up to the bottleneck). For each it prints the test error,
 * the decision regions over the plane as text, and how spread out each class is in the bottleneck.
 *
 *   npm start -w @mmx/example-spirals            (about a minute)
 *   npm start -w @mmx/example-spirals -- --smoke (seconds: a tiny setting, for CI)
 */
import { pathToFileURL } from "node:url";
import { jit, np, setBackend, type NDArray } from "@mmx/core";
import { batches, spirals } from "@mmx/data";
import { bceSoftmax } from "@mmx/losses";
import { error } from "@mmx/metrics";
import { capture, inputMixup, manifoldMixup, trainStep, type MixupPolicy } from "@mmx/mixup";
import * as nn from "@mmx/nn";
import { cosine, sgd } from "@mmx/optim";
import * as random from "@mmx/random";

interface Settings {
  points: number;
  hidden: number;
  epochs: number;
  batch: number;
  grid: { cols: number; rows: number };
}

const FULL: Settings = { points: 2000, hidden: 128, epochs: 75, batch: 100, grid: { cols: 64, rows: 28 } };
const SMOKE: Settings = { points: 200, hidden: 16, epochs: 2, batch: 50, grid: { cols: 16, rows: 8 } };

export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<string> {
  const s = argv.includes("--smoke") ? SMOKE : FULL;
  await setBackend("wasm");
  const train = spirals({ n: s.points, noise: 0.05 }, random.key(0));
  const test = spirals({ n: s.points, noise: 0.05 }, random.key(1));
  const model = nn.spiralNet({ hidden: s.hidden });
  const bottleneck = model.paperBoundaries[model.paperBoundaries.length - 1]!; // input, hidden1, hidden2, bottleneck

  const methods: [string, MixupPolicy | undefined][] = [
    ["no mixup", undefined],
    ["input mixup (α=1)", inputMixup({ alpha: 1 })],
    ["manifold mixup (α=2)", manifoldMixup({ alpha: 2, layers: model.paperBoundaries })],
  ];
  const report: string[] = [];
  for (const [name, policy] of methods) {
    // The same initial weights and batches for every method: only the mixing differs.
    const steps = s.epochs * Math.floor(s.points / s.batch);
    const step = trainStep({ model, loss: bceSoftmax, optimizer: sgd({ lr: cosine({ base: 0.05, steps }), momentum: 0.9, nesterov: true, weightDecay: 1e-4 }), ...(policy ? { policy } : {}), donate: true });
    let state = step.init(model.init(random.key(2), [-1, 2]).params);
    let t = 0;
    for (let epoch = 0; epoch < s.epochs; epoch++) {
      for (const b of batches(train, { batchSize: s.batch, key: random.foldIn(random.key(3), epoch), dropLast: true })) {
        // Each step frees the state passed to it (donate: true); the loss and the batch are freed once unreachable.
        ({ state } = step(state, b.x, b.y, random.foldIn(random.key(4), t++)));
      }
    }
    const logits = (x: NDArray) => model.apply(state.params, x).out;
    const out = logits(test.x);
    const codes = capture(bottleneck)((p, x: NDArray) => model.apply(p, x).out)(state.params, test.x);
    report.push(`${name}: test error ${(100 * error(out, test.y)).toFixed(2)}%`, decisionMap(logits, s.grid), spread(codes, test.y), "");
  }
  const text = report.join("\n");
  console.log(text);
  return text;
}

/** The predicted arm over [-1.2, 1.2]²: '#' for arm 1, '.' for arm 0, '+' where p(arm 1) is in (0.25, 0.75). */
function decisionMap(logits: (x: NDArray) => NDArray, grid: { cols: number; rows: number }): string {
  const xy: number[] = [];
  for (let r = 0; r < grid.rows; r++) for (let c = 0; c < grid.cols; c++) xy.push(-1.2 + (2.4 * (c + 0.5)) / grid.cols, 1.2 - (2.4 * (r + 0.5)) / grid.rows);
  const x = np.array(xy, { shape: [grid.rows * grid.cols, 2] });
  const probs = jit((v: NDArray) => np.softmax(logits(v), -1))(x).dataSync();
  const lines: string[] = [];
  for (let r = 0; r < grid.rows; r++) {
    let line = "  ";
    for (let c = 0; c < grid.cols; c++) {
      const p1 = probs[2 * (r * grid.cols + c) + 1]!;
      line += p1 > 0.75 ? "#" : p1 < 0.25 ? "." : "+";
    }
    lines.push(line);
  }
  return lines.join("\n");
}

/** How spread out each class is in the 2-D bottleneck: the standard deviation along its two principal axes. */
function spread(codes: NDArray, labels: NDArray): string {
  const h = codes.dataSync();
  const y = labels.dataSync();
  const parts: string[] = [];
  for (const cls of [0, 1]) {
    const pts: [number, number][] = [];
    y.forEach((l, i) => l === cls && pts.push([h[2 * i]!, h[2 * i + 1]!]));
    const mx = pts.reduce((s, p) => s + p[0], 0) / pts.length;
    const my = pts.reduce((s, p) => s + p[1], 0) / pts.length;
    let [sxx, syy, sxy] = [0, 0, 0];
    for (const [a, b] of pts) [sxx, syy, sxy] = [sxx + (a - mx) ** 2, syy + (b - my) ** 2, sxy + (a - mx) * (b - my)];
    // Eigenvalues of the 2x2 covariance: the variances along the principal axes.
    const [a, d, b] = [sxx / pts.length, syy / pts.length, sxy / pts.length];
    const mid = (a + d) / 2;
    const root = Math.sqrt(((a - d) / 2) ** 2 + b * b);
    parts.push(`arm ${cls}: ${Math.sqrt(mid + root).toFixed(3)} x ${Math.sqrt(Math.max(mid - root, 0)).toFixed(3)}`);
  }
  return `  bottleneck spread (std along principal axes): ${parts.join(", ")}`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
