// The benchmark page: runs the same definitions as `npm run bench` (bench/) in the browser,
// with TF.js's WebGPU backend and jax-js's WebGPU device as the peers (both loaded when the
// "compare" box is ticked), and shows the results as a table that grows row by row, submit and
// dispatch counts included (bench/count.ts wraps the page's GPUQueue and GPUComputePassEncoder
// prototypes). One suite can be picked instead of all of them.
import { jaxjsAdapter, SUITES, type BenchContext, type JaxModules, type TfModules } from '../bench/index';
import { runCases } from '../bench/run';
import { targets, type Row } from '../bench/table';
import { GpuRuntime, WebGPUUnavailableError } from '../src/index';
import { benchTable, renderBenchTable, type EngineColumn } from './bench-table';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const adapterEl = $('adapter');
const progressEl = $('progress');
const resultsEl = $<HTMLTableElement>('results');
const targetsEl = $<HTMLUListElement>('targets');
const suiteEl = $<HTMLSelectElement>('suite');
const peersEl = $<HTMLInputElement>('tfjs');
const buttons = [$<HTMLButtonElement>('quick'), $<HTMLButtonElement>('full')];
const EMPTY = 'No results yet: press Quick run or Full run.';

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

const adapterOf = (peer: { adapter: string } | { unavailable: string }) => ('adapter' in peer ? peer.adapter : 'unavailable');

/** The columns before a run: shadergrad, and the peers when the box is ticked. */
function plannedColumns(): EngineColumn[] {
  const engines = peersEl.checked ? (['shadergrad', 'tfjs', 'jaxjs'] as const) : (['shadergrad'] as const);
  return engines.map((engine) => ({ engine, adapter: 'adapter: after a run' }));
}

async function run(quick: boolean): Promise<void> {
  buttons.forEach((b) => (b.disabled = true));
  progressEl.className = '';
  targetsEl.replaceChildren();
  try {
    const runtime = await GpuRuntime.create();
    adapterEl.textContent = runtime.gpu.adapterName;
    const withPeers = peersEl.checked;
    const ctx: BenchContext = {
      runtime,
      tfjs: withPeers ? await loadTfjs() : { unavailable: 'not requested' },
      jaxjs: withPeers ? await loadJaxjs() : { unavailable: 'not requested' },
    };
    const columns: EngineColumn[] = [
      { engine: 'shadergrad', adapter: runtime.gpu.adapterName },
      ...(withPeers ? [{ engine: 'tfjs', adapter: adapterOf(ctx.tfjs) }, { engine: 'jaxjs', adapter: adapterOf(ctx.jaxjs) }] as const : []),
    ];
    const suites = SUITES.filter((s) => !suiteEl.value || s.name === suiteEl.value);
    const cases = suites.flatMap((s) => s.cases(quick)).filter((c) => withPeers || c.engine === 'shadergrad');
    const shown: Row[] = [];
    renderBenchTable(resultsEl, benchTable(shown, columns), 'Running the first cases…');
    const rows = await runCases(cases, ctx, {
      quick,
      onProgress: (text) => (progressEl.textContent = text),
      onRow: (row) => {
        shown.push(row);
        renderBenchTable(resultsEl, benchTable(shown, columns), EMPTY);
      },
    });
    runtime.destroy();
    progressEl.textContent = `Done: ${rows.length} results.`;
    targetsEl.replaceChildren(...targets(rows).map((line) => Object.assign(document.createElement('li'), { textContent: line })));
  } catch (error) {
    progressEl.className = 'error';
    progressEl.textContent = error instanceof WebGPUUnavailableError ? error.message : `Failed: ${String(error)}`;
  } finally {
    buttons.forEach((b) => (b.disabled = false));
  }
}

suiteEl.append(...SUITES.map((s) => new Option(s.name, s.name)));
const showPlanned = () => renderBenchTable(resultsEl, benchTable([], plannedColumns()), EMPTY);
peersEl.addEventListener('change', () => {
  if (!buttons[0]!.disabled && resultsEl.querySelector('tr.suite') === null) showPlanned(); // keep finished results
});
showPlanned();
buttons[0]!.addEventListener('click', () => void run(true));
buttons[1]!.addEventListener('click', () => void run(false));
