// compile(model, options) → Trainer: the public training API. Everything GPU-side is made
// here once; step() only writes the batch and the per-step uniforms and submits once.
import { ShadergradError } from '../gpu/errors';
import { GpuRuntime } from '../gpu/runtime';
import { optimizerUniform, resolveOptimizer, segmentTable, stateSlots, UNIFORM_WORDS, type OptimizerConfig } from '../kernels/optim';
import { dropoutUniforms } from '../kernels/dropout';
import type { Module } from '../nn/module';
import type { LrSchedule } from '../optim/schedules';
import { arenaSegments, initialArena, layoutArena, splitArena, type ArenaLayout } from './arena';
import { buildSchedule, KEYS } from './build';
import { GraphBuilder, ShapeError, showShape, sizeOf } from './ir';
import { METRIC_CORRECT, METRIC_LOSS, METRIC_WORDS, normalizeLoss, usesLabels, type LossConfig } from './loss';
import { MetricsRing, type TrainingMetrics } from './metrics';
import { materialize, type Materialized, type SharedBuffers } from './schedule';

export interface CompileOptions {
  /** Shape of one sample, e.g. [1, 28, 28] or [784]. */
  inputShape: readonly number[];
  loss: LossConfig | LossConfig['kind'];
  optimizer: OptimizerConfig;
  batchSize: number;
  /** Learning rate per step; default: the optimizer's lr every step. */
  lrSchedule?: LrSchedule;
  /** Clip gradients to this global L2 norm before each update (torch clip_grad_norm_), on the GPU. */
  clipGradNorm?: number;
  /** Total steps the schedule spans (for fraction-based schedules). */
  totalSteps?: number;
  /** Seeds parameter initialization and dropout masks. */
  seed?: number;
  /** Read metrics back every k steps (asynchronously). Default 20. */
  metricsEvery?: number;
  /** Batch size for evaluate() and predict(). Default 1000. */
  evalBatchSize?: number;
  /** Use this runtime; default: a new one on the default device. */
  runtime?: GpuRuntime;
}

/** Counters per training step in steady state (after the first step), plus GPU bytes held. */
export interface TrainerStats {
  steps: number;
  dispatchesPerStep: number;
  submitsPerStep: number;
  readbacksPerStep: number;
  allocationsPerStep: number;
  pipelinesCreatedPerStep: number;
  gpuBytes: number;
  /** Pipelines in the cache (all compiled before the first step). */
  pipelines: number;
}

export interface Evaluation {
  loss: number;
  /** NaN for losses without class labels. */
  accuracy: number;
  samples: number;
}

interface EvalRun {
  materialized: Materialized;
  output: string;
}

function buildGraph(model: Module, batch: number, inputShape: readonly number[]) {
  const graph = new GraphBuilder();
  const input = graph.tensor([batch, ...inputShape], 'input', 'input');
  const output = model.build(graph, input, '');
  if (graph.params.length === 0) throw new ShapeError('compile: the model has no trainable parameters');
  return { graph, ends: { input, output } };
}

/** Compiles a model for training on the GPU. Shape errors are thrown before any GPU work. */
export async function compile(model: Module, options: CompileOptions): Promise<Trainer> {
  const loss = normalizeLoss(options.loss);
  const config = resolveOptimizer(options.optimizer); // validates before any GPU work
  const { batchSize } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`compile: batchSize must be ≥ 1, got ${batchSize}`);
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`compile: seed must be an integer in [0, 2³²), got ${seed}`);
  const { graph, ends } = buildGraph(model, batchSize, options.inputShape);
  const outShape = graph.shape(ends.output);
  if (outShape.length !== 2) throw new ShapeError(`compile: the model output must be [N, C], got ${showShape(outShape)}`);
  const layout = layoutArena(graph.params);
  const stateFloats = stateSlots(config) * layout.size;
  const trainSchedule = (subgroupSize: number | undefined) =>
    buildSchedule(graph, ends, {
      mode: 'train',
      loss,
      layout,
      subgroupSize,
      optimizer: {
        config,
        stateFloats,
        segmentTable: segmentTable(arenaSegments(layout), layout.size),
        clipGradNorm: options.clipGradNorm,
      },
    }).schedule;
  // Built once without a device, so that every error is thrown before any GPU work; then
  // again for the device's kernels when it has subgroups.
  let schedule = trainSchedule(undefined);

  const ownsRuntime = options.runtime === undefined;
  const runtime = options.runtime ?? (await GpuRuntime.create());
  if (runtime.subgroupSize !== undefined) schedule = trainSchedule(runtime.subgroupSize);
  const params = runtime.createBuffer(layout.size * 4, KEYS.params);
  runtime.write(params, initialArena(layout, graph.params, options.seed ?? 0));
  const grads = runtime.createBuffer(layout.size * 4, KEYS.grads);
  const shared: SharedBuffers = { params, grads, byKey: new Map() };
  const train = await materialize(runtime, schedule, shared, 'train');
  const trainer = new Trainer(runtime, model, { ...options, loss, optimizer: config }, layout, shared, train, outShape[1]!, ownsRuntime);
  await trainer.prepareEvaluation('eval', options.evalBatchSize ?? 1000);
  await runtime.sync();
  return trainer;
}

