import * as tf from "@tensorflow/tfjs-core";
import { DeviceArray, setArrayCreationHook } from "./device-array.js";
import { leaves } from "./tree.js";

/**
 * Eager memory management, the fast path. Arrays are freed once unreachable (see device-array.ts and
 * docs/ownership.md), so none of this is needed for correctness; it frees sooner. mmx arrays are not consumed by
 * the operations that read them (unlike jax-js), and `jit` frees its intermediates by liveness.
 * `tidy(fn)` disposes every array made inside `fn` except those it returns.
 */
export function tidy<T>(fn: () => T): T {
  const engine = tf.engine();
  const site = new Error();
  const made: DeviceArray[] = [];
  const outer = setArrayCreationHook((a) => {
    made.push(a);
    outer?.(a);
  });
  engine.startScope();
  let result: T;
  try {
    result = fn();
  } catch (e) {
    engine.endScope();
    setArrayCreationHook(outer);
    noteFreed(made, site);
    throw e;
  }
  setArrayCreationHook(outer);
  if (result instanceof Promise) {
    engine.endScope();
    noteFreed(made, site);
    throw new TypeError("tidy: the function must be synchronous (it returned a Promise)");
  }
  engine.endScope(concreteTensors(result));
  noteFreed(made, site);
  return result;
}

function noteFreed(made: readonly DeviceArray[], site: Error): void {
  for (const a of made) a.noteFreed("the tidy() that made it", site);
}

function concreteTensors(tree: unknown): tf.Tensor[] {
  return leaves(tree).flatMap((l) => (l instanceof DeviceArray ? [l.tensor] : []));
}

/** Exempts the arrays of a tree from the enclosing tidy. */
export function keep<T>(tree: T): T {
  for (const t of concreteTensors(tree)) tf.keep(t);
  return tree;
}

export interface DisposeOptions {
  /** Who frees them, as a later use's error names it (default "dispose()"). */
  by?: string;
}

/** Disposes every concrete array in a tree now (they would be freed once unreachable anyway). */
export function dispose(tree: unknown, opts: DisposeOptions = {}): void {
  const site = new Error();
  for (const l of leaves(tree)) if (l instanceof DeviceArray) l.free(opts.by ?? "dispose()", site);
}

/** The backend's live tensor count and bytes: how leak tests watch memory. */
export function memory(): { numTensors: number; numBytes: number } {
  const m = tf.memory();
  return { numTensors: m.numTensors, numBytes: m.numBytes };
}
