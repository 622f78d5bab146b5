/** A tiny element builder: h("div", { class: "card" }, child, "text"). */
type Attrs = Record<string, string | number | boolean | ((e: Event) => void) | undefined>;
export type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === "function") el.addEventListener(name.replace(/^on/, ""), value);
    else if (value === true) el.setAttribute(name, "");
    else el.setAttribute(name, String(value));
  }
  for (const c of children) if (c) el.append(c);
  return el;
}

/** A canvas sized in CSS pixels and backed at the screen's pixel density, its context scaled to match. */
export function hiDpiCanvas(width: number, height: number, className = ""): { canvas: HTMLCanvasElement; ctx: CanvasRenderingContext2D } {
  const canvas = h("canvas", { class: className, width: Math.round(width * devicePixelRatio), height: Math.round(height * devicePixelRatio) });
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  const ctx = canvas.getContext("2d")!;
  ctx.scale(devicePixelRatio, devicePixelRatio);
  return { canvas, ctx };
}
