// The trainer CLI's failures: each is one "train: …" line on stderr, exit 2 for bad arguments
// and 1 for failures while running (bad data, unreadable or mismatched model files). Runs on
// small synthetic MNIST files in a temporary folder, so nothing big is read.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTrainCli } from '../../src/cli/train-main';
import { MNIST_FILE_NAMES } from '../../src/data/mnist';
import { saveSafetensors } from '../../src/io/safetensors';

function idx(dims: number[], data: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, 0x0800 | dims.length);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  bytes.set(data, 4 + 4 * dims.length);
  return bytes;
}

const images = (n: number) => idx([n, 28, 28], Uint8Array.from({ length: n * 784 }, (_, i) => (i * 7) % 256));
const labels = (n: number, top = 9) => idx([n], Uint8Array.from({ length: n }, (_, i) => i % (top + 1)));

let root: string;
/** Writes a data folder with the four files (any of them replaced) and returns its path. */
function dataDir(name: string, replace: Partial<Record<keyof typeof MNIST_FILE_NAMES, Uint8Array | 'folder'>> = {}): string {
  const dir = join(root, name);
  mkdirSync(dir);
  const files = { trainImages: images(64), trainLabels: labels(64), testImages: images(16), testLabels: labels(16), ...replace };
  for (const [key, bytes] of Object.entries(files)) {
    const path = join(dir, MNIST_FILE_NAMES[key as keyof typeof MNIST_FILE_NAMES]);
    if (bytes === 'folder') mkdirSync(path);
    else writeFileSync(path, bytes);
  }
  return dir;
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'shadergrad-cli-'));
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runTrainCli(argv, { stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t) } });
  return { code, err: err.join(''), out: out.join('') };
}

/** stderr is exactly one "train: …" line matching `message`. */
function expectOneLine(stderr: string, message: RegExp): void {
  expect(stderr.endsWith('\n')).toBe(true);
  expect(stderr.slice(0, -1)).not.toContain('\n');
  expect(stderr).toMatch(/^train: /);
  expect(stderr).toMatch(message);
}

describe('bad arguments: exit 2, one line', () => {
  it.each([
    [['--batch', '1.5'], /--batch must be a positive integer, got "1\.5"/],
    [['--model', 'resnet'], /unknown model "resnet"/],
    [['--normalize', 'zscore'], /--normalize must be standardize or unit, got "zscore"/],
    [['--schedule', 'linear'], /--schedule must be cosine, step or constant, got "linear"/],
    [['--lr', 'NaN'], /--lr must be a number > 0, got "NaN"/],
    [['--load', 'a', '--resume', 'b'], /--load and --resume exclude each other/],
  ])('%j', async (argv, message) => {
    const { code, err } = await run(argv);
    expect(code).toBe(2);
    expectOneLine(err, message);
  });
});

