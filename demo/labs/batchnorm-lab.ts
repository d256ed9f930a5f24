// Lab 4: batch normalization on and off across initial weight scales. A 784-100×4-10 ReLU
// MLP (weights N(0, σ²) through the layers' weightInit, biases 0) is compiled with and without
// BatchNorm1d after every hidden Linear, for each σ; all of them train with plain SGD on the
// same MNIST batches, stepped in turn, and each one's loss curve is drawn (BN solid, no BN dashed).
import { BatchNorm1d, Batcher, compile, Linear, ReLU, Sequential, sgd, type Module, type Trainer } from '../../src/index';
import { numberInput } from './controls';
import type { Lab } from './lab';
import { mnistSubset } from './mnist';
import { LineChart, plotBox } from './plots';

const HIDDEN = [100, 100, 100, 100];
const SIGMAS = [0.01, 0.1, 1] as const;
const COLORS = ['#2f6fed', '#1e9e5a', '#cf222e'];
const BATCH = 50;
const SEED = 1;
const TITLE = 'training loss (cross-entropy; chance 2.30): BN solid, no BN dashed';

export interface BatchnormRun {
  sigma: number;
  batchNorm: boolean;
  /** Mean training loss of each logged window of steps; null where it was not finite (diverged). */
  losses: (number | null)[];
}

export interface BatchnormResult {
  steps: number[];
  runs: BatchnormRun[];
}

function mlp(sigma: number, batchNorm: boolean): Module {
  const init = { weightInit: { kind: 'normal', std: sigma } as const, biasInit: { kind: 'zeros' } as const };
  const widths = [784, ...HIDDEN];
  const hidden = HIDDEN.flatMap((units, k) => [new Linear(widths[k]!, units, init), ...(batchNorm ? [BatchNorm1d(units)] : []), ReLU()]);
  return new Sequential([...hidden, new Linear(HIDDEN.at(-1)!, 10, init)]);
}

const finite = (x: number) => (Number.isFinite(x) ? x : null);

export const batchnormLab: Lab<BatchnormResult> = {
  id: 'batchnorm',
  title: 'Batch normalization on and off',
  explanation:
    'Batch normalization standardizes every unit over the mini-batch (then scales and shifts it by a learned γ and β), so each layer sees inputs of the same spread whatever the weights do. Without it, a deep ReLU network learns only when its initial weight scale σ is about right: too small and the signal vanishes layer by layer and training stalls, too large and it explodes (here, at σ = 1, the loss overflows). With it, learning is fast at every σ.',
  mount({ controls, plots }) {
    const steps = numberInput(controls, 'batchnorm', 'steps', 'Steps (SGD, batch 50)', 100, { min: 10, max: 2000, step: 10 });
    const lr = numberInput(controls, 'batchnorm', 'lr', 'Learning rate', 0.1, { min: 0.0001, max: 1 });
    const samples = numberInput(controls, 'batchnorm', 'samples', 'Training images', 2000, { min: 100, max: 20000, step: 100 });
    const every = numberInput(controls, 'batchnorm', 'every', 'Loss logged every … steps', 10, { min: 1, max: 100, step: 1 });
    const box = plotBox(plots, TITLE, 'batchnorm-loss', true);
    const series = SIGMAS.flatMap((sigma, k) => [
      { label: `σ ${sigma}, BN`, color: COLORS[k]! },
      { label: `σ ${sigma}, no BN`, color: COLORS[k]!, dash: [6, 4] },
    ]);
    const chart = new LineChart(box.body, { x: 'step', y: 'loss', logY: true }, series, 260);
    return {
      async run({ runtime, status }) {
        const settings = { steps: steps(), lr: lr(), samples: samples(), every: every() };
        const { train } = await mnistSubset(settings.samples, 1, status);
        const trainers: { run: BatchnormRun; trainer: Trainer }[] = [];
        try {
          for (const sigma of SIGMAS) {
            for (const batchNorm of [true, false]) {
              status(`compiling σ ${sigma}${batchNorm ? ' with' : ' without'} BN…`);
              const trainer = await compile(mlp(sigma, batchNorm), { inputShape: [784], loss: 'crossEntropy', optimizer: sgd({ lr: settings.lr }), batchSize: BATCH, seed: SEED, runtime });
              trainers.push({ run: { sigma, batchNorm, losses: [] }, trainer });
            }
          }
          // One shuffle for all: every model sees the same batches in the same order.
          const batcher = new Batcher(train, BATCH, { seed: SEED });
          const logged: number[] = [];
          for (let s = 1; s <= settings.steps; s++) {
            const b = (s - 1) % batcher.batchesPerEpoch;
            if (b === 0) batcher.startEpoch();
            const batch = batcher.fill(b);
            for (const { trainer } of trainers) trainer.step(batch.x, batch.y);
            await trainers.at(-1)!.trainer.throttle();
            if (s % settings.every === 0 || s === settings.steps) {
              logged.push(s);
              for (const { run, trainer } of trainers) {
                run.losses.push(finite((await trainer.flushMetrics()).loss));
                trainer.resetMetrics();
              }
              chart.set(logged, trainers.map(({ run }) => run.losses));
              status(`step ${s} of ${settings.steps}`);
            }
          }
          const diverged = trainers.filter(({ run }) => run.losses.at(-1) === null).map(({ run }) => `σ ${run.sigma}${run.batchNorm ? ' with' : ' without'} BN`);
          box.title.textContent = `${TITLE}${diverged.length ? `; diverged (loss not finite, not drawn): ${diverged.join(', ')}` : ''}`;
          return { steps: logged, runs: trainers.map(({ run }) => run) };
        } finally {
          await Promise.all(trainers.map(({ trainer }) => trainer.destroy()));
        }
      },
    };
  },
};
