/**
 * The PyTorch update rules (torch 1.13, single-tensor path) in double precision on flat number
 * arrays: an oracle for property tests over configurations the fixture does not cover.
 */
export interface SgdConfig {
  lr: (step: number) => number;
  momentum: number;
  dampening: number;
  nesterov: boolean;
  weightDecay: number;
}

export function sgdReference(init: number[], grads: number[][], c: SgdConfig): number[][] {
  let p = [...init];
  let buf: number[] | null = null;
  return grads.map((g, step) => {
    let d = g.map((v, i) => v + c.weightDecay * p[i]!);
    if (c.momentum !== 0) {
      buf = buf === null ? [...d] : buf.map((b, i) => c.momentum * b + (1 - c.dampening) * d[i]!);
      const b = buf;
      d = c.nesterov ? d.map((v, i) => v + c.momentum * b[i]!) : [...b];
    }
    const lr = c.lr(step);
    p = p.map((v, i) => v - lr * d[i]!);
    return p;
  });
}

export interface AdamConfig {
  lr: (step: number) => number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  decoupled: boolean;
}

export function adamReference(init: number[], grads: number[][], c: AdamConfig): number[][] {
  let p = [...init];
  let m = init.map(() => 0);
  let v = init.map(() => 0);
  const [b1, b2] = c.betas;
  return grads.map((g0, step) => {
    const lr = c.lr(step);
    const t = step + 1;
    if (c.decoupled) p = p.map((x) => x * (1 - lr * c.weightDecay));
    const g = c.decoupled ? g0 : g0.map((x, i) => x + c.weightDecay * p[i]!);
    m = m.map((x, i) => b1 * x + (1 - b1) * g[i]!);
    v = v.map((x, i) => b2 * x + (1 - b2) * g[i]! * g[i]!);
    const stepSize = lr / (1 - b1 ** t);
    const c2 = Math.sqrt(1 - b2 ** t);
    p = p.map((x, i) => x - (stepSize * m[i]!) / (Math.sqrt(v[i]!) / c2 + c.eps));
    return p;
  });
}
