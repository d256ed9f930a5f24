// A long-lived runtime holds only the pipelines of the models alive: the kernels that still
// bake shapes in make pipelines per batch size, and destroy() gives them back (found by the
// soak benchmark: a shared runtime grew by 17 pipelines, ~17 MB, per batch size). Kernels
// whose shapes are launch parameters share one pipeline across shapes.
import { expect, it } from 'vitest';
import { GpuRuntime } from '../../src/gpu/runtime';
import { requestGpuDevice } from '../../src/gpu/device';
import * as kernels from '../../src/kernels/all';
import { compileInference } from '../../src/graph/inference';
import { compile } from '../../src/graph/compile';
import { Linear, ReLU } from '../../src/nn/layers';
import { Sequential } from '../../src/nn/module';
import { adam } from '../../src/optim/optimizers';

it('destroy() releases the pipelines no other model uses; shared ones stay', async () => {
  // The subgroup matmul bakes its row blocks in; forced, because lavapipe's table gives these
  // small matmuls the small kernel, whose shapes are all launch parameters.
  const gpu = await requestGpuDevice();
  const runtime = new GpuRuntime(gpu, gpu.subgroupSize === undefined ? {} : { force: { matmul: 'subgroup' } });
  const model = () => new Sequential([new Linear(5, 7), ReLU(), new Linear(7, 3)]);
  const options = { inputShape: [5], loss: 'crossEntropy', optimizer: adam(), evalBatchSize: 16, runtime } as const;
  const a = await compile(model(), { ...options, batchSize: 8 });
  const alone = runtime.pipelines.size;
  // 64 rows take 6 row blocks in the subgroup matmul where 8 take 3: pipelines of b's own.
  const b = await compile(model(), { ...options, batchSize: 64 });
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

it('kernels that differ only in shape share one pipeline: shapes are launch parameters', async () => {
  const runtime = await GpuRuntime.create();
  const model = new Sequential([new Linear(12, 20), ReLU(), new Linear(20, 16), ReLU(), new Linear(16, 8)]);
  const trainer = await compile(model, { inputShape: [12], loss: 'crossEntropy', optimizer: adam(), batchSize: 8, evalBatchSize: 8, runtime });
  const labels = [...runtime.pipelines.keys()].map((key) => key.split('|')[0]!);
  const count = (label: RegExp) => labels.filter((l) => label.test(l)).length;
  // Three forward matmuls (12→20, 20→16, 16→8), two ReLUs forward and backward, three bias gradients.
  expect(count(/^matmul(\.subgroup)?\.NT\.bias\.identity$/)).toBe(1);
  expect(count(/^elementwise\.relu\.forward$/)).toBe(1);
  expect(count(/^elementwise\.relu\.backward$/)).toBe(1);
  expect(count(/^reduce\.biasGradient(\.subgroup)?$/)).toBe(1);
  // Another batch size adds no loss, metric or elementwise pipelines. (The subgroup matmul's
  // row blocks follow the rows, and so does the tree-sum bias gradient's workgroup, up to 256
  // threads; the subgroup-sum one runs one subgroup whatever the rows.)
  const shared = /^(softmax_xent\.|reduce\.sumToSlot(\.subgroup)?\||reduce\.countCorrect(\.subgroup)?\||elementwise\.)/;
  const before = [...runtime.pipelines.keys()].filter((key) => shared.test(key)).sort();
  const other = await compile(new Sequential([new Linear(12, 20), ReLU(), new Linear(20, 16), ReLU(), new Linear(16, 8)]), { inputShape: [12], loss: 'crossEntropy', optimizer: adam(), batchSize: 24, evalBatchSize: 40, runtime });
  expect([...runtime.pipelines.keys()].filter((key) => shared.test(key)).sort()).toEqual(before);
  expect(before.length).toBe(7); // cross-entropy, the two metric sums of the step and of the evaluation plan (which counts only real rows), ReLU forward and backward
  await other.destroy();
  // Each launch still runs its own shape: one pipeline, two programs, each with its parameters and grid.
  const small = kernels.matmul({ a: [3, 8], b: [8, 5] });
  const large = kernels.matmul({ a: [70, 8], b: [8, 130] });
  const [p, q] = [await runtime.prepare(small), await runtime.prepare(large)];
  expect(q.pipeline).toBe(p.pipeline);
  expect([p.program.params, q.program.params]).toEqual([[3, 5, 8, 0, 0], [70, 130, 8, 0, 0]]);
  expect(runtime.launch(q, [runtime.createBuffer(16, 'a'), runtime.createBuffer(16, 'b'), runtime.createBuffer(16, 'c')]).workgroups).toEqual(large.workgroups);
  expect(large.workgroups).not.toEqual(small.workgroups);
  await trainer.destroy();
  runtime.destroy();
});
