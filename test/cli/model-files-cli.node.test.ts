// The CLI's files: --save then --load --epochs 0 gives the same test accuracy; --checkpoint
// then --resume continues bit-identically; bad files exit 1 with one line naming the file.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runTrainCli } from '../../src/cli/train-main';
import { loadSafetensors, readSafetensors } from '../../src/io/safetensors';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t) } } };
}

async function cli(argv: string[]): Promise<Record<string, unknown>> {
  const { io, out, err } = capture();
  const code = await runTrainCli([...argv, '--json'], io);
  expect(code, err.join('')).toBe(0);
  return JSON.parse(out.at(-1)!);
}

const dir = mkdtempSync(join(tmpdir(), 'shadergrad-cli-'));
const QUICK = ['--model', 'mlp-bn', '--limit', '1280', '--batch', '64', '--schedule', 'constant'];

describe('CLI model files', { timeout: 300_000 }, () => {
  it('--save, then --load --epochs 0 reports the same test accuracy and loss', async () => {
    const file = join(dir, 'model.safetensors');
    const trained = await cli([...QUICK, '--epochs', '1', '--save', file]);
    const { tensors, metadata } = readSafetensors(new Uint8Array(readFileSync(file)));
    expect(metadata.model).toBe('mlp-bn');
    expect(tensors.get('2.num_batches_tracked')!.data[0]).toBe(20n); // 1280 / 64 steps
    const loaded = await cli([...QUICK, '--epochs', '0', '--load', file]);
    expect(loaded.testAccuracy).toBe(trained.testAccuracy);
    expect(loaded.testLoss).toBe(trained.testLoss);
    expect(loaded.gpuBytes as number).toBeLessThan(trained.gpuBytes as number);
  });

  it('--checkpoint after epoch 1, then --resume to epoch 2, equals 2 epochs straight', async () => {
    const [straight, resumed, ckpt] = ['straight.safetensors', 'resumed.safetensors', 'run.ckpt'].map((f) => join(dir, f)) as [string, string, string];
    const a = await cli([...QUICK, '--epochs', '2', '--save', straight]);
    await cli([...QUICK, '--epochs', '1', '--checkpoint', ckpt]);
    const b = await cli([...QUICK, '--epochs', '2', '--resume', ckpt, '--save', resumed]);
    expect(b.stepsTrained).toBe(20);
    expect(b.testAccuracy).toBe(a.testAccuracy);
    expect(new Uint8Array(readFileSync(resumed))).toEqual(new Uint8Array(readFileSync(straight)));
  });

  it.each([
    [['--epochs', '0', '--load', '/nonexistent/m.safetensors'], /^train: --load \/nonexistent\/m\.safetensors: cannot read the file \(ENOENT\)\n$/],
    [['--epochs', '0', '--load', 'CORRUPT'], /^train: .*header/],
    [['--epochs', '0', '--model', 'cnn', '--load', 'MODEL'], /^train: loadStateDict: error\(s\) loading the state dict:; missing key\(s\).*; size mismatch for 1\.weight.*\n$/],
    [['--epochs', '1', '--resume', 'MODEL'], /^train: restore: not a shadergrad checkpoint/],
  ])('%j exits 1 with a readable error', async (argv, message) => {
    const model = join(dir, 'model.safetensors');
    const corrupt = join(dir, 'corrupt.safetensors');
    writeFileSync(corrupt, new Uint8Array([255, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3]));
    const { io, err } = capture();
    const args = argv.map((a) => (a === 'CORRUPT' ? corrupt : a === 'MODEL' ? model : a));
    expect(await runTrainCli([...QUICK, ...args], io)).toBe(1);
    const errors = err.filter((line) => line.startsWith('train:'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(message);
    expect(errors[0]!.trimEnd()).not.toContain('\n'); // one line
    expect(loadSafetensors(new Uint8Array(readFileSync(model))).size).toBeGreaterThan(0); // written by the first test
  });
});
