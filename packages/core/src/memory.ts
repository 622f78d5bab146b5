import * as tf from "@tensorflow/tfjs-core";
import { DeviceArray } from "./device-array.js";
import { leaves } from "./tree.js";

/**
 * Eager memory management. mmx arrays are not consumed by the operations that read them (unlike
 * jax-js); eager code frees intermediates with scopes, as tf.tidy does, and `jit` frees them by
 * liveness. `tidy(fn)` disposes every array made inside `fn` except those it returns.
 */
export function tidy<T>(fn: () => T): T {
  const engine = tf.engine();
  engine.startScope();
  let result: T;
  try {
    result = fn();
  } catch (e) {
    engine.endScope();
    throw e;
  }
  if (result instanceof Promise) {
    engine.endScope();
    throw new TypeError("tidy: the function must be synchronous (it returned a Promise)");
  }
  engine.endScope(concreteTensors(result));
  return result;
}

function concreteTensors(tree: unknown): tf.Tensor[] {
  return leaves(tree).flatMap((l) => (l instanceof DeviceArray ? [l.tensor] : []));
}

/** Exempts the arrays of a tree from the enclosing tidy. */
export function keep<T>(tree: T): T {
  for (const t of concreteTensors(tree)) tf.keep(t);
  return tree;
}

/** Disposes every concrete array in a tree. */
export function dispose(tree: unknown): void {
  for (const l of leaves(tree)) if (l instanceof DeviceArray) l.dispose();
}

/** The backend's live tensor count and bytes: how leak tests watch memory. */
export function memory(): { numTensors: number; numBytes: number } {
  const m = tf.memory();
  return { numTensors: m.numTensors, numBytes: m.numBytes };
}
