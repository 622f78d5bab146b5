import { h } from "./dom.js";

/**
 * A labelled slider with its value shown beside it. `scale: "log"` spreads the range over decades. `onRelease`: call
 * onChange once the thumb is let go, not at every value it passes (for changes that restart work).
 */
export function slider(opts: { label: string; min: number; max: number; value: number; step?: number; scale?: "log"; format?: (v: number) => string; onChange: (v: number) => void; name: string; onRelease?: boolean }): HTMLElement {
  const log = opts.scale === "log";
  const toPos = (v: number) => (log ? Math.log10(v) : v);
  const fromPos = (p: number) => (log ? +(10 ** p).toPrecision(2) : p);
  const format = opts.format ?? ((v: number) => String(v));
  const out = h("output", { class: "value" }, format(opts.value));
  const input = h("input", {
    type: "range",
    name: opts.name,
    min: toPos(opts.min),
    max: toPos(opts.max),
    step: log ? 0.01 : (opts.step ?? 0.1),
    value: toPos(opts.value),
  });
  input.addEventListener("input", () => {
    const v = fromPos(Number(input.value));
    out.textContent = format(v);
    if (!opts.onRelease) opts.onChange(v);
  });
  if (opts.onRelease) input.addEventListener("change", () => opts.onChange(fromPos(Number(input.value))));
  return h("label", { class: "control" }, h("span", { class: "control-label" }, opts.label), out, input);
}

/** Mutually exclusive buttons; returns the group and a function that changes the selection from outside. */
export function segmented<T extends string>(opts: { label?: string; options: readonly { value: T; text: string; disabled?: boolean; title?: string }[]; value: T; onChange: (v: T) => void; name: string }): { el: HTMLElement; set(v: T): void } {
  const buttons = opts.options.map((o) =>
    h("button", { type: "button", class: "seg", "data-value": o.value, disabled: o.disabled, title: o.title, "aria-pressed": String(o.value === opts.value) }, o.text),
  );
  const set = (v: T) => buttons.forEach((b) => b.setAttribute("aria-pressed", String(b.dataset["value"] === v)));
  buttons.forEach((b) =>
    b.addEventListener("click", () => {
      const v = b.dataset["value"] as T;
      set(v);
      opts.onChange(v);
    }),
  );
  const group = h("div", { class: "segmented", role: "group", "data-name": opts.name }, ...buttons);
  return { el: opts.label ? h("div", { class: "control" }, h("span", { class: "control-label" }, opts.label), group) : group, set };
}

/** Toggle chips for a set of names; at least one stays on. */
export function chips(opts: { label: string; options: readonly string[]; value: readonly string[]; onChange: (v: string[]) => void; name: string }): HTMLElement {
  const on = new Set(opts.value);
  const buttons = opts.options.map((name) => h("button", { type: "button", class: "chip", "data-value": name, "aria-pressed": String(on.has(name)) }, name));
  buttons.forEach((b) =>
    b.addEventListener("click", () => {
      const name = b.dataset["value"]!;
      if (on.has(name) && on.size === 1) return;
      if (on.has(name)) on.delete(name);
      else on.add(name);
      b.setAttribute("aria-pressed", String(on.has(name)));
      opts.onChange(opts.options.filter((o) => on.has(o)));
    }),
  );
  return h("div", { class: "control" }, h("span", { class: "control-label" }, opts.label), h("div", { class: "chips", "data-name": opts.name }, ...buttons));
}
