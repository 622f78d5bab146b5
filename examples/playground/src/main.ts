import "./style.css";
import { currentBackend, DEFAULT_BACKEND, listBackends, useBackend, wasmThreads } from "./backends.js";
import { fashionTab, type FashionStatus } from "./fashion/tab.js";
import { spiralsTab, type SpiralsStatus } from "./spirals/tab.js";
import { settingsFromQuery } from "./spirals/settings.js";
import { Throughput } from "./throughput.js";
import { backendPanel } from "./ui/backend-panel.js";
import { h } from "./ui/dom.js";
import type { Tab } from "./ui/tab.js";

/** What the page reports about itself, for tests and the curious: `window.mmxPlayground.status()`. */
export interface PlaygroundStatus {
  backend: string;
  /** Whether the page has SharedArrayBuffer (COOP/COEP headers), which the threaded wasm builds need. */
  crossOriginIsolated: boolean;
  /** The threads tfjs wasm runs on, when it is the backend. */
  wasmThreads: number | undefined;
  tab: string;
  spirals: SpiralsStatus;
  fashion: FashionStatus;
}

declare global {
  interface Window {
    mmxPlayground?: { status(): PlaygroundStatus };
  }
}

const query = new URLSearchParams(location.search);
const app = document.querySelector<HTMLElement>("#app")!;

async function main(): Promise<void> {
  await useBackend(query.get("backend") ?? DEFAULT_BACKEND);

  const throughput = new Throughput();
  let panel: ReturnType<typeof backendPanel> | undefined;
  const spirals = spiralsTab({ throughput, settings: settingsFromQuery(query), autoplay: query.get("autoplay") !== "0" && query.get("tab") !== "fashion", onRate: () => panel?.refresh() });
  const fashion = fashionTab({ throughput, autoplay: query.get("autoplay") !== "0" && query.get("tab") === "fashion", dataUrl: new URL("data/fashion-mnist-subset.bin", document.baseURI).href, onRate: () => panel?.refresh() });
  const tabs: Tab[] = [spirals, fashion];
  let active = tabs.find((t) => t.id === query.get("tab")) ?? tabs[0]!;

  panel = backendPanel({
    backends: probeWhilePaused(tabs, () => active),
    current: currentBackend,
    throughput,
    async select(name) {
      await Promise.all(tabs.map((t) => t.pause()));
      await useBackend(name);
      for (const t of tabs) t.restart();
      active.show();
    },
  });

  const controls = h("div", { class: "tab-controls" });
  const content = h("div", { class: "tab-content" });
  const tabButtons = tabs.map((t) => h("button", { type: "button", class: "tab", "data-tab": t.id, "aria-selected": String(t === active) }, t.title));
  const activate = (t: Tab) => {
    active.hide();
    active = t;
    tabButtons.forEach((b) => b.setAttribute("aria-selected", String(b.dataset["tab"] === t.id)));
    controls.replaceChildren(t.controls);
    content.replaceChildren(t.content);
    t.show();
  };
  tabButtons.forEach((b, i) => b.addEventListener("click", () => activate(tabs[i]!)));

  app.replaceChildren(
    h(
      "header",
      { class: "top" },
      h(
        "div",
        { class: "brand" },
        h("span", { class: "logo" }, "mmx"),
        h("div", {}, h("h1", {}, "Manifold Mixup, live"), h("p", { class: "subtitle" }, "Verma et al., ICML 2019 · trained in your browser by mmx, a JAX-like tracer over TensorFlow.js")),
      ),
      h("nav", { class: "tabs" }, ...tabButtons),
    ),
    h("div", { class: "layout" }, h("aside", { class: "sidebar" }, controls, panel.el), content),
  );
  controls.replaceChildren(active.controls);
  content.replaceChildren(active.content);
  active.show();

  window.mmxPlayground = { status: () => ({ backend: currentBackend(), crossOriginIsolated: globalThis.crossOriginIsolated === true, wasmThreads: wasmThreads(), tab: active.id, spirals: spirals.status(), fashion: fashion.status() }) };
}

/** How long the page trains before it looks for the other backends (the first frames come first). */
const PROBE_AFTER_MS = 2500;

/**
 * The list of backends, probed while no tab computes: availableBackends() initialises each tfjs backend in turn
 * (tfjs's current backend changes while it does), which must not meet a training step's eager operations.
 */
async function probeWhilePaused(tabs: readonly Tab[], active: () => Tab) {
  await new Promise((resolve) => setTimeout(resolve, PROBE_AFTER_MS));
  await Promise.all(tabs.map((t) => t.pause()));
  try {
    return await listBackends();
  } finally {
    active().show();
  }
}

main().catch((e: unknown) => {
  app.replaceChildren(h("div", { class: "fatal" }, h("h1", {}, "The playground could not start"), h("p", {}, e instanceof Error ? e.message : String(e))));
  throw e;
});
