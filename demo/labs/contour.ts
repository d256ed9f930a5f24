// A contour chart of a 2-D function with point paths on top (lab 2's optimizer race): level
// lines come from marching squares over a grid of f evaluated on the CPU in float64, drawn in
// a uPlot draw hook under the paths; uPlot gives the axes, the legend (one entry per path,
// click to hide it) and the width that follows the container.
import uPlot from 'uplot';
import { chart } from './plots';

/** What the chart draws level lines of: f over the window [x0, x1] × [y0, y1]. */
export interface ContourSurface {
  f(x: number, y: number): number;
  x: readonly [number, number];
  y: readonly [number, number];
  /** Marked with a cross. */
  minimum: readonly [number, number];
}

/** One path: its points in order (the first is marked as the start). */
export interface ContourPath {
  label: string;
  color: string;
  points: readonly (readonly [number, number])[];
}

/** Level lines' colour, and the grid cells per side they are traced on. */
const LINE = '#c3cad5';
const CELLS = 120;
const LEVELS = 14;

type Segment = [number, number, number, number];

/**
 * Level lines of `f` by marching squares: for each level, a segment through every grid cell
 * whose corners straddle it, its ends interpolated linearly along the cell's edges. Levels are
 * spaced quadratically between the grid's min and max, so a bowl's ellipses come out evenly.
 */
export function contourSegments(surface: ContourSurface, cells = CELLS, levels = LEVELS): Segment[] {
  const [x0, x1] = surface.x;
  const [y0, y1] = surface.y;
  const n = cells + 1;
  const xs = Array.from({ length: n }, (_, i) => x0 + ((x1 - x0) * i) / cells);
  const ys = Array.from({ length: n }, (_, j) => y0 + ((y1 - y0) * j) / cells);
  const v = new Float64Array(n * n);
  let lo = Infinity;
  let hi = -Infinity;
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) {
      const f = surface.f(xs[i]!, ys[j]!);
      v[j * n + i] = f;
      lo = Math.min(lo, f);
      hi = Math.max(hi, f);
    }
  }
  const segments: Segment[] = [];
  for (let k = 1; k <= levels; k++) {
    const level = lo + (hi - lo) * (k / (levels + 1)) ** 2;
    for (let j = 0; j < cells; j++) {
      for (let i = 0; i < cells; i++) {
        // Corners counter-clockwise from the bottom left; edges between consecutive corners.
        const corners: [number, number, number][] = [
          [xs[i]!, ys[j]!, v[j * n + i]!],
          [xs[i + 1]!, ys[j]!, v[j * n + i + 1]!],
          [xs[i + 1]!, ys[j + 1]!, v[(j + 1) * n + i + 1]!],
          [xs[i]!, ys[j + 1]!, v[(j + 1) * n + i]!],
        ];
        const crossings: [number, number][] = [];
        for (let e = 0; e < 4; e++) {
          const [ax, ay, av] = corners[e]!;
          const [bx, by, bv] = corners[(e + 1) % 4]!;
          if (av < level !== bv < level) {
            const t = (level - av) / (bv - av);
            crossings.push([ax + t * (bx - ax), ay + t * (by - ay)]);
          }
        }
        // Two crossings: one segment; four (a saddle cell): pair them in edge order.
        for (let c = 0; c + 1 < crossings.length; c += 2) segments.push([...crossings[c]!, ...crossings[c + 1]!]);
      }
    }
  }
  return segments;
}

/** Level lines of a surface with paths on top; the axes show before the first paths. */
export class ContourChart {
  private readonly plot: uPlot;
  private surface: ContourSurface | undefined;
  private segments: Segment[] = [];
  private paths: readonly ContourPath[] = [];

  constructor(container: HTMLElement, axes: { x: string; y: string }, series: readonly { label: string; color: string }[], height = 320) {
    const range = (axis: 'x' | 'y') => (): uPlot.Range.MinMax => (this.surface ? [this.surface[axis][0], this.surface[axis][1]] : [0, 1]);
    // The series carry no data: they give the legend its entries; the draw hook paints the paths.
    this.plot = chart(
      container,
      {
        scales: { x: { time: false, auto: false, range: range('x') }, y: { auto: false, range: range('y') } },
        axes: [{ label: axes.x, size: 30, labelSize: 14 }, { label: axes.y, size: 44, labelSize: 14 }],
        series: [{ label: axes.x }, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 2, paths: () => null, points: { show: false } }))],
        legend: { show: true, live: false },
        cursor: { show: false },
        hooks: { draw: [(u) => this.paint(u)] },
      },
      series.length,
      height,
      [[0, 1], ...series.map(() => [null, null])] as uPlot.AlignedData,
    );
  }

  /** Shows `surface`'s level lines over its window, without paths. */
  setSurface(surface: ContourSurface): void {
    this.surface = surface;
    this.segments = contourSegments(surface);
    this.paths = [];
    this.plot.batch(() => {
      this.plot.setScale('x', { min: surface.x[0], max: surface.x[1] });
      this.plot.setScale('y', { min: surface.y[0], max: surface.y[1] });
    });
  }

  /** Draws the paths (in the legend's order) over the level lines. */
  setPaths(paths: readonly ContourPath[]): void {
    this.paths = paths;
    this.plot.redraw(false);
  }

  private paint(u: uPlot): void {
    if (!this.surface) return;
    const ctx = u.ctx;
    const ratio = uPlot.pxRatio;
    const px = (x: number) => u.valToPos(x, 'x', true);
    const py = (y: number) => u.valToPos(y, 'y', true);
    ctx.save();
    ctx.beginPath();
    ctx.rect(u.bbox.left, u.bbox.top, u.bbox.width, u.bbox.height);
    ctx.clip();
    ctx.lineWidth = ratio;
    ctx.strokeStyle = LINE;
    ctx.beginPath();
    for (const [ax, ay, bx, by] of this.segments) {
      ctx.moveTo(px(ax), py(ay));
      ctx.lineTo(px(bx), py(by));
    }
    ctx.stroke();
    const [mx, my] = this.surface.minimum;
    const arm = 6 * ratio;
    ctx.strokeStyle = '#1d2330';
    ctx.lineWidth = 2 * ratio;
    ctx.beginPath();
    ctx.moveTo(px(mx) - arm, py(my) - arm);
    ctx.lineTo(px(mx) + arm, py(my) + arm);
    ctx.moveTo(px(mx) - arm, py(my) + arm);
    ctx.lineTo(px(mx) + arm, py(my) - arm);
    ctx.stroke();
    this.paths.forEach((path, k) => {
      if (u.series[k + 1]?.show === false || path.points.length === 0) return; // hidden from the legend
      ctx.strokeStyle = ctx.fillStyle = path.color;
      ctx.lineWidth = 1.5 * ratio;
      ctx.beginPath();
      path.points.forEach(([x, y], i) => (i === 0 ? ctx.moveTo(px(x), py(y)) : ctx.lineTo(px(x), py(y))));
      ctx.stroke();
      for (const [x, y] of path.points) {
        ctx.beginPath();
        ctx.arc(px(x), py(y), 2.5 * ratio, 0, 2 * Math.PI);
        ctx.fill();
      }
    });
    const [sx, sy] = this.paths[0]?.points[0] ?? [NaN, NaN];
    if (Number.isFinite(sx)) {
      ctx.fillStyle = '#1d2330';
      ctx.beginPath();
      ctx.arc(px(sx), py(sy!), 4.5 * ratio, 0, 2 * Math.PI);
      ctx.fill();
    }
    ctx.restore();
  }
}
