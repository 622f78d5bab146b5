import { currentBackend } from "../backends.js";
import { chips, segmented, slider } from "../ui/controls.js";
import { h, hiDpiCanvas } from "../ui/dom.js";
import { drawLineChart } from "../ui/line-chart.js";
import { METHOD_COLORS } from "../ui/palette.js";
import type { Tab } from "../ui/tab.js";
import type { Throughput } from "../throughput.js";
import { SpiralExperiment } from "./experiment.js";
import { MethodFigure } from "./figure.js";
import { JaxprPanel } from "./jaxpr-panel.js";
import { METHODS } from "./methods.js";
import { DEFAULT_SETTINGS, SPIRALS, type SpiralSettings } from "./settings.js";

/** How long each animation frame trains before it yields to drawing and input. */
const TRAIN_MS_PER_FRAME = 14;
/** How often the figure is redrawn while training. */
const DRAW_EVERY_MS = 140;

export interface SpiralsStatus {
  backend: string;
  running: boolean;
  done: boolean;
  methods: { id: string; steps: number; losses: readonly number[]; testError: number | undefined }[];
  /** Milliseconds from page start to the first frame drawn after training began, once there is one. */
  firstTrainedFrameMs: number | undefined;
  frames: number;
}

export function spiralsTab(opts: { throughput: Throughput; settings: SpiralSettings; autoplay: boolean; onRate(): void }): Tab & { status(): SpiralsStatus } {
  let settings = opts.settings;
  const exp = new SpiralExperiment(settings);
  const figures = exp.runs.map(() => new MethodFigure({ x: exp.train.x.data, y: exp.train.y.data }));
  const stats = exp.runs.map(() => h("div", { class: "stats" }));
  const subtitles = METHODS.map((m) => h("p", { class: "method-desc" }, m.describe(settings)));
  const testErrors: (number | undefined)[] = METHODS.map(() => undefined);
  let running = opts.autoplay;
  let visible = true;
  let busy: Promise<void> | undefined;
  let lastDraw = -Infinity;
  let firstTrainedFrameMs: number | undefined;
  let frames = 0;

  // ---- controls ----
  const playButton = h("button", { type: "button", class: "primary", "data-action": "play" });
  const resetButton = h("button", { type: "button", class: "secondary", "data-action": "reset" }, "Reset");
  const syncPlay = () => (playButton.textContent = exp.done ? "Finished" : running ? "Pause" : "Train");
  playButton.addEventListener("click", () => {
    if (exp.done) return;
    running = !running;
    syncPlay();
  });
  resetButton.addEventListener("click", async () => {
    await pause();
    exp.start();
    testErrors.fill(undefined);
    figures.forEach((f) => f.clear());
    running = true;
    lastDraw = -Infinity;
    syncPlay();
  });
  const change = (patch: Partial<SpiralSettings>) => {
    settings = { ...settings, ...patch };
    exp.update(settings);
    METHODS.forEach((m, i) => (subtitles[i]!.textContent = m.describe(settings)));
    jaxpr.update(settings);
    syncPlay();
  };
  const firstFrame = h("p", { class: "hint first-frame" });
  const stepOptions = [500, 1000, 2000, 5000, 10000];
  const controls = h(
    "section",
    { class: "card controls" },
    h("h2", {}, "Training"),
    h("div", { class: "buttons" }, playButton, resetButton),
    h("h3", {}, "Mixing"),
    slider({ name: "inputAlpha", label: "α, input mixup", min: 0, max: 4, step: 0.1, value: settings.inputAlpha, onChange: (v) => change({ inputAlpha: v }) }),
    slider({ name: "manifoldAlpha", label: "α, manifold mixup", min: 0, max: 4, step: 0.1, value: settings.manifoldAlpha, onChange: (v) => change({ manifoldAlpha: v }) }),
    chips({ name: "layers", label: "Eligible layers (manifold)", options: DEFAULT_SETTINGS.layers, value: settings.layers, onChange: (v) => change({ layers: v }) }),
    segmented({
      name: "lambda",
      label: "λ drawn",
      options: [
        { value: "batch", text: "per batch" },
        { value: "example", text: "per example" },
      ],
      value: settings.perExample ? "example" : "batch",
      onChange: (v) => change({ perExample: v === "example" }),
    }).el,
    h("h3", {}, "Optimisation"),
    slider({ name: "lr", label: "Learning rate (SGD, Nesterov, cosine)", min: 0.005, max: 0.5, scale: "log", value: settings.lr, format: (v) => v.toPrecision(2), onRelease: true, onChange: (v) => change({ lr: v }) }),
    segmented({
      name: "steps",
      label: "Steps per model",
      options: stepOptions.map((n) => ({ value: String(n), text: n >= 1000 ? `${n / 1000}k` : String(n) })),
      value: String(stepOptions.includes(settings.steps) ? settings.steps : 2000),
      onChange: (v) => change({ steps: Number(v) }),
    }).el,
    h("p", { class: "hint" }, `${SPIRALS.trainPoints} training points, batches of ${SPIRALS.batch}, a ${SPIRALS.hidden}-unit network with a 2-D bottleneck. Changes apply from the next step.`),
    firstFrame,
  );
  syncPlay();

  // ---- content ----
  const columns = METHODS.map((m, i) =>
    h(
      "article",
      { class: "card method", "data-method": m.id, style: `--method: ${METHOD_COLORS[m.id]}` },
      h("header", {}, h("h2", {}, h("span", { class: "dot" }), m.label), subtitles[i]!),
      h("figure", {}, h("figcaption", {}, "Decision function, input space"), figures[i]!.decision.canvas),
      h("figure", {}, h("figcaption", {}, "Hidden representations, 2-D bottleneck"), figures[i]!.bottleneck.canvas),
      stats[i]!,
    ),
  );
  const lossChart = hiDpiCanvas(1040, 220, "chart");
  const jaxpr = new JaxprPanel(exp.model, () => exp.runs[0]!.state.params, settings);
  const content = h(
    "div",
    { class: "spirals" },
    h("div", { class: "methods" }, ...columns),
    h("section", { class: "card wide" }, h("h2", {}, "Training loss"), h("p", { class: "card-desc" }, "Each step's loss on its (mixed) batch, smoothed. Mixed targets are soft, so the mixup losses stay above the clean one."), lossChart.canvas),
    jaxpr.el,
  );

  const showStats = () => {
    exp.runs.forEach((r, i) => {
      const loss = r.losses.length ? r.losses.slice(-20).reduce((a, b) => a + b, 0) / Math.min(20, r.losses.length) : undefined;
      const err = testErrors[i];
      stats[i]!.replaceChildren(
        stat("step", `${r.steps.toLocaleString("en")}`),
        stat("loss", loss === undefined ? "–" : loss.toFixed(3)),
        stat("test error", err === undefined ? "–" : `${(100 * err).toFixed(1)}%`),
      );
    });
    drawLineChart(
      lossChart.ctx,
      1040,
      220,
      exp.runs.map((r) => ({ label: r.method.label, color: METHOD_COLORS[r.method.id], values: r.losses })),
      { xLabel: "step", yLabel: "loss", smoothing: 0.97, zero: false },
    );
  };

  const drawFigures = async () => {
    for (let i = 0; i < exp.runs.length; i++) {
      const snap = await exp.snapshot(i);
      testErrors[i] = snap.testError;
      figures[i]!.draw(snap);
    }
    showStats();
    frames++;
    if (firstTrainedFrameMs === undefined && exp.runs.some((r) => r.steps > 0)) {
      firstTrainedFrameMs = performance.now();
      firstFrame.textContent = `First trained frame ${(firstTrainedFrameMs / 1000).toFixed(1)} s after the page opened, on ${currentBackend()}.`;
    }
  };

  const tick = async () => {
    if (running && !exp.done) {
      const t0 = performance.now();
      const steps = await exp.trainFor(TRAIN_MS_PER_FRAME);
      await exp.collect();
      opts.throughput.record(currentBackend(), steps / exp.runs.length, performance.now() - t0);
      opts.onRate();
      if (exp.done) {
        running = false;
        syncPlay();
        lastDraw = -Infinity;
      }
    }
    const now = performance.now();
    if (now - lastDraw >= DRAW_EVERY_MS && (running || lastDraw === -Infinity)) {
      lastDraw = now;
      await drawFigures();
    }
  };

  let looping = false;
  const loop = () => {
    if (!visible) {
      looping = false;
      return;
    }
    if (!busy) {
      busy = tick()
        .catch((e: unknown) => {
          running = false;
          syncPlay();
          throw e;
        })
        .finally(() => (busy = undefined));
    }
    requestAnimationFrame(loop);
  };

  const pause = async () => {
    const wasRunning = running;
    running = false;
    await busy;
    running = wasRunning;
  };

  showStats();
  return {
    id: "spirals",
    title: "Spirals · Figure 1",
    controls,
    content,
    show() {
      visible = true;
      if (!looping) {
        looping = true;
        requestAnimationFrame(loop);
      }
    },
    hide() {
      visible = false;
    },
    async pause() {
      visible = false;
      await busy;
    },
    restart() {
      exp.start();
      testErrors.fill(undefined);
      figures.forEach((f) => f.clear());
      lastDraw = -Infinity;
      jaxpr.update(settings);
      syncPlay();
    },
    status: () => ({
      backend: currentBackend(),
      running,
      done: exp.done,
      methods: exp.runs.map((r, i) => ({ id: r.method.id, steps: r.steps, losses: r.losses, testError: testErrors[i] })),
      firstTrainedFrameMs,
      frames,
    }),
  };
}

function stat(label: string, value: string): HTMLElement {
  return h("div", { class: "stat" }, h("span", { class: "stat-label" }, label), h("span", { class: "stat-value" }, value));
}
