// Entry of demo/labs.html: one WebGPU runtime for the page, every registered lab mounted.
import '../styles.css';
import './labs.css';
import { GpuRuntime } from '../../src/index';
import { LABS } from './registry';
import { mountLabsPage } from './page';

const adapter = document.querySelector<HTMLElement>('#adapter')!;
const error = document.querySelector<HTMLElement>('#error')!;
const runtime = GpuRuntime.create();
runtime.then(
  (r) => void (adapter.textContent = r.gpu.adapterName),
  (cause: unknown) => {
    adapter.textContent = 'unavailable';
    error.hidden = false;
    error.textContent = cause instanceof Error ? cause.message : String(cause);
  },
);
mountLabsPage(document.querySelector<HTMLElement>('#labs')!, LABS, runtime);
