// Node-only: loads TF.js (tfjs-core, tfjs-backend-webgpu, tfjs-layers; devDependencies) on
// the Dawn GPU object the engine uses, so both run in one process on the same adapter.
import type { TfModules } from '../../bench/index';

type Loaded = TfModules | { unavailable: string };

/** Prefers a CommonJS module's exports object (Node's `default`) over the namespace. */
async function load<T>(specifier: string): Promise<T> {
  const mod = (await import(/* @vite-ignore */ specifier)) as T & { default?: T };
  return mod.default && typeof mod.default === 'object' ? mod.default : mod;
}

/**
 * TF.js's WebGPU backend looks for `navigator.gpu` when it is imported and when it asks for
 * its adapter, so `gpu` (the object from Dawn's create(), which must stay alive) is installed
 * as navigator.gpu first. TF.js then calls requestAdapter() on the same Dawn instance with
 * the default options, as the engine does: both get the same default adapter.
 */
export async function loadTfjs(gpu: GPU): Promise<Loaded> {
  const g = globalThis as { navigator?: { gpu?: GPU; userAgent?: string } };
  if (!g.navigator) g.navigator = { gpu, userAgent: `Node.js ${process.version}` };
  else if (!g.navigator.gpu) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  try {
    const tf = await load<TfModules['tf']>('@tensorflow/tfjs-core');
    await load('@tensorflow/tfjs-backend-webgpu');
    const layers = await load<TfModules['layers']>('@tensorflow/tfjs-layers');
    if (!tf.findBackendFactory('webgpu')) return { unavailable: 'tfjs-backend-webgpu did not register (navigator.gpu missing at import)' };
    if (!(await tf.setBackend('webgpu'))) return { unavailable: 'tf.setBackend("webgpu") failed (no adapter or device for TF.js)' };
    await tf.ready();
    const info = (tf.backend() as unknown as { adapterInfo?: { vendor?: string; architecture?: string } }).adapterInfo;
    const adapter = [info?.vendor, info?.architecture].filter(Boolean).join(' ') || 'unknown adapter';
    return { tf, layers, adapter };
  } catch (error) {
    return { unavailable: `cannot load TF.js WebGPU in Node: ${(error as Error).message ?? String(error)}` };
  }
}
