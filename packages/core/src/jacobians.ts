import { Array } from "./array.js";
import { grad, vjp } from "./autodiff.js";
import { describeValue } from "./jaxpr-trace.js";
import { eagerScope, jvp } from "./jvp.js";
import * as np from "./np.js";
import type { PyTree } from "./tree.js";

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

/** The i-th standard basis direction of x's space, shaped like x. */
const basis = (x: Array, i: number): Array => np.reshape(np.oneHot(np.array([i], { dtype: "int32" }), x.size), x.shape);

/** `jacfwd(f)(x, ...rest)`: the Jacobian of f at x by forward mode, one jvp per input element. */
export function jacfwd(f: (x: Array, ...rest: any[]) => Array): (x: Array, ...rest: any[]) => Array {
  return (...args) =>
    eagerScope(() => {
      const x = arrayArg(args, "jacfwd");
      const g = (z: Array) => f(z, ...args.slice(1));
      const columns = globalThis.Array.from({ length: x.size }, (_, i) => arrayOut(jvp(g, [x], [basis(x, i)])[1], "jacfwd"));
      const out = columns[0]!;
      return np.reshape(np.stack(columns, out.ndim), [...out.shape, ...x.shape]);
    }, args);
}

/** `jacrev(f)(x, ...rest)`: the Jacobian of f at x by reverse mode, one cotangent per output element. */
export function jacrev(f: (x: Array, ...rest: any[]) => Array): (x: Array, ...rest: any[]) => Array {
  return (...args) =>
    eagerScope(() => {
      const x = arrayArg(args, "jacrev");
      const [y, pullback] = vjp((z: Array) => f(z, ...args.slice(1)), x);
      const out = arrayOut(y, "jacrev");
      const rows = globalThis.Array.from({ length: out.size }, (_, j) => (pullback(basis(out, j)) as Array[])[0]!);
      return np.reshape(np.stack(rows, 0), [...out.shape, ...x.shape]);
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
