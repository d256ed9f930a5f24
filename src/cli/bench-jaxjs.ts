// Node-only: loads jax-js (@jax-js/jax, a devDependency) with its WebGPU device on the Dawn
// GPU object the engine uses, so all three engines run in one process on the same adapter.
import { jaxjsAdapter, type JaxModules } from '../../bench/index';

type Loaded = JaxModules | { unavailable: string };

/**
 * jax-js's WebGPU backend reads `navigator.gpu` when init('webgpu') runs and
 * `navigator.userAgent` when its WebGPU module loads (a Firefox check), and Node 20 has no
 * navigator: both are installed first, `gpu` being the object from Dawn's create() (which must
 * stay alive). jax-js then asks that Dawn instance for a high-performance adapter; Dawn has one
 * default adapter per backend, so it gets the engine's (the bench prints both names).
 */
export async function loadJaxjs(gpu: GPU): Promise<Loaded> {
  const g = globalThis as { navigator?: { gpu?: GPU; userAgent?: string } };
  if (!g.navigator) g.navigator = { gpu, userAgent: `Node.js ${process.version}` };
  if (!g.navigator.gpu) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  if (typeof g.navigator.userAgent !== 'string') Object.defineProperty(g.navigator, 'userAgent', { value: `Node.js ${process.version}`, configurable: true });
  try {
    // A variable specifier keeps the CLI bundle from inlining jax-js (as for TF.js).
    const specifier = '@jax-js/jax';
    const jax = (await import(/* @vite-ignore */ specifier)) as JaxModules['jax'];
    const devices = await jax.init('webgpu');
    if (!devices.includes('webgpu')) return { unavailable: 'jax.init("webgpu") found no WebGPU adapter or device' };
    jax.defaultDevice('webgpu');
    return { jax, adapter: jaxjsAdapter(jax) };
  } catch (error) {
    return { unavailable: `cannot load jax-js WebGPU in Node: ${(error as Error).message ?? String(error)}` };
  }
}
