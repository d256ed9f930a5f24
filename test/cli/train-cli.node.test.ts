// The trainer CLI: argument validation (one clear line, exit 2), missing data (exit 1), and a
// short real run whose --json line carries the documented fields.
import { describe, expect, it } from 'vitest';
import { parseTrainArgs } from '../../src/cli/args';
import { runTrainCli } from '../../src/cli/train-main';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t) } }, out, err };
}

describe('train CLI arguments', () => {
  it('parses every option', () => {
    expect(parseTrainArgs(['--model', 'mlp-bn', '--epochs', '2', '--batch', '64', '--optimizer', 'nesterov', '--lr', '0.05', '--seed', '9', '--json'])).toMatchObject({
      model: 'mlp-bn', epochs: 2, batch: 64, optimizer: 'nesterov', lr: 0.05, seed: 9, json: true,
    });
  });

  it.each([
    [['--optimizer', 'lbfgs'], /unknown optimizer "lbfgs"/],
    [['--lr', '0'], /--lr must be a number > 0, got "0"/],
    [['--lr', '-1'], /--lr must be a number > 0/],
    [['--batch', '0'], /--batch must be a positive integer, got "0"/],
    [['--epochs', 'x'], /--epochs must be an integer ≥ 0/],
    [['--frobnicate'], /unknown option "--frobnicate"/],
    [['--lr'], /--lr needs a value/],
    [['--seed', '-1'], /--seed must be an integer in \[0, 4294967295\]/],
  ])('%j exits 2 with one line', async (argv, message) => {
    const { io, err } = capture();
    expect(await runTrainCli(argv, io)).toBe(2);
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(message);
  });

  it('missing data files exit 1 naming the file', async () => {
    const { io, err } = capture();
    expect(await runTrainCli(['--data', '/nonexistent'], io)).toBe(1);
    expect(err.join('')).toMatch(/train: MNIST file train-images-idx3-ubyte is missing in \/nonexistent/);
  });

  it('a short run prints the JSON summary with per-step counters', { timeout: 300_000 }, async () => {
    const { io, out } = capture();
    expect(await runTrainCli(['--model', 'linear', '--limit', '2560', '--epochs', '1', '--batch', '64', '--json'], io)).toBe(0);
    const result = JSON.parse(out.at(-1)!);
    expect(result.testAccuracy).toBeGreaterThan(0.6); // softmax regression after 40 steps: ~74% measured
    expect(result).toMatchObject({ epochs: 1, submitsPerStep: 1, allocationsPerStep: 0, pipelinesCreatedPerStep: 0 });
    for (const key of ['samplesPerSec', 'stepMs', 'dispatchesPerStep', 'readbacksPerStep', 'gpuBytes']) expect(result[key]).toBeGreaterThan(0);
  });
});
