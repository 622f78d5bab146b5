import { printJaxpr, type ClosedJaxpr, type Eqn } from "@mmx/core";

/** A printed jaxpr line: its text, the layer it came from, and whether mixup inserted it. */
export interface JaxprLine {
  text: string;
  scope: string;
  inserted: boolean;
}

function signature(e: Eqn): string {
  return `${e.primitive}|${JSON.stringify(e.params)}|${e.inputs.map((a) => String(a.aval)).join(",")}|${String(e.out.aval)}`;
}

/**
 * The equations of `mixed` that `clean` lacks: a longest common subsequence of the two equation lists (by
 * primitive, parameters and types), so what is left over is what the mixup transform inserted.
 */
export function insertedEquations(clean: ClosedJaxpr, mixed: ClosedJaxpr): Set<number> {
  const a = clean.jaxpr.eqns.map(signature);
  const b = mixed.jaxpr.eqns.map(signature);
  const lcs = globalThis.Array.from({ length: a.length + 1 }, () => new Uint32Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  }
  const inserted = new Set<number>();
  let [i, j] = [0, 0];
  while (j < b.length) {
    if (i < a.length && a[i] === b[j]) [i, j] = [i + 1, j + 1];
    else if (i < a.length && lcs[i + 1]![j]! >= lcs[i]![j + 1]!) i++;
    else inserted.add(j++);
  }
  return inserted;
}

/** `mixed` printed line by line, each equation marked with its layer and whether mixup inserted it. */
export function annotatedJaxpr(clean: ClosedJaxpr, mixed: ClosedJaxpr): JaxprLine[] {
  const inserted = insertedEquations(clean, mixed);
  const text = printJaxpr(mixed.jaxpr).split("\n");
  const eqns = mixed.jaxpr.eqns;
  return text.map((line, i) => {
    const e = i >= 1 && i <= eqns.length ? eqns[i - 1]! : undefined;
    return { text: line, scope: e?.scope ?? "", inserted: e !== undefined && inserted.has(i - 1) };
  });
}
