// Lab 8: hyperparameter search, random against grid, with the same budget. Adam's learning
// rate and weight decay are searched on log scales for a small MNIST MLP; each search is ONE
// replicated run on the engine (a replica per trial, all stepped together): randomSearch() for
// random, and compile({replicas}) + trainReplicas() + evaluate() for the n×n grid. Both are
// scored on validation images the models never trained on (the training images after the subset).
import { adam, compile, dataset, Linear, logUniform, randomSearch, ReLU, Sequential, trainReplicas, type ArrayDataset } from '../../src/index';
import { numberInput } from './controls';
import type { Lab } from './lab';
import { mnistSubset } from './mnist';
import { plotBox, ScatterChart } from './plots';

/** The searched box: lr and weight decay, both log-uniform. */
const LR: [number, number] = [1e-4, 1];
const WD: [number, number] = [1e-6, 1e-1];
const VALIDATION = 500;
const HIDDEN = 32;
const BATCH = 50;
const SEED = 1;
const COLORS = { random: '#2f6fed', grid: '#e67e22' };

export interface SearchPoint {
  lr: number;
  weightDecay: number;
  /** Validation accuracy in [0, 1]. */
  accuracy: number;
}

export interface SearchResult {
  random: SearchPoint[];
  grid: SearchPoint[];
  seconds: { random: number; grid: number };
}

const mlp = () => new Sequential([new Linear(784, HIDDEN), ReLU(), new Linear(HIDDEN, 10)]);

/** n values evenly spaced on a log scale, each at the centre of its 1/n of [lo, hi] (so the grid spans the same box as the random draws). */
const logSteps = ([lo, hi]: [number, number], n: number) => Array.from({ length: n }, (_, i) => lo * (hi / lo) ** ((i + 0.5) / n));

const best = (points: readonly SearchPoint[]) => points.reduce((a, b) => (b.accuracy > a.accuracy ? b : a));
const describe = (p: SearchPoint) => `lr ${p.lr.toExponential(1)}, wd ${p.weightDecay.toExponential(1)}: ${(100 * p.accuracy).toFixed(1)}%`;

export const searchLab: Lab<SearchResult> = {
  id: 'search',
  title: 'Hyperparameter search: random vs grid',
  explanation:
    'Tune hyperparameters on validation data, never on the test set, and sample them at random rather than on a grid. With the same budget of trials, a 3×3 grid tries only 3 learning rates, while 9 random draws try 9 different ones; since the learning rate matters far more than weight decay here, random search covers the dimension that counts better. Each search below is one replicated run: all its trials train side by side on the GPU.',
  mount({ controls, plots }) {
    const trials = numberInput(controls, 'search', 'trials', 'Trials per search (n² for the n×n grid)', 9, { min: 4, max: 25, step: 1 });
    const epochs = numberInput(controls, 'search', 'epochs', 'Epochs', 2, { min: 1, max: 20, step: 1 });
    const samples = numberInput(controls, 'search', 'samples', 'Training images', 2000, { min: 100, max: 10000, step: 100 });
    const series = [
      { label: 'random', color: COLORS.random },
      { label: 'grid', color: COLORS.grid },
    ];
    const space = plotBox(plots, 'trials tried: learning rate × weight decay', 'search-space', true);
    const spaceChart = new ScatterChart(space.body, { x: 'learning rate', y: 'weight decay', logY: true }, series, 200);
    const scores = plotBox(plots, 'validation accuracy per learning rate', 'search-accuracy', true);
    const scoreChart = new ScatterChart(scores.body, { x: 'learning rate', y: 'validation accuracy', percentY: true }, series, 200);
    return {
      async run({ runtime, status }) {
        const settings = { trials: trials(), epochs: epochs(), samples: samples() };
        const side = Math.round(Math.sqrt(settings.trials));
        if (side * side !== settings.trials) throw new RangeError(`Trials must be a square (4, 9, 16 or 25) for the grid to be n×n, got ${settings.trials}`);
        const { train: all } = await mnistSubset(settings.samples + VALIDATION, 1, status);
        const cut = (from: number, to: number): ArrayDataset<Uint32Array> => dataset(all.x.slice(from * 784, to * 784), all.y.slice(from, to), [784]);
        const train = cut(0, settings.samples);
        const validation = cut(settings.samples, settings.samples + VALIDATION);
        const options = { inputShape: [784], loss: 'crossEntropy' as const, optimizer: adam({ lr: 1e-3 }), batchSize: BATCH, evalBatchSize: VALIDATION, seed: SEED, runtime };
        const progress = (what: string) => (epoch: number) => void status(`${what}: epoch ${epoch} of ${settings.epochs} done`);

        status(`random search: compiling ${settings.trials} replicas…`);
        const random = await randomSearch(mlp(), options, train, validation, {
          space: { lr: logUniform(...LR), weightDecay: logUniform(...WD) },
          trials: settings.trials,
          epochs: settings.epochs,
          seed: SEED,
          onEpochEnd: progress('random search'),
        });
        const randomPoints = random.trials.map((t) => ({ lr: t.lr, weightDecay: t.weightDecay, accuracy: t.validation.accuracy }));
        spaceChart.set([randomPoints.map((p) => [p.lr, p.weightDecay] as const), []]);
        scoreChart.set([randomPoints.map((p) => [p.lr, p.accuracy] as const), []]);

        status(`grid search: compiling ${side}×${side} replicas…`);
        const t0 = performance.now();
        const grid = logSteps(LR, side).flatMap((lr) => logSteps(WD, side).map((weightDecay) => ({ lr, weightDecay })));
        const trainer = await compile(mlp(), { ...options, replicas: grid });
        let gridPoints: SearchPoint[];
        try {
          const everyImage = Uint32Array.from({ length: train.count }, (_, i) => i);
          await trainReplicas(trainer, train, grid.map(() => everyImage), { epochs: settings.epochs, seed: SEED, onEpochEnd: progress('grid search') });
          trainer.eval();
          const evaluation = await trainer.evaluate(validation);
          gridPoints = grid.map((point, r) => ({ ...point, accuracy: evaluation.replicas![r]!.accuracy }));
        } finally {
          await trainer.destroy();
        }
        const gridSeconds = (performance.now() - t0) / 1000;
        spaceChart.set([randomPoints.map((p) => [p.lr, p.weightDecay] as const), gridPoints.map((p) => [p.lr, p.weightDecay] as const)]);
        scoreChart.set([randomPoints.map((p) => [p.lr, p.accuracy] as const), gridPoints.map((p) => [p.lr, p.accuracy] as const)]);
        scores.title.textContent = `best random: ${describe(best(randomPoints))} · best grid: ${describe(best(gridPoints))}`;
        return { random: randomPoints, grid: gridPoints, seconds: { random: random.seconds, grid: gridSeconds } };
      },
    };
  },
};
