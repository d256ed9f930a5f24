// The replica experiments behind `npm run ensembles` (Node): bench/ensembles.ts's bagging
// ensemble, cross-validation and random search on MNIST, each trained as replicas in one
// run; prints a line per experiment and the README's markdown table (--json: one JSON line).
import { ENSEMBLE_DEFAULTS, ensembleMarkdown, runEnsembles, type EnsembleSettings } from '../../bench/ensembles';
import { parseMnist } from '../data/mnist';
import { ShadergradError } from '../gpu/errors';
import { probeAdapterName } from './adapter';
import { readMnistFiles } from './mnist-files';
import type { CliIo } from './train-main';

export const ENSEMBLES_USAGE = 'usage: npm run ensembles -- [--epochs N] [--members N] [--folds N] [--trials N] [--subset N] [--bagging-samples N] [--json]';

export class EnsemblesUsageError extends Error {}

const FLAGS: Record<string, { key: keyof EnsembleSettings; min: number; max: number }> = {
  '--epochs': { key: 'epochs', min: 1, max: 1000 },
  '--members': { key: 'members', min: 2, max: 256 },
  '--folds': { key: 'folds', min: 2, max: 256 },
  '--trials': { key: 'trials', min: 1, max: 256 },
  '--subset': { key: 'subset', min: 100, max: 59_000 },
  '--bagging-samples': { key: 'baggingSamples', min: 100, max: 60_000 },
};

export function parseEnsemblesArgs(argv: readonly string[]): EnsembleSettings & { json: boolean } {
  const args = { ...ENSEMBLE_DEFAULTS, json: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const spec = FLAGS[flag];
    if (flag === '--json') args.json = true;
    else if (spec) {
      const value = argv[++i] ?? '';
      const n = Number(value);
      if (value.trim() === '' || !Number.isInteger(n) || n < spec.min || n > spec.max) {
        throw new EnsemblesUsageError(`${flag} must be an integer in [${spec.min}, ${spec.max}], got "${value}" (${ENSEMBLES_USAGE})`);
      }
      args[spec.key] = n;
    } else throw new EnsemblesUsageError(flag === '--help' || flag === '-h' ? ENSEMBLES_USAGE : `unknown option "${flag}" (${ENSEMBLES_USAGE})`);
  }
  return args;
}

/** Runs the experiments CLI; returns the exit code (0 ok, 1 failure, 2 bad arguments). */
export async function runEnsemblesCli(argv: readonly string[], io: CliIo): Promise<number> {
  let args: ReturnType<typeof parseEnsemblesArgs>;
  try {
    args = parseEnsemblesArgs(argv);
  } catch (error) {
    io.stderr.write(`ensembles: ${(error as Error).message}\n`);
    return 2;
  }
  const log = (line: string) => io.stderr.write(`${line}\n`);
  try {
    const adapter = await probeAdapterName();
    const mnist = parseMnist(readMnistFiles(), { trainCount: Math.max(args.baggingSamples, args.subset + 1000) });
    log(`ensembles: shadergrad on ${adapter}; 784-128-10 ReLU MLPs, Adam lr 1e-3, batch ${args.batch}, ${args.epochs} epochs, trained as replicas`);
    const report = await runEnsembles(mnist.train, mnist.test, args, log);
    log('');
    for (const line of ensembleMarkdown(report, args)) log(line);
    if (args.json) io.stdout.write(`${JSON.stringify({ adapter, settings: args, report })}\n`);
    return 0;
  } catch (error) {
    io.stderr.write(`ensembles: ${error instanceof ShadergradError ? error.message : String((error as Error).stack ?? error)}\n`);
    return 1;
  }
}
