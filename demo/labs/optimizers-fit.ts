// Lab 2's second experiment, the notes' exercise: a 1-32-32-1 tanh MLP fits noisy samples of
// sin(2x) with SGD, Momentum and Adam at one learning rate, from the same initial weights and
// on the same batches; its fitted curves (predict() on a grid) are drawn over the data, and
// its loss curves beside them.
import type uPlot from 'uplot';
import { adam, compile, Linear, momentum, seededRandom, Sequential, sgd, shuffleInPlace, Tanh, type GpuRuntime, type OptimizerConfig, type Trainer } from '../../src/index';
import { chart, type LineChart } from './plots';

/** The optimizers compared (torch's defaults but the learning rate, Momentum's μ 0.9). */
export const FIT_OPTIMIZERS = [
  { name: 'sgd', label: 'SGD', make: (lr: number) => sgd({ lr }) },
  { name: 'momentum', label: 'Momentum (0.9)', make: (lr: number) => momentum({ lr }) },
  { name: 'adam', label: 'Adam', make: (lr: number) => adam({ lr }) },
] as const satisfies readonly { name: string; label: string; make: (lr: number) => OptimizerConfig }[];

export const SAMPLES = 256;
const BATCH = 32;
const GRID = 121;
const X_RANGE = 3;
const NOISE = 0.1;
const SEED = 7;
const LOSS_EVERY = 10;

export const target = (x: number) => Math.sin(2 * x);

export interface FitRun {
  optimizer: string;
  /** Mean training loss (MSE) of each logged window of steps. */
  losses: number[];
  /** MSE over all samples after the last step (evaluate()). */
  finalLoss: number;
}

export interface FitResult {
  steps: number[];
  lr: number;
  runs: FitRun[];
}

/** Noisy samples y = sin(2x) + N(0, 0.1²), x uniform in [−3, 3], from a fixed seed. */
export function samples(): { x: Float32Array; y: Float32Array } {
  const random = seededRandom(SEED);
  const x = Float32Array.from({ length: SAMPLES }, () => (2 * random() - 1) * X_RANGE);
  // Box–Muller for the noise.
  const y = x.map((v) => target(v) + NOISE * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()));
  return { x, y };
}

const mlp = () => new Sequential([new Linear(1, 32), Tanh(), new Linear(32, 32), Tanh(), new Linear(32, 1)]);

/** Data as points, the target as a dashed line, and one fitted curve per optimizer. */
export class FitChart {
  private readonly plot: uPlot;

  constructor(container: HTMLElement, series: readonly { label: string; color: string }[], height = 220) {
    this.plot = chart(
      container,
      {
        scales: { x: { time: false } },
        axes: [{ label: 'x', size: 30, labelSize: 14 }, { label: 'y', size: 40, labelSize: 14 }],
        series: [
          { label: 'x' },
          { label: 'data', stroke: '#9aa3b2', points: { show: true, size: 4, fill: '#9aa3b2' }, paths: () => null },
          { label: 'sin 2x', stroke: '#1d2330', width: 1, dash: [4, 4], spanGaps: true, points: { show: false } },
          ...series.map((s) => ({ label: s.label, stroke: s.color, width: 2, spanGaps: true, points: { show: false } })),
        ],
        legend: { show: true, live: false },
        cursor: { drag: { x: false, y: false } },
      },
      series.length + 2,
      height,
    );
  }

  /** Shows no data (axes only). */
  clear(): void {
    this.plot.setData(this.plot.data.map(() => []) as unknown as uPlot.AlignedData);
  }

  /** uPlot wants one sorted x: the samples' and the grid's together, null where a series has no value. */
  set(data: { x: Float32Array; y: Float32Array }, grid: Float32Array, curves: readonly Float32Array[]): void {
    const rows = [...Array.from(data.x, (x, i) => ({ x, sample: i, grid: -1 })), ...Array.from(grid, (x, g) => ({ x, sample: -1, grid: g }))].sort((a, b) => a.x - b.x);
    const atGrid = (values: Float32Array) => rows.map((r) => (r.grid >= 0 ? values[r.grid]! : null));
    this.plot.setData([
      rows.map((r) => r.x),
      rows.map((r) => (r.sample >= 0 ? data.y[r.sample]! : null)),
      rows.map((r) => (r.grid >= 0 ? target(r.x) : null)),
      ...curves.map(atGrid),
    ] as uPlot.AlignedData);
  }
}

/**
 * Trains the three MLPs in lockstep (one shuffled batch, then each optimizer's step on it),
 * drawing the loss curves at every logged step and the fitted curves every 100 steps; destroys them at the end.
 */
export async function runFit(
  runtime: GpuRuntime,
  settings: { steps: number; lr: number },
  charts: { fit: FitChart; loss: LineChart },
  status: (text: string) => void,
): Promise<FitResult> {
  const data = samples();
  const grid = Float32Array.from({ length: GRID }, (_, i) => -X_RANGE + (2 * X_RANGE * i) / (GRID - 1));
  const trainers: Trainer[] = [];
  try {
    for (const o of FIT_OPTIMIZERS) {
      status(`compiling the MLP for ${o.label}…`);
      trainers.push(await compile(mlp(), { inputShape: [1], loss: 'mse', optimizer: o.make(settings.lr), batchSize: BATCH, evalBatchSize: SAMPLES, seed: SEED, runtime }));
    }
    // The same initial weights for all: the first trainer's.
    const initial = await trainers[0]!.stateDict();
    for (const t of trainers.slice(1)) await t.loadStateDict(initial);
    const order = Uint32Array.from({ length: SAMPLES }, (_, i) => i);
    const random = seededRandom(SEED + 1);
    const bx = new Float32Array(BATCH);
    const by = new Float32Array(BATCH);
    const batches = Math.floor(SAMPLES / BATCH);
    const logged: number[] = [];
    const losses: number[][] = trainers.map(() => []);
    const predictions = () => Promise.all(trainers.map((t) => t.predict(grid)));
    charts.fit.set(data, grid, await predictions());
    charts.loss.set([], losses);
    for (let s = 1; s <= settings.steps; s++) {
      const b = (s - 1) % batches;
      if (b === 0) shuffleInPlace(order, random);
      for (let i = 0; i < BATCH; i++) {
        bx[i] = data.x[order[b * BATCH + i]!]!;
        by[i] = data.y[order[b * BATCH + i]!]!;
      }
      for (const t of trainers) t.step(bx, by);
      await trainers.at(-1)!.throttle();
      if (s % LOSS_EVERY === 0 || s === settings.steps) {
        logged.push(s);
        for (const [k, t] of trainers.entries()) {
          losses[k]!.push((await t.flushMetrics()).loss);
          t.resetMetrics();
        }
        charts.loss.set(logged, losses);
        if (s % (LOSS_EVERY * 10) === 0) charts.fit.set(data, grid, await predictions());
        status(`regression: step ${s} of ${settings.steps}`);
      }
    }
    charts.fit.set(data, grid, await predictions());
    const runs: FitRun[] = [];
    for (const [k, t] of trainers.entries()) {
      const { loss } = await t.evaluate({ x: data.x, y: data.y, count: SAMPLES });
      runs.push({ optimizer: FIT_OPTIMIZERS[k]!.name, losses: losses[k]!, finalLoss: loss });
    }
    return { steps: logged, lr: settings.lr, runs };
  } finally {
    await Promise.all(trainers.map((t) => t.destroy()));
  }
}
