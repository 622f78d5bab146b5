import { Array, np } from "@mmx/core";
import { nonNegative, positive } from "./checks.js";

/**
 * A learning-rate schedule: a function of the optimizer's step count (an int32 scalar Array: the
 * number of updates made before this one) returning a float32 scalar, written with np operations so
 * that it runs inside a jitted step with the count as a program input: one trace serves every step.
 * `valueAt(step)` computes the same value on the host, in double precision, for logging and tests.
 */
export interface Schedule {
  (count: Array | number): Array;
  valueAt(step: number): number;
  /** For logs and error messages: `cosine({ base: 0.1, steps: 1000, final: 0 })`. */
  readonly description: string;
}

function makeSchedule(description: string, inProgram: (count: Array) => Array, valueAt: (step: number) => number): Schedule {
  const schedule = ((count: Array | number) => inProgram(asCount(count, description))) as Schedule;
  Object.defineProperty(schedule, "valueAt", {
    value: (step: number) => {
      if (!Number.isInteger(step) || step < 0) throw new RangeError(`${description}.valueAt: step must be a non-negative integer, got ${step}`);
      return valueAt(step);
    },
  });
  Object.defineProperty(schedule, "description", { value: description });
  return schedule;
}

function asCount(count: Array | number, what: string): Array {
  if (typeof count === "number") {
    if (!Number.isInteger(count) || count < 0) throw new RangeError(`${what}: the step count must be a non-negative integer, got ${count}`);
    return np.array(count, { dtype: "int32" });
  }
  if (!(count instanceof Array) || count.dtype !== "int32" || count.ndim !== 0) {
    throw new TypeError(`${what}: the step count must be an int32 scalar Array, got ${count instanceof Array ? `${count.dtype} [${count.shape.join(",")}]` : typeof count}`);
  }
  return count;
}

/**
 * count >= n for an int32 count, as count > n - 1. (Core's np.greaterEqual is strict at the time of
 * writing: greaterEqual(a, b) binds less(b, a), i.e. a > b.)
 */
function atLeast(count: Array, n: number): Array {
  return np.greater(count, n - 1);
}

export function isSchedule(x: unknown): x is Schedule {
  return typeof x === "function" && typeof (x as Partial<Schedule>).valueAt === "function";
}

function stepCount(value: unknown, name: string, what: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new RangeError(`${what}: ${name} must be a positive integer number of steps, got ${String(value)}`);
  }
  return value;
}

/** The same learning rate at every step. */
export function constant(lr: number): Schedule {
  positive(lr, "lr", "constant");
  return makeSchedule(`constant(${lr})`, () => np.full([], lr), () => lr);
}

export interface PiecewiseConstantOptions {
  /** The rate before the first milestone. */
  base: number;
  /** Step counts (strictly increasing, >= 1) at which the rate is multiplied by `factor`. */
  milestones: readonly number[];
  /** 0.1 by default: the paper's ×0.1 drops. */
  factor?: number;
}

/**
 * `base · factor^k` where k is the number of milestones <= the step count, as PyTorch's MultiStepLR
 * (which multiplies by `factor` at each milestone; so do we, in double precision, then round once to
 * float32). Milestones are in steps: `epochsToSteps` converts epochs.
 */
export function piecewiseConstant({ base, milestones, factor = 0.1 }: PiecewiseConstantOptions): Schedule {
  const what = "piecewiseConstant";
  positive(base, "base", what);
  positive(factor, "factor", what);
  if (!globalThis.Array.isArray(milestones)) throw new TypeError(`${what}: milestones must be an array of step counts, got ${typeof milestones}`);
  milestones.forEach((m, i) => {
    if (!Number.isInteger(m) || m < 1 || (i > 0 && m <= milestones[i - 1]!)) {
      throw new RangeError(`${what}: milestones must be strictly increasing positive integers (steps), got [${milestones.join(", ")}] (entry ${i})`);
    }
  });
  const values = [base];
  for (let i = 0; i < milestones.length; i++) values.push(values[i]! * factor);
  const valueAt = (step: number) => values[milestones.filter((m) => m <= step).length]!;
  const inProgram = (count: Array) => {
    let lr = np.full([], base);
    milestones.forEach((m, i) => (lr = np.where(atLeast(count, m), values[i + 1]!, lr)));
    return lr;
  };
  return makeSchedule(`piecewiseConstant({ base: ${base}, milestones: [${milestones.join(", ")}], factor: ${factor} })`, inProgram, valueAt);
}

