import type { Array } from "./array.js";
import type { ClosedJaxpr } from "./jaxpr.js";

/**
 * How a jaxpr runs: with the Jaxpr, the whole contract between the tracer and the executors. `jit` stages a
 * function into a ClosedJaxpr and hands it to the executor registered for the current backend; an executor
 * lowers it once and runs it many times. Transforms never see this, and `jit` sees nothing else of an executor.
 */

export interface StepTiming {
  /** The primitive, the fused group ("matmul+add+relu") that ran as one kernel, or what ran the whole program. */
  primitive: string;
  scope: string;
  ms: number;
}

export interface Program {
  /**
   * Runs the program on concrete inputs (the jaxpr's invars, in order); the caller owns the outputs. A program
   * whose runtime only runs asynchronously (a browser's) throws an AsyncProgramError here.
   */
  run(inputs: readonly Array[]): Array[];
  /**
   * The same, for runtimes that answer asynchronously; `jit`'s `callAsync` uses it where present, `run`
   * elsewhere. The inputs must stay alive until the promise settles.
   */
  runAsync?(inputs: readonly Array[]): Promise<Array[]>;
  /**
   * Runs as `run` does, timing each step (each synchronised before the next starts). An executor that runs the
   * program as one opaque call (a runtime session) reports one step for the whole run.
   */
  profile(inputs: readonly Array[]): { outputs: Array[]; timings: StepTiming[] };
  /** Frees what the program holds (its copies of constants, literal tensors, sessions). */
  dispose(): void;
}

export interface Executor {
  readonly name: string;
  /**
   * Lowers a staged program. The program adopts the constants it needs (copies them, or bakes them into what
   * it compiles): the caller may free its own afterwards, and the program's `dispose` frees the copies.
   */
  compile(closed: ClosedJaxpr): Program;
}

const executors = new Map<string, Executor>();

/** Registers the executor that runs jitted programs on a backend (each backend's provider does, or a test). */
export function registerExecutor(backend: string, executor: Executor): void {
  executors.set(backend, executor);
}

export function executorFor(backend: string): Executor {
  const executor = executors.get(backend);
  if (!executor) throw new Error(`jit: no executor is registered for backend '${backend}' (its provider registers one when its package is imported)`);
  return executor;
}

/** A synchronous call of a program that only runs asynchronously on this backend: says to await `callAsync`. */
export class AsyncProgramError extends Error {
  override readonly name = "AsyncProgramError";
}