export class Trainer {
  /** How predict() and evaluate() run: 'train' (batch statistics, dropout) or 'eval'. */
  mode: 'train' | 'eval' = 'train';
  private steps = 0;
  private readonly uniform = new Float32Array(UNIFORM_WORDS);
  private readonly rng = new Uint32Array(4);
  private readonly zeros = new Float32Array(METRIC_WORDS);
  private readonly ring: MetricsRing;
  private readonly evalRuns = new Map<string, Promise<EvalRun>>();
  /** Counter totals over steps 2..n (the first step may warm caches). */
  private readonly steady = { dispatches: 0, submits: 0, readbacks: 0, bufferAllocations: 0, pipelinesCreated: 0 };
  private samplesSinceReset = 0;
  /** Completion of recently submitted steps, oldest first (for throttle()). */
  private readonly inFlight: Promise<unknown>[] = [];
  private stepsSinceReset = 0;

  constructor(
    readonly runtime: GpuRuntime,
    private readonly model: Module,
    private readonly options: CompileOptions & { loss: LossConfig },
    private readonly layout: ArenaLayout,
    private readonly shared: SharedBuffers,
    private readonly trainRun: Materialized,
    /** Width of the model output. */
    readonly outputs: number,
    /** compile() made the runtime, so destroy() destroys it too. */
    private readonly ownsRuntime = false,
  ) {
    this.ring = new MetricsRing(runtime, trainRun.buffers.get(KEYS.metrics)!, 3);
  }

  get batchSize(): number {
    return this.options.batchSize;
  }

  train(): void {
    this.mode = 'train';
  }

  eval(): void {
    this.mode = 'eval';
  }

  /** Values per sample. */
  get sampleSize(): number {
    return sizeOf(this.options.inputShape);
  }

  private destroyed = false;

