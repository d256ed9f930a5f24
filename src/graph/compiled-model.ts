// The compiled-plan core every face of a model shares (Trainer, InferenceModel): the parameter
// arena and buffers on the GPU, forward-only plans for predict() and evaluate(), and the
// state dict. Training adds its step plan on top (trainer.ts).
import { ConfigError, ShadergradError } from '../errors';
import type { DeviceLostError } from '../gpu/errors';
import { boolean, integer, show } from '../validate';
import type { GpuRuntime } from '../gpu/runtime';
import type { StateDict, StateDictLike, StateTensor } from '../io/state-dict';
import type { Module } from '../nn/module';
import { splitArena, type ArenaLayout } from './arena';
import { KEYS } from './build';
import { ShapeError, showShape, sizeOf, type GraphBuilder } from './ir';
import { evalBuckets, evalSchedule } from './model-setup';
import { lossRowsFactor, METRIC_CORRECT, METRIC_LOSS, METRIC_ROWS, METRIC_WORDS, targetsPerRow, usesLabels, type LossConfig } from './loss';
import { materialize, type Materialized, type SharedBuffers } from './schedule';
import { counterValue, matchStateDict, stateEntries, type StateEntry } from './state';

export interface Evaluation {
  loss: number;
  /** NaN for losses without class labels. */
  accuracy: number;
  samples: number;
}

/** A labelled dataset: `count` samples, x row-major, y class indices or targets. */
export interface EvaluationData {
  x: Float32Array;
  y: Uint32Array | Float32Array;
  count: number;
}

/** What every face of a compiled model was compiled with. */
export interface ModelSpec {
  inputShape: readonly number[];
  loss: LossConfig;
  /** Largest batch of evaluate() and predict(). */
  evalBatchSize: number;
  onDeviceLost?: (error: DeviceLostError) => void;
}

/** One forward-only plan: `batch` rows; padded plans let fewer real rows through. */
interface EvalRun {
  materialized: Materialized;
  output: string;
  batch: number;
  padded: boolean;
}


export class CompiledModel {
  /** How predict() and evaluate() run: 'train' (batch statistics, dropout) or 'eval'. */
  mode: 'train' | 'eval' = 'eval';
  protected destroyed = false;
  protected readonly entries: readonly StateEntry[];
  /** CPU-side int64 buffers (BatchNorm's num_batches_tracked): train-mode forward passes. */
  private readonly counters = new Map<string, bigint>();
  private readonly evalRuns = new Map<string, Promise<EvalRun>>();
  private readonly noMetrics = new Float32Array(METRIC_WORDS);
  private readonly rowsWord = new Float32Array(1);

  constructor(
    readonly runtime: GpuRuntime,
    protected readonly model: Module,
    protected readonly spec: ModelSpec,
    graph: GraphBuilder,
    protected readonly layout: ArenaLayout,
    protected readonly shared: SharedBuffers,
    /** Width of the model output. */
    readonly outputs: number,
    /** compile() made the runtime, so destroy() destroys it too. */
    private readonly ownsRuntime: boolean,
  ) {
    this.entries = stateEntries(graph, layout);
    for (const e of this.entries) if (e.source.kind === 'counter') this.counters.set(e.name, 0n);
    void runtime.gpu.lost.then((error) => {
      if (!this.destroyed) spec.onDeviceLost?.(error);
    });
  }

  /** Values per sample. */
  get sampleSize(): number {
    return sizeOf(this.spec.inputShape);
  }

  /** Target values per sample: 1 (a class label), the output width, or half of it for 'gaussianNll'. */
  get targetSize(): number {
    return targetsPerRow(this.spec.loss, this.outputs);
  }

  /** Parameter names and shapes in arena order. */
  get parameterShapes(): { name: string; shape: readonly number[] }[] {
    return this.layout.entries.map(({ name, shape }) => ({ name, shape }));
  }

  /** Every public method starts here: a destroyed model or a lost device throws. */
  protected checkUsable(what: string): void {
    if (this.destroyed) throw new ShadergradError(`${what}: this model was destroyed (destroy() was called); compile a new one`);
    this.runtime.checkAlive();
  }

  /** Every BatchNorm counts one more train-mode forward pass. */
  protected countTrainForward(): void {
    for (const [name, n] of this.counters) this.counters.set(name, n + 1n);
  }

  /** Types, sizes and (for class labels) the label range of a batch, before it is written. */
  protected checkBatch(x: Float32Array, y: ArrayLike<number>, rows: number, what: string): void {
    if (!(x instanceof Float32Array)) throw new ConfigError(`${what}: input must be a Float32Array, got ${show(x)} (convert with Float32Array.from)`);
    const labels = usesLabels(this.spec.loss);
    if (labels && !(y instanceof Uint32Array)) {
      throw new ConfigError(`${what}: class labels must be a Uint32Array, got ${show(y)} (convert with Uint32Array.from(labels))`);
    }
    if (!labels && !(y instanceof Float32Array)) throw new ConfigError(`${what}: targets must be a Float32Array shaped like the output, got ${show(y)}`);
    const expectX = rows * this.sampleSize;
    if (x.length !== expectX) {
      throw new ShapeError(`${what}: input has ${x.length} values, expected ${rows}×${showShape(this.spec.inputShape)} = ${expectX}`);
    }
    const expectY = rows * this.targetSize;
    if (y.length !== expectY) throw new ShapeError(`${what}: targets have ${y.length} values, expected ${expectY}`);
    if (labels) {
      for (let i = 0; i < y.length; i++) {
        if (y[i]! >= this.outputs) throw new ConfigError(`${what}: label ${y[i]} at row ${i} is not a class index in [0, ${this.outputs})`);
      }
    }
  }

