import * as tf from "@tensorflow/tfjs-core";
import { Literal, type Array } from "./array.js";
import { getEagerBackend } from "./backend.js";
import { DeviceArray } from "./device-array.js";
import { tensorOf } from "./eager.js";
import type { Executor, Program, StepTiming } from "./executor.js";
import { planKernels, type Kernel, type PlanOptions } from "./fusion.js";
import { Var, type Atom, type ClosedJaxpr } from "./jaxpr.js";
import { dce, inlineIdentities } from "./passes.js";
import { IDENTITY_PRIMITIVES } from "./primitives.js";
import { shapeEqual } from "./shape.js";

/** Backends whose kernels run to completion inside the call: a profile needs no read to time them. */
const SYNCHRONOUS_BACKENDS: ReadonlySet<string> = new Set(["cpu", "wasm"]);

/** Where a step reads an operand: a slot of the environment, or a fixed tensor (literal). */
type Source = { slot: number } | { tensor: tf.Tensor };

interface Step {
  readonly kernel: Kernel;
  readonly sources: readonly Source[];
  readonly outSlot: number;
  /** Slots whose last reader is this step: freed right after it. */
  readonly free: readonly number[];
}

/**
 * Runs a jaxpr as a sequence of tfjs kernels on the current backend (planned by `planKernels`, which
 * fuses some groups of equations where that is measured to pay). Each intermediate is disposed right
 * after its last use, so a program run leaves only its outputs behind. Identity primitives (tag,
 * stop_gradient) alias their operand and cost nothing.
 */
export class TfjsProgram implements Program {
  private readonly steps: Step[] = [];
  private readonly numSlots: number;
  private readonly constTensors: tf.Tensor[];
  private readonly literals: tf.Tensor[] = [];
  private readonly inputSlots: number[];
  private readonly outSources: Source[];
  private disposed = false;

  constructor(closed: ClosedJaxpr, opts: PlanOptions = {}) {
    const jaxpr = inlineIdentities(dce(closed.jaxpr), IDENTITY_PRIMITIVES);
    const slotOf = new Map<Var, number>();
    const newSlot = (v: Var) => {
      slotOf.set(v, slotOf.size);
      return slotOf.size - 1;
    };
    // Constants are copied (sharing data) so that the program does not depend on the caller keeping them.
    this.constTensors = closed.consts.map((c) => tf.keep(tf.clone(tensorOf(c))));
    const constSlots = jaxpr.constVars.map(newSlot);
    this.inputSlots = jaxpr.inBinders.map(newSlot);
    const source = (a: Atom): Source => {
      if (a instanceof Literal) {
        const t = tf.keep(tf.scalar(a.value, a.aval.dtype));
        this.literals.push(t);
        return { tensor: t };
      }
      return { slot: slotOf.get(a)! };
    };
    const pending: { kernel: Kernel; sources: Source[]; outSlot: number }[] = [];
    for (const kernel of planKernels(jaxpr, getEagerBackend(), opts)) {
      pending.push({ kernel, sources: kernel.inputs.map(source), outSlot: newSlot(kernel.out) });
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

  run(inputs: readonly Array[]): Array[] {
    return this.runSteps(inputs);
  }

  profile(inputs: readonly Array[]): { outputs: Array[]; timings: StepTiming[] } {
    const timings: StepTiming[] = [];
    return { outputs: this.runSteps(inputs, timings), timings };
  }

  private runSteps(inputs: readonly Array[], timings?: StepTiming[]): Array[] {
    if (this.disposed) throw new Error("jit: this compiled program was disposed");
    if (inputs.length !== this.inputSlots.length) throw new Error(`jit: the program takes ${this.inputSlots.length} inputs, got ${inputs.length}`);
    const env = new globalThis.Array<tf.Tensor | undefined>(this.numSlots);
    this.constSlots.forEach((s, i) => (env[s] = this.constTensors[i]));
    this.inputSlots.forEach((s, i) => (env[s] = tensorOf(inputs[i]!, "jit")));
    const read = (s: Source) => ("slot" in s ? env[s.slot]! : s.tensor);
    try {
      for (const step of this.steps) {
        const t0 = timings ? performance.now() : 0;
        const operands = step.sources.map(read);
        env[step.outSlot] = this.runStep(step, operands);
        if (timings) {
          // cpu and wasm kernels finish before they return; other backends are waited for.
          if (!SYNCHRONOUS_BACKENDS.has(getEagerBackend())) env[step.outSlot]!.dataSync();
          timings.push({ primitive: step.kernel.name, scope: step.kernel.scope, ms: performance.now() - t0 });
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
    const { kernel } = step;
    // An empty result has no values to compute (see runPrimitive): made directly, whatever the kernel.
    if (kernel.out.aval.size === 0) return tf.zeros([...kernel.out.aval.shape], kernel.out.aval.dtype);
    try {
      const out = tf.tidy(() => {
        const t = kernel.run(operands);
        // Some lowerings return an operand itself (identities); the program owns what it keeps.
        return operands.includes(t) ? tf.clone(t) : t;
      });
      const { shape, dtype } = kernel.out.aval;
      if (!shapeEqual(out.shape, shape) || out.dtype !== dtype) {
        out.dispose();
        throw new Error(`internal error: the ${getEagerBackend()} kernel ${kernel.name} gave ${out.dtype}[${out.shape.join(",")}] where ${kernel.out.aval} was expected; please report it`);
      }
      return out;
    } catch (e) {
      const where = kernel.scope ? ` in layer "${kernel.scope}"` : "";
      (e as Error).message = `jit: ${kernel.name}${where} failed on ${getEagerBackend()}: ${(e as Error).message}`;
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
