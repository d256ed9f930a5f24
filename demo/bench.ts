// The benchmark page: runs the same definitions as `npm run bench` (bench/) in the browser,
// with TF.js's WebGPU backend and jax-js's WebGPU device as the peers (both loaded when the
// "compare" box is ticked), and prints the same table, submit and dispatch counts included
// (bench/count.ts wraps the page's GPUQueue and GPUComputePassEncoder prototypes).
import { jaxjsAdapter, SUITES, type BenchContext, type JaxModules, type TfModules } from '../bench/index';
import { runCases } from '../bench/run';
import { targets, textTable } from '../bench/table';
import { GpuRuntime, WebGPUUnavailableError } from '../src/index';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const adapterEl = $('adapter');
const progressEl = $('progress');
const resultsEl = $('results');
const buttons = [$<HTMLButtonElement>('quick'), $<HTMLButtonElement>('full')];

/** TF.js with its WebGPU backend (its own device on this browser's adapter), or why not. */
async function loadTfjs(): Promise<TfModules | { unavailable: string }> {
  try {
    const tf = await import('@tensorflow/tfjs-core');
    await import('@tensorflow/tfjs-backend-webgpu');
    const layers = await import('@tensorflow/tfjs-layers');
    if (!(await tf.setBackend('webgpu'))) return { unavailable: 'tf.setBackend("webgpu") failed' };
    await tf.ready();
    const info = (tf.backend() as unknown as { adapterInfo?: { vendor?: string; architecture?: string } }).adapterInfo;
    return { tf, layers, adapter: [info?.vendor, info?.architecture].filter(Boolean).join(' ') || 'unknown adapter' };
  } catch (error) {
    return { unavailable: `cannot load TF.js WebGPU: ${(error as Error).message ?? String(error)}` };
  }
}

/** jax-js with its WebGPU device (on this browser's adapter) as the default, or why not. */
async function loadJaxjs(): Promise<JaxModules | { unavailable: string }> {
  try {
    const jax = await import('@jax-js/jax');
    if (!(await jax.init('webgpu')).includes('webgpu')) return { unavailable: 'jax.init("webgpu") found no WebGPU device' };
    jax.defaultDevice('webgpu');
    return { jax, adapter: jaxjsAdapter(jax) };
  } catch (error) {
    return { unavailable: `cannot load jax-js WebGPU: ${(error as Error).message ?? String(error)}` };
  }
}

async function run(quick: boolean): Promise<void> {
  buttons.forEach((b) => (b.disabled = true));
  resultsEl.textContent = '';
  try {
    const runtime = await GpuRuntime.create();
    adapterEl.textContent = runtime.gpu.adapterName;
    const withPeers = $<HTMLInputElement>('tfjs').checked;
    const ctx: BenchContext = {
      runtime,
      tfjs: withPeers ? await loadTfjs() : { unavailable: 'not requested' },
      jaxjs: withPeers ? await loadJaxjs() : { unavailable: 'not requested' },
    };
    const cases = SUITES.flatMap((s) => s.cases(quick)).filter((c) => withPeers || c.engine === 'shadergrad');
    const rows = await runCases(cases, ctx, {
      quick,
      onProgress: (text) => (progressEl.textContent = text),
      onRow: (row) => (resultsEl.textContent += `${JSON.stringify(row)}\n`),
    });
    runtime.destroy();
    progressEl.textContent = `Done: ${rows.length} results.`;
    resultsEl.textContent = `${textTable(rows)}\n\n${targets(rows).join('\n')}`;
  } catch (error) {
    progressEl.className = 'error';
    progressEl.textContent = error instanceof WebGPUUnavailableError ? error.message : `Failed: ${String(error)}`;
  } finally {
    buttons.forEach((b) => (b.disabled = false));
  }
}

buttons[0]!.addEventListener('click', () => void run(true));
buttons[1]!.addEventListener('click', () => void run(false));
