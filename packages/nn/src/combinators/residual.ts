import { currentScope, np } from "@mmx/core";
import { defineCompound } from "../define.js";
import { LayerShapeError } from "../errors.js";
import type { Layer } from "../layer.js";

/**
 * `body(x) + shortcut(x)`, the shortcut being the identity when not given. Params `{ body, shortcut }`
 * (for whichever has params). It tags nothing itself: give it `block` bodies to keep its inside one
 * unit, and let the parent sequential tag its output.
 */
export function residual(body: Layer, shortcut?: Layer, opts: { name?: string } = {}): Layer {
  const children: Record<string, Layer> = shortcut ? { body, shortcut } : { body };
  const inner = (n: string, l: Layer) => l.boundaryNames.map((b) => `${n}.${b}`);
  return defineCompound({
    kind: "residual",
    ...(opts.name !== undefined ? { name: opts.name } : {}),
    children,
    boundaryNames: [...inner("body", body), ...(shortcut ? inner("shortcut", shortcut) : [])],
    forward(run, x) {
      const h = run("body", x);
      const skip = shortcut ? run("shortcut", x) : x;
      if (h.ndim !== skip.ndim || h.shape.some((d, i) => d !== skip.shape[i])) {
        const detail = `the body gives [${h.shape.join(",")}], the ${shortcut ? "shortcut" : "identity shortcut"} [${skip.shape.join(",")}]`;
        throw new LayerShapeError(currentScope(), "residual", "an input for which body and shortcut agree", x.shape, detail);
      }
      return np.add(h, skip);
    },
  });
}
