/**
 * Named scopes: a stack of names (`block1`, `conv`) under which primitives are bound. Equations record
 * the scope they were bound in, so that errors and lowerings can name the layer a problem sits in.
 * The tracer knows nothing of layers; layers push their names here.
 */
const names: string[] = [];

export function namedScope<T>(name: string, fn: () => T): T {
  names.push(name);
  try {
    return fn();
  } finally {
    names.pop();
  }
}

/** The current scope path, joined with dots, or "" outside any scope. */
export function currentScope(): string {
  return names.join(".");
}

/**
 * Runs `fn` with the scope path set to `path` (replacing, not extending, the current one): how
 * re-evaluating a traced equation (evalJaxpr, the backward pass) keeps the layer it came from.
 */
export function atScope<T>(path: string, fn: () => T): T {
  const saved = names.splice(0, names.length);
  if (path) names.push(path);
  try {
    return fn();
  } finally {
    names.splice(0, names.length, ...saved);
  }
}