  /**
   * Frees every GPU buffer this trainer made (parameters, gradients, optimizer state,
   * activations, staging) after the GPU is idle, and the device too when compile() created
   * it. The trainer cannot be used afterwards.
   */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    await this.sync();
    this.destroyed = true;
    const evalRuns = await Promise.all(this.evalRuns.values());
    const buffers = new Set<GPUBuffer>([
      this.shared.params,
      this.shared.grads,
      ...this.shared.byKey.values(),
      ...this.trainRun.owned,
      ...evalRuns.flatMap((run) => run.materialized.owned),
    ]);
    for (const buffer of buffers) this.runtime.destroyBuffer(buffer);
    this.ring.destroy();
    if (this.ownsRuntime) this.runtime.destroy();
  }

  private checkBatch(x: Float32Array, y: ArrayLike<number>, rows: number, what: string): void {
    const expectX = rows * this.sampleSize;
    if (x.length !== expectX) {
      throw new ShapeError(`${what}: input has ${x.length} values, expected ${rows}×${showShape(this.options.inputShape)} = ${expectX}`);
    }
    const expectY = usesLabels(this.options.loss) ? rows : rows * this.outputs;
    if (y.length !== expectY) throw new ShapeError(`${what}: targets have ${y.length} values, expected ${expectY}`);
  }

  /**
   * One training step on a batch: forward, loss, backward and optimizer update, recorded into
   * one submit. Returns without waiting for the GPU. `y` holds class indices (Uint32Array)
   * for cross-entropy / NLL, else targets shaped like the output.
   */
  step(x: Float32Array, y: Uint32Array | Float32Array): void {
    if (this.destroyed) throw new ShadergradError('step: this trainer was destroyed');
    this.checkBatch(x, y, this.batchSize, 'step');
    const { runtime, trainRun } = this;
    const before = runtime.stats();
    this.steps++;
    runtime.write(trainRun.buffers.get(KEYS.input)!, x);
    runtime.write(trainRun.buffers.get(KEYS.targets)!, y);
    const lr = this.options.lrSchedule?.(this.steps - 1, this.options.totalSteps ?? Infinity);
    runtime.write(this.shared.byKey.get(KEYS.optimizerUniform)!, optimizerUniform(this.options.optimizer, { lr, step: this.steps }, this.uniform));
    const rngBuffer = this.shared.byKey.get(KEYS.dropoutRng);
    if (rngBuffer) runtime.write(rngBuffer, dropoutUniforms(this.options.seed ?? 0, this.steps, this.rng));
    this.stepsSinceReset++;
    this.samplesSinceReset += this.batchSize;
    const every = this.options.metricsEvery ?? 20;
    const slot = this.steps % every === 0 ? this.ring.take() : undefined;
    runtime.submit(trainRun.launches, 'train step', slot ? [slot.copy] : []);
    this.inFlight.push(runtime.device.queue.onSubmittedWorkDone());
    if (slot) this.ring.collect(slot.staging, { steps: this.stepsSinceReset, samples: this.samplesSinceReset }, usesLabels(this.options.loss));
    if (this.steps > 1) {
      const after = runtime.stats();
      for (const key of Object.keys(this.steady) as (keyof typeof this.steady)[]) this.steady[key] += after[key] - before[key];
    }
  }

  /**
   * Waits until at most `maxInFlight` submitted steps are unfinished on the GPU. step() never
   * waits, so a loop that only calls step() can queue work far ahead of a slow GPU (memory
   * for every queued batch, stale metrics); awaiting this each step keeps it a few steps ahead.
   */
  async throttle(maxInFlight = 2): Promise<void> {
    while (this.inFlight.length > maxInFlight) await this.inFlight.shift();
  }

  /** Newest training metrics read back (they lag the GPU by up to k steps). */
  get metrics(): TrainingMetrics {
    return this.ring.latest;
  }

  /** Starts a new averaging window (e.g. each epoch). */
  resetMetrics(): void {
    this.runtime.write(this.trainRun.buffers.get(KEYS.metrics)!, this.zeros);
    this.ring.reset();
    this.stepsSinceReset = 0;
    this.samplesSinceReset = 0;
  }

  /** Waits for the GPU and returns exact metrics of the current window (one readback). */
  async flushMetrics(): Promise<TrainingMetrics> {
    const values = await this.runtime.readFloat32(this.trainRun.buffers.get(KEYS.metrics)!, METRIC_WORDS);
    const labels = usesLabels(this.options.loss);
    return {
      loss: values[METRIC_LOSS]! / this.stepsSinceReset,
      accuracy: labels ? values[METRIC_CORRECT]! / this.samplesSinceReset : NaN,
      steps: this.stepsSinceReset,
      samples: this.samplesSinceReset,
    };
  }

  /** Compiles the evaluation pipelines for a batch size ahead of evaluate() / predict(). */
  async prepareEvaluation(mode: 'train' | 'eval', batch: number): Promise<void> {
    await this.evalRun(batch, mode);
  }

  private evalRun(batch: number, mode = this.mode): Promise<EvalRun> {
    const key = `${mode}:${batch}`;
    let run = this.evalRuns.get(key);
    if (!run) {
      const { graph, ends } = buildGraph(this.model, batch, this.options.inputShape);
      // In 'train' mode predict/evaluate use batch statistics and dropout, as torch does.
      const { schedule, output } = buildSchedule(graph, ends, {
        mode,
        loss: this.options.loss,
        layout: this.layout,
        subgroupSize: this.runtime.subgroupSize,
      });
      run = materialize(this.runtime, schedule, this.shared, `eval ${batch}`).then((materialized) => ({ materialized, output }));
      this.evalRuns.set(key, run);
    }
    return run;
  }

  /** Loss and accuracy over a dataset, in batches of evalBatchSize (a readback per batch size). */
  async evaluate(data: { x: Float32Array; y: Uint32Array | Float32Array; count: number }): Promise<Evaluation> {
    const size = this.sampleSize;
    const perTarget = usesLabels(this.options.loss) ? 1 : this.outputs;
    this.checkBatch(data.x.subarray(0, data.count * size), data.y.subarray(0, data.count * perTarget), data.count, 'evaluate');
    const batch = Math.min(this.options.evalBatchSize ?? 1000, data.count);
    const rowsOf = new Map<EvalRun, number>(); // at most two: full batches and the tail
    for (let start = 0; start < data.count; start += batch) {
      const rows = Math.min(batch, data.count - start);
      const run = await this.evalRun(rows);
      const buffers = run.materialized.buffers;
      if (!rowsOf.has(run)) {
        this.runtime.write(buffers.get(KEYS.metrics)!, this.zeros);
        rowsOf.set(run, rows);
      }
      this.runtime.write(buffers.get(KEYS.input)!, data.x.subarray(start * size, (start + rows) * size));
      this.runtime.write(buffers.get(KEYS.targets)!, data.y.subarray(start * perTarget, (start + rows) * perTarget));
      this.runtime.submit(run.materialized.launches, 'evaluate');
    }
    let lossSum = 0;
    let correct = 0;
    for (const [run, rows] of rowsOf) {
      const values = await this.runtime.readFloat32(run.materialized.buffers.get(KEYS.metrics)!, METRIC_WORDS);
      lossSum += values[METRIC_LOSS]! * rows; // the metric is a sum of batch means
      correct += values[METRIC_CORRECT]!;
    }
    return {
      loss: lossSum / data.count,
      accuracy: usesLabels(this.options.loss) ? correct / data.count : NaN,
      samples: data.count,
    };
  }

  /** The model's outputs (logits for classifiers) for `count` samples; one readback per batch. */
  async predict(x: Float32Array, count = x.length / this.sampleSize): Promise<Float32Array> {
    const size = this.sampleSize;
    if (!Number.isInteger(count) || count < 1 || x.length < count * size) {
      throw new ShapeError(`predict: input has ${x.length} values, not a whole number of samples of ${showShape(this.options.inputShape)}`);
    }
    const batch = Math.min(this.options.evalBatchSize ?? 1000, count);
    const out = new Float32Array(count * this.outputs);
    for (let start = 0; start < count; start += batch) {
      const rows = Math.min(batch, count - start);
      const run = await this.evalRun(rows);
      this.runtime.write(run.materialized.buffers.get(KEYS.input)!, x.subarray(start * size, (start + rows) * size));
      this.runtime.submit(run.materialized.launches, 'predict');
      out.set(await this.runtime.readFloat32(run.materialized.buffers.get(run.output)!, rows * this.outputs), start * this.outputs);
    }
    return out;
  }

  /** Parameters by PyTorch state-dict name (e.g. "0.weight" [out, in]); one readback. */
  async parameters(): Promise<Map<string, Float32Array>> {
    return splitArena(this.layout, await this.runtime.readFloat32(this.shared.params, this.layout.size));
  }

  /** Gradients of the last step, by parameter name; one readback. */
  async gradients(): Promise<Map<string, Float32Array>> {
    return splitArena(this.layout, await this.runtime.readFloat32(this.shared.grads, this.layout.size));
  }

  /** The global gradient norm before clipping at the last step (needs clipGradNorm); one readback. */
  async gradientNorm(): Promise<number> {
    const stats = this.trainRun.buffers.get(KEYS.clipStats);
    if (!stats) throw new RangeError('gradientNorm: compile with clipGradNorm to measure the gradient norm');
    return (await this.runtime.readFloat32(stats, 1))[0]!;
  }

  /** Parameter names and shapes in arena order. */
  get parameterShapes(): { name: string; shape: readonly number[] }[] {
    return this.layout.entries.map(({ name, shape }) => ({ name, shape }));
  }

  /** Counters of steps 2..n (work done inside step() only), and GPU bytes held now. */
  stats(): TrainerStats {
    const steps = Math.max(1, this.steps - 1);
    const s = this.steady;
    return {
      steps: this.steps,
      dispatchesPerStep: this.steps > 1 ? s.dispatches / steps : this.trainRun.launches.length,
      submitsPerStep: this.steps > 1 ? s.submits / steps : 1,
      readbacksPerStep: s.readbacks / steps,
      allocationsPerStep: s.bufferAllocations / steps,
      pipelinesCreatedPerStep: s.pipelinesCreated / steps,
      gpuBytes: this.runtime.stats().bytesHeld,
      pipelines: this.runtime.pipelines.size,
    };
  }

  /** Waits for the GPU and throws any GPU error raised so far. */
  async sync(): Promise<void> {
    await this.runtime.sync();
    await this.ring.settle();
    this.inFlight.length = 0;
  }
}
