import { dispose, grad, jit, np, tree, vmap, type Array as MxArray, type PyTree } from "@mmx/core";
import { bceSoftmax } from "@mmx/losses";
import { manifoldMixup, trainSeeds, trainStep } from "@mmx/mixup";
import * as nn from "@mmx/nn";
import { sgd } from "@mmx/optim";
import { foldIn, key } from "@mmx/random";
import { load, median, type Timing } from "./timing.js";

/**
 * What vmap and scan buy, measured as interleaved pairs (one of each per round, the first rotating): S seeds' MLP
 * steps as one `trainSeeds` program against S separate `trainStep` calls, the per-example gradients of a batch as
 * one `jit(vmap(grad))` program against a loop of one jitted gradient per example, and an epoch of T steps as one
 * `lax.scan` program against T `trainStep` calls.
 */
export interface TransformRow {
  name: string;
  backend: string;
  /** The vmapped program, and what it replaces. */
  vmapped: { label: string; timing: Timing };
  separate: { label: string; timing: Timing };
  /** Median over rounds of vmapped / separate in the same round. */
  pairedRatio: number;
  /**
   * Median process CPU time (all threads) of the vmapped side over that of the separate side: on a shared
   * machine, wall time counts the other processes' turns, CPU time mostly this one's work.
   */
  cpuRatio: number;
  /** The target for the ratio, where it sets one. */
  target?: number;
  load: { before: string; after: string };
}

export const SEEDS = 3;
export const PER_EXAMPLE_BATCH = 128;
export const EPOCH_STEPS = 32;

const timing = (times: number[]): Timing => ({ medianMs: median(times), minMs: Math.min(...times), maxMs: Math.max(...times), steps: times.length });

const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/** Runs `a` and `b` once per round, in alternating order, after `warmup` untimed rounds: wall and CPU times. */
async function interleaved(a: () => Promise<void>, b: () => Promise<void>, { steps, warmup }: { steps: number; warmup: number }) {
  const [ta, tb, ca, cb]: number[][] = [[], [], [], []];
  for (let i = 0; i < warmup + steps; i++) {
    const order: [() => Promise<void>, number[], number[]][] = i % 2 === 0 ? [[a, ta, ca], [b, tb, cb]] : [[b, tb, cb], [a, ta, ca]];
    for (const [fn, times, cpu] of order) {
      const [t0, c0] = [performance.now(), cpuMs()];
      await fn();
      if (i >= warmup) {
        times.push(performance.now() - t0);
        cpu.push(cpuMs() - c0);
      }
    }
  }
  return { a: timing(ta), b: timing(tb), paired: median(ta.map((t, i) => t / tb[i]!)), cpuRatio: median(ca) / median(cb) };
}

function data(batch: number, features: number, classes: number, seed: number) {
  let s = seed >>> 0;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  return {
    x: np.array(Float32Array.from({ length: batch * features }, next), { shape: [batch, features] }),
    y: np.array(Int32Array.from({ length: batch }, (_, i) => (i * 7 + seed) % classes), { dtype: "int32" }),
  };
}

/**
 * An MLP step (manifold mixup α = 2, SGD Nesterov): the mlp workload's 784-512-512-10 at batch 128, where the
 * FLOPs dominate, and a small 2-64-64-2 at batch 100 (the spirals' size), where per-step dispatch does.
 */
export async function seedsRow(backend: string, sizes: readonly number[], batch: number, opts: { steps: number; warmup: number }): Promise<TransformRow> {
  const before = load();
  const model = nn.mlp([...sizes]);
  const [features, classes] = [sizes[0]!, sizes[sizes.length - 1]!];
  const policy = manifoldMixup({ alpha: 2, layers: model.mixupLayers });
  const optimizer = sgd({ lr: 0.1, momentum: 0.9, nesterov: true });
  const inits = Array.from({ length: SEEDS }, (_, s) => model.init(key(s), [-1, features]).params);
  const batches = Array.from({ length: SEEDS }, (_, s) => data(batch, features, classes, s + 1));
  const xs = np.stack(batches.map((b) => b.x));
  const ys = np.stack(batches.map((b) => b.y));
  const together = trainSeeds({ model, loss: bceSoftmax, optimizer, policy, seeds: SEEDS, donate: true });
  let state = together.init(inits);
  const alone = trainStep({ model, loss: bceSoftmax, optimizer, policy, donate: true });
  let states = inits.map((p) => alone.init(tree.map((l: MxArray) => np.add(l, 0), p) as nn.ParamTree));
  let t = 0;
  const r = await interleaved(
    async () => {
      const out = together(state, xs, ys, batches.map((_, s) => foldIn(key(100 + s), t)));
      state = out.state;
      await out.loss.data();
      out.loss.dispose();
      t++;
    },
    async () => {
      const losses: MxArray[] = [];
      states = states.map((st, s) => {
        const out = alone(st, batches[s]!.x, batches[s]!.y, foldIn(key(100 + s), t));
        losses.push(out.loss);
        return out.state;
      });
      for (const l of losses) await l.data();
      dispose(losses);
    },
    opts,
  );
  dispose([xs, ys, inits, state.params, state.opt, ...states.flatMap((s) => [s.params, s.opt]), ...batches.flatMap((b) => [b.x, b.y])]);
  return {
    name: `mlp ${sizes.join("-")} b${batch} step, ${SEEDS} seeds`,
    backend,
    vmapped: { label: `trainSeeds (${SEEDS} seeds, one program)`, timing: r.a },
    separate: { label: `${SEEDS} trainStep calls`, timing: r.b },
    pairedRatio: r.paired,
    cpuRatio: r.cpuRatio,
    target: 0.6,
    load: { before, after: load() },
  };
}

