// Lab 6: an MLP against a small CNN on MNIST. Both are the trainer page's models (buildModel in
// ../controls.ts), take [1, 28, 28] images, and train one after the other with Adam on the same
// batches (one Batcher seed); each is scored on the same test images twice within the first
// epoch and after every epoch, and its parameters and training time per epoch
// (evaluations left out) go in a table.
import { adam, Batcher, compile, type LabeledData, type Trainer } from '../../src/index';
import { buildModel, type ModelSettings } from '../controls';
import { checkbox, numberInput, select } from './controls';
import type { Lab } from './lab';
import { mnistSubset } from './mnist';
import { el, tableRow } from './page';
import { LineChart, plotBox } from './plots';

const SEED = 1;
const COLORS = { mlp: '#e67e22', cnn: '#2f6fed' };
/** Within the first epoch the curve rises fastest: extra test points at these fractions of it. */
const EARLY = [0.25, 0.5];
const LAYOUTS = [
  ['128', '784-128-10'],
  ['256,128', '784-256-128-10'],
  ['512,256', '784-512-256-10'],
] as const;
type Layout = (typeof LAYOUTS)[number][0];

/** One model's run. */
export interface CnnModelRun {
  /** e.g. "MLP 784-256-128-10" or "CNN 4-8 ch". */
  name: string;
  parameters: number;
  /** Where the test accuracy was taken, in epochs (the fractions within the first epoch). */
  epochs: number[];
  /** Test accuracy in [0, 1] at each of `epochs`. */
  accuracy: number[];
  /** Training time of each epoch in seconds (GPU work waited for, evaluations left out). */
  epochSeconds: number[];
  /** Mean of epochSeconds. */
  secondsPerEpoch: number;
}

export interface CnnResult {
  trainImages: number;
  testImages: number;
  mlp: CnnModelRun;
  cnn: CnnModelRun;
}

const settings = (arch: 'mlp' | 'cnn', hidden: number[], channels: [number, number], batchnorm = false): ModelSettings => ({ arch, hidden, activation: 'relu', init: 'he', channels, dropout: 0, batchnorm });

const count = (trainer: Trainer) => trainer.parameterShapes.reduce((sum, { shape }) => sum + shape.reduce((a, b) => a * b, 1), 0);

