// The benchmark definitions run in the browser too (the demo's benchmark page uses them):
// each suite's smallest size, checked against its CPU reference, with TF.js WebGPU and jax-js
// (jit'ed matmul) as the peers; jax-js's MLP step runs in the node test (its first compile
// takes about a minute on a software adapter).
import { expect, it } from 'vitest';
import { SUITES } from '../../bench/index';
import { runCases } from '../../bench/run';
import { isResult } from '../../bench/table';
import { testRuntime } from '../helpers/gpu';

it('runs every suite once in Chromium, checked, with TF.js and jax-js results', { timeout: 240_000 }, async () => {
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-webgpu');
  const layers = await import('@tensorflow/tfjs-layers');
  expect(await tf.setBackend('webgpu')).toBe(true);
  const jax = await import('@jax-js/jax');
  expect(await jax.init('webgpu')).toContain('webgpu');
  jax.defaultDevice('webgpu');
  // TF.js's CNN step takes about a minute on SwiftShader (58 s measured; the engine's 4 s), and
  // quick mode runs it three times: the engine's CNN case runs here, its peer in the node test.
  const cases = SUITES.flatMap((s) => s.cases(true)).filter(
    (c) => !(c.engine === 'tfjs' && c.name.includes('CNN')) && !(c.engine === 'jaxjs' && c.suite === 'train'),
  );
  const rows = await runCases(
    cases,
    { runtime: await testRuntime(), tfjs: { tf, layers, adapter: 'browser' }, jaxjs: { jax, adapter: 'browser' } },
    { quick: true },
  );
  const failures = rows.filter((r) => !isResult(r));
  expect(failures).toEqual([]);
  // With timestamp queries (SwiftShader has them) every engine case also reports GPU time.
  const runtime = await testRuntime();
  if (runtime.device.features.has('timestamp-query')) {
    for (const row of rows.filter(isResult)) expect(row.gpuMs === undefined, row.name).toBe(row.engine !== 'shadergrad');
  }
  expect(new Set(rows.map((r) => r.suite))).toEqual(new Set(SUITES.map((s) => s.name)));
  expect(rows.some((r) => r.engine === 'tfjs')).toBe(true);
  expect(rows.filter((r) => r.engine === 'jaxjs').map((r) => r.name)).toEqual(['matmul NN']);
  // The page counts submits and dispatches too (bench/count.ts wraps the browser's prototypes).
  for (const row of rows.filter(isResult).filter((r) => r.suite === 'train')) expect(row.submits, row.name).toBeGreaterThan(0);
  // conv: forward, input and weight gradient on both engines; train: the MLP on both, the CNN on the engine.
  const conv = rows.filter(isResult).filter((r) => r.suite === 'conv');
  expect(conv.map((r) => `${r.name} ${r.engine}`).sort()).toEqual(
    ['forward', 'input grad', 'weight grad'].flatMap((p) => [`conv2d ${p} shadergrad`, `conv2d ${p} tfjs`]).sort(),
  );
  for (const row of conv) expect(row.gflops).toBeGreaterThan(0);
  expect(rows.filter((r) => r.suite === 'train').map((r) => r.name.split(' ')[0])).toEqual(['MLP', 'MLP', 'MNIST']);
});
