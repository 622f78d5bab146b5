import type { PyTree } from "@mmx/core";
import type { Model } from "@mmx/nn";
import { segmented } from "../ui/controls.js";
import { h } from "../ui/dom.js";
import { annotatedJaxpr } from "./jaxpr-diff.js";
import { SPIRALS, type SpiralSettings } from "./settings.js";
import { stepJaxprs, type StepView } from "./step-jaxpr.js";

/** The jaxpr of the mixed training step at a chosen boundary, with the equations mixup inserted highlighted. */
export class JaxprPanel {
  readonly el: HTMLElement;
  private readonly code = h("pre", { class: "jaxpr" });
  private readonly summary = h("p", { class: "card-desc" });
  private layer = "bottleneck";
  private view: StepView = "forward";
  private settings: SpiralSettings;

  constructor(
    private readonly model: Model,
    private readonly params: () => PyTree,
    settings: SpiralSettings,
  ) {
    this.settings = settings;
    const layerPicker = segmented({
      name: "jaxpr-layer",
      options: model.paperBoundaryNames.map((n) => ({ value: n, text: `k = ${n}` })),
      value: this.layer,
      onChange: (v) => {
        this.layer = v;
        this.render();
      },
    });
    const viewPicker = segmented({
      name: "jaxpr-view",
      options: [
        { value: "forward", text: "loss" },
        { value: "step", text: "loss + gradient + SGD update" },
      ],
      value: this.view,
      onChange: (v) => {
        this.view = v as StepView;
        this.render();
      },
    });
    this.el = h(
      "section",
      { class: "card wide jaxpr-card" },
      h("h2", {}, "The mixed step, as a jaxpr"),
      this.summary,
      h("div", { class: "toolbar" }, layerPicker.el, viewPicker.el),
      this.code,
    );
    this.render();
  }

  update(settings: SpiralSettings): void {
    this.settings = settings;
    this.render();
  }

  private render(): void {
    const k = this.model.paperBoundaries[this.model.paperBoundaryNames.indexOf(this.layer)]!;
    const { clean, mixed } = stepJaxprs(this.model, this.params(), k, { batch: SPIRALS.batch, perExample: this.settings.perExample, view: this.view, lr: this.settings.lr, steps: this.settings.steps });
    const lines = annotatedJaxpr(clean, mixed);
    const inserted = lines.filter((l) => l.inserted).length;
    this.summary.replaceChildren(
      "mixup(k, λ) traces the model and inserts ",
      h("code", {}, "λ·h + (1−λ)·h[perm]"),
      ` after boundary k, and on the targets: ${inserted} of ${mixed.jaxpr.eqns.length} equations below (highlighted) are what it added; the rest is the model's own program, unchanged.`,
    );
    this.code.replaceChildren(
      ...lines.map((l) =>
        h("div", { class: l.inserted ? "line inserted" : "line" }, h("span", { class: "text" }, l.text), l.scope ? h("span", { class: "scope" }, l.scope) : null),
      ),
    );
    const first = this.code.querySelector(".inserted");
    if (first instanceof HTMLElement) this.code.scrollTop = Math.max(0, first.offsetTop - this.code.offsetTop - 80);
  }
}
