// Shared body of the MNIST training tests (Node reads the files, the browser fetches them):
// the CLI's MLP 784-256-128-10 with Adam on a subset, then test accuracy.
import { expect } from 'vitest';
import { mnistModel } from '../../src/cli/models';
import { Batcher, takeFirst } from '../../src/data/dataset';
import { parseMnist, type MnistFiles } from '../../src/data/mnist';
import { compile } from '../../src/graph/compile';
import { adam } from '../../src/optim/optimizers';
import { testRuntime } from './gpu';

export async function trainMnistSubset(files: MnistFiles, trainCount: number, epochs: number): Promise<number> {
  const mnist = parseMnist(files, { trainCount, testCount: 2000 });
  const trainer = await compile(mnistModel('mlp'), {
    inputShape: [1, 28, 28],
    loss: 'crossEntropy',
    optimizer: adam(),
    batchSize: 128,
    seed: 3,
    runtime: await testRuntime(),
  });
  const batcher = new Batcher(mnist.train, 128, { seed: 3 });
  for (let epoch = 0; epoch < epochs; epoch++) {
    trainer.resetMetrics();
    batcher.startEpoch();
    for (let b = 0; b < batcher.batchesPerEpoch; b++) {
      const { x, y } = batcher.fill(b);
      trainer.step(x, y);
    }
  }
  const trainMetrics = await trainer.flushMetrics();
  expect(trainMetrics.loss).toBeLessThan(0.7);
  trainer.eval();
  const test = await trainer.evaluate(takeFirst(mnist.test, 2000));
  const stats = trainer.stats();
  expect(stats.submitsPerStep).toBe(1);
  expect(stats.allocationsPerStep).toBe(0);
  expect(stats.pipelinesCreatedPerStep).toBe(0);
  return test.accuracy;
}
