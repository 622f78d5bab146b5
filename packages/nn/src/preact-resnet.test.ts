/**
 * A whole PreActResNet18, initialised for real, run forward (training mode) and backward on a batch of
 * two 32x32x3 images on the cpu and the wasm backends: the two must agree within float32 tolerance.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dispose, getBackend, jit, keep, np, setBackend, tidy, tree, valueAndGrad, type Array } from "@mmx/core";
import { key, normal, split } from "@mmx/random";
import { countParams, preActResNet18, shapesByPath, type Model, type ParamTree } from "./index.js";
import { maxRelDiff } from "./testing-only/close.js";

const model = preActResNet18(10);
let params: unknown;
let state: unknown;
let x: Array;
let r: Array;

beforeAll(() => {
  const [kInit, kx, kr] = split(key(2024), 3);
  const init = model.init(kInit!, [-1, 32, 32, 3]);
  params = keep(init.params);
  state = keep(init.state);
  x = keep(normal(kx!, [2, 32, 32, 3]));
  r = keep(normal(kr!, [2, 10]));
});
afterAll(() => dispose([params, state, x, r]));

/**
 * Loss = sum(logits * r) (every logit gets its own cotangent) in training mode, differentiated with
 * respect to the input and the parameters that `wrt` selects (the others are held fixed). Returns the
 * loss, the logits, the new state and the gradients, as flat lists.
 */
function step(m: Model, wrt: (shape: readonly number[]) => boolean) {
  return jit((p: unknown, s: unknown, xx: Array, rr: Array) => {
    const [leaves, def] = tree.flatten(p);
    const chosen = leaves.map((l) => wrt((l as Array).shape));
    const loss = (free: Array[], input: Array) => {
      let i = 0;
      const full = tree.unflatten(def, leaves.map((l, j) => (chosen[j] ? free[i++]! : l))) as ParamTree;
      const { out, state: next } = m.apply(full, input, { train: true, state: s });
      return [np.sum(np.mul(out, rr)), { out, state: next }] as const;
    };
    const free = leaves.filter((_, j) => chosen[j]) as Array[];
    const [[value, aux], [gFree, gx]] = valueAndGrad(loss, { argnums: [0, 1], hasAux: true })(free, xx);
    return { loss: value, out: aux.out, state: aux.state, grads: [...gFree, gx] };
  });
}

const read = (t: unknown): Float32Array[] => tree.leaves(t).map((a) => (a as Array).dataSync() as Float32Array);

interface Run {
  loss: number;
  out: Float32Array;
  grads: Float32Array[];
  state: Float32Array[];
  ms: number;
}

/** Runs `step` on each backend; restores the backend it found. */
async function onBackends(m: Model, p: unknown, s: unknown, wrt: (backend: string) => (shape: readonly number[]) => boolean): Promise<Record<string, Run>> {
  const results: Record<string, Run> = {};
  const before = getBackend();
  try {
    for (const backend of ["cpu", "wasm"]) {
      await setBackend(backend);
      const f = step(m, wrt(backend));
      const t = performance.now();
      const res = tidy(() => {
        const o = f(p, s, x, r);
        return { loss: o.loss.item(), out: o.out.dataSync() as Float32Array, grads: o.grads.map((g: Array) => g.dataSync() as Float32Array), state: read(o.state) };
      });
      results[backend] = { ...res, ms: performance.now() - t };
      f.clearCache();
    }
  } finally {
    await setBackend(before);
  }
  return results;
}

/** The largest difference of each gradient, relative to that gradient's largest magnitude. */
function gradientAgreement(a: Float32Array[], b: Float32Array[]): number {
  expect(a).toHaveLength(b.length);
  return Math.max(
    ...a.map((g, i) => {
      const scale = Math.max(...g.map(Math.abs));
      expect(scale, `gradient ${i} is zero`).toBeGreaterThan(0);
      let d = 0;
      for (let j = 0; j < g.length; j++) d = Math.max(d, Math.abs(g[j]! - b[i]![j]!));
      return d / scale;
    }),
  );
}

