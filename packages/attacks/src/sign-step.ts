import { Array, canReadSync, isTracer, jit, np, valueAndGrad, type PyTree } from "@mmx/core";
import type { Attack, AttackSettings, ClipRange, Loss, Model } from "./types.js";

/** Draws float32 values uniform in [0, 1) of a shape: where a random start comes from. */
export type UniformSampler = (shape: readonly number[]) => Array;

export interface SignStepConfig {
  readonly model: Model;
  readonly loss: Loss;
  readonly settings: AttackSettings;
  /** Where a random start draws from (PGD with randomStart). */
  readonly random?: UniformSampler;
}

const extent = jit((x: Array) => [np.min(x), np.max(x)]);

/**
 * The L∞ attacks share one iteration: x ← clip(Π_{‖x − x0‖∞ ≤ eps}(x + stepSize·sign(∇x loss))).
 * FGSM is one step of size eps from x0 (where the projection changes nothing), I-FGSM several smaller
 * steps, PGD the same from a random point of the ball.
 */
export function signGradientAttack(config: SignStepConfig): Attack {
  const { model, loss, settings, random } = config;
  const { kind, eps, stepSize, steps, clip } = settings;

  const toRange = (x: Array): Array => (clip ? np.clip(x, clip[0], clip[1]) : x);
  /** The model's class count, learnt when the step is traced (the labels are checked against it). */
  let classes: number | undefined;
  const step = jit((params: PyTree, x: Array, x0: Array, y: PyTree) => {
    const [value, g] = valueAndGrad((xx: Array) => {
      const out = model(params, xx);
      if (out instanceof Array && out.ndim === 2) classes = out.shape[1];
      return loss(out, y);
    })(x) as [Array, Array];
    const moved = np.add(x, np.mul(np.sign(g), stepSize));
    const projected = np.clip(moved, np.sub(x0, eps), np.add(x0, eps));
    return [toRange(projected), value];
  });
  const lossAt = jit((params: PyTree, x: Array, y: PyTree) => loss(model(params, x), y));
  // Inside the compiled step the labels are not known, so the loss cannot check them: a label outside
  // [0, classes) would be a zero one-hot row and a wrong, finite gradient. Checked here, before it runs.
  const checkLabels = (params: PyTree, x: Array, y: PyTree): void => {
    if (!(y instanceof Array) || y.dtype !== "int32" || y.ndim !== 1 || isTracer(y) || !canReadSync(y)) return;
    // Tracing the step (cached: the run below reuses it) tells the class count.
    if (classes === undefined) step.lower(params, x, x, y);
    if (classes === undefined) return;
    const known = classes;
    const values = y.dataSync();
    const bad = values.findIndex((v) => v < 0 || v >= known);
    if (bad >= 0) throw new RangeError(`${kind}: label ${values[bad]} at index ${bad} is outside [0, ${known}) for the model's ${known} classes`);
  };
  // A uniform point of the eps-ball around x0, then clipped (it stays in the ball).
  const randomPoint = jit((x0: Array, u: Array) => toRange(np.add(x0, np.mul(np.sub(np.mul(u, 2), 1), eps))));

  const start = (x0: Array): Array => {
    if (!settings.randomStart) return x0;
    const u = random!(x0.shape);
    if (!(u instanceof Array) || u.dtype !== "float32" || u.shape.join(",") !== x0.shape.join(",")) {
      throw new TypeError(`${kind}: random(${JSON.stringify(x0.shape)}) must return a float32 array of that shape, got ${u instanceof Array ? `${u.dtype}[${u.shape.join(",")}]` : typeof u}`);
    }
    try {
      return randomPoint(x0, u);
    } finally {
      u.dispose();
    }
  };

  const run = (params: PyTree, x: Array, y: PyTree, losses?: number[]): Array => {
    checkInput(x, clip, kind);
    checkLabels(params, x, y);
    let current = start(x);
    try {
      for (let t = 0; t < steps; t++) {
        const [next, value] = step(params, current, x, y) as [Array, Array];
        if (losses) losses.push(value.item());
        value.dispose();
        if (current !== x) current.dispose();
        current = next;
      }
      if (losses) {
        const value = lossAt(params, current, y) as Array;
        losses.push(value.item());
        value.dispose();
      }
      return current;
    } catch (e) {
      if (current !== x) current.dispose();
      throw e;
    }
  };

  const attack = ((params: PyTree, x: Array, y: PyTree) => run(params, x, y)) as Attack;
  attack.withLosses = (params, x, y) => {
    const losses: number[] = [];
    const adv = run(params, x, y, losses);
    return { x: adv, losses };
  };
  Object.defineProperty(attack, "settings", { value: Object.freeze({ ...settings }), enumerable: true });
  attack.clearCache = () => {
    step.clearCache();
    lossAt.clearCache();
    randomPoint.clearCache();
  };
  return attack;
}

function checkInput(x: Array, clip: ClipRange, what: string): void {
  if (!(x instanceof Array)) throw new TypeError(`${what}: x must be an mmx Array, got ${x === null ? "null" : typeof x}`);
  if (x.dtype !== "float32") throw new TypeError(`${what}: x must be float32 to take a gradient, got ${x.dtype}[${x.shape.join(",")}]`);
  if (x.ndim === 0 || x.shape[0] === 0) throw new RangeError(`${what}: x must hold a batch of at least one example, got ${x.dtype}[${x.shape.join(",")}]`);
  if (!clip || isTracer(x) || x.size === 0) return;
  // An input outside the clip range (normalised images, say) would be silently clipped: refuse it.
  const [lo, hi] = (extent(x) as Array[]).map((a) => {
    const v = a.item();
    a.dispose();
    return v;
  }) as [number, number];
  if (lo < clip[0] || hi > clip[1]) {
    throw new RangeError(`${what}: x holds values in [${lo}, ${hi}], outside the clip range [${clip[0]}, ${clip[1]}]; for inputs in another range pass clip: [lo, hi], or clip: null`);
  }
}
