/**
 * @mmx/random: JAX-style splittable PRNG keys on threefry-2x32, and samplers.
 *
 * Everything random is computed on the host in exact 32-bit integer arithmetic, so one key gives
 * bit-identical draws on every backend and every machine; draws enter mmx programs as arrays.
 *
 * ```ts
 * import * as random from "@mmx/random";
 * const [k1, k2] = random.split(random.key(0));
 * const w = random.normal(k1, [784, 512]);
 * const mask = random.bernoulli(k2, 0.9, [128, 512]);
 * ```
 *
 * Each sampler has two forms: `uniform(key, shape)` gives an mmx `Array`; `uniformValues(key, shape)`
 * gives the same numbers as a typed array for data pipelines and policies that need plain numbers.
 *
 * Compatibility with JAX (>= 0.5, whose default is `jax_threefry_partitionable=True`): key, split,
 * foldIn, randomBits, uniform, bernoulli, randint, permutation and choice without p give JAX's values
 * for the same key; normal agrees to about one float32 ulp; gamma, beta, truncatedNormal and weighted
 * choice follow JAX's algorithms but compute in double precision, so their values are close to JAX's
 * in distribution, not bitwise.
 */
export { Key, key, split, foldIn, randomBits } from "./key.js";
export { threefry2x32 } from "./threefry.js";
export type { ShapeLike } from "./args.js";
export { uniform, uniformValues, type UniformOptions } from "./uniform.js";
export { normal, normalValues, truncatedNormal, truncatedNormalValues } from "./normal.js";
export { bernoulli, bernoulliValues } from "./bernoulli.js";
export { gamma, gammaValues } from "./gamma.js";
export { beta, betaValues } from "./beta.js";
export { dirichlet, dirichletValues } from "./dirichlet.js";
export { randint, randintValues } from "./randint.js";
export { permutation, permutationIndices } from "./permutation.js";
export { choice, choiceIndices, type ChoiceOptions } from "./choice.js";
