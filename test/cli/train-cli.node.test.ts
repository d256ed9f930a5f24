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
  it('parses --augment, --validation and --early-stopping (which holds out 10% by default)', () => {
    expect(parseTrainArgs(['--augment', 'shift=2,rotate=10,scale=0.9:1.1,noise=0.1,cutout=8,mixup=0.2,cutmix=1'])).toMatchObject({
      augment: { shift: 2, rotate: 10, scale: [0.9, 1.1], noise: 0.1, cutout: 8, mixup: 0.2, cutmix: 1 },
    });
    expect(parseTrainArgs(['--early-stopping', '3'])).toMatchObject({ earlyStopping: 3, validation: 0.1 });
    expect(parseTrainArgs(['--early-stopping', '3', '--validation', '0.25'])).toMatchObject({ earlyStopping: 3, validation: 0.25 });
    expect(parseTrainArgs([])).toMatchObject({ augment: undefined, validation: undefined, earlyStopping: undefined });
  });

  it('parses every option', () => {
    expect(parseTrainArgs(['--model', 'mlp-bn', '--epochs', '2', '--batch', '64', '--optimizer', 'nesterov', '--lr', '0.05', '--seed', '9', '--dawn-events', 'spin', '--json'])).toMatchObject({
      model: 'mlp-bn', epochs: 2, batch: 64, optimizer: 'nesterov', lr: 0.05, seed: 9, dawnEvents: 'spin', json: true,
    });
    expect(parseTrainArgs([]).dawnEvents).toBeUndefined(); // the device's default: paced on CPU adapters
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
    [['--validation', '1'], /--validation must be a fraction in \(0, 1\), got "1"/],
    [['--early-stopping', '0'], /--early-stopping must be a positive integer, got "0"/],
    [['--early-stopping', '2', '--resume', 'x.ckpt'], /--resume and --early-stopping exclude each other/],
    [['--augment', 'shift=2,spin=3'], /--augment: unknown key "spin"/],
    [['--augment', 'rotate=-5'], /--augment rotate must be a number ≥ 0, got "-5"/],
    [['--augment', 'scale=0.9'], /--augment scale must be min:max/],
    [['--augment', 'noise'], /--augment: "noise" is not key=value/],
    [['--augment', 'shift=1,shift=2'], /--augment: shift is given twice/],
    [['--augment', 'shift=1,'], /--augment needs key=value pairs/],
    [['--dawn-events', 'busy'], /--dawn-events must be paced or spin, got "busy"/],
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
    // CI's adapter is a CPU rasterizer, whose Dawn events are paced by default.
    expect(result).toMatchObject({ epochs: 1, submitsPerStep: 1, allocationsPerStep: 0, pipelinesCreatedPerStep: 0, dawnEvents: 'paced' });
    for (const key of ['samplesPerSec', 'stepMs', 'dispatchesPerStep', 'readbacksPerStep', 'gpuBytes']) expect(result[key]).toBeGreaterThan(0);
  });

  it('--validation and --early-stopping: per-epoch validation in the history, the best weights kept', { timeout: 300_000 }, async () => {
    const { io, out, err } = capture();
    // A linear model at lr 0.5 with SGD on 1000 samples: validation loss bottoms out early.
    const argv = ['--model', 'linear', '--limit', '1000', '--epochs', '6', '--batch', '50', '--optimizer', 'sgd', '--lr', '0.5', '--schedule', 'constant'];
    expect(await runTrainCli([...argv, '--validation', '0.2', '--early-stopping', '1', '--json'], io)).toBe(0);
    const result = JSON.parse(out.at(-1)!);
    expect(result.validationSamples).toBe(200);
    expect(result.history.length).toBe(result.epochsTrained);
    for (const e of result.history) expect(e).toMatchObject({ samples: 800, valLoss: expect.any(Number), valAccuracy: expect.any(Number) });
    if (result.stopped === 'earlyStopping') {
      expect(err.join('')).toMatch(/early stopping after epoch \d+; the weights of epoch \d+ are kept/);
      expect(result.epochsTrained).toBe(result.bestEpoch + 1); // patience 1
    } else {
      expect(result).toMatchObject({ stopped: 'completed', epochsTrained: 6 });
    }
    const losses = result.history.map((e: { valLoss: number }) => e.valLoss);
    expect(losses[result.bestEpoch - 1]).toBe(Math.min(...losses));
  });

  it('--augment trains with GPU augmentation (one submit, no allocation per step)', { timeout: 300_000 }, async () => {
    const { io, out, err } = capture();
    const argv = ['--model', 'linear', '--limit', '1280', '--epochs', '1', '--batch', '64', '--augment', 'shift=2,rotate=10,noise=0.1,cutmix=1', '--dawn-events', 'spin', '--json'];
    expect(await runTrainCli(argv, io), err.join('')).toBe(0);
    const result = JSON.parse(out.at(-1)!);
    expect(result.augment).toEqual({ shift: 2, rotate: 10, noise: 0.1, cutmix: 1 });
    expect(result.dawnEvents).toBe('spin');
    expect(err.join('')).toMatch(/augmentation: \{"shift":2,"rotate":10,"noise":0.1,"cutmix":1\}/);
    expect(result).toMatchObject({ submitsPerStep: 1, allocationsPerStep: 0, pipelinesCreatedPerStep: 0 });
    expect(result.testAccuracy).toBeGreaterThan(0.3); // 20 augmented steps of softmax regression: well above chance
  });
});