export const cnnLab: Lab<CnnResult> = {
  id: 'cnn',
  title: 'MLP vs CNN',
  explanation:
    'A convolution slides the same small filters over every position of the image, so what it learns about a stroke in one place applies everywhere, and it keeps the image 2-D, so neighbouring pixels are read together. A plain network sees 784 unrelated inputs and must learn each position on its own. So on the same images and batches the small CNN reaches a higher test accuracy than the MLP, and at the defaults with half its parameters.',
  mount({ controls, plots }) {
    const epochs = numberInput(controls, 'cnn', 'epochs', 'Epochs (Adam)', 4, { min: 1, max: 20, step: 1 });
    const trainCount = numberInput(controls, 'cnn', 'samples', 'Training images', 1500, { min: 100, max: 60000, step: 100 });
    const testCount = numberInput(controls, 'cnn', 'test', 'Test images', 1000, { min: 100, max: 10000, step: 100 });
    const batch = numberInput(controls, 'cnn', 'batch', 'Batch size', 20, { min: 1, max: 500, step: 1 });
    const lr = numberInput(controls, 'cnn', 'lr', 'Learning rate', 0.002, { min: 0.00001, max: 0.1 });
    const layout = select<Layout>(controls, 'cnn', 'hidden', 'MLP hidden layers', LAYOUTS, '128');
    const conv1 = numberInput(controls, 'cnn', 'conv1', 'CNN conv 1 channels', 4, { min: 1, max: 64, step: 1 });
    const conv2 = numberInput(controls, 'cnn', 'conv2', 'CNN conv 2 channels', 8, { min: 1, max: 64, step: 1 });
    const bn = checkbox(controls, 'cnn', 'bn', 'CNN batch norm (slow on SwiftShader)', false);

    const curves = plotBox(plots, 'test accuracy', 'cnn-accuracy', true);
    const chart = new LineChart(curves.body, { x: 'epoch', y: 'test accuracy (%)' }, [
      { label: 'MLP', color: COLORS.mlp },
      { label: 'CNN', color: COLORS.cnn },
    ], 240);
    const numbers = plotBox(plots, 'the two models', 'cnn-table', true);
    const table = numbers.body.appendChild(el('table', 'numbers'));
    table.createTHead().append(tableRow('th', ['model', 'parameters', 's per epoch', 'final test acc.']));
    const rows = table.createTBody();

    return {
      async run({ runtime, status }) {
        const s = { epochs: epochs(), trainCount: trainCount(), testCount: testCount(), lr: lr(), batch: batch(), hidden: layout().split(',').map(Number), channels: [conv1(), conv2()] as [number, number], bn: bn() };
        if (s.batch > s.trainCount) throw new RangeError(`Batch size ${s.batch} exceeds the ${s.trainCount} training images`);
        const { train, test } = await mnistSubset(s.trainCount, s.testCount, status);
        const models = [
          { key: 'mlp' as const, name: `MLP 784-${[...s.hidden, 10].join('-')}`, model: settings('mlp', s.hidden, [0, 0]) },
          { key: 'cnn' as const, name: `CNN ${s.channels.join('-')} ch${s.bn ? ' (BN)' : ''}`, model: settings('cnn', [], s.channels, s.bn) },
        ];
        const runs: Partial<Record<'mlp' | 'cnn', CnnModelRun>> = {};
        const draw = () => {
          // The MLP trains first and both log at the same points: its x values hold the CNN's too.
          const xs = runs.mlp?.epochs ?? [];
          const percent = (run?: CnnModelRun) => xs.map((_, i) => (run && i < run.accuracy.length ? 100 * run.accuracy[i]! : null));
          chart.set(xs, [percent(runs.mlp), percent(runs.cnn)]);
          rows.replaceChildren(
            ...models.map(({ key, name }) => {
              const run = runs[key];
              return tableRow('td', [name, run ? run.parameters.toLocaleString('en-US') : '', run?.secondsPerEpoch ? run.secondsPerEpoch.toFixed(1) : '', run?.accuracy.length ? `${(100 * run.accuracy.at(-1)!).toFixed(1)}%` : '']);
            }),
          );
        };
        curves.title.textContent = 'test accuracy';
        draw();
        for (const { key, name, model } of models) {
          status(`${name}: compiling…`);
          const trainer = await compile(buildModel(model), { inputShape: [1, 28, 28], loss: 'crossEntropy', optimizer: adam({ lr: s.lr }), batchSize: s.batch, evalBatchSize: Math.min(s.testCount, 1000), seed: SEED, runtime });
          try {
            const run: CnnModelRun = { name, parameters: count(trainer), epochs: [], accuracy: [], epochSeconds: [], secondsPerEpoch: 0 };
            runs[key] = run;
            await trainModel(trainer, run, train, test, s.epochs, s.batch, (text) => status(`${name}: ${text}`), draw);
          } finally {
            await trainer.destroy();
          }
        }
        const final = (run: CnnModelRun) => `${(100 * run.accuracy.at(-1)!).toFixed(1)}%`;
        curves.title.textContent = `test accuracy on ${s.testCount} test images after ${s.epochs} epochs: MLP ${final(runs.mlp!)}, CNN ${final(runs.cnn!)}`;
        return { trainImages: s.trainCount, testImages: s.testCount, mlp: runs.mlp!, cnn: runs.cnn! };
      },
    };
  },
};

/** Trains `trainer` for `epochs` on the lab's batches, filling `run` with test accuracies and the time per epoch. */
async function trainModel(trainer: Trainer, run: CnnModelRun, train: LabeledData, test: LabeledData, epochs: number, batchSize: number, status: (text: string) => void, draw: () => void): Promise<void> {
  // The same seed for both models: the same shuffles, so the same batches in the same order.
  const batcher = new Batcher(train, batchSize, { seed: SEED });
  const steps = batcher.batchesPerEpoch;
  const early = new Set(EARLY.map((f) => Math.round(f * steps)).filter((b) => b > 0 && b < steps));
  const score = async (epoch: number) => {
    trainer.eval();
    const { accuracy } = await trainer.evaluate(test).finally(() => trainer.train());
    run.epochs.push(epoch);
    run.accuracy.push(accuracy);
    draw();
  };
  for (let epoch = 1; epoch <= epochs; epoch++) {
    batcher.startEpoch();
    let trainingMs = 0;
    let since = performance.now();
    for (let b = 0; b < steps; b++) {
      const batch = batcher.fill(b);
      trainer.step(batch.x, batch.y);
      await trainer.throttle();
      const done = b + 1;
      if (done % 10 === 0) status(`epoch ${epoch} of ${epochs}, step ${done} of ${steps}`);
      if (done === steps || (epoch === 1 && early.has(done))) {
        await trainer.sync(); // the steps' GPU work counts, the evaluation's does not
        trainingMs += performance.now() - since;
        await score(epoch - 1 + done / steps);
        since = performance.now();
      }
    }
    run.epochSeconds.push(trainingMs / 1000);
    run.secondsPerEpoch = run.epochSeconds.reduce((a, b) => a + b) / epoch;
    draw();
  }
}
