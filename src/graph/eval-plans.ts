// The forward-only plans of a compiled model (predict, evaluate): one per mode and batch
// bucket (and per list of kept module outputs), compiled on first use against the model's
// shared buffers, cached until the model is destroyed.
import type { GpuRuntime } from '../gpu/runtime';
import { evalBuckets, evalSchedule, type EvalPlanSpec } from './model-setup';
import { materialize, type Materialized, type SharedBuffers } from './schedule';

/** One forward-only plan: `batch` rows; padded plans let fewer real rows through. */
export interface EvalRun {
  materialized: Materialized;
  output: string;
  /** Every replica's output key (the first is `output`). */
  outputs: readonly string[];
  /** Buffer keys of the kept module outputs (predict's `outputs`), in the order asked. */
  kept: readonly string[];
  batch: number;
  padded: boolean;
}

export class EvalPlans {
  private readonly runs = new Map<string, Promise<EvalRun>>();

  constructor(
    private readonly runtime: GpuRuntime,
    private readonly shared: SharedBuffers,
    private readonly spec: EvalPlanSpec,
    /** The largest batch; eval-mode plans come in its buckets (see evalBuckets). */
    private readonly evalBatchSize: number,
  ) {}

  /**
   * The plan for a batch of `rows` rows. Train mode uses batch statistics, so its plan has
   * exactly `rows` rows (as torch computes them); eval mode pads up to a bucket.
   */
  get(rows: number, mode: 'train' | 'eval', keep: readonly string[] = []): Promise<EvalRun> {
    const padded = mode === 'eval';
    const batch = padded ? evalBuckets(this.evalBatchSize).find((b) => b >= rows)! : rows;
    // A plan that keeps module outputs is cached like the others, one per list of names.
    const key = `${mode}:${batch}${keep.length > 0 ? `:${JSON.stringify(keep)}` : ''}`;
    let run = this.runs.get(key);
    if (!run) {
      const { schedule, output, outputs, kept } = evalSchedule(this.spec, batch, mode, this.runtime.subgroupSize, keep);
      run = materialize(this.runtime, schedule, this.shared, `eval ${batch}`).then((materialized) => ({ materialized, output, outputs, kept, batch, padded }));
      this.runs.set(key, run);
    }
    return run;
  }

  /** Every plan made so far (to free them). */
  all(): Promise<EvalRun[]> {
    return Promise.all(this.runs.values());
  }
}
