// The overfitting experiment behind `npm run overfit` (Node): bench/overfit.ts's deep MLP on
// 300 MNIST samples, once per regularizer; prints train/test accuracy as it goes, a summary
// table, and with --json one JSON line with every curve.
import { OVERFIT_DEFAULTS, runVariant, VARIANTS, type VariantResult } from '../../bench/overfit';
import { parseMnist } from '../data/mnist';
import { ShadergradError } from '../gpu/errors';
import { probeAdapterName } from './adapter';
import { readMnistFiles } from './mnist-files';
import type { CliIo } from './train-main';

export const OVERFIT_USAGE = `usage: npm run overfit -- [--epochs N] [--only ${VARIANTS.map((v) => v.name).join(',')}] [--test-samples N] [--json]`;

export interface OverfitArgs {
  epochs: number;
  only: string[];
  /** Test samples evaluated at every measurement: the first N of MNIST's 10,000 (all by default). */
  testSamples: number;
  json: boolean;
}

export class OverfitUsageError extends Error {}

export function parseOverfitArgs(argv: readonly string[]): OverfitArgs {
  const args: OverfitArgs = { epochs: OVERFIT_DEFAULTS.epochs, only: VARIANTS.map((v) => v.name), testSamples: 10_000, json: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === '--json') args.json = true;
    else if (flag === '--epochs' || flag === '--test-samples') {
      const value = argv[++i] ?? '';
      const n = Number(value);
      const most = flag === '--epochs' ? Infinity : 10_000;
      if (value.trim() === '' || !Number.isInteger(n) || n < 1 || n > most) {
        const allowed = flag === '--epochs' ? 'a positive integer' : `an integer in [1, ${most}]`;
        throw new OverfitUsageError(`${flag} must be ${allowed}, got "${value}" (${OVERFIT_USAGE})`);
      }
      if (flag === '--epochs') args.epochs = n;
      else args.testSamples = n;
    } else if (flag === '--only') {
      const names = (argv[++i] ?? '').split(',');
      const unknown = names.filter((n) => !VARIANTS.some((v) => v.name === n));
      if (unknown.length) throw new OverfitUsageError(`--only: unknown variant "${unknown[0]}" (${OVERFIT_USAGE})`);
      args.only = names;
    } else throw new OverfitUsageError(flag === '--help' || flag === '-h' ? OVERFIT_USAGE : `unknown option "${flag}" (${OVERFIT_USAGE})`);
  }
  return args;
}

const pct = (x: number) => (100 * x).toFixed(2);

/** The summary table: final train and test accuracy, the gap, and how much of the plain gap each variant closes. */
export function summaryTable(results: readonly VariantResult[]): string[] {
  const plain = results.find((r) => r.variant.name === 'none');
  const lines = ['variant        train %   test %   gap (pt)   gap closed   best test %   s'];
  for (const r of results) {
    const closed = plain && r !== plain ? `${(plain.gap - r.gap).toFixed(1).padStart(9)} pt` : '        —   ';
    lines.push(
      `${r.variant.name.padEnd(13)} ${pct(r.final.trainAccuracy).padStart(8)} ${pct(r.final.testAccuracy).padStart(8)} ${r.gap.toFixed(1).padStart(10)} ${closed} ${pct(r.bestTestAccuracy).padStart(13)} ${r.seconds.toFixed(0).padStart(4)}`,
    );
  }
  return lines;
}

/** Runs the experiment CLI; returns the exit code (0 ok, 1 failure, 2 bad arguments). */
export async function runOverfitCli(argv: readonly string[], io: CliIo): Promise<number> {
  let args: OverfitArgs;
  try {
    args = parseOverfitArgs(argv);
  } catch (error) {
    io.stderr.write(`overfit: ${(error as Error).message}\n`);
    return 2;
  }
  const log = (line: string) => io.stderr.write(`${line}\n`);
  try {
    const adapter = await probeAdapterName();
    const mnist = parseMnist(readMnistFiles(), { trainCount: OVERFIT_DEFAULTS.trainSamples, testCount: args.testSamples, normalization: 'unit' });
    const settings = { ...OVERFIT_DEFAULTS, epochs: args.epochs };
    log(
      `overfit: shadergrad on ${adapter}; ${mnist.train.count} MNIST training samples, ${mnist.test.count} test samples; ` +
        `784-100×6-10 ReLU MLP, SGD lr ${settings.lr}, batch ${settings.batch}, ${settings.epochs} epochs`,
    );
    const results: VariantResult[] = [];
    for (const variant of VARIANTS.filter((v) => args.only.includes(v.name))) {
      log(`\n${variant.name}: ${variant.what}`);
      results.push(
        await runVariant(variant, mnist, settings, (p) => log(`  epoch ${String(p.epoch).padStart(4)}: train ${pct(p.trainAccuracy)}%, test ${pct(p.testAccuracy)}%, loss ${p.trainLoss.toFixed(4)}`)),
      );
    }
    log('');
    for (const line of summaryTable(results)) log(line);
    if (args.json) io.stdout.write(`${JSON.stringify({ adapter, settings, results })}\n`);
    return 0;
  } catch (error) {
    io.stderr.write(`overfit: ${error instanceof ShadergradError ? error.message : String((error as Error).stack ?? error)}\n`);
    return 1;
  }
}