/** Per-example gradients of the mlp's loss for a batch of 128: one vmapped program against 128 jitted calls. */
async function perExampleRow(backend: string, opts: { steps: number; warmup: number }): Promise<TransformRow> {
  const before = load();
  const model = nn.mlp([784, 512, 512, 10]);
  const params = model.init(key(0), [-1, 784]).params;
  const { x, y } = data(PER_EXAMPLE_BATCH, 784, 10, 7);
  const loss = (p: PyTree, xi: MxArray, yi: MxArray) => bceSoftmax(model.apply(p as nn.ParamTree, np.reshape(xi, [1, 784])).out, np.reshape(yi, [1]));
  const batched = jit(vmap(grad(loss), { inAxes: [null, 0, 0] }));
  const single = jit(grad(loss));
  const rows = Array.from({ length: PER_EXAMPLE_BATCH }, (_, i) => ({
    x: np.squeeze(np.slice(x, [i, 0], [1, 784]), 0),
    y: np.squeeze(np.slice(y, [i], [1]), 0),
  }));
  const readAll = async (t: PyTree) => {
    for (const leaf of tree.leaves(t) as MxArray[]) await leaf.data();
    dispose(t);
  };
  const r = await interleaved(
    async () => readAll(batched(params, x, y) as PyTree),
    async () => {
      const outs = rows.map((e) => single(params, e.x, e.y) as PyTree);
      for (const o of outs) await readAll(o);
    },
    opts,
  );
  dispose([params, x, y, ...rows.flatMap((e) => [e.x, e.y])]);
  return {
    name: `per-example gradients, batch ${PER_EXAMPLE_BATCH}`,
    backend,
    vmapped: { label: "jit(vmap(grad(loss)))", timing: r.a },
    separate: { label: `${PER_EXAMPLE_BATCH} jit(grad(loss)) calls`, timing: r.b },
    pairedRatio: r.paired,
    cpuRatio: r.cpuRatio,
    load: { before, after: load() },
  };
}

/**
 * An epoch of EPOCH_STEPS manifold-mixup steps (α = 2 over the model's paper boundaries, SGD Nesterov) over a
 * stacked batch array: one `step.scan` program (`lax.scan` over the batches, the draws made on the host first, the
 * layer changing from step to step inside the program) against the loop of `step` calls it replaces, both from the
 * same params and keys each round. A round is a whole epoch, so rounds are fewer.
 */
export async function epochRow(backend: string, sizes: readonly number[], batch: number, opts: { steps: number; warmup: number }): Promise<TransformRow> {
  const before = load();
  const model = nn.mlp([...sizes]);
  const [features, classes] = [sizes[0]!, sizes[sizes.length - 1]!];
  const policy = manifoldMixup({ alpha: 2, layers: model.paperBoundaries });
  const optimizer = sgd({ lr: 0.1, momentum: 0.9, nesterov: true });
  const params = model.init(key(0), [-1, features]).params;
  const batches = Array.from({ length: EPOCH_STEPS }, (_, t) => data(batch, features, classes, t + 1));
  const xs = np.stack(batches.map((b) => b.x));
  const ys = np.stack(batches.map((b) => b.y));
  const keys = batches.map((_, t) => foldIn(key(200), t));
  const scanned = trainStep({ model, loss: bceSoftmax, optimizer, policy });
  const alone = trainStep({ model, loss: bceSoftmax, optimizer, policy, donate: true });
  const r = await interleaved(
    async () => {
      const out = scanned.scan(scanned.init(params), xs, ys, keys);
      await out.losses.data();
      dispose([out.state.params, out.state.opt, out.losses]);
    },
    async () => {
      let state = alone.init(params);
      let last: MxArray | undefined;
      for (let t = 0; t < EPOCH_STEPS; t++) {
        const out = alone(state, batches[t]!.x, batches[t]!.y, keys[t]!);
        last?.dispose();
        last = out.loss;
        state = out.state;
      }
      await last!.data();
      dispose([last!, state.opt, state.params === params ? [] : state.params]);
    },
    { steps: Math.max(3, Math.ceil(opts.steps / 4)), warmup: Math.min(opts.warmup, 1) },
  );
  dispose([params, xs, ys, ...batches.flatMap((b) => [b.x, b.y])]);
  return {
    name: `epoch of ${EPOCH_STEPS} steps, mlp ${sizes.join("-")} b${batch}, manifold mixup`,
    backend,
    vmapped: { label: "step.scan (lax.scan, one program)", timing: r.a },
    separate: { label: `${EPOCH_STEPS} step calls`, timing: r.b },
    pairedRatio: r.paired,
    cpuRatio: r.cpuRatio,
    load: { before, after: load() },
  };
}

/** Every row on the current backend. */
export async function runTransforms(backend: string, opts: { steps: number; warmup: number; log: (line: string) => void }): Promise<TransformRow[]> {
  opts.log(`transforms on ${backend} (load ${load()})...`);
  return [
    await seedsRow(backend, [784, 512, 512, 10], 128, opts),
    await seedsRow(backend, [2, 64, 64, 2], 100, opts),
    await perExampleRow(backend, opts),
    await epochRow(backend, [2, 64, 64, 2], 100, opts),
    await epochRow(backend, [784, 512, 512, 10], 128, opts),
  ];
}
