import fc from "fast-check";
import { describe, it } from "vitest";
import { evalJaxpr, grad, jit, makeJaxpr, np, tidy, type Array as MxArray } from "./index.js";
import { build, inputs, program } from "./test-util/random-programs.js";
import { expectAllClose } from "./test-util/close.js";

/**
 * Random small programs (test-util/random-programs.ts): eager evaluation, evaluation of the jaxpr and
 * jit must agree, and so must grad.
 */
const read = (a: MxArray) => Array.from(a.dataSync());

describe("random programs", () => {
  it("eager, evalJaxpr(makeJaxpr(f)) and jit(f) agree", () => {
    fc.assert(
      fc.property(program, ({ m, n, steps, seed }) => {
        tidy(() => {
          const f = build(steps);
          const args = inputs(m, n, seed);
          const eager = read(f(...(args as [MxArray, MxArray, MxArray])));
          const staged = read(evalJaxpr(makeJaxpr(f)(...args), args)[0]!);
          const jitted = read(jit(f)(...(args as [MxArray, MxArray, MxArray])));
          expectAllClose(staged, eager, { what: "evalJaxpr vs eager" });
          expectAllClose(jitted, eager, { what: "jit vs eager" });
        });
      }),
      { numRuns: 60 },
    );
  });

  it("grad agrees across eager, evalJaxpr and jit", () => {
    fc.assert(
      fc.property(program, ({ m, n, steps, seed }) => {
        tidy(() => {
          const f = build(steps);
          const loss = (x: MxArray, y: MxArray, w: MxArray) => np.sum(f(x, y, w));
          const df = grad(loss, { argnums: [0, 1, 2] });
          const args = inputs(m, n, seed) as [MxArray, MxArray, MxArray];
          const eager = (df(...args) as MxArray[]).map(read);
          const staged = evalJaxpr(makeJaxpr(df)(...args), args).map(read);
          const jitted = (jit(df)(...args) as MxArray[]).map(read);
          eager.forEach((g, i) => {
            expectAllClose(staged[i]!, g, { what: `evalJaxpr grad ${i}` });
            expectAllClose(jitted[i]!, g, { what: `jit grad ${i}` });
          });
        });
      }),
      { numRuns: 60 },
    );
  });
});
