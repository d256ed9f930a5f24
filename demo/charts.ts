// Live charts drawn by uPlot: the training loss per step and train/test accuracy per epoch.
// Both follow their container's width (ResizeObserver) so the page works at phone width. Before
// the first metrics they show their axes over a placeholder range and say what they wait for.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

const HEIGHT = 190;
/** Tick spacings for whole numbers (steps): uPlot would put ticks at 0.5 around a single point. */
const WHOLE = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000];
/** The text over a chart until its first point (`.chart-waiting` in styles.css). */
export const WAITING_TEXT = 'waiting for the first metrics…';

/** How a chart looks while empty: the x and y ranges its axes span (y is auto-ranged once there is data). */
interface EmptyView {
  x: [number, number];
  y: [number, number];
}

/** uPlot's own y range, or `empty` when the y values are all null (the empty view's data). */
const yRange = (empty: [number, number]): uPlot.Scale.Range => (_u, min, max) =>
  min == null || max == null ? empty : uPlot.rangeNum(min, max, 0.1, true);

/** A series' points: shown while it has a single point, which draws no line. */
const firstPoint = (color: string, count: () => number): uPlot.Series.Points => ({ show: () => count() === 1, size: 7, fill: color });

/** A uPlot in `container` with a placeholder over it; `setData` with no x values shows the empty view. */
class Chart {
  private readonly plot: uPlot;
  private readonly placeholder: HTMLElement;

  constructor(
    container: HTMLElement,
    options: Omit<uPlot.Options, 'width' | 'height'>,
    private readonly series: number,
    private readonly empty: EmptyView,
  ) {
    const width = () => Math.max(200, container.clientWidth);
    const scales = { ...options.scales, y: { range: yRange(empty.y) } };
    this.plot = new uPlot({ ...options, scales, width: width(), height: HEIGHT }, this.emptyData(), container);
    new ResizeObserver(() => this.plot.setSize({ width: width(), height: HEIGHT })).observe(container);
    this.placeholder = document.createElement('p');
    this.placeholder.className = 'chart-waiting';
    this.placeholder.dataset.testid = 'chart-waiting';
    this.placeholder.textContent = WAITING_TEXT;
    container.classList.add('chart-host');
    container.append(this.placeholder);
  }

  /**
   * Two x values with no y values. With no data at all uPlot leaves its x scale unranged and
   * draws no axes; this way it draws both over the empty view's ranges.
   */
  private emptyData(): uPlot.AlignedData {
    return [this.empty.x, ...Array.from({ length: this.series }, () => [null, null])] as uPlot.AlignedData;
  }

  setData(data: number[][]): void {
    const blank = data[0]!.length === 0;
    this.placeholder.hidden = !blank;
    this.plot.setData(blank ? this.emptyData() : (data as uPlot.AlignedData));
  }
}

/** Loss per step (x: global step). Points arrive every few steps, as metrics are read back. */
export class LossChart {
  private readonly steps: number[] = [];
  private readonly losses: number[] = [];
  private readonly chart: Chart;

  constructor(container: HTMLElement) {
    this.chart = new Chart(
      container,
      {
        scales: { x: { time: false } },
        axes: [{ label: 'step', incrs: WHOLE }, { label: 'loss', size: 50 }],
        series: [
          { label: 'step' },
          { label: 'loss', stroke: '#2f6fed', width: 1.5, points: firstPoint('#2f6fed', () => this.steps.length) },
        ],
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
      },
      1,
      { x: [0, 100], y: [0, 2.5] },
    );
  }

  add(step: number, loss: number): void {
    this.steps.push(step);
    this.losses.push(loss);
    this.chart.setData([this.steps, this.losses]);
  }

  clear(): void {
    this.steps.length = 0;
    this.losses.length = 0;
    this.chart.setData([[]]);
  }
}

/** Train and test accuracy (%) per epoch. */
export class AccuracyChart {
  private readonly epochs: number[] = [];
  private readonly train: number[] = [];
  private readonly test: number[] = [];
  private readonly chart: Chart;

  constructor(container: HTMLElement) {
    const points = { show: true, size: 7 };
    this.chart = new Chart(
      container,
      {
        scales: { x: { time: false } },
        axes: [{ label: 'epoch', incrs: [1, 2, 5, 10] }, { label: 'accuracy %', size: 50 }],
        series: [
          { label: 'epoch' },
          { label: 'train', stroke: '#8a63d2', width: 1.5, points },
          { label: 'test', stroke: '#1a7f37', width: 1.5, points },
        ],
        legend: { live: false },
        cursor: { drag: { x: false, y: false } },
      },
      2,
      { x: [1, 3], y: [0, 100] },
    );
  }

  add(epoch: number, train: number, test: number): void {
    this.epochs.push(epoch);
    this.train.push(100 * train);
    this.test.push(100 * test);
    this.chart.setData([this.epochs, this.train, this.test]);
  }

  clear(): void {
    this.epochs.length = 0;
    this.train.length = 0;
    this.test.length = 0;
    this.chart.setData([[]]);
  }
}