/**
 * Step counts for epoch milestones: `epochsToSteps([100, 150], 391)` -> [39100, 58650]. A change "at
 * epoch e" then happens at the first step of epoch e (counting epochs from 0), as PyTorch's per-epoch
 * `scheduler.step()` does.
 */
export function epochsToSteps(epochs: readonly number[], stepsPerEpoch: number): number[] {
  stepCount(stepsPerEpoch, "stepsPerEpoch", "epochsToSteps");
  return epochs.map((e) => {
    if (!Number.isInteger(e) || e < 0) throw new RangeError(`epochsToSteps: epochs must be non-negative integers, got ${e}`);
    return e * stepsPerEpoch;
  });
}

export interface CosineOptions {
  base: number;
  /** Steps to decay over; afterwards the rate stays at `final`. */
  steps: number;
  final?: number;
}

/**
 * Cosine decay from `base` at step 0 to `final` at step `steps` (then constant):
 * `final + (base - final)·(1 + cos(π·t/steps))/2`, PyTorch's CosineAnnealingLR closed form.
 */
export function cosine({ base, steps, final = 0 }: CosineOptions): Schedule {
  const what = "cosine";
  positive(base, "base", what);
  stepCount(steps, "steps", what);
  nonNegative(final, "final", what);
  const valueAt = (step: number) => (step >= steps ? final : final + ((base - final) * (1 + Math.cos((Math.PI * step) / steps))) / 2);
  // In the program (1 + cos(πt/T))/2 is taken as sin²(π(T - t)/(2T)): the same value, without the
  // cancellation of 1 + cos near the end, where float32 would lose the small rates' digits.
  const inProgram = (count: Array) => {
    const remaining = np.astype(np.maximum(np.sub(steps, count), 0), "float32");
    const half = np.sin(np.mul(remaining, Math.PI / (2 * steps)));
    return np.add(final, np.mul(base - final, np.square(half)));
  };
  return makeSchedule(`cosine({ base: ${base}, steps: ${steps}, final: ${final} })`, inProgram, valueAt);
}

export interface WarmupOptions {
  /** Number of warmup steps. */
  steps: number;
  /** The schedule after the warmup; it sees the count from the end of the warmup (its step 0 follows). */
  schedule: Schedule | number;
  /** The rate at step 0 (0 by default, as optax's warmup schedules). */
  init?: number;
}

/**
 * Linear warmup from `init` at step 0 towards the schedule's first value, reached at step `steps`;
 * from there on `schedule`, started afresh: `lr(t) = init + (s(0) - init)·t/steps` for t < steps,
 * `s(t - steps)` after.
 */
export function warmup({ steps, schedule, init = 0 }: WarmupOptions): Schedule {
  const what = "warmup";
  stepCount(steps, "steps", what);
  nonNegative(init, "init", what);
  const after = typeof schedule === "number" ? constant(schedule) : schedule;
  if (!isSchedule(after)) throw new TypeError(`${what}: schedule must be a Schedule (constant, cosine, ...) or a number, got ${typeof schedule}`);
  const target = after.valueAt(0);
  const valueAt = (step: number) => (step < steps ? init + ((target - init) * step) / steps : after.valueAt(step - steps));
  const inProgram = (count: Array) => {
    const ramp = np.add(init, np.mul(np.astype(count, "float32"), (target - init) / steps));
    const rest = after(np.maximum(np.sub(count, steps), 0));
    return np.where(np.less(count, steps), ramp, rest);
  };
  return makeSchedule(`warmup({ steps: ${steps}, init: ${init}, schedule: ${after.description} })`, inProgram, valueAt);
}

/** A number becomes a constant schedule; a schedule is returned as it is. */
export function asSchedule(lr: number | Schedule, what: string): Schedule {
  if (isSchedule(lr)) return lr;
  if (typeof lr !== "number" || !(lr > 0) || !Number.isFinite(lr)) {
    throw new RangeError(`${what}: lr must be a finite number > 0 or a Schedule, got ${String(lr)}`);
  }
  return constant(lr);
}
