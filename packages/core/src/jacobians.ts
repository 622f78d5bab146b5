import { Array } from "./array.js";
import { grad, vjp } from "./autodiff.js";
import { describeValue } from "./jaxpr-trace.js";
import { eagerScope, jvp } from "./jvp.js";
import * as np from "./np.js";
import type { PyTree } from "./tree.js";
import { vmap } from "./vmap.js";

/**
 * Jacobians and Hessians on top of jvp and vjp. Each differentiates the first argument (an array);
 * the others pass through. A Jacobian has the output's shape followed by the input's.
 */

function arrayArg(args: unknown[], what: string): Array {
  const x = args[0];
  if (!(x instanceof Array)) throw new TypeError(`${what}: the first argument must be an array, got ${describeValue(x)}`);
  if (x.dtype !== "float32") throw new TypeError(`${what}: cannot differentiate with respect to ${x.aval}; only float32 arrays have derivatives`);
  return x;
}

function arrayOut(y: unknown, what: string): Array {
  if (!(y instanceof Array)) throw new TypeError(`${what}: f must return an array, got ${describeValue(y)}`);
  return y;
}

/** The standard basis of x's space, one direction per row: [x.size, ...x.shape]. */
const basis = (x: Array): Array => np.reshape(np.oneHot(np.arange(x.size), x.size), [x.size, ...x.shape]);

/** `jacfwd(f)(x, ...rest)`: the Jacobian of f at x by forward mode: jvp mapped over the input's basis, one program. */
export function jacfwd(f: (x: Array, ...rest: any[]) => Array): (x: Array, ...rest: any[]) => Array {
  return (...args) =>
    eagerScope(() => {
      const x = arrayArg(args, "jacfwd");
      const g = (z: Array) => f(z, ...args.slice(1));
      const column = (v: Array) => arrayOut(jvp(g, [x], [v])[1], "jacfwd");
      // Each direction's tangent lands on the last axis: [...out.shape, x.size].
      const columns = vmap(column, { outAxes: -1 })(basis(x)) as Array;
      return np.reshape(columns, [...columns.shape.slice(0, -1), ...x.shape]);
    }, args);
}

/** `jacrev(f)(x, ...rest)`: the Jacobian of f at x by reverse mode: the pullback mapped over the output's basis. */
export function jacrev(f: (x: Array, ...rest: any[]) => Array): (x: Array, ...rest: any[]) => Array {
  return (...args) =>
    eagerScope(() => {
      const x = arrayArg(args, "jacrev");
      const [y, pullback] = vjp((z: Array) => f(z, ...args.slice(1)), x);
      const out = arrayOut(y, "jacrev");
      const rows = vmap((u: Array) => (pullback(u) as Array[])[0]!)(basis(out)) as Array;
      return np.reshape(rows, [...out.shape, ...x.shape]);
    }, args);
}

/** `hessian(f)(x, ...rest)`: the Hessian of a scalar f at x (forward over reverse), of shape [...x.shape, ...x.shape]. */
export function hessian(f: (x: Array, ...rest: any[]) => Array): (x: Array, ...rest: any[]) => Array {
  return jacfwd(grad(f) as (x: Array, ...rest: any[]) => Array);
}

/**
 * `hvp(f)(x, v, ...rest)`: the Hessian-vector product H(x)·v of a scalar f, without forming H: the jvp
 * of grad(f) along v (forward over reverse). x and v are pytrees of the same structure (a model's
 * parameters, say); the result has that structure too.
 */
export function hvp(f: (x: any, ...rest: any[]) => Array): (x: PyTree, v: PyTree, ...rest: any[]) => any {
  return (x, v, ...rest) => jvp((z: PyTree) => grad(f)(z, ...rest), [x], [v])[1];
}
