import { currentBackend } from "../backends.js";
import type { Throughput } from "../throughput.js";
import { chips, segmented, slider } from "../ui/controls.js";
import { h, hiDpiCanvas } from "../ui/dom.js";
import { drawLineChart } from "../ui/line-chart.js";
import { METHOD_COLORS } from "../ui/palette.js";
import type { Tab } from "../ui/tab.js";
import { DEFAULT_FASHION, FashionExperiment, FASHION_MODEL, type FashionSettings } from "./experiment.js";
import { FASHION_CLASSES, loadFashionSubset, type FashionSubset } from "./subset.js";

const TRAIN_MS_PER_FRAME = 20;
const SHOWN_EXAMPLES = 8;
const CHART = { width: 340, height: 210 };
const SHORT_LABELS = { none: "none", input: "input", manifold: "manifold" } as const;

export interface FashionStatus {
  loaded: boolean;
  running: boolean;
  done: boolean;
  methods: { id: string; epoch: number; steps: number; scores: { epoch: number; testError: number; nll: number; fgsmAccuracy: number }[] }[];
}

export function fashionTab(opts: { throughput: Throughput; dataUrl: string; autoplay: boolean; onRate(): void }): Tab & { status(): FashionStatus } {
  let settings: FashionSettings = { ...DEFAULT_FASHION };
  let exp: FashionExperiment | undefined;
  let loading: Promise<FashionSubset> | undefined;
  let running = opts.autoplay;
  let visible = false;
  let busy: Promise<void> | undefined;
  const losses = new Map<string, number[]>();

  const playButton = h("button", { type: "button", class: "primary", "data-action": "play" }, "Train");
  const resetButton = h("button", { type: "button", class: "secondary", "data-action": "reset" }, "Reset");
  const progress = h("p", { class: "hint" }, "Loads a 6,000-image training subset and 1,000 test images (5.5 MB) when you start.");
  const syncPlay = () => (playButton.textContent = exp?.done ? "Finished" : running ? "Pause" : "Train");
  playButton.addEventListener("click", () => {
    if (exp?.done) return;
    running = !running;
    syncPlay();
  });
  const restart = () => {
    exp?.start(settings);
    losses.clear();
    render();
    syncPlay();
  };
  /** Restarts once the step in flight is done, playing on if it was playing. */
  const restartWhenIdle = async () => {
    const was = running;
    running = false;
    await busy;
    restart();
    running = was;
    syncPlay();
  };
  resetButton.addEventListener("click", restartWhenIdle);
  // Settings here shape the whole run (the schedule of evaluations, the attack): a change starts it over.
  const change = async (patch: Partial<FashionSettings>) => {
    settings = { ...settings, ...patch };
    await restartWhenIdle();
  };
  const controls = h(
    "section",
    { class: "card controls" },
    h("h2", {}, "Training"),
    h("div", { class: "buttons" }, playButton, resetButton),
    h("h3", {}, "Mixing"),
    slider({ name: "inputAlpha", label: "α, input mixup", min: 0, max: 4, step: 0.1, value: settings.inputAlpha, onRelease: true, onChange: (v) => void change({ inputAlpha: v }) }),
    slider({ name: "manifoldAlpha", label: "α, manifold mixup", min: 0, max: 4, step: 0.1, value: settings.manifoldAlpha, onRelease: true, onChange: (v) => void change({ manifoldAlpha: v }) }),
    chips({ name: "layers", label: "Eligible layers (manifold)", options: DEFAULT_FASHION.layers, value: settings.layers, onChange: (v) => void change({ layers: v }) }),
    h("h3", {}, "Optimisation"),
    slider({ name: "lr", label: "Learning rate (SGD, Nesterov 0.9)", min: 0.005, max: 0.5, scale: "log", value: settings.lr, format: (v) => v.toPrecision(2), onRelease: true, onChange: (v) => void change({ lr: v }) }),
    segmented({
      name: "epochs",
      label: "Epochs",
      options: [3, 5, 10, 20].map((n) => ({ value: String(n), text: String(n) })),
      value: String(settings.epochs),
      onChange: (v) => void change({ epochs: Number(v) }),
    }).el,
    h("h3", {}, "Attack"),
    slider({ name: "eps", label: "FGSM ε (pixels in [0, 1])", min: 0.01, max: 0.2, step: 0.01, value: settings.eps, format: (v) => v.toFixed(2), onRelease: true, onChange: (v) => void change({ eps: v }) }),
    progress,
  );

  const metricCharts = (["testError", "nll", "fgsmAccuracy"] as const).map((key) => ({ key, chart: hiDpiCanvas(CHART.width, CHART.height, "chart") }));
  const titles = { testError: "Test error", nll: "Test NLL", fgsmAccuracy: "FGSM accuracy" } as const;
  const summaries = h("div", { class: "fashion-summary" });
  const attackNote = h("p", { class: "card-desc attack-note" });
  /** Whether this backend runs programs synchronously, as the attacks need. */
  const synchronous = () => !currentBackend().startsWith("onnx");
  const examples = h("div", { class: "examples" });
  const examplesDesc = h("p", { class: "card-desc" });
  const lossChart = hiDpiCanvas(1040, 180, "chart");
  const content = h(
    "div",
    { class: "fashion" },
    summaries,
    h(
      "section",
      { class: "card wide" },
      h("h2", {}, "After each epoch, on 1,000 test images"),
      h("p", { class: "card-desc" }, `An MLP ${FASHION_MODEL.sizes.join("–")} per method, batches of ${FASHION_MODEL.batch}, the same initial weights and batches. FGSM accuracy: accuracy on the test images moved by ε·sign(∇ₓ loss), one white-box step.`),
      h("div", { class: "metric-charts" }, ...metricCharts.map((m) => h("figure", {}, h("figcaption", {}, titles[m.key]), m.chart.canvas))),
      attackNote,
    ),
    h("section", { class: "card wide" }, h("h2", {}, "Training loss"), lossChart.canvas),
    h("section", { class: "card wide" }, h("h2", {}, "Test images under FGSM, manifold mixup's predictions"), examplesDesc, examples),
  );

  const render = () => {
    const runs = exp?.runs ?? [];
    examplesDesc.textContent = `Top: a clean test image and the prediction; below it, the image after FGSM (ε = ${settings.eps}) and the prediction then. Green: right, red: wrong.`;
    summaries.replaceChildren(
      ...runs.map((r) => {
        const last = r.scores[r.scores.length - 1];
        const cell = (label: string, value: string) => h("div", { class: "stat" }, h("span", { class: "stat-label" }, label), h("span", { class: "stat-value" }, value));
        return h(
          "article",
          { class: "card method-summary", "data-method": r.id, style: `--method: ${METHOD_COLORS[r.id]}` },
          h("h2", {}, h("span", { class: "dot" }), r.label),
          h("p", { class: "method-desc" }, `epoch ${r.epoch} of ${settings.epochs} · ${r.steps.toLocaleString("en")} steps`),
          h(
            "div",
            { class: "stats" },
            cell("test error", last ? `${(100 * last.testError).toFixed(1)}%` : "–"),
            cell("NLL", last ? last.nll.toFixed(3) : "–"),
            cell(`FGSM acc.`, last && !Number.isNaN(last.fgsmAccuracy) ? `${(100 * last.fgsmAccuracy).toFixed(1)}%` : "–"),
          ),
        );
      }),
    );
    for (const { key, chart } of metricCharts) {
      const percent = key !== "nll";
      drawLineChart(
        chart.ctx,
        CHART.width,
        CHART.height,
        runs.map((r) => ({ label: SHORT_LABELS[r.id], color: METHOD_COLORS[r.id], values: r.scores.filter((s) => !Number.isNaN(s[key])).map((s) => [s.epoch, percent ? 100 * s[key] : s[key]] as const) })),
        { xLabel: "epoch", yLabel: percent ? `${titles[key].toLowerCase()} (%)` : "NLL", dots: true },
      );
    }
    drawLineChart(
      lossChart.ctx,
      1040,
      180,
      runs.map((r) => ({ label: r.label, color: METHOD_COLORS[r.id], values: losses.get(r.id) ?? [] })),
      { xLabel: "step", yLabel: "loss", smoothing: 0.95, zero: false },
    );
  };

  const showExamples = async () => {
    if (!exp) return;
    const run = exp.runs.find((r) => r.id === "manifold")!;
    const { adv, clean, attacked } = await exp.adversarialExamples(run, SHOWN_EXAMPLES);
    const data = exp.data;
    examples.replaceChildren(
      ...Array.from({ length: SHOWN_EXAMPLES }, (_, i) => {
        const truth = data.test.labels[i]!;
        const pair = (pixels: ArrayLike<number>, scale: number, predicted: number) =>
          h("div", { class: `example ${predicted === truth ? "right" : "wrong"}` }, imageCanvas(pixels, i * 784, scale), h("span", {}, FASHION_CLASSES[predicted]!));
        return h(
          "div",
          { class: "example-pair" },
          pair(data.test.pixels, 1, clean[i]!),
          pair(adv, 255, attacked[i]!),
          h("span", { class: "truth" }, `true: ${FASHION_CLASSES[truth]}`),
        );
      }),
    );
  };

  const tick = async () => {
    if (!exp || !running || exp.done) return;
    const t0 = performance.now();
    const { steps, losses: pending, epochEnds } = await exp.trainFor(TRAIN_MS_PER_FRAME);
    for (const { id, loss } of pending) {
      const values = losses.get(id) ?? losses.set(id, []).get(id)!;
      values.push((await loss.data())[0]!);
      loss.dispose();
    }
    opts.throughput.record(currentBackend(), steps / exp.runs.length, performance.now() - t0);
    opts.onRate();
    const attack = synchronous();
    attackNote.textContent = attack ? "" : `FGSM is not measured on ${currentBackend()}: @mmx/attacks runs its programs synchronously, and onnx in a browser runs them asynchronously.`;
    for (const r of epochEnds) await exp.evaluate(r, attack);
    if (epochEnds.length && attack) await showExamples();
    if (exp.done) running = false;
    render();
    syncPlay();
  };

  let looping = false;
  const loop = () => {
    if (!visible) {
      looping = false;
      return;
    }
    if (!busy && running) {
      busy = (async () => {
        if (!exp) {
          loading ??= loadFashionSubset(opts.dataUrl);
          progress.textContent = "Loading the Fashion-MNIST subset…";
          const data = await loading;
          exp = new FashionExperiment(data, settings);
          progress.textContent = `${data.train.count.toLocaleString("en")} training and ${data.test.count.toLocaleString("en")} test images of ${data.height}×${data.width}.`;
        }
        await tick();
      })()
        .catch((e: unknown) => {
          running = false;
          progress.textContent = e instanceof Error ? e.message : String(e);
          syncPlay();
          throw e;
        })
        .finally(() => (busy = undefined));
    }
    requestAnimationFrame(loop);
  };

  render();
  return {
    id: "fashion",
    title: "Fashion-MNIST",
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
    restart,
    status: () => ({
      loaded: exp !== undefined,
      running,
      done: exp?.done ?? false,
      methods: (exp?.runs ?? []).map((r) => ({ id: r.id, epoch: r.epoch, steps: r.steps, scores: r.scores })),
    }),
  };
}

/** A 28×28 grey image from `pixels` (bytes, or floats in [0, 1] with scale 255) at `offset`, drawn 3× large. */
function imageCanvas(pixels: ArrayLike<number>, offset: number, scale: number): HTMLCanvasElement {
  const canvas = h("canvas", { width: 28, height: 28, class: "image" });
  const image = new ImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    const v = 255 - Math.round(Math.min(255, Math.max(0, pixels[offset + i]! * scale)));
    image.data.set([v, v, v, 255], 4 * i);
  }
  canvas.getContext("2d")!.putImageData(image, 0, 0);
  return canvas;
}
