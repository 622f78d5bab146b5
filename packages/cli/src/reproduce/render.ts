import { writeFileSync } from "node:fs";
import { Resvg } from "@resvg/resvg-js";
import * as vega from "vega";
import * as vl from "vega-lite";

/**
 * Renders a Vega-Lite spec headless: Vega-Lite compiles it to Vega, a Vega View renders SVG with no
 * browser and no network (data is inline), and resvg rasterises the SVG to PNG with the system fonts.
 */
export async function renderChart(spec: Record<string, unknown>, options: { scale?: number } = {}): Promise<{ svg: string; png: Uint8Array }> {
  const compiled = vl.compile({ $schema: "https://vega.github.io/schema/vega-lite/v6.json", background: "white", ...spec } as vl.TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    const svg = await view.toSVG();
    const png = new Resvg(svg, { fitTo: { mode: "zoom", value: options.scale ?? 1.2 }, font: { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans" } }).render().asPng();
    return { svg, png };
  } finally {
    view.finalize();
  }
}

/** Writes `<base>.svg` and `<base>.png`; returns both paths. */
export async function writeChart(base: string, spec: Record<string, unknown>, options: { scale?: number } = {}): Promise<string[]> {
  const { svg, png } = await renderChart(spec, options);
  writeFileSync(`${base}.svg`, svg);
  writeFileSync(`${base}.png`, png);
  return [`${base}.svg`, `${base}.png`];
}