  /** Compiles the forward plan that predict()/evaluate() use for `rows` rows in `mode`. */
  async prepareEvaluation(mode: 'train' | 'eval', rows: number): Promise<void> {
    this.checkUsable('prepareEvaluation');
    if (mode !== 'train' && mode !== 'eval') throw new ConfigError(`prepareEvaluation: mode must be 'train' or 'eval', got ${show(mode)}`);
    integer('prepareEvaluation: rows', rows, 1, this.spec.evalBatchSize); // predict/evaluate never run more rows
    await this.evalRun(rows, mode);
  }

  /**
   * The plan for a batch of `rows` rows. Train mode uses batch statistics, so its plan has
   * exactly `rows` rows (as torch computes them); eval mode pads up to a bucket.
   */
  private evalRun(rows: number, mode = this.mode): Promise<EvalRun> {
    const padded = mode === 'eval';
    const batch = padded ? evalBuckets(this.spec.evalBatchSize).find((b) => b >= rows)! : rows;
    const key = `${mode}:${batch}`;
    let run = this.evalRuns.get(key);
    if (!run) {
      const planSpec = { model: this.model, inputShape: this.spec.inputShape, loss: this.spec.loss, layout: this.layout };
      const { schedule, output } = evalSchedule(planSpec, batch, mode, this.runtime.subgroupSize);
      run = materialize(this.runtime, schedule, this.shared, `eval ${batch}`).then((materialized) => ({ materialized, output, batch, padded }));
      this.evalRuns.set(key, run);
    }
    return run;
  }

  /** Writes `rows` samples from `start` into a plan's input and submits its forward pass. */
  private async forward(x: Float32Array, start: number, rows: number): Promise<EvalRun> {
    const run = await this.evalRun(rows);
    const size = this.sampleSize;
    this.runtime.write(run.materialized.buffers.get(KEYS.input)!, x.subarray(start * size, (start + rows) * size));
    if (this.mode === 'train') this.countTrainForward();
    return run;
  }

  /** Loss and accuracy over a dataset, in batches of at most evalBatchSize (one readback per plan). */
  async evaluate(data: EvaluationData): Promise<Evaluation> {
    this.checkUsable('evaluate');
    if (typeof data !== 'object' || data === null) throw new ConfigError(`evaluate: data must be {x, y, count}, got ${show(data)}`);
    integer('evaluate: data.count', data.count, 1);
    if (!(data.x instanceof Float32Array)) throw new ConfigError(`evaluate: data.x must be a Float32Array, got ${show(data.x)}`);
    if (!ArrayBuffer.isView(data.y)) throw new ConfigError(`evaluate: data.y must be a Uint32Array of labels or a Float32Array of targets, got ${show(data.y)}`);
    const perTarget = this.targetSize;
    this.checkBatch(data.x.subarray(0, data.count * this.sampleSize), data.y.subarray(0, data.count * perTarget), data.count, 'evaluate');
    const chunk = Math.min(this.spec.evalBatchSize, data.count);
    const used = new Set<EvalRun>();
    for (let start = 0; start < data.count; start += chunk) {
      const rows = Math.min(chunk, data.count - start);
      const run = await this.forward(data.x, start, rows);
      const buffers = run.materialized.buffers;
      const metrics = buffers.get(KEYS.metrics)!;
      if (!used.has(run)) this.runtime.write(metrics, this.noMetrics);
      used.add(run);
      if (run.padded) this.runtime.write(metrics, this.rowsWord.fill(rows), METRIC_ROWS * 4);
      this.runtime.write(buffers.get(KEYS.targets)!, data.y.subarray(start * perTarget, (start + rows) * perTarget));
      this.runtime.submit(run.materialized.launches, 'evaluate');
    }
    let lossSum = 0;
    let correct = 0;
    for (const run of used) {
      const values = await this.runtime.readFloat32(run.materialized.buffers.get(KEYS.metrics)!, METRIC_WORDS);
      // Loss terms are divided by the plan's batch (not for 'sse'): this gives the sum of per-sample losses.
      lossSum += values[METRIC_LOSS]! * lossRowsFactor(this.spec.loss, run.batch);
      correct += values[METRIC_CORRECT]!;
    }
    return {
      loss: lossSum / data.count,
      accuracy: usesLabels(this.spec.loss) ? correct / data.count : NaN,
      samples: data.count,
    };
  }

