import { describe, expect, it } from "vitest";
import type { RunOutcome } from "./pipeline.js";
import { bottleneckSpec, boundariesSpec, spectraSpec } from "./plots.js";

/** Just what the plots read of a run: its spectra, and for the spirals the pictures' data. */
function outcome(dataset: "spirals" | "fashion-mnist", method: RunOutcome["method"], ranks: number, classes: number): RunOutcome {
  const point = { x: 0.1, y: -0.2, label: 1 };
  return {
    dataset, method, variant: method, label: method, alpha: 2, layers: [], seed: 0, dir: "", trainSeconds: 1, curve: [], final: {} as RunOutcome["final"], fgsm: { eps: 0.05, clean: 1, adversarial: 0.5, count: 1 }, calibrated: { temperature: 1, nll: 1, ece: 0, fitOn: "", fitCount: 1 },
    spectra: { layer: 3, layerName: dataset === "spirals" ? "bottleneck" : "hidden2", largest: 1, restSum: 1, classes: Array.from({ length: classes }, (_, label) => ({ label, singularValues: Array.from({ length: ranks }, (_, i) => 2 / (i + 1)) })) },
    ...(dataset === "spirals" ? { spirals: { grid: [{ x: 0, y: 0, p: 0.5 }], cell: 0.1, points: [point], bottleneck: [point] } } : {}),
  };
}
const methods = ["none", "input", "manifold"] as const;

type Layer = { mark: unknown; encoding: Record<string, unknown> };
type Faceted = { data: { values: { rank: number; method: string }[] }; spec: Layer & { layer?: Layer[] } };

describe("the demo's plots", () => {
  it("draws a 2-D bottleneck's spectra as bars, one per class, rank and method", () => {
    const spec = spectraSpec(methods.map((m) => outcome("spirals", m, 2, 2)), "spirals", ["arm 0", "arm 1"]) as unknown as Faceted;
    expect(spec.spec.mark).toEqual({ type: "bar" });
    expect(spec.data.values).toHaveLength(2 * 2 * 3);
    expect(spec.spec.encoding["y"]).toMatchObject({ field: "sv", type: "quantitative" });
  });

  it("draws wide layers' spectra as lines over the ranks, on a log axis", () => {
    const spec = spectraSpec(methods.map((m) => outcome("fashion-mnist", m, 20, 10)), "fashion-mnist", Array.from({ length: 10 }, String)) as unknown as Faceted;
    expect(spec.spec.mark).toMatchObject({ type: "line" });
    expect(spec.spec.encoding["y"]).toMatchObject({ scale: { type: "log" } });
  });

  it("colours the arms alike in the decision-function and bottleneck plots", () => {
    const runs = methods.map((m) => outcome("spirals", m, 2, 2));
    const points = (boundariesSpec(runs) as unknown as Faceted).spec.layer![1]!.encoding["fill"];
    const bottleneck = (bottleneckSpec(runs) as unknown as Faceted).spec.encoding["color"];
    expect(bottleneck).toEqual(points);
    expect(points).toMatchObject({ scale: { domain: ["arm 0", "arm 1"] } });
  });
});
