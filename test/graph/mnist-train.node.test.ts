// The MNIST MLP trains on the GPU from Node: 6400 samples, 2 epochs, ≥ 85% on 2000 test digits.
import { expect, it } from 'vitest';
import { readMnistFiles } from '../../src/cli/mnist-files';
import { trainMnistSubset } from '../helpers/mnist-training';

it('trains the MNIST MLP on a subset to ≥ 85% test accuracy', { timeout: 300_000 }, async () => {
  expect(await trainMnistSubset(readMnistFiles(), 6400, 2)).toBeGreaterThanOrEqual(0.85);
});
