// Loss and accuracy read back without stalling: every k steps the metrics buffer is copied
// into a free staging buffer of a small ring, mapped asynchronously, and the newest values
// are kept. When every staging buffer is still in flight, that readback is skipped.
import type { BufferCopy, GpuRuntime } from '../gpu/runtime';
import { METRIC_CORRECT, METRIC_LOSS, METRIC_NONFINITE_STEP, METRIC_WORDS } from './loss';

/** Running training metrics since the last reset, as of the newest completed readback. */
export interface TrainingMetrics {
  /** Mean of the batch losses. */
  loss: number;
  /** Fraction of correct predictions (NaN for losses without class labels). */
  accuracy: number;
  /** Steps and samples those numbers cover. */
  steps: number;
  samples: number;
  /**
   * The non-finite guard: the first step (counted from 1 since compile) whose gradients held
   * a NaN or ±Inf within this window, or null. A NaN loss shows in `loss` itself.
   */
  nonFiniteStep: number | null;
}

/** The guard word of a metrics readback (a u32 in the f32 buffer). */
export function nonFiniteStep(values: Float32Array): number | null {
  const step = new Uint32Array(values.buffer, values.byteOffset, METRIC_WORDS)[METRIC_NONFINITE_STEP]!;
  return step === 0 ? null : step;
}

interface Pending {
  steps: number;
  samples: number;
}

export class MetricsRing {
  private readonly free: GPUBuffer[] = [];
  private readonly all: GPUBuffer[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private generation = 0;
  latest: TrainingMetrics = { loss: NaN, accuracy: NaN, steps: 0, samples: 0, nonFiniteStep: null };

  constructor(
    private readonly runtime: GpuRuntime,
    readonly metrics: GPUBuffer,
    size: number,
  ) {
    for (let i = 0; i < size; i++) {
      this.free.push(runtime.createBuffer(METRIC_WORDS * 4, `metrics staging ${i}`, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST));
      this.all.push(this.free.at(-1)!);
    }
  }

  /** A copy to record after this step's pass, or undefined when no staging buffer is free. */
  take(): { copy: BufferCopy; staging: GPUBuffer } | undefined {
    const staging = this.free.pop();
    return staging && { copy: { from: this.metrics, to: staging, bytes: METRIC_WORDS * 4 }, staging };
  }

  /** Starts mapping a staging buffer whose copy was just submitted; never awaited by a step. */
  collect(staging: GPUBuffer, at: Pending, labels: boolean): void {
    const generation = this.generation;
    this.runtime.countReadback();
    const done = staging.mapAsync(GPUMapMode.READ).then(
      () => {
        const values = new Float32Array(staging.getMappedRange(0, METRIC_WORDS * 4));
        if (generation === this.generation && at.steps >= this.latest.steps) {
          this.latest = {
            loss: values[METRIC_LOSS]! / at.steps,
            accuracy: labels ? values[METRIC_CORRECT]! / at.samples : NaN,
            ...at,
            nonFiniteStep: nonFiniteStep(values),
          };
        }
        staging.unmap();
        this.free.push(staging);
      },
      () => {
        this.free.push(staging); // device lost or destroyed: the error surfaces elsewhere
      },
    );
    this.inFlight.add(done);
    void done.finally(() => this.inFlight.delete(done));
  }

  /** Forgets values from before a metrics reset. */
  reset(): void {
    this.generation++;
    this.latest = { loss: NaN, accuracy: NaN, steps: 0, samples: 0, nonFiniteStep: null };
  }

  /** Destroys the staging buffers (after settle()). */
  destroy(): void {
    for (const buffer of this.all) this.runtime.destroyBuffer(buffer);
  }

  /** Waits for the readbacks in flight. */
  async settle(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }
}
