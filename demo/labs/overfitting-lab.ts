// Lab 3: overfitting and regularization. bench/overfit.ts's experiment on the page, shortened
// for SwiftShader (batch 50, lr 0.05, 10 epochs instead of batch 100, lr 0.01, 200): its deep
// MLP (784-100×6-10 ReLU, He init, plain SGD) trained on 300 MNIST images, once per regularizer
// of its VARIANTS (weight decay and dropout at the strengths the controls give), each seeded
// alike; train accuracy (eval mode, the clean training images) and test accuracy are measured
// every few epochs by runVariant() and drawn in one small chart per variant, with a final table.
import { OVERFIT_DEFAULTS, runVariant, VARIANTS, type Variant } from '../../bench/overfit';
import { checkbox, numberInput } from './controls';
import type { Lab } from './lab';
import { mnistSubset } from './mnist';
import { el } from './page';
import { OverfittingView, type VariantCurve } from './overfitting-view';

/** Test images every measurement scores (the first of MNIST's test set). */
const TEST_IMAGES = 1000;
/** Half the bench's batch: twice the SGD steps per epoch, so the plain net memorizes in ~10 epochs (SwiftShader's budget). */
const BATCH = 50;

export interface OverfittingResult {
  settings: { epochs: number; trainSamples: number; lr: number; weightDecay: number; dropout: number; every: number; batch: number; testImages: number };
  /** The variants that ran, in page order. */
  variants: VariantCurve[];
}

/** The checkboxes' names of bench/overfit.ts's variants. */
const SHORT: Record<string, string> = { none: 'no regularization', 'weight-decay': 'weight decay', dropout: 'dropout', augment: 'augmentation', batchnorm: 'batch norm' };

/** Short names for the charts and the table (the strengths are the controls'). */
function label(variant: Variant): string {
  if (variant.weightDecay) return `weight decay λ = ${variant.weightDecay}`;
  if (variant.dropout) return `dropout p = ${variant.dropout}`;
  if (variant.augment) return 'augmentation (shift, rotate, scale)';
  return variant.batchNorm ? 'batch norm' : 'no regularization';
}

export const overfittingLab: Lab<OverfittingResult> = {
  id: 'overfitting',
  title: 'Overfitting and regularization',
  explanation:
    'Trained on only 300 images, a deep MLP memorizes them: its train accuracy nears 100% while its test accuracy lags far behind. Weight decay (gradient + λW), dropout (random units off in training, an implicit ensemble) and augmentation (shifted, rotated, scaled copies) each shrink that gap, in a run this short mostly by fitting the training images less rather than by raising test accuracy. Batch normalization fits faster still and is no regularizer here: its gap is the widest.',
  mount({ controls, plots }) {
    const epochs = numberInput(controls, 'overfitting', 'epochs', 'Epochs (SGD, batch 50)', 10, { min: 1, max: 500, step: 1 });
    const samples = numberInput(controls, 'overfitting', 'samples', 'Training images', 300, { min: 100, max: 5000, step: 100 });
    const lr = numberInput(controls, 'overfitting', 'lr', 'Learning rate', 0.05, { min: 0.0001, max: 1 });
    const every = numberInput(controls, 'overfitting', 'every', 'Accuracy measured every … epochs', 2, { min: 1, max: 100, step: 1 });
    const weightDecay = numberInput(controls, 'overfitting', 'weight-decay', 'Weight decay λ', 0.1, { min: 0.0001, max: 1 });
    const dropout = numberInput(controls, 'overfitting', 'dropout', 'Dropout p', 0.2, { min: 0.05, max: 0.9 });
    controls.appendChild(el('span', 'overfitting-variants')).textContent = 'Variants to train';
    const enabled = VARIANTS.map((v) => ({ variant: v, on: checkbox(controls, 'overfitting', `use-${v.name}`, SHORT[v.name] ?? v.name, true) }));
    const view = new OverfittingView(plots, VARIANTS.map((v) => v.name));
    return {
      async run({ runtime, status }) {
        const settings = { epochs: epochs(), trainSamples: samples(), lr: lr(), weightDecay: weightDecay(), dropout: dropout(), every: every(), batch: BATCH, testImages: TEST_IMAGES };
        const chosen = enabled
          .filter((e) => e.on())
          .map(({ variant }) => ({ ...variant, ...(variant.weightDecay ? { weightDecay: settings.weightDecay } : {}), ...(variant.dropout ? { dropout: settings.dropout } : {}) }));
        if (chosen.length === 0) throw new RangeError('Choose at least one variant to run');
        const data = await mnistSubset(settings.trainSamples, TEST_IMAGES, status);
        view.reset(VARIANTS.map((v) => (chosen.some((c) => c.name === v.name) ? label(chosen.find((c) => c.name === v.name)!) : `${SHORT[v.name]}: not run (unchecked)`)));
        const variants: VariantCurve[] = [];
        for (const variant of chosen) {
          const curve: VariantCurve = { name: variant.name, label: label(variant), epochs: [], train: [], test: [], trainAccuracy: 0, testAccuracy: 0, gap: 0, seconds: 0 };
          status(`${curve.label}: compiling…`);
          const result = await runVariant(variant, data, { ...settings, seed: OVERFIT_DEFAULTS.seed }, (point) => {
            curve.epochs.push(point.epoch);
            curve.train.push(point.trainAccuracy);
            curve.test.push(point.testAccuracy);
            view.draw(curve);
            status(`${curve.label}: epoch ${point.epoch} of ${settings.epochs}`);
          }, runtime);
          Object.assign(curve, { trainAccuracy: result.final.trainAccuracy, testAccuracy: result.final.testAccuracy, gap: result.final.trainAccuracy - result.final.testAccuracy, seconds: result.seconds });
          variants.push(curve);
          view.draw(curve, true);
          view.table(variants);
        }
        return { settings, variants };
      },
    };
  },
};
