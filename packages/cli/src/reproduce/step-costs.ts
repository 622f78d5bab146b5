/** What a training probe's CPU clock says about a run's training: see `stepCosts`. */
export interface StepCosts {
  /** A warm training step. */
  stepSeconds: number;
  /** An epoch's end beyond its steps (the metrics and the checkpoint written), evaluation aside. */
  epochSeconds: number;
  /** What the first epoch cost beyond its steps at the warm cost: the compilation a fresh run pays. */
  compileSeconds: number;
}

/**
 * Reads the costs of training from a probe that trained `epochs` epochs of `steps` steps each, given
 * the CPU clock before training (`start`) and after each step (`afterStep`, epochs × steps readings).
 *
 * A thread's first tens of steps cost several times a warm step (the JavaScript engine is still
 * optimising the host code that drives each step, the compiled programs are run for the first time);
 * a run of thousands of cheap steps hardly notices, so only the last `timed` epochs are read. In
 * them, an epoch's first step also pays the end of the epoch before it: the warm step is the mean
 * of the other steps, and that first step's excess over it is the epoch's end (with one step an
 * epoch the two cannot be told apart, and the step carries the epoch's end). The warm-up between
 * the first epoch and the timed ones is left out: a worker thread pays it once, not once a run.
 */
export function stepCosts(p: { start: number; afterStep: readonly number[]; steps: number; epochs: number; timed: number }): StepCosts {
  const { start, afterStep, steps, epochs, timed } = p;
  if (!(steps >= 1 && timed >= 1 && epochs > timed)) throw new RangeError(`stepCosts: needs a step an epoch and an untimed first epoch (steps ${steps}, epochs ${epochs}, timed ${timed})`);
  if (afterStep.length !== epochs * steps) throw new RangeError(`stepCosts: ${afterStep.length} clock readings for ${epochs} epochs of ${steps} steps`);
  const before = (i: number) => (i === 0 ? start : afterStep[i - 1]!);
  const cost = (i: number) => afterStep[i]! - before(i);
  let inner = 0;
  let firsts = 0;
  for (let e = epochs - timed; e < epochs; e++) {
    firsts += cost(e * steps);
    for (let s = 1; s < steps; s++) inner += cost(e * steps + s);
  }
  const stepSeconds = steps === 1 ? firsts / timed : inner / (timed * (steps - 1));
  const epochSeconds = steps === 1 ? 0 : Math.max(0, firsts / timed - stepSeconds);
  const compileSeconds = Math.max(0, afterStep[steps - 1]! - start - steps * stepSeconds);
  return { stepSeconds, epochSeconds, compileSeconds };
}