describe('failures while running: exit 1, one line', () => {
  it('a label that is not a digit', async () => {
    const { code, err } = await run(['--data', dataDir('label10', { testLabels: labels(16, 10) }), '--epochs', '0']);
    expect(code).toBe(1);
    expectOneLine(err, /MNIST test labels: label 10 at 10 is not a digit/);
  });

  it('a truncated image file', async () => {
    const { code, err } = await run(['--data', dataDir('truncated', { trainImages: images(64).subarray(0, 1000) }), '--epochs', '0']);
    expect(code).toBe(1);
    expectOneLine(err, /MNIST train images: header says shape \[64, 28, 28\]/);
  });

  it('--batch larger than the training samples', async () => {
    const { code, err } = await run(['--data', dataDir('few'), '--batch', '128', '--model', 'linear']);
    expect(code).toBe(1);
    expectOneLine(err, /Batcher: batchSize must be at most the 64 samples of the data, got 128/);
  });

  it('--load of a missing file', async () => {
    const { code, err } = await run(['--data', dataDir('load-missing'), '--epochs', '0', '--model', 'linear', '--load', join(root, 'nope.safetensors')]);
    expect(code).toBe(1);
    expectOneLine(err, /--load .*nope\.safetensors: cannot read the file \(ENOENT\)/);
  });

  it('--load of a file that is not safetensors', async () => {
    const path = join(root, 'garbage.safetensors');
    writeFileSync(path, 'not a model');
    const { code, err } = await run(['--data', dataDir('load-garbage'), '--epochs', '0', '--model', 'linear', '--load', path]);
    expect(code).toBe(1);
    expectOneLine(err, /safetensors/);
  });

  it('--resume of a model file (not a checkpoint)', async () => {
    const path = join(root, 'weights.safetensors');
    writeFileSync(path, saveSafetensors(new Map([['0.weight', { shape: [1], data: new Float32Array(1) }]])));
    const { code, err } = await run(['--data', dataDir('resume-model'), '--epochs', '1', '--batch', '32', '--model', 'linear', '--resume', path]);
    expect(code).toBe(1);
    expectOneLine(err, /restore: not a shadergrad checkpoint/);
  });

  it('--save into a folder that does not exist, after training', async () => {
    const path = join(root, 'no-such-folder', 'model.safetensors');
    const { code, err } = await run(['--data', dataDir('save'), '--epochs', '1', '--batch', '32', '--model', 'linear', '--save', path]);
    expect(code).toBe(1);
    expect(err.trimEnd().split('\n').at(-1)).toMatch(/^train: --save .*model\.safetensors: cannot write the file \(ENOENT\)$/);
  });

  const wrongWeights = () => {
    const path = join(root, `mlp-${Math.random().toString(36).slice(2)}.safetensors`);
    // Weights of a model with another first layer: several problems at once.
    writeFileSync(path, saveSafetensors(new Map([
      ['1.weight', { shape: [10, 100], data: new Float32Array(1000) }],
      ['1.bias', { shape: [10], data: new Float32Array(10) }],
      ['extra', { shape: [1], data: new Float32Array(1) }],
    ])));
    return path;
  };

  it('--load of weights for another model: exit 1 naming every problem', async () => {
    const { code, err } = await run(['--data', dataDir('load-wrong'), '--epochs', '0', '--model', 'linear', '--load', wrongWeights()]);
    expect(code).toBe(1);
    expect(err).toMatch(/^train: loadStateDict: error\(s\) loading the state dict/);
    expect(err).toMatch(/size mismatch for 1\.weight: copying a tensor of shape \[10, 100\]/);
    expect(err).toMatch(/unexpected key\(s\): "extra"/);
  });

  // A StateDictError lists one problem per line by design; the CLI joins them ("; ") into its
  // one line (train-main.ts oneLine), so scripts that read stderr line by line see one failure.
  it('--load of weights for another model is one line', async () => {
    const { err } = await run(['--data', dataDir('load-wrong-line'), '--epochs', '0', '--model', 'linear', '--load', wrongWeights()]);
    expectOneLine(err, /loadStateDict: error\(s\) loading the state dict:; unexpected key\(s\): "extra"; size mismatch for 1\.weight/);
  });

  it('a data file that cannot be read (a folder) is still one line', async () => {
    const { code, err } = await run(['--data', dataDir('folder-line', { testImages: 'folder' }), '--epochs', '0']);
    expect(code).toBe(1);
    expectOneLine(err, /EISDIR/);
  });

  // Fixed bug, kept as a regression test (src/cli/mnist-files.ts); it was: an unreadable data file (here a folder) is a plain Node error,
  // not a ShadergradError, so the line is "Error: EISDIR: illegal operation on a directory,
  // read (at Object.readSync …)" and names neither the file nor the folder.
  it('a data file that cannot be read (a folder) names the file', async () => {
    const { code, err } = await run(['--data', dataDir('folder', { testImages: 'folder' }), '--epochs', '0']);
    expect(code).toBe(1);
    expectOneLine(err, /t10k-images-idx3-ubyte.*EISDIR/);
  });
});
