import { inputMixup, manifoldMixup, type MixupPolicy } from "@mmx/mixup";
import type { MethodId } from "../ui/palette.js";
import type { SpiralSettings } from "./settings.js";

/** The three columns of the paper's Figure 1. */
export interface Method {
  readonly id: MethodId;
  readonly label: string;
  /** Its mixing policy under the current settings (none: train on the clean batch). */
  policy(s: SpiralSettings, boundaryOf: (name: string) => number): MixupPolicy | undefined;
  /** One line that says how it mixes. */
  describe(s: SpiralSettings): string;
}

const lambdaText = (s: SpiralSettings) => (s.perExample ? "λ per example" : "λ per batch");

export const METHODS: readonly Method[] = [
  { id: "none", label: "No mixup", policy: () => undefined, describe: () => "plain training on the clean batch" },
  {
    id: "input",
    label: "Input mixup",
    policy: (s) => inputMixup({ alpha: s.inputAlpha, perExample: s.perExample }),
    describe: (s) => `α = ${s.inputAlpha} · mixes the inputs · ${lambdaText(s)}`,
  },
  {
    id: "manifold",
    label: "Manifold mixup",
    policy: (s, boundaryOf) => manifoldMixup({ alpha: s.manifoldAlpha, layers: s.layers.map(boundaryOf), perExample: s.perExample }),
    describe: (s) => `α = ${s.manifoldAlpha} · k ∈ {${s.layers.join(", ")}} · ${lambdaText(s)}`,
  },
];
