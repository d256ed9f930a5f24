// TF.js peers (tfjs-core + tfjs-backend-webgpu + tfjs-layers) measured the same way as the
// engine: matmul at the same sizes and the same MLP trained with Adam. The caller loads
// TF.js and selects its WebGPU backend (in Node: src/cli/bench-tfjs.ts); nothing here
// imports it, so the definitions stay usable in a page that loads TF.js its own way.
import type * as TfCore from '@tensorflow/tfjs-core';
import type * as TfLayers from '@tensorflow/tfjs-layers';
import type { BenchContext, Prepared } from './core';

/** TF.js with the WebGPU backend selected. */
export interface TfModules {
  tf: typeof TfCore;
  layers: typeof TfLayers;
  /** The adapter TF.js runs on, as its backend reports it. */
  adapter: string;
}

/** Thrown by a TF.js case when TF.js could not be loaded: the runner prints the reason. */
export class TfjsUnavailableError extends Error {
  override name = 'TfjsUnavailableError';
}

export function tfjsOf(ctx: BenchContext): TfModules {
  if ('unavailable' in ctx.tfjs) throw new TfjsUnavailableError(`TF.js unavailable: ${ctx.tfjs.unavailable}`);
  return ctx.tfjs;
}

/** Flushes TF.js's deferred command queue and waits for its GPU work to finish. */
export async function tfjsSync(tf: typeof TfCore): Promise<void> {
  // WebGPUBackend internals (4.22): commands are recorded into one open compute pass and
  // submitted every 15 dispatches or on a read; end the pass and submit the rest.
  const backend = tf.backend() as unknown as {
    device?: GPUDevice;
    commandEncoder?: GPUCommandEncoder | null;
    endComputePassEncoder?(): void;
    submitQueue?(): void;
  };
  if (!backend.device) throw new TfjsUnavailableError(`TF.js backend is ${tf.getBackend()}, not webgpu`);
  if (backend.commandEncoder) {
    backend.endComputePassEncoder?.();
    backend.submitQueue?.();
  }
  await backend.device.queue.onSubmittedWorkDone();
}

/**
 * Runs `iterate` on TF.js's WebGPU backend, disposing the tensor each iteration returns
 * (TF.js defers the buffer's release until its commands are submitted).
 */
export function tfjsPrepared(
  tf: typeof TfCore,
  check: () => Promise<string>,
  iterate: () => TfCore.Tensor | null,
  dispose: () => void,
): Prepared {
  return {
    check,
    iterate() {
      iterate()?.dispose();
    },
    sync: () => tfjsSync(tf),
    dispose,
  };
}
