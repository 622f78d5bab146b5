/** What the spirals tab's controls set. Changing any of them takes effect at the next step, without a restart. */
export interface SpiralSettings {
  /** λ ~ Beta(α, α) for input mixup. */
  inputAlpha: number;
  /** λ ~ Beta(α, α) for manifold mixup. */
  manifoldAlpha: number;
  /** Manifold mixup's eligible boundaries, by name (input, hidden1, hidden2, bottleneck). */
  layers: string[];
  /** One λ per example instead of one per batch. */
  perExample: boolean;
  /** SGD's initial learning rate (Nesterov momentum 0.9), annealed by a cosine over the run's steps. */
  lr: number;
  /** The run stops after this many steps per model. */
  steps: number;
}

export const DEFAULT_SETTINGS: SpiralSettings = {
  inputAlpha: 1,
  manifoldAlpha: 2,
  layers: ["input", "hidden1", "hidden2", "bottleneck"],
  perExample: false,
  lr: 0.08,
  steps: 2000,
};

/** The fixed parts of the experiment (changing them means a new run). */
export const SPIRALS = {
  trainPoints: 1000,
  testPoints: 1000,
  noise: 0.05,
  hidden: 64,
  batch: 100,
  /** The square [-extent, extent]² the decision map covers. */
  extent: 1.3,
  grid: 72,
} as const;

/** Reads settings from a query string (?steps=300&lr=0.1&layers=input,bottleneck&perExample=1), for shared links and tests. */
export function settingsFromQuery(query: URLSearchParams, base: SpiralSettings = DEFAULT_SETTINGS): SpiralSettings {
  const s = { ...base, layers: [...base.layers] };
  const num = (name: keyof SpiralSettings, ok: (v: number) => boolean) => {
    const raw = query.get(name);
    if (raw === null) return;
    const v = Number(raw);
    if (!ok(v)) throw new RangeError(`query parameter ${name}=${raw} is out of range`);
    (s as unknown as Record<string, number>)[name] = v;
  };
  num("inputAlpha", (v) => v >= 0 && v <= 10);
  num("manifoldAlpha", (v) => v >= 0 && v <= 10);
  num("lr", (v) => v > 0 && v <= 1);
  num("steps", (v) => Number.isInteger(v) && v >= 1);
  const layers = query.get("layers");
  if (layers !== null) {
    s.layers = layers.split(",").filter(Boolean);
    const bad = s.layers.find((l) => !DEFAULT_SETTINGS.layers.includes(l));
    if (bad !== undefined || s.layers.length === 0) throw new RangeError(`query parameter layers=${layers}: choose from ${DEFAULT_SETTINGS.layers.join(", ")}`);
  }
  if (query.has("perExample")) s.perExample = query.get("perExample") === "1";
  return s;
}
