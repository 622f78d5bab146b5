import type { Array } from "@mmx/core";
import { dirichletRule } from "./mix-dirichlet.js";
import { lerpRule } from "./mix-lerp.js";
import { maskRule } from "./mix-mask.js";
import type { Mixing, MixingKind } from "./mixing.js";
import type { PermInput } from "./validate.js";

/** What mixup needs of a kind of mixing: one file per kind, gathered in a table that names every kind. */
export interface MixingRule<M extends Mixing> {
  /** Checks m against the batch before anything is traced: shapes always, values where they can be read. */
  check(what: string, m: M, batch: number): void;
  /** The permutation argument as this kind takes it (int32 [B], or [m, B] for dirichlet), checked. */
  perm(what: string, perm: PermInput, batch: number, m: M): Array;
  /** The hidden state h [B, ...] mixed. */
  mix(what: string, h: Array, m: M, perm: Array): Array;
  /** The dense targets [B, C] mixed with exactly the weights `mix` gives the examples. */
  mixTargets(y: Array, m: M, perm: Array): Array;
}

/** Total over the kinds: adding a kind to `Mixing` fails to compile until its rule is written here. */
export const MIXING_RULES: { readonly [K in MixingKind]: MixingRule<Extract<Mixing, { kind: K }>> } = {
  lerp: lerpRule,
  mask: maskRule,
  dirichlet: dirichletRule,
};

export function ruleOf<M extends Mixing>(what: string, m: M): MixingRule<M> {
  const rule = (MIXING_RULES as Record<string, MixingRule<Mixing> | undefined>)[m.kind];
  if (!rule) throw new TypeError(`${what}: unknown mixing kind ${JSON.stringify(m.kind)}; the kinds are ${Object.keys(MIXING_RULES).join(", ")}`);
  return rule as MixingRule<M>;
}
