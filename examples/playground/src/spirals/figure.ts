import { Frame, drawAxes, drawContour, drawPoints, drawProbabilityMap } from "../ui/plot.js";
import { hiDpiCanvas } from "../ui/dom.js";
import { CODE_GRID, type MethodSnapshot } from "./experiment.js";
import { SPIRALS } from "./settings.js";

/** The two panels of one column: the decision function over the input plane, and the 2-D bottleneck. */
export class MethodFigure {
  readonly decision = hiDpiCanvas(FIGURE_SIZE, FIGURE_SIZE, "plot decision");
  readonly bottleneck = hiDpiCanvas(FIGURE_SIZE, FIGURE_SIZE, "plot bottleneck");

  constructor(
    private readonly points: { x: Float32Array; y: Int32Array },
  ) {
    this.clear();
  }

  /** Empty axes, before the first frame. */
  clear(): void {
    const e = SPIRALS.extent;
    for (const [{ ctx }, labels] of [
      [this.decision, { x: "x₁", y: "x₂" }],
      [this.bottleneck, { x: "h₁", y: "h₂" }],
    ] as const) {
      ctx.clearRect(0, 0, FIGURE_SIZE, FIGURE_SIZE);
      const f = frame(ctx, [-e, e], [-e, e]);
      ctx.fillStyle = "#f6f7f9";
      ctx.fillRect(f.left, f.top, f.width, f.height);
      drawAxes(f, labels, { xTicks: [-1, 0, 1], yTicks: [-1, 0, 1] });
    }
    drawPoints(frame(this.decision.ctx, [-e, e], [-e, e]), this.points.x, this.points.y);
  }

  draw(s: MethodSnapshot): void {
    const e = SPIRALS.extent;
    const d = this.decision.ctx;
    d.clearRect(0, 0, FIGURE_SIZE, FIGURE_SIZE);
    const f = frame(d, [-e, e], [-e, e]);
    drawProbabilityMap(f, s.decision, SPIRALS.grid);
    drawContour(f, s.decision, SPIRALS.grid);
    drawPoints(f, this.points.x, this.points.y);
    drawAxes(f, { x: "x₁", y: "x₂" }, { xTicks: [-1, 0, 1], yTicks: [-1, 0, 1] });

    const b = this.bottleneck.ctx;
    b.clearRect(0, 0, FIGURE_SIZE, FIGURE_SIZE);
    const sq = s.codeSquare;
    const g = frame(b, [sq.x0, sq.x1], [sq.y0, sq.y1]);
    drawProbabilityMap(g, s.codeDecision, CODE_GRID);
    drawContour(g, s.codeDecision, CODE_GRID);
    drawPoints(g, s.codes, this.points.y, 2);
    drawAxes(g, { x: "h₁", y: "h₂" });
  }
}

export const FIGURE_SIZE = 300;
const MARGIN = { left: 42, right: 8, top: 8, bottom: 42 };

function frame(ctx: CanvasRenderingContext2D, x: readonly [number, number], y: readonly [number, number]): Frame {
  return new Frame(ctx, MARGIN.left, MARGIN.top, FIGURE_SIZE - MARGIN.left - MARGIN.right, FIGURE_SIZE - MARGIN.top - MARGIN.bottom, x, y);
}
