import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { dispose, np, setBackend } from "@mmx/core";
import { bceSoftmax } from "@mmx/losses";
import * as nn from "@mmx/nn";
import { sgd } from "@mmx/optim";
import { foldIn, key } from "@mmx/random";
import { collectGarbage } from "@mmx/testing/node";
import { trainSeeds, trainStep } from "./index.js";
import { LIVE_STATES_WARNING_AT, LiveStates } from "./train-step-live-states.js";

/**
 * A trainStep without donation warns, once, when the states its steps made pile up (the sign of a loop that never
 * yields, where the garbage collector cannot free old states): states collected or disposed do not count, and a
 * donating step never counts.
 */

const model = nn.mlp([2, 4, 2]);
const x = np.array([[1, 0], [0, 1], [1, 1], [0, 0]]);
const y = np.array([0, 1, 1, 0], { dtype: "int32" });
const params = model.init(key(0), [-1, 2]).params;
const STEPS = 150;

/** The warnings of one run: console.warn is watched for the messages of trainStep and trainSeeds. */
function watchWarnings(): () => string[] {
  const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
  return () => warn.mock.calls.map((c) => String(c[0])).filter((m) => /^train(Step|Seeds): /.test(m));
}

beforeAll(async () => {
  await setBackend("cpu");
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe("trainStep without donation: one warning when its states pile up", () => {
  it(`${STEPS} synchronous steps warn exactly once, naming the fix; every state stays usable`, () => {
    const warnings = watchWarnings();
    const step = trainStep({ model, loss: bceSoftmax, optimizer: sgd({ lr: 0.1, momentum: 0.9 }) });
    const first = step.init(params);
    let state = first;
    const kept = [];
    for (let i = 0; i < STEPS; i++) {
      ({ state } = step(state, x, y, foldIn(key(1), i)));
      if (i === 10) kept.push(state);
    }
    expect(warnings()).toEqual([
      `trainStep: ${LIVE_STATES_WARNING_AT} states made by step() are still alive; a synchronous loop frees old states only when it yields: pass { donate: true } to trainStep so each step frees the state passed to it, or { liveStatesWarning: false } where the states are kept on purpose (docs/ownership.md)`,
    ]);
    // The warning frees nothing: an old state and the first still train.
    expect(Number.isFinite(step(kept[0]!, x, y, key(2)).loss.item())).toBe(true);
    expect(Number.isFinite(step(first, x, y, key(2)).loss.item())).toBe(true);
  });

  it(`with donate: true, ${STEPS} synchronous steps do not warn`, () => {
    const warnings = watchWarnings();
    const step = trainStep({ model, loss: bceSoftmax, optimizer: sgd({ lr: 0.1, momentum: 0.9 }), donate: true });
    let state = step.init(params);
    for (let i = 0; i < STEPS; i++) ({ state } = step(state, x, y, foldIn(key(1), i)));
    expect(warnings()).toEqual([]);
  });

  it(`a loop that yields to a timer and lets the collector run every 30 steps does not warn over ${STEPS} steps`, async () => {
    const warnings = watchWarnings();
    const step = trainStep({ model, loss: bceSoftmax, optimizer: sgd({ lr: 0.1, momentum: 0.9 }) });
    let state = step.init(params);
    for (let i = 0; i < STEPS; i++) {
      ({ state } = step(state, x, y, foldIn(key(1), i)));
      // A full collection, then setTimeout turns of the event loop: what a long-running loop gets from V8 on its own
      // when the heap asks for it (a bare `await` of a timer does not force one, so it cannot be tested reliably).
      if (i % 30 === 29) await collectGarbage();
    }
    expect(warnings()).toEqual([]);
  });

  it("disposed states do not count: a synchronous loop that disposes each old state does not warn", () => {
    const warnings = watchWarnings();
    const step = trainStep({ model, loss: bceSoftmax, optimizer: sgd({ lr: 0.1, momentum: 0.9 }) });
    let state = step.init(params);
    for (let i = 0; i < STEPS; i++) {
      const old = state;
      ({ state } = step(state, x, y, foldIn(key(1), i)));
      if (i > 0) dispose([old.params, old.opt]); // not the first: init's params are the caller's
    }
    expect(warnings()).toEqual([]);
  });

  it("trainSeeds counts the same way: without donation it warns once, with donation never", () => {
    const warnings = watchWarnings();
    const run = (donate: boolean) => {
      const step = trainSeeds({ model, loss: bceSoftmax, optimizer: sgd({ lr: 0.1 }), seeds: 2, sharedBatch: true, donate });
      let state = step.init([params, params]);
      for (let i = 0; i < LIVE_STATES_WARNING_AT + 6; i++) ({ state } = step(state, x, y, [foldIn(key(1), i), foldIn(key(2), i)]));
    };
    run(true);
    expect(warnings()).toEqual([]);
    run(false);
    expect(warnings()).toEqual([expect.stringMatching(/^trainSeeds: 64 states made by step\(\) are still alive; .* pass \{ donate: true \} to trainSeeds so each step/)]);
  });

  it("a state is alive while any array the step made for it is: a partly disposed state still counts", () => {
    const warnings = watchWarnings();
    const live = new LiveStates("trainStep", 3);
    const made = () => [np.zeros([2]), np.zeros([2])];
    const [a, b, c] = [made(), made(), made()];
    a[0]!.dispose();
    dispose(b);
    live.made(a);
    live.made(b);
    live.made(c);
    expect(warnings()).toEqual([]); // b is gone: two alive
    live.made(made());
    expect(warnings()).toEqual([expect.stringMatching(/^trainStep: 3 states made by step\(\) are still alive/)]);
    live.made(made());
    expect(warnings()).toHaveLength(1);
  });

  it(`liveStatesWarning: false never warns: ${STEPS} synchronous steps of trainStep and trainSeeds without donation`, () => {
    const warnings = watchWarnings();
    const step = trainStep({ model, loss: bceSoftmax, optimizer: sgd({ lr: 0.1, momentum: 0.9 }), liveStatesWarning: false });
    let state = step.init(params);
    const snapshots = [];
    for (let i = 0; i < STEPS; i++) {
      ({ state } = step(state, x, y, foldIn(key(1), i)));
      snapshots.push(state); // every state kept on purpose, an ensemble of snapshots
    }
    const seeds = trainSeeds({ model, loss: bceSoftmax, optimizer: sgd({ lr: 0.1 }), seeds: 2, sharedBatch: true, liveStatesWarning: false });
    let stacked = seeds.init([params, params]);
    for (let i = 0; i < LIVE_STATES_WARNING_AT + 6; i++) ({ state: stacked } = seeds(stacked, x, y, [foldIn(key(1), i), foldIn(key(2), i)]));
    expect(warnings()).toEqual([]);
    expect(Number.isFinite(step(snapshots[0]!, x, y, key(2)).loss.item())).toBe(true);
  });

  it("liveStatesWarning: 5 warns once, on the step that finds 5 of its states alive", () => {
    const warnings = watchWarnings();
    const step = trainStep({ model, loss: bceSoftmax, optimizer: sgd({ lr: 0.1 }), liveStatesWarning: 5 });
    let state = step.init(params);
    for (let i = 0; i < 4; i++) ({ state } = step(state, x, y, foldIn(key(1), i)));
    expect(warnings()).toEqual([]);
    ({ state } = step(state, x, y, foldIn(key(1), 4)));
    expect(warnings()).toEqual([expect.stringMatching(/^trainStep: 5 states made by step\(\) are still alive; /)]);
    for (let i = 5; i < 20; i++) ({ state } = step(state, x, y, foldIn(key(1), i)));
    expect(warnings()).toHaveLength(1);

    const seeds = trainSeeds({ model, loss: bceSoftmax, optimizer: sgd({ lr: 0.1 }), seeds: 2, sharedBatch: true, liveStatesWarning: 5 });
    let stacked = seeds.init([params, params]);
    for (let i = 0; i < 5; i++) ({ state: stacked } = seeds(stacked, x, y, [foldIn(key(1), i), foldIn(key(2), i)]));
    expect(warnings()).toEqual([expect.any(String), expect.stringMatching(/^trainSeeds: 5 states made by step\(\) are still alive; /)]);
  });

  it("liveStatesWarning must be a positive integer or false: anything else is a one-line error naming it", () => {
    const bad: [unknown, string][] = [[0, "0"], [-1, "-1"], [2.5, "2.5"], [Number.NaN, "NaN"], [Infinity, "Infinity"], [true, "true"], ["64", '"64"'], [null, "null"]];
    for (const [value, shown] of bad) {
      const message = new RegExp(`^trainStep: liveStatesWarning must be a positive integer \\(the count of live states that warns\\) or false \\(never warn\\), got ${shown.replace(/[.+]/g, "\\$&")}$`);
      expect(() => trainStep({ model, loss: bceSoftmax, optimizer: sgd({ lr: 0.1 }), liveStatesWarning: value as never })).toThrow(message);
      // Checked with donation too, where it is ignored: a typo does not wait for the day donation is turned off.
      expect(() => trainStep({ model, loss: bceSoftmax, optimizer: sgd({ lr: 0.1 }), donate: true, liveStatesWarning: value as never })).toThrow(message);
    }
    expect(() => trainSeeds({ model, loss: bceSoftmax, optimizer: sgd({ lr: 0.1 }), seeds: 2, liveStatesWarning: 0 })).toThrow(/^trainSeeds: liveStatesWarning must be a positive integer .* got 0$/);
  });

  it("donate must be a boolean", () => {
    expect(() => trainStep({ model, loss: bceSoftmax, optimizer: sgd({ lr: 0.1 }), donate: "yes" as never })).toThrow(/^trainStep: donate must be true or false, got "yes"$/);
    expect(() => trainSeeds({ model, loss: bceSoftmax, optimizer: sgd({ lr: 0.1 }), seeds: 2, donate: 1 as never })).toThrow(/^trainSeeds: donate must be true or false, got 1$/);
  });
});
