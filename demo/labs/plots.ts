// The labs' charts, drawn by uPlot: histograms (bars) and line charts, each titled, with its
// axes shown before the first data, and following its container's width (phone layout too).
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { el } from './page';

/** A titled box for one chart or canvas in a lab's plots area. */
export function plotBox(parent: HTMLElement, title: string, testId: string, wide = false): { box: HTMLElement; title: HTMLElement; body: HTMLElement } {
  const box = parent.appendChild(el('figure', wide ? 'plot wide' : 'plot'));
  box.style.margin = '0';
  const heading = box.appendChild(el('h3'));
  heading.textContent = title;
  const body = box.appendChild(el('div'));
  box.dataset.testid = testId;
  return { box, title: heading, body };
}

/** A uPlot chart in `container` that follows its width; `series` empty series, or `data` to start with. */
export function chart(container: HTMLElement, options: Omit<uPlot.Options, 'width' | 'height'>, series: number, height: number, data?: uPlot.AlignedData): uPlot {
  const empty = Array.from({ length: series + 1 }, () => [] as number[]) as uPlot.AlignedData;
  const width = () => Math.max(100, container.clientWidth);
  const plot = new uPlot({ ...options, width: width(), height }, data ?? empty, container);
  new ResizeObserver(() => plot.setSize({ width: width(), height })).observe(container);
  return plot;
}

/** The histograms' bar colour (tests look for it). */
export const BAR = '#4f7fe0';

/** Bars of `counts` over equal bins of [lo, hi]; y is the fraction of values per bin. */
export class Histogram {
  private readonly plot: uPlot;
  private range: [number, number] = [0, 1];

  constructor(container: HTMLElement, xLabel: string, height = 150) {
    this.plot = chart(
      container,
      {
        scales: { x: { time: false, range: () => this.range }, y: { range: (_u, _min, max) => [0, Math.max(max, 0.05)] } },
        axes: [{ ...(xLabel ? { label: xLabel, labelSize: 14 } : {}), size: 26 }, { size: 44, values: (_u, ticks) => ticks.map((t) => `${Math.round(t * 100)}%`) }],
        series: [{}, { fill: BAR, stroke: BAR, width: 0, paths: uPlot.paths.bars!({ size: [1, Infinity], gap: 1 }), points: { show: false } }],
        legend: { show: false },
        cursor: { show: false },
      },
      1,
      height,
    );
  }

  /** Shows `counts` (one per bin) over [lo, hi] as fractions of `total`. */
  set(counts: ArrayLike<number>, lo: number, hi: number, total: number): void {
    this.range = [lo, hi];
    const width = (hi - lo) / counts.length;
    const centers = Array.from(counts, (_, i) => lo + (i + 0.5) * width);
    this.plot.setData([centers, Array.from(counts, (c) => c / total)]);
  }
}

/** A log-axis tick: 1, 10, 0.1, 0.01 as they are, smaller and larger as 1e-5, 1e+4; null (a tick uPlot leaves unlabelled) stays null. */
const tick = (t: number | null): string | null => (t === null ? null : t >= 0.01 && t <= 1000 ? String(+t.toPrecision(1)) : t.toExponential(0));

/** Lines sharing one x axis (e.g. loss per step of several runs). */
export class LineChart {
  private readonly plot: uPlot;

  /**
   * `points`: markers without lines (one value per item rather than a curve). A series' `dash`:
   * a dashed line (e.g. the run without a feature beside the solid one with it). `yRange`: a
   * fixed y range, so that charts side by side compare at a glance.
   */
  constructor(container: HTMLElement, axes: { x: string; y: string; logY?: boolean; realX?: boolean; yRange?: [number, number] }, series: readonly { label: string; color: string; dash?: number[] }[], height = 170, points = false) {
    this.plot = chart(
      container,
      {
        scales: { x: { time: false }, y: axes.logY ? { distr: 3 } : axes.yRange ? { auto: false, range: axes.yRange } : {} },
        // Log-scale ticks in exponent form: uPlot's default prints 1e-5 as "0".
        // x is a step or an item number (integer ticks only) unless `realX` (e.g. a perturbation size).
        axes: [{ label: axes.x, size: 30, labelSize: 14, ...(axes.realX ? {} : { incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000] }) }, { label: axes.y, size: 50, labelSize: 14, ...(axes.logY ? { values: (_u: uPlot, ticks: (number | null)[]) => ticks.map(tick) } : {}) }],
        series: [{ label: axes.x }, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 1.5, ...(s.dash ? { dash: s.dash } : {}), points: { show: points, size: 6, fill: s.color }, ...(points ? { paths: () => null } : {}) }))],
        legend: { show: series.length > 1, live: false },
        cursor: { drag: { x: false, y: false } },
      },
      series.length,
      height,
    );
  }

  set(x: readonly number[], ys: readonly (readonly (number | null)[])[]): void {
    this.plot.setData([x, ...ys] as uPlot.AlignedData);
  }
}

/** Points (x, y) of several series on log-x (and optionally log-y) axes: a scatter of trials. */
export class ScatterChart {
  private readonly plot: uPlot;

  constructor(container: HTMLElement, axes: { x: string; y: string; logY?: boolean; percentY?: boolean }, series: readonly { label: string; color: string }[], height = 220) {
    const log = { values: (_u: uPlot, ticks: (number | null)[]) => ticks.map(tick) };
    this.plot = chart(
      container,
      {
        scales: { x: { time: false, distr: 3 }, y: axes.logY ? { distr: 3 } : {} },
        axes: [
          { label: axes.x, size: 30, labelSize: 14, ...log },
          { label: axes.y, size: 50, labelSize: 14, ...(axes.logY ? log : axes.percentY ? { values: (_u: uPlot, ticks: number[]) => ticks.map((t) => `${Math.round(t * 100)}%`) } : {}) },
        ],
        series: [{ label: axes.x }, ...series.map((s) => ({ label: s.label, stroke: s.color, points: { show: true, size: 9, fill: s.color }, paths: () => null }))],
        legend: { show: true, live: false },
        cursor: { drag: { x: false, y: false } },
      },
      series.length,
      height,
    );
  }

  /** One list of [x, y] points per series. uPlot wants one shared, sorted x: every point gets its own entry (a grid repeats x values), null in the other series. */
  set(points: readonly (readonly (readonly [number, number])[])[]): void {
    const entries = points.flatMap((list, s) => list.map(([x, y]) => ({ s, x, y }))).sort((a, b) => a.x - b.x);
    const ys = points.map((_, s) => entries.map((e) => (e.s === s ? e.y : null)));
    this.plot.setData([entries.map((e) => e.x), ...ys] as uPlot.AlignedData);
  }
}
