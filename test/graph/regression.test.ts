// Non-classification heads through the executor: MSE regression of y = 3x₁ − 2x₂ + 1 with a
// linear layer learns the coefficients; evaluate() reports the loss (accuracy NaN) and
// predict() returns the outputs for any number of rows (batches plus a remainder).
import { expect, it } from 'vitest';
import { compile } from '../../src/graph/compile';
import { Linear } from '../../src/nn/layers';
import { Sequential } from '../../src/nn/module';
import { sgd } from '../../src/optim/optimizers';
import { testRuntime } from '../helpers/gpu';
import { uniform } from '../helpers/random';

it('fits a linear function with MSE and predicts it', async () => {
  const trainer = await compile(new Sequential([new Linear(2, 1)]), {
    inputShape: [2],
    loss: 'mse',
    optimizer: sgd({ lr: 0.1 }),
    batchSize: 32,
    evalBatchSize: 50,
    runtime: await testRuntime(),
  });
  const x = uniform(32 * 2, 9);
  const y = Float32Array.from({ length: 32 }, (_, i) => 3 * x[2 * i]! - 2 * x[2 * i + 1]! + 1);
  for (let i = 0; i < 300; i++) trainer.step(x, y);
  const params = await trainer.parameters();
  expect(Array.from(params.get('0.weight')!).map((v) => Number(v.toFixed(3)))).toEqual([3, -2]);
  expect(params.get('0.bias')![0]).toBeCloseTo(1, 3);

  trainer.eval();
  const test = uniform(2 * 123, 10);
  const targets = Float32Array.from({ length: 123 }, (_, i) => 3 * test[2 * i]! - 2 * test[2 * i + 1]! + 1);
  const result = await trainer.evaluate({ x: test, y: targets, count: 123 });
  expect(result.loss).toBeLessThan(1e-5);
  expect(result.accuracy).toBeNaN();
  const predictions = await trainer.predict(test);
  expect(predictions).toHaveLength(123);
  predictions.forEach((p, i) => expect(p).toBeCloseTo(targets[i]!, 2));
});