function expectAgreement(cpu: Run, wasm: Run): void {
  expect(Number.isFinite(cpu.loss)).toBe(true);
  expect(Math.abs(cpu.loss - wasm.loss)).toBeLessThanOrEqual(1e-3 * (1 + Math.abs(cpu.loss)));
  expect(maxRelDiff(wasm.out, cpu.out, 1e-3)).toBeLessThan(1e-3);
  cpu.state.forEach((st, i) => expect(maxRelDiff(wasm.state[i]!, st, 1e-3)).toBeLessThan(1e-3));
  const worst = gradientAgreement(cpu.grads, wasm.grads);
  console.log(`  largest gradient difference cpu vs wasm, relative to the tensor's scale: ${worst.toExponential(2)}`);
  expect(worst).toBeLessThan(1e-3);
}

const isConvWeight = (shape: readonly number[]) => shape.length === 4;

describe("PreActResNet18, initialised for real", () => {
  it("has the fixture's 11,171,146 parameters and 6,784 running-statistic elements, initialised as PyTorch", () => {
    expect(countParams(params)).toBe(11171146);
    expect(countParams(state)).toBe(6784);
    const p = params as any;
    const stem = p.conv1.weight.dataSync() as Float32Array;
    const bound = 1 / Math.sqrt(3 * 3 * 3);
    expect(Math.max(...stem.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...stem.map(Math.abs))).toBeGreaterThan(0.9 * bound);
    const lin = p.head.linear.weight.dataSync() as Float32Array;
    expect(Math.max(...lin.map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(512));
    expect([...p.layer1["0"].bn1.weight.dataSync()].every((v) => v === 1)).toBe(true);
    expect([...p.layer1["0"].bn1.bias.dataSync()].every((v) => v === 0)).toBe(true);
    const st = state as any;
    expect([...st.layer4["1"].bn2.runningVar.dataSync()].every((v) => v === 1)).toBe(true);
  });

  it("initialises a parameter from its path alone: a slice initialises to the same values as the whole", () => {
    tidy(() => {
      const front = model.slice(0, 2);
      const { params: fp } = front.init(split(key(2024), 3)[0]!, [-1, 32, 32, 3]);
      expect(shapesByPath(fp)).toEqual(shapesByPath(front.pick(params)));
      expect(read(fp)).toEqual(read(front.pick(params)));
    });
  });

  it("runs forward (train) and backward on a batch of 2 on cpu and wasm, and the two agree", async () => {
    // wasm differentiates every parameter. On cpu (plain JavaScript kernels) the conv weights are held
    // fixed to keep the test short (their gradients add ~6 s there; the narrow network below checks
    // them): the input, batch-norm and linear gradients still flow back through every layer.
    const runs = await onBackends(model, params, state, (backend) => (backend === "wasm" ? () => true : (s) => !isConvWeight(s)));
    const cpu = runs.cpu!;
    const wasm = runs.wasm!;
    console.log(`PreActResNet18 batch 2, forward + backward (jit, incl. tracing): cpu ${cpu.ms.toFixed(0)} ms (conv weights fixed), wasm ${wasm.ms.toFixed(0)} ms (all 54 parameter gradients)`);
    expect(wasm.grads).toHaveLength(55);
    for (const g of wasm.grads) expect(g.every(Number.isFinite) && g.some((v) => v !== 0)).toBe(true);
    // Compare the gradients both computed: the non-conv parameters (in tree order) and the input.
    const [leaves] = tree.flatten(params);
    const shared = leaves.map((l, j) => [j, !isConvWeight((l as Array).shape)] as const).filter(([, keepIt]) => keepIt).map(([j]) => j);
    expect(cpu.grads).toHaveLength(shared.length + 1);
    expectAgreement(cpu, { ...wasm, grads: [...shared.map((j) => wasm.grads[j]!), wasm.grads[wasm.grads.length - 1]!] });
  });

  it("a narrow PreActResNet18 (8 initial channels): every gradient, conv weights included, agrees on cpu and wasm", async () => {
    const narrow = preActResNet18(10, { initialChannels: 8 });
    const init = narrow.init(key(7), [-1, 32, 32, 3]);
    try {
      const runs = await onBackends(narrow, init.params, init.state, () => () => true);
      console.log(`narrow PreActResNet18: cpu ${runs.cpu!.ms.toFixed(0)} ms, wasm ${runs.wasm!.ms.toFixed(0)} ms`);
      expect(runs.cpu!.grads).toHaveLength(55);
      expectAgreement(runs.cpu!, runs.wasm!);
    } finally {
      dispose(init);
    }
  });
});
