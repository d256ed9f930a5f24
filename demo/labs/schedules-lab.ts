// Lab 7: learning-rate schedules and batch size, on one MNIST MLP (784-64-10, ReLU) with SGD +
// momentum, every model from the same initial weights. Part A: a constant lr against
// stepDecay(lr, [0.5, 0.75], 0.1) (the notes' ResNet recipe) at the small batch, on the same
// batches, stepped in turn; their training loss and lr per step. Part B: A's step-decay run
// against a large batch trained for the same epochs with the same lr and schedule (Keskar et
// al. 2017), then the flatness of each minimum: the training loss along random filter-normalized
// directions through the final weights (schedules-slice.ts), and train / test accuracy.
import { compile, constantLr, Linear, momentum, ReLU, Sequential, stepDecay, takeFirst, type LrSchedule, type StateDict, type Trainer } from '../../src/index';
import { numberInput } from './controls';
import type { Lab } from './lab';
import { mnistSubset } from './mnist';
import { el, tableRow } from './page';
import { LineChart, plotBox } from './plots';
import { lossSlice } from './schedules-slice';
import { stepTogether } from './schedules-steps';

const HIDDEN = 64;
const TEST = 1000;
const SEED = 1;
/** Points of each loss slice over [−a, a], and random directions averaged. */
const POINTS = 13;
const DIRECTIONS = 2;
/** The training images the loss slices are measured on (the first ones). */
const SLICE_IMAGES = 512;
const COLORS = { constant: '#2f6fed', stepDecay: '#cf222e', small: '#1e9e5a', large: '#e67e22' };
const TITLES = { loss: 'A · training loss (cross-entropy, log scale), SGD with momentum 0.9 at the small batch', lr: 'A · learning rate per step (log scale)', table: 'B · small vs large batch' };

export interface ScheduleRun {
  schedule: 'constant' | 'stepDecay';
  /** The lr of each step, 0-based. */
  lr: number[];
  /** Mean training loss of each logged window of steps; null where not finite (diverged). */
  losses: (number | null)[];
  testAccuracy: number;
}

export interface BatchRun {
  batchSize: number;
  steps: number;
  trainLoss: number;
  trainAccuracy: number;
  testAccuracy: number;
  /** Training loss at w + α·d for each of the result's alphas (mean over the directions). */
  slice: number[];
  /** How much the slice rises from α = 0 to its ends: the mean of L(w − a·d) and L(w + a·d), less L(w). */
  rise: number;
}

export interface SchedulesResult {
  settings: { epochs: number; lr: number; small: number; large: number; range: number; samples: number };
  /** Part A: the last step of each logged window. */
  steps: number[];
  schedules: ScheduleRun[];
  /** Part B. */
  alphas: number[];
  batches: BatchRun[];
  /** Wall time of each part: loading, Part A's training, Part B's training and its loss slices. */
  seconds: { load: number; schedules: number; batches: number; slices: number };
}

const mlp = () => new Sequential([new Linear(784, HIDDEN), ReLU(), new Linear(HIDDEN, 10)]);
const finite = (x: number) => (Number.isFinite(x) ? x : null);
const percent = (x: number) => `${(100 * x).toFixed(1)}%`;
/** How much a slice rises from α = 0 to its ends: the mean of L(w − a·d) and L(w + a·d), less L(w). */
const riseOf = (slice: readonly number[]) => (slice[0]! + slice.at(-1)!) / 2 - slice[(slice.length - 1) / 2]!;

