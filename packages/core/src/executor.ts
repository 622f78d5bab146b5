import type { Array } from "./array.js";
import type { ClosedJaxpr } from "./jaxpr.js";

/**
 * How a jaxpr runs. `jit` stages a function into a ClosedJaxpr and hands it to the executor of the
 * current backend; an executor lowers it once and runs it many times. Transforms never see this.
 */
export interface Program {
  /**
   * Runs the program on concrete inputs (the jaxpr's invars, in order); the caller owns the outputs. A program
   * whose runtime only runs asynchronously (onnxruntime-web) throws an AsyncProgramError here.
   */
  run(inputs: readonly Array[]): Array[];
  /**
   * The same, for runtimes that answer asynchronously; `jit`'s `callAsync` uses it where present, `run`
   * elsewhere. The inputs must stay alive until the promise settles.
   */
  runAsync?(inputs: readonly Array[]): Promise<Array[]>;
  /** Frees what the program holds (its copies of constants, literal tensors, sessions). */
  dispose(): void;
}

export interface Executor {
  readonly name: string;
  compile(closed: ClosedJaxpr): Program;
}

const executors = new Map<string, Executor>();

/** Registers the executor for a backend name (how the ONNX Runtime executor plugs in). */
export function registerExecutor(backend: string, executor: Executor): void {
  executors.set(backend, executor);
}

export function executorFor(backend: string, fallback: Executor): Executor {
  return executors.get(backend) ?? fallback;
}

/** A synchronous call of a program that only runs asynchronously on this backend: says to await `callAsync`. */
export class AsyncProgramError extends Error {
  override readonly name = "AsyncProgramError";
}