  /** The model's outputs (logits for classifiers) for `count` samples; one readback per batch. */
  async predict(x: Float32Array, count?: number): Promise<Float32Array> {
    this.checkUsable('predict');
    if (!(x instanceof Float32Array)) throw new ConfigError(`predict: input must be a Float32Array, got ${show(x)}`);
    const size = this.sampleSize;
    if (count === undefined) {
      count = x.length / size;
      if (!Number.isInteger(count) || count < 1) {
        throw new ShapeError(`predict: input has ${x.length} values, not a whole number of samples of ${showShape(this.spec.inputShape)}`);
      }
    }
    integer('predict: count', count, 1);
    if (x.length < count * size) throw new ShapeError(`predict: input has ${x.length} values, fewer than ${count}×${showShape(this.spec.inputShape)}`);
    const chunk = Math.min(this.spec.evalBatchSize, count);
    const out = new Float32Array(count * this.outputs);
    for (let start = 0; start < count; start += chunk) {
      const rows = Math.min(chunk, count - start);
      const run = await this.forward(x, start, rows);
      this.runtime.submit(run.materialized.launches, 'predict');
      out.set(await this.runtime.readFloat32(run.materialized.buffers.get(run.output)!, rows * this.outputs), start * this.outputs);
    }
    return out;
  }

  /** Parameters by PyTorch state-dict name (e.g. "0.weight" [out, in]); one readback. */
  async parameters(): Promise<Map<string, Float32Array>> {
    this.checkUsable('parameters');
    return splitArena(this.layout, await this.runtime.readFloat32(this.shared.params, this.layout.size));
  }

  /**
   * Every tensor torch's model.state_dict() holds, with its names, shapes and order:
   * parameters, and buffers (BatchNorm running_mean, running_var, num_batches_tracked as
   * int64). One readback per GPU buffer.
   */
  async stateDict(): Promise<StateDict> {
    this.checkUsable('stateDict');
    const arena = await this.runtime.readFloat32(this.shared.params, this.layout.size);
    const dict: StateDict = new Map();
    for (const e of this.entries) {
      const length = sizeOf(e.shape);
      let data: Float32Array | BigInt64Array;
      if (e.source.kind === 'param') data = arena.slice(e.source.offset, e.source.offset + length);
      else if (e.source.kind === 'buffer') data = await this.runtime.readFloat32(this.shared.byKey.get(e.name)!, length);
      else data = BigInt64Array.of(this.counters.get(e.name)!);
      dict.set(e.name, { shape: [...e.shape], data });
    }
    return dict;
  }

  /**
   * Loads a state dict as torch's load_state_dict: with `strict` (default) missing and
   * unexpected keys are errors; shape and dtype mismatches always are; every problem is in one
   * StateDictError, thrown before anything is written. Returns the keys strict mode would
   * have rejected.
   */
  async loadStateDict(dict: StateDictLike, options: { strict?: boolean } = {}): Promise<{ missing: string[]; unexpected: string[] }> {
    this.checkUsable('loadStateDict');
    if (options.strict !== undefined) boolean('loadStateDict: strict', options.strict);
    const { load, missing, unexpected } = matchStateDict(this.entries, dict, { strict: options.strict ?? true, what: 'loadStateDict' });
    for (const [entry, tensor] of load) this.write(entry, tensor);
    await this.runtime.sync();
    return { missing, unexpected };
  }

  private write(entry: StateEntry, tensor: StateTensor): void {
    const source = entry.source;
    if (source.kind === 'counter') this.counters.set(entry.name, counterValue(tensor));
    else if (source.kind === 'param') this.runtime.write(this.shared.params, tensor.data as Float32Array, source.offset * 4);
    else this.runtime.write(this.shared.byKey.get(entry.name)!, tensor.data as Float32Array);
  }

  /** Pipeline keys a subclass's own plans acquired (released by destroy()). */
  protected ownedPipelines(): string[] {
    return [];
  }

  /** Buffers a subclass owns beyond the shared ones and the evaluation plans. */
  protected ownedBuffers(): GPUBuffer[] {
    return [];
  }

  /**
   * Frees every GPU buffer this model made after the GPU is idle, and the device too when
   * compile made it. The model cannot be used afterwards.
   */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    if (!this.runtime.lost) await this.sync().catch(() => undefined); // free even after a GPU error
    this.destroyed = true;
    const evalRuns = await Promise.all(this.evalRuns.values());
    const buffers = new Set<GPUBuffer>([
      this.shared.params,
      ...(this.shared.grads ? [this.shared.grads] : []),
      ...this.shared.byKey.values(),
      ...this.ownedBuffers(),
      ...evalRuns.flatMap((run) => run.materialized.owned),
    ]);
    for (const buffer of buffers) this.runtime.destroyBuffer(buffer);
    this.runtime.releasePipelines([...this.ownedPipelines(), ...evalRuns.flatMap((run) => run.materialized.pipelineKeys)]);
    if (this.ownsRuntime) this.runtime.destroy();
  }

  /** Waits for the GPU and throws any GPU error raised so far. */
  async sync(): Promise<void> {
    this.checkUsable('sync');
    await this.runtime.sync();
  }
}
