// Loss and accuracy read back without stalling: every k steps the metrics buffer is copied
// into a free staging buffer of a small ring, mapped asynchronously, and the newest values
// are kept. When every staging buffer is still in flight, that readback is skipped.
import type { BufferCopy, GpuRuntime } from '../gpu/runtime';
import { METRIC_CORRECT, METRIC_LOSS, METRIC_NONFINITE_STEP, METRIC_WORDS } from './loss';
import { metricsFloats } from './replicas';

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
  /**
   * A model compiled with several replicas: each one's metrics (its own batches; steps and
   * samples count per replica). The fields above are then the mean loss and accuracy over
   * the replicas, and the guard flags a non-finite gradient in any of them.
   */
  replicas?: TrainingMetrics[];
}

/** The guard word of a metrics readback (a u32 in the f32 buffer). */
export function nonFiniteStep(values: Float32Array): number | null {
  const step = new Uint32Array(values.buffer, values.byteOffset, METRIC_WORDS)[METRIC_NONFINITE_STEP]!;
  return step === 0 ? null : step;
}

/**
 * The metrics of a readback of `count` replicas' metrics words (see metricsFloats): one
 * replica's, or their mean with each replica's in `replicas`.
 */
export function metricsOf(values: Float32Array, count: number, at: Pending, labels: boolean): TrainingMetrics {
  const one = (base: number): TrainingMetrics => ({
    loss: values[base + METRIC_LOSS]! / at.steps,
    accuracy: labels ? values[base + METRIC_CORRECT]! / at.samples : NaN,
    ...at,
    nonFiniteStep: nonFiniteStep(values),
  });
  if (count === 1) return one(0);
  const replicas = Array.from({ length: count }, (_, r) => ({ ...one(r * 64), nonFiniteStep: null }));
  const mean = (f: (m: TrainingMetrics) => number) => replicas.reduce((a, m) => a + f(m), 0) / count;
  return { loss: mean((m) => m.loss), accuracy: mean((m) => m.accuracy), ...at, nonFiniteStep: nonFiniteStep(values), replicas };
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
    /** Replicas whose metrics the buffer holds. */
    private readonly replicas = 1,
  ) {
    for (let i = 0; i < size; i++) {
      this.free.push(runtime.createBuffer(this.bytes, `metrics staging ${i}`, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST));
      this.all.push(this.free.at(-1)!);
    }
  }

  private get bytes(): number {
    return metricsFloats(this.replicas) * 4;
  }

  /** A copy to record after this step's pass, or undefined when no staging buffer is free. */
  take(): { copy: BufferCopy; staging: GPUBuffer } | undefined {
    const staging = this.free.pop();
    return staging && { copy: { from: this.metrics, to: staging, bytes: this.bytes }, staging };
  }

  /** Starts mapping a staging buffer whose copy was just submitted; never awaited by a step. */
  collect(staging: GPUBuffer, at: Pending, labels: boolean): void {
    const generation = this.generation;
    this.runtime.countReadback();
    const done = staging.mapAsync(GPUMapMode.READ).then(
      () => {
        const values = new Float32Array(staging.getMappedRange(0, this.bytes));
        if (generation === this.generation && at.steps >= this.latest.steps) this.latest = metricsOf(values, this.replicas, at, labels);
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
