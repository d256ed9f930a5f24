// Live charts drawn by uPlot: the training loss per step and train/test accuracy per epoch.
// Both follow their container's width (ResizeObserver) so the page works at phone width.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

const HEIGHT = 190;

function makeChart(container: HTMLElement, options: Omit<uPlot.Options, 'width' | 'height'>, series: number): uPlot {
  const empty = Array.from({ length: series + 1 }, () => [] as number[]) as uPlot.AlignedData;
  const width = () => Math.max(200, container.clientWidth);
  const plot = new uPlot({ ...options, width: width(), height: HEIGHT }, empty, container);
  new ResizeObserver(() => plot.setSize({ width: width(), height: HEIGHT })).observe(container);
  return plot;
}

/** Loss per step (x: global step). Points arrive every few steps, as metrics are read back. */
export class LossChart {
  private readonly steps: number[] = [];
  private readonly losses: number[] = [];
  private readonly plot: uPlot;

  constructor(container: HTMLElement) {
    this.plot = makeChart(
      container,
      {
        scales: { x: { time: false } },
        axes: [{ label: 'step' }, { label: 'loss', size: 50 }],
        series: [{ label: 'step' }, { label: 'loss', stroke: '#2f6fed', width: 1.5, points: { show: false } }],
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
      },
      1,
    );
  }

  add(step: number, loss: number): void {
    this.steps.push(step);
    this.losses.push(loss);
    this.plot.setData([this.steps, this.losses]);
  }

  clear(): void {
    this.steps.length = 0;
    this.losses.length = 0;
    this.plot.setData([[], []]);
  }
}

/** Train and test accuracy (%) per epoch. */
export class AccuracyChart {
  private readonly epochs: number[] = [];
  private readonly train: number[] = [];
  private readonly test: number[] = [];
  private readonly plot: uPlot;

  constructor(container: HTMLElement) {
    const points = { show: true, size: 7 };
    this.plot = makeChart(
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
    );
  }

  add(epoch: number, train: number, test: number): void {
    this.epochs.push(epoch);
    this.train.push(100 * train);
    this.test.push(100 * test);
    this.plot.setData([this.epochs, this.train, this.test]);
  }

  clear(): void {
    this.epochs.length = 0;
    this.train.length = 0;
    this.test.length = 0;
    this.plot.setData([[], [], []]);
  }
}
