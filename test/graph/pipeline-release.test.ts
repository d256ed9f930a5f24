// A long-lived runtime holds only the pipelines of the models alive: each batch size bakes
// its shapes into its own pipelines, and destroy() gives them back (found by the soak
// benchmark: a shared runtime grew by 17 pipelines, ~17 MB, per batch size).
import { expect, it } from 'vitest';
import { GpuRuntime } from '../../src/gpu/runtime';
import { compileInference } from '../../src/graph/inference';
import { compile } from '../../src/graph/compile';
import { Linear, ReLU } from '../../src/nn/layers';
import { Sequential } from '../../src/nn/module';
import { adam } from '../../src/optim/optimizers';

it('destroy() releases the pipelines no other model uses; shared ones stay', async () => {
  const runtime = await GpuRuntime.create();
  const model = () => new Sequential([new Linear(5, 7), ReLU(), new Linear(7, 3)]);
  const options = { inputShape: [5], loss: 'crossEntropy', optimizer: adam(), evalBatchSize: 16, runtime } as const;
  const a = await compile(model(), { ...options, batchSize: 8 });
  const alone = runtime.pipelines.size;
  const b = await compile(model(), { ...options, batchSize: 12 });
  const both = runtime.pipelines.size;
  expect(both).toBeGreaterThan(alone);
  await b.destroy();
  expect(runtime.pipelines.size).toBe(alone); // b's eval plan (16 rows) is a's too: kept
  const served = await compileInference(model(), { inputShape: [5], batchSize: 16, runtime });
  await a.destroy();
  expect(runtime.pipelines.size).toBeGreaterThan(0); // the inference model still holds its plan
  await served.destroy();
  expect(runtime.pipelines.size).toBe(0);
  expect(runtime.stats().bytesHeld).toBeLessThan(64 * 1024); // readback staging only
  runtime.destroy();
});
