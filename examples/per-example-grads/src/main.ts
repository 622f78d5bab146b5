/**
 * Per-example gradients as one program: `jit(vmap(grad(loss)))` maps the gradient of one example's loss
 * over a batch, with the parameters shared (`inAxes: [null, 0, 0]`). Each example's gradient is what a
 * loop calling `grad` once per example gives (checked here); their norms show which examples pull the
 * model hardest (the ones it gets wrong, near the spirals' crossing). What DP-SGD clips, and what
 * data-attribution methods read.
 *
 *   npm start -w @mmx/example-per-example-grads            (seconds)
 *   npm start -w @mmx/example-per-example-grads -- --smoke (a smaller batch, for CI)
 */
import { pathToFileURL } from "node:url";
import { grad, jit, np, setBackend, tidy, tree, vmap, type Array } from "@mmx/core";
import { spiralPoints, toArray } from "@mmx/data";
import * as nn from "@mmx/nn";
import * as random from "@mmx/random";

export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<string> {
  const batch = argv.includes("--smoke") ? 16 : 128;
  await setBackend("wasm");
  const model = nn.mlp([2, 32, 32, 2]);
  const { params } = model.init(random.key(0), [-1, 2]);
  const data = spiralPoints({ n: batch, noise: 0.1 }, random.key(1));
  const [x, y] = [toArray(data.x), toArray(data.y)];

  /** One example's loss: its input [2] and label [] become a batch of one. */
  const loss = (p: nn.ParamTree, xi: Array, yi: Array) => {
    const logits = model.apply(p, np.reshape(xi, [1, 2])).out;
    return np.neg(np.sum(np.mul(np.oneHot(np.reshape(yi, [1]), 2), np.logSoftmax(logits))));
  };
  const perExampleGrads = jit(vmap(grad(loss), { inAxes: [null, 0, 0] }));

  const lines = tidy(() => {
    const grads = perExampleGrads(params, x, y);
    // The same gradients by a loop over the examples, one grad call each.
    const row = (a: Array, i: number) => np.squeeze(np.slice(a, [i, ...a.shape.slice(1).map(() => 0)], [1, ...a.shape.slice(1)]), 0);
    let maxDiff = 0;
    for (let i = 0; i < batch; i++) {
      const one = grad(loss)(params, row(x, i), row(y, i));
      tree.leaves(tree.map((a: Array, b: Array) => np.max(np.abs(np.sub(row(a, i), b))), grads, one)).forEach((d) => (maxDiff = Math.max(maxDiff, (d as Array).dataSync()[0]!)));
    }
    // Each example's gradient norm over every parameter.
    const squares = tree.leaves(tree.map((g: Array) => np.sum(np.square(np.reshape(g, [batch, -1])), { axis: 1 }), grads)) as Array[];
    const norms = globalThis.Array.from(np.sqrt(squares.reduce((a, b) => np.add(a, b))).dataSync());
    const order = norms.map((n, i) => [n, i] as const).sort((a, b) => b[0] - a[0]);
    const labels = y.dataSync();
    const out = [`per-example gradients of an MLP 2-32-32-2 on ${batch} spiral points: one jit(vmap(grad(loss))) program`, ""];
    out.push(`largest difference from a loop of ${batch} grad calls: ${maxDiff.toExponential(2)}`);
    out.push(`gradient norm: median ${order[Math.floor(batch / 2)]![0].toFixed(4)}, largest ${order[0]![0].toFixed(4)}`);
    out.push("the five examples with the largest gradients (index, class, norm):");
    for (const [n, i] of order.slice(0, 5)) out.push(`  ${String(i).padStart(4)}  ${labels[i]}  ${n.toFixed(4)}`);
    return out;
  });
  const text = lines.join("\n");
  console.log(text);
  return text;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
