import * as tf from "@tensorflow/tfjs-core";
import { Literal, type Array } from "./array.js";
import { getEagerBackend } from "./backend.js";
import { DeviceArray } from "./device-array.js";
import { runPrimitive, tensorOf } from "./eager.js";
import type { Executor, Program } from "./executor.js";
import { Var, type Atom, type ClosedJaxpr, type Eqn } from "./jaxpr.js";
import { dce } from "./passes.js";
import { IDENTITY_PRIMITIVES, type Primitive } from "./primitives.js";
import { tfjsLowering, type TfLowering } from "./lowering/tfjs.js";

/** Where a step reads an operand: a slot of the environment, or a fixed tensor (literal). */
type Source = { slot: number } | { tensor: tf.Tensor };

interface Step {
  readonly eqn: Eqn;
  readonly lower: TfLowering<Primitive>;
  readonly sources: readonly Source[];
  readonly outSlot: number;
  /** Slots whose last reader is this step: freed right after it. */
  readonly free: readonly number[];
}

export interface StepTiming {
  primitive: string;
  scope: string;
  ms: number;
}

/**
 * Runs a jaxpr as a sequence of tfjs kernels on the current backend. Each intermediate is disposed
 * right after its last use, so a program run leaves only its outputs behind. Identity primitives
 * (tag, stop_gradient) alias their operand and cost nothing.
 */
export class TfjsProgram implements Program {
  private readonly steps: Step[] = [];
  private readonly numSlots: number;
  private readonly constTensors: tf.Tensor[];
  private readonly literals: tf.Tensor[] = [];
  private readonly inputSlots: number[];
  private readonly outSources: Source[];
  private disposed = false;

  constructor(closed: ClosedJaxpr) {
    const jaxpr = dce(closed.jaxpr);
    const slotOf = new Map<Var, number>();
    const alias = new Map<Var, Atom>();
    const resolve = (a: Atom): Atom => (a instanceof Var && alias.has(a) ? alias.get(a)! : a);
    const newSlot = (v: Var) => {
      slotOf.set(v, slotOf.size);
      return slotOf.size - 1;
    };
    // Constants are copied (sharing data) so that the program does not depend on the caller keeping them.
    this.constTensors = closed.consts.map((c) => tf.keep(tf.clone(tensorOf(c))));
    const constSlots = jaxpr.constVars.map(newSlot);
    this.inputSlots = jaxpr.inBinders.map(newSlot);
    const source = (a: Atom): Source => {
      const r = resolve(a);
      if (r instanceof Literal) {
        const t = tf.keep(tf.scalar(r.value, r.aval.dtype));
        this.literals.push(t);
        return { tensor: t };
      }
      return { slot: slotOf.get(r)! };
    };
    const pending: { eqn: Eqn; lower: TfLowering<Primitive>; sources: Source[]; outSlot: number }[] = [];
    const backend = getEagerBackend();
    for (const eqn of jaxpr.eqns) {
      if (IDENTITY_PRIMITIVES.has(eqn.primitive)) {
        alias.set(eqn.out, resolve(eqn.inputs[0]!));
        continue;
      }
      pending.push({ eqn, lower: tfjsLowering(eqn.primitive, backend), sources: eqn.inputs.map(source), outSlot: newSlot(eqn.out) });
    }
    this.outSources = jaxpr.outs.map(source);
    this.numSlots = slotOf.size;

    // Liveness: the last step reading each slot frees it, unless the caller owns it or it is an output.
    const pinned = new Set<number>([...constSlots, ...this.inputSlots]);
    for (const s of this.outSources) if ("slot" in s) pinned.add(s.slot);
    const lastUse = new Map<number, number>();
    pending.forEach((p, i) => {
      lastUse.set(p.outSlot, i); // an unread result dies where it is made
      for (const s of p.sources) if ("slot" in s) lastUse.set(s.slot, i);
    });
    const freeAt: number[][] = pending.map(() => []);
    for (const [slot, i] of lastUse) if (!pinned.has(slot)) freeAt[i]!.push(slot);
    pending.forEach((p, i) => this.steps.push({ ...p, free: freeAt[i]! }));
    this.constSlots = constSlots;
  }

  private readonly constSlots: number[];

  get numSteps(): number {
    return this.steps.length;
  }

  run(inputs: readonly Array[], timings?: StepTiming[]): Array[] {
    if (this.disposed) throw new Error("jit: this compiled program was disposed");
    if (inputs.length !== this.inputSlots.length) throw new Error(`jit: the program takes ${this.inputSlots.length} inputs, got ${inputs.length}`);
    const env = new globalThis.Array<tf.Tensor | undefined>(this.numSlots);
    this.constSlots.forEach((s, i) => (env[s] = this.constTensors[i]));
    this.inputSlots.forEach((s, i) => (env[s] = tensorOf(inputs[i]!)));
    const read = (s: Source) => ("slot" in s ? env[s.slot]! : s.tensor);
    try {
      for (const step of this.steps) {
        const t0 = timings ? performance.now() : 0;
        const operands = step.sources.map(read);
        env[step.outSlot] = this.runStep(step, operands);
        if (timings) {
          env[step.outSlot]!.dataSync();
          timings.push({ primitive: step.eqn.primitive, scope: step.eqn.scope, ms: performance.now() - t0 });
        }
        for (const s of step.free) {
          env[s]!.dispose();
          env[s] = undefined;
        }
      }
      // The caller owns each output: copy any that the program does not own alone.
      const seen = new Set<number>();
      const inputOrConst = new Set([...this.constSlots, ...this.inputSlots]);
      return this.outSources.map((s) => {
        if (!("slot" in s)) return new DeviceArray(tf.clone(s.tensor));
        const t = env[s.slot]!;
        const shared = inputOrConst.has(s.slot) || seen.has(s.slot);
        seen.add(s.slot);
        return new DeviceArray(shared ? tf.clone(t) : t);
      });
    } catch (e) {
      // Free whatever the failed run made, then report.
      const owned = new Set([...this.constSlots, ...this.inputSlots]);
      env.forEach((t, s) => {
        if (t && !owned.has(s)) t.dispose();
      });
      throw e;
    }
  }

  private runStep(step: Step, operands: tf.Tensor[]): tf.Tensor {
    try {
      return tf.tidy(() => runPrimitive(step.eqn.primitive, operands, step.eqn.params as never, step.eqn.out.aval, step.lower));
    } catch (e) {
      const where = step.eqn.scope ? ` in layer "${step.eqn.scope}"` : "";
      (e as Error).message = `jit: ${step.eqn.primitive}${where} failed on ${getEagerBackend()}: ${(e as Error).message}`;
      throw e;
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const t of [...this.constTensors, ...this.literals]) t.dispose();
  }
}

export const tfjsExecutor: Executor = {
  name: "tfjs",
  compile: (closed) => new TfjsProgram(closed),
};