export const schedulesLab: Lab<SchedulesResult> = {
  id: 'schedules',
  title: 'Learning-rate schedules and batch size',
  explanation:
    'With a constant learning rate SGD keeps bouncing around a noise floor set by its step size; the notes’ ResNet schedule (lr ×0.1 at 50% and again at 75% of training) lets the loss settle below it after each drop. Small, noisy batches tend to find flat minima that generalize better, large batches sharp ones: part B trains a large batch for the same epochs, lr and schedule as A’s step-decay run (as Keskar et al. did) and measures how flat each minimum is by the training loss along random filter-normalized directions through it (Li et al.). At the defaults the large batch ends sharper and tests worse, though it also took 8× fewer steps and is less trained; at lr 0.05 it is still sharper but tests better: flatness and generalization go together only at some settings.',
  mount({ controls, plots }) {
    plots.classList.add('schedules-plots');
    const epochs = numberInput(controls, 'schedules', 'epochs', 'Epochs', 5, { min: 1, max: 50, step: 1 });
    const lr = numberInput(controls, 'schedules', 'lr', 'Learning rate', 0.03, { min: 0.0001, max: 1 });
    const small = numberInput(controls, 'schedules', 'small', 'Small batch', 16, { min: 1, max: 1000, step: 1 });
    const large = numberInput(controls, 'schedules', 'large', 'Large batch', 128, { min: 2, max: 10000, step: 1 });
    const range = numberInput(controls, 'schedules', 'range', 'Perturbation range a', 1, { min: 0.01, max: 10 });
    const samples = numberInput(controls, 'schedules', 'samples', 'Training images', 1024, { min: 100, max: 20000, step: 1 });

    const lossBox = plotBox(plots, TITLES.loss, 'schedules-loss', true);
    const lossChart = new LineChart(lossBox.body, { x: 'step', y: 'loss', logY: true }, [{ label: 'constant lr', color: COLORS.constant }, { label: 'step decay', color: COLORS.stepDecay }], 200);
    const lrBox = plotBox(plots, TITLES.lr, 'schedules-lr', true);
    const lrChart = new LineChart(lrBox.body, { x: 'step', y: 'lr', logY: true }, [{ label: 'constant lr', color: COLORS.constant }, { label: 'step decay', color: COLORS.stepDecay }], 130);
    const sliceTitle = (images: number) => `B · training loss along random directions, L(w + α·d): mean of ${DIRECTIONS} filter-normalized directions, first ${images} training images`;
    const sliceBox = plotBox(plots, sliceTitle(SLICE_IMAGES), 'schedules-slice');
    const sliceChart = new LineChart(sliceBox.body, { x: 'α', y: 'loss', realX: true }, [{ label: 'small batch', color: COLORS.small }, { label: 'large batch', color: COLORS.large }], 220);
    const tableBox = plotBox(plots, TITLES.table, 'schedules-table');
    const table = tableBox.body.appendChild(el('table', 'numbers'));
    return {
      async run({ runtime, status }) {
        const settings = { epochs: epochs(), lr: lr(), small: small(), large: large(), range: range(), samples: samples() };
        if (settings.large > settings.samples) throw new RangeError(`Large batch must be at most the ${settings.samples} training images, got ${settings.large}`);
        if (settings.small >= settings.large) throw new RangeError(`Small batch must be below the large batch (${settings.large}), got ${settings.small}`);
        let last = performance.now();
        const lap = () => {
          const now = performance.now();
          const elapsed = (now - last) / 1000;
          last = now;
          return elapsed;
        };
        const seconds = { load: 0, schedules: 0, batches: 0, slices: 0 };
        // Nothing of the previous run stays beside this one's curves.
        lossBox.title.textContent = TITLES.loss;
        lrBox.title.textContent = TITLES.lr;
        tableBox.title.textContent = TITLES.table;
        table.replaceChildren();
        for (const chart of [lossChart, lrChart, sliceChart]) chart.set([], [[], []]);
        const { train, test } = await mnistSubset(settings.samples, TEST, status);
        seconds.load = lap();
        const trainers: Trainer[] = [];
        const make = async (batchSize: number, schedule: LrSchedule, totalSteps: number, init?: StateDict) => {
          const trainer = await compile(mlp(), {
            inputShape: [784], loss: 'crossEntropy', optimizer: momentum({ lr: settings.lr }), lrSchedule: schedule, totalSteps,
            batchSize, evalBatchSize: Math.max(settings.samples, TEST), metricsEvery: 1000, seed: SEED, runtime,
          });
          trainers.push(trainer);
          if (init) await trainer.loadStateDict(init); // the same initial weights for every model
          return trainer;
        };
        try {
          // Part A: both schedules on the same batches, stepped in turn.
          status('A: compiling…');
          const total = settings.epochs * Math.floor(settings.samples / settings.small);
          const constant = await make(settings.small, constantLr(settings.lr), total);
          const init = await constant.stateDict();
          const decayed = await make(settings.small, stepDecay(settings.lr, [0.5, 0.75], 0.1), total, init);
          const runs: ScheduleRun[] = [{ schedule: 'constant', lr: [], losses: [], testAccuracy: NaN }, { schedule: 'stepDecay', lr: [], losses: [], testAccuracy: NaN }];
          const pair = [constant, decayed];
          const logged: number[] = [];
          const every = Math.max(1, Math.round(total / 40));
          const lrs = () => pair.forEach((trainer, k) => runs[k]!.lr.push(trainer.learningRate)); // the rate the next step uses
          await stepTogether(train, settings.small, total, pair, SEED, lrs, async (s) => {
            if (s % every !== 0 && s !== total) return;
            logged.push(s);
            for (const [k, trainer] of pair.entries()) {
              runs[k]!.losses.push(finite((await trainer.flushMetrics()).loss));
              trainer.resetMetrics();
            }
            lossChart.set(logged, runs.map((r) => r.losses));
            status(`A: step ${s} of ${total}`);
          });
          lrChart.set(runs[0]!.lr.map((_, i) => i + 1), runs.map((r) => r.lr));
          lrBox.title.textContent = `A · learning rate per step (log scale) · step decay ×0.1 from step ${Math.floor(0.5 * total) + 1} and again from step ${Math.floor(0.75 * total) + 1}`;
          for (const [k, trainer] of pair.entries()) {
            trainer.eval();
            runs[k]!.testAccuracy = (await trainer.evaluate(test)).accuracy;
          }
          lossBox.title.textContent = `A · training loss (cross-entropy, log scale), SGD with momentum 0.9, batch ${settings.small} · test accuracy: constant ${percent(runs[0]!.testAccuracy)}, step decay ${percent(runs[1]!.testAccuracy)}`;
          seconds.schedules = lap();

          // Part B: the step-decay run above is the small batch; the large batch trains the same epochs with the same lr and schedule.
          const largeSteps = settings.epochs * Math.floor(settings.samples / settings.large);
          status(`B: batch ${settings.large}: compiling…`);
          const large = await make(settings.large, stepDecay(settings.lr, [0.5, 0.75], 0.1), largeSteps, init);
          await stepTogether(train, settings.large, largeSteps, [large], SEED, () => undefined, async (s) => void status(`B: batch ${settings.large}: step ${s} of ${largeSteps}`));
          large.eval();
          seconds.batches = lap();
          const alphas = Array.from({ length: POINTS }, (_, i) => +(settings.range * ((2 * i) / (POINTS - 1) - 1)).toPrecision(12));
          const sliceData = takeFirst(train, SLICE_IMAGES);
          sliceBox.title.textContent = sliceTitle(sliceData.count);
          const batches: BatchRun[] = [];
          for (const [batchSize, trainer, steps] of [[settings.small, decayed, total], [settings.large, large, largeSteps]] as const) {
            const fit = await trainer.evaluate(train);
            const testAccuracy = (await trainer.evaluate(test)).accuracy;
            status(`B: batch ${batchSize}: loss along random directions…`);
            const slice = await lossSlice(trainer, sliceData, alphas, DIRECTIONS, SEED);
            batches.push({ batchSize, steps, trainLoss: fit.loss, trainAccuracy: fit.accuracy, testAccuracy, slice, rise: riseOf(slice) });
            sliceChart.set(alphas, [batches[0]!.slice, batches[1]?.slice ?? alphas.map(() => null)]);
          }
          seconds.slices = lap();
          tableBox.title.textContent = `B · batch ${settings.small} (A’s step-decay run) vs ${settings.large}: ${settings.epochs} epochs each, lr ${settings.lr}, step decay`;
          table.replaceChildren(
            tableRow('th', ['batch', 'steps', 'train acc.', 'test acc.', 'train loss', 'rise at ±a']),
            ...batches.map((b) => tableRow('td', [String(b.batchSize), String(b.steps), percent(b.trainAccuracy), percent(b.testAccuracy), b.trainLoss.toFixed(3), `${b.rise >= 0 ? '+' : ''}${b.rise.toFixed(3)}`])),
          );
          return { settings, steps: logged, schedules: runs, alphas, batches, seconds };
        } finally {
          await Promise.all(trainers.map((trainer) => trainer.destroy()));
        }
      },
    };
  },
};

