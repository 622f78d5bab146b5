import type { BackendChoice } from "../backends.js";
import type { Throughput } from "../throughput.js";
import { h } from "./dom.js";

const rate = (v: number) => (v < 10 ? v.toFixed(1) : v.toFixed(0));

/** The backends mmx knows, those this browser runs as choices and the others with the reason, and steps/s for each used. */
export function backendPanel(opts: { backends: Promise<readonly BackendChoice[]>; current: () => string; select(name: string): Promise<void>; throughput: Throughput }): { el: HTMLElement; /** Redraws the steps/s table. */ refresh(): void } {
  let backends: readonly BackendChoice[] | undefined;
  const list = h("div", { class: "backend-list" });
  const rates = h("table", { class: "rates" });
  const isolation = h("p", { class: "hint" }, globalThis.crossOriginIsolated ? "Cross-origin isolated: tfjs wasm runs threaded (?wasmThreads=n), and onnxruntime-web may (?onnxThreads=n)." : "Not cross-origin isolated: wasm runs on one thread (serve with COOP/COEP headers for threads).");
  let switching = false;

  // The list is rebuilt only when the choice changes (a rebuilt button loses a click in progress); the rates often.
  const refreshList = () => {
    if (backends) list.replaceChildren(
      ...(backends ?? []).map((b) => {
        const active = b.id === opts.current();
        const row = h(
          "button",
          { type: "button", class: `backend${active ? " active" : ""}`, disabled: !b.available || switching, "data-backend": b.id, "aria-pressed": String(active), title: b.detail },
          h("span", { class: "backend-name" }, b.id),
          h("span", { class: "backend-detail" }, b.available ? b.detail : `unavailable: ${b.detail}`),
        );
        row.addEventListener("click", async () => {
          if (active || switching) return;
          switching = true;
          refreshList();
          try {
            await opts.select(b.id);
          } finally {
            switching = false;
            refreshList();
            refreshRates();
          }
        });
        return row;
      }),
    );
  };
  const refreshRates = () => {
    const rows = opts.throughput.table();
    rates.replaceChildren(
      h("thead", {}, h("tr", {}, h("th", {}, "backend"), h("th", {}, "steps/s now"), h("th", {}, "best"))),
      h(
        "tbody",
        {},
        ...(rows.length
          ? rows.map((r) => h("tr", { class: r.backend === opts.current() ? "current" : "" }, h("td", {}, r.backend), h("td", {}, rate(r.rate)), h("td", {}, rate(r.best))))
          : [h("tr", {}, h("td", { colspan: 3, class: "muted" }, "train to measure"))]),
      ),
    );
  };
  list.replaceChildren(h("p", { class: "hint" }, `Training on ${opts.current()}. In a moment the page pauses briefly to look for the other backends of this browser.`));
  void opts.backends.then((b) => {
    backends = b;
    refreshList();
  });
  refreshRates();
  return {
    el: h(
      "section",
      { class: "card backends" },
      h("h2", {}, "Backend"),
      list,
      h("h3", {}, "Training steps per second, per model"),
      rates,
      isolation,
    ),
    refresh: refreshRates,
  };
}
