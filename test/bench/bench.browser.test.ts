// The benchmark definitions run in the browser too (the demo's benchmark page uses them):
// each suite's smallest size, checked against its CPU reference, with TF.js WebGPU as the peer.
import { expect, it } from 'vitest';
import { SUITES } from '../../bench/index';
import { runCases } from '../../bench/run';
import { isResult } from '../../bench/table';
import { testRuntime } from '../helpers/gpu';

it('runs every suite once in Chromium, checked, with TF.js results', { timeout: 240_000 }, async () => {
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-webgpu');
  const layers = await import('@tensorflow/tfjs-layers');
  expect(await tf.setBackend('webgpu')).toBe(true);
  const rows = await runCases(
    SUITES.flatMap((s) => s.cases(true)),
    { runtime: await testRuntime(), tfjs: { tf, layers, adapter: 'browser' } },
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
});
