// Trainer: the public training API, made by compile() (compile.ts) with everything GPU-side
// created once; step() only writes the batch and the per-step uniforms and submits once.
import { ConfigError } from '../errors';
import { finiteNumber, integer } from '../validate';
import type { GpuRuntime } from '../gpu/runtime';
import { stateSlots, type ResolvedOptimizer } from '../kernels/optim-config';
import type { Module } from '../nn/module';
import { splitArena, type ArenaLayout } from './arena';
import { KEYS } from './build';
import { decodeCheckpoint, encodeCheckpoint } from './checkpoint';
import { CompiledModel, type ModelSpec } from './compiled-model';
import type { CompileOptions } from './options';
import { StepUniforms } from './step-uniforms';
import { metricsFloats, writeReplicas } from './replicas';
import type { GraphBuilder } from './ir';
import { METRIC_CORRECT, METRIC_LOSS, METRIC_NONFINITE_STEP, usesLabels } from './loss';
import { metricsOf, MetricsRing, nonFiniteStep, type TrainingMetrics } from './metrics';
import { materialize, type Materialized, type SharedBuffers } from './schedule';
import { fit, type FitData, type FitOptions, type History } from './fit';
import { trainSchedule, type TrainPlanSpec } from './train-schedule';

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
  /**
   * The kernel variant the runtime chose per shape class so far, and how (see
   * GpuRuntime.kernelChoice), e.g. {"matmul 2^20": "subgroup (table)"}.
   */
  kernels: Record<string, string>;
}

export class Trainer extends CompiledModel {
  override mode: 'train' | 'eval' = 'train';
  private steps = 0;
  private seed: number;
  private readonly uniforms: StepUniforms;
  private readonly zeros: Float32Array;
  private readonly ring: MetricsRing;
  /** Counter totals over steps 2..n (the first step may warm caches). */
  private readonly steady = { dispatches: 0, submits: 0, readbacks: 0, bufferAllocations: 0, pipelinesCreated: 0 };
  private samplesSinceReset = 0;
  /** Completion of recently submitted steps, oldest first (for throttle()). */
  private readonly inFlight: Promise<unknown>[] = [];
  private stepsSinceReset = 0;
  /** Plans for batches smaller than batchSize (an epoch's last), by rows; see prepareBatch(). */
  private readonly tailRuns = new Map<number, Materialized>();

  constructor(
    runtime: GpuRuntime,
    model: Module,
    spec: ModelSpec,
    graph: GraphBuilder,
    layout: ArenaLayout,
    shared: SharedBuffers,
    outputs: number,
    ownsRuntime: boolean,
    private readonly options: CompileOptions & { optimizer: ResolvedOptimizer },
    private readonly trainRun: Materialized,
    private readonly plan: TrainPlanSpec,
  ) {
    super(runtime, model, spec, graph, layout, shared, outputs, ownsRuntime);
    this.seed = options.seed ?? 0;
    this.zeros = new Float32Array(metricsFloats(this.replicas));
    this.ring = new MetricsRing(runtime, trainRun.buffers.get(KEYS.metrics)!, 3, this.replicas);
    this.uniforms = new StepUniforms(runtime, shared, { ...options, augment: plan.augment });
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

  /** Frees the training plan and metrics staging too. */
  protected override ownedBuffers(): GPUBuffer[] {
    this.ring.destroy();
    return [...this.trainRun.owned, ...[...this.tailRuns.values()].flatMap((run) => run.owned)];
  }

  protected override ownedPipelines(): string[] {
    return [this.trainRun, ...this.tailRuns.values()].flatMap((run) => [...run.pipelineKeys]);
  }

  /**
   * Compiles the training plan for batches of `rows` < batchSize (an epoch's last, partial
   * batch), so that step() accepts them. It shares every weight, gradient, optimizer and
   * running-statistics buffer with the main plan; its loss is the mean over its rows.
   */
  async prepareBatch(rows: number): Promise<void> {
    this.checkUsable('prepareBatch');
    integer('prepareBatch: rows', rows, 1, this.batchSize);
    if (rows === this.batchSize || this.tailRuns.has(rows)) return;
    const schedule = trainSchedule(this.plan, rows, this.runtime.subgroupSize);
    this.tailRuns.set(rows, await materialize(this.runtime, schedule, this.shared, `train ${rows}`));
  }

  /**
   * One training step on a batch: forward, loss, backward and optimizer update, recorded into
   * one submit. Returns without waiting for the GPU. `y` holds class indices (Uint32Array)
   * for cross-entropy / NLL, else targets shaped like the output. A batch has batchSize rows,
   * or fewer when prepareBatch(rows) was awaited first.
   */
  step(x: Float32Array, y: Uint32Array | Float32Array): void {
    this.checkUsable('step');
    const count = this.replicas;
    const rows = x instanceof Float32Array ? x.length / (this.sampleSize * count) : this.batchSize;
    const run = rows === this.batchSize ? this.trainRun : this.tailRuns.get(rows);
    this.checkBatch(x, y, (run ? rows : this.batchSize) * count, count === 1 ? 'step' : `step (${count} replicas' batches, one after another)`);
    this.stepWith(run!, x, y, rows);
  }

  /**
   * The learning rate the next step uses: setLearningRate()'s, else lrSchedule's, else the
   * optimizer's. It is the default group's; a param group's is this × group lr / optimizer lr.
   */
  get learningRate(): number {
    return this.uniforms.learningRate(this.steps);
  }

  /**
   * Sets the learning rate of every following step (finite in float32, ≥ 0): the default
   * group's, while each param group keeps its ratio to it (group lr / optimizer lr), as
   * torch's schedulers scale every group by one factor. It replaces lrSchedule from then on
   * (the step counter still advances: Adam's bias correction and Adagrad's lr decay are
   * unchanged); restore() and checkpoints do not carry it.
   */
  setLearningRate(lr: number): void {
    this.checkUsable('setLearningRate');
    finiteNumber('setLearningRate: lr', lr, 0);
    this.uniforms.lrOverride = lr;
  }

  /** Trains for whole epochs with validation, callbacks, early stopping and abort (see fit.ts). */
  async fit(data: FitData, options: FitOptions): Promise<History> {
    this.checkUsable('fit');
    if (this.replicas > 1) {
      throw new ConfigError(`fit: this trainer has ${this.replicas} replicas, each with its own data: train it with bagging(), crossValidate(), randomSearch() or trainReplicas()`);
    }
    return fit(this, data, options);
  }

  private stepWith(run: Materialized, x: Float32Array, y: Uint32Array | Float32Array, rows: number): void {
    const { runtime } = this;
    const before = runtime.stats();
    // The uniforms first: a schedule's bad rate throws before any state changes.
    this.uniforms.prepare(this.steps);
    this.steps++;
    this.countTrainForward();
    writeReplicas(runtime, run.buffers.get(KEYS.input)!, x, this.replicas);
    writeReplicas(runtime, run.buffers.get(KEYS.targets)!, y, this.replicas);
    this.uniforms.write(this.seed, this.steps);
    this.stepsSinceReset++;
    this.samplesSinceReset += rows;
    const every = this.options.metricsEvery ?? 20;
    // The ring reads the main plan's metrics; a tail step's are added by flushMetrics().
    const slot = run === this.trainRun && this.steps % every === 0 ? this.ring.take() : undefined;
    runtime.submit(run.launches, 'train step', slot ? [slot.copy] : []);
    this.inFlight.push(runtime.device.queue.onSubmittedWorkDone());
    if (slot) this.ring.collect(slot.staging, { steps: this.stepsSinceReset, samples: this.samplesSinceReset }, usesLabels(this.spec.loss));
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
    this.checkUsable('throttle');
    integer('throttle: maxInFlight', maxInFlight, 0);
    while (this.inFlight.length > maxInFlight) await this.inFlight.shift();
  }

  /** Newest training metrics read back (they lag the GPU by up to k steps). */
  get metrics(): TrainingMetrics {
    return this.ring.latest;
  }

  /** Starts a new averaging window (e.g. each epoch). */
  resetMetrics(): void {
    this.checkUsable('resetMetrics');
    for (const run of [this.trainRun, ...this.tailRuns.values()]) this.runtime.write(run.buffers.get(KEYS.metrics)!, this.zeros);
    this.ring.reset();
    this.stepsSinceReset = 0;
    this.samplesSinceReset = 0;
  }

  /** Waits for the GPU and returns exact metrics of the current window (one readback). */
  async flushMetrics(): Promise<TrainingMetrics> {
    this.checkUsable('flushMetrics');
    const words = metricsFloats(this.replicas);
    const values = await this.runtime.readFloat32(this.trainRun.buffers.get(KEYS.metrics)!, words);
    for (const run of this.tailRuns.values()) {
      const tail = await this.runtime.readFloat32(run.buffers.get(KEYS.metrics)!, words);
      for (let base = 0; base < words; base += 64) {
        values[base + METRIC_LOSS] = values[base + METRIC_LOSS]! + tail[base + METRIC_LOSS]!;
        values[base + METRIC_CORRECT] = values[base + METRIC_CORRECT]! + tail[base + METRIC_CORRECT]!;
      }
      if (nonFiniteStep(values) === null) values.set(tail.subarray(METRIC_NONFINITE_STEP, METRIC_NONFINITE_STEP + 1), METRIC_NONFINITE_STEP);
    }
    const at = { steps: this.stepsSinceReset, samples: this.samplesSinceReset };
    return metricsOf(values, this.replicas, at, usesLabels(this.spec.loss));
  }

  /** Gradients of the last step, by parameter name; one readback. */
  async gradients(): Promise<Map<string, Float32Array>> {
    this.checkUsable('gradients');
    return splitArena(this.layout, await this.runtime.readFloat32(this.shared.grads!, this.layout.size));
  }

  /** The global gradient norm before clipping at the last step (needs clipGradNorm); one readback. */
  async gradientNorm(): Promise<number> {
    this.checkUsable('gradientNorm');
    const stats = this.trainRun.buffers.get(KEYS.clipStats);
    if (!stats) throw new ConfigError('gradientNorm: compile with clipGradNorm to measure the gradient norm');
    return (await this.runtime.readFloat32(stats, 1))[0]!;
  }

  /**
   * Everything needed to continue training exactly: parameters and buffers, optimizer state,
   * the step counter (LR schedule position, Adam's bias correction) and the dropout seed, as a
   * safetensors file (see checkpoint.ts). Waits for submitted steps; a few readbacks.
   */
  async checkpoint(): Promise<Uint8Array> {
    this.checkUsable('checkpoint');
    const model = await this.stateDict();
    const floats = stateSlots(this.options.optimizer) * this.layout.size;
    const state = floats > 0 ? await this.runtime.readFloat32(this.shared.byKey.get(KEYS.state)!, floats) : new Float32Array(0);
    return encodeCheckpoint({ model, state, steps: this.steps, seed: this.seed, optimizer: this.options.optimizer }, this.layout);
  }

  /**
   * Continues from a checkpoint(): the next step() is the one that followed it. The trainer
   * must be compiled from the same model and optimizer (and the same lrSchedule and
   * totalSteps, which are functions, not saved); everything is checked before anything is
   * written. Training metrics start a new window.
   */
  async restore(bytes: Uint8Array): Promise<void> {
    this.checkUsable('restore');
    const saved = decodeCheckpoint(bytes, this.layout, this.options.optimizer);
    await this.loadStateDict(saved.model);
    if (saved.state.length > 0) this.runtime.write(this.shared.byKey.get(KEYS.state)!, saved.state);
    this.steps = saved.steps;
    this.seed = saved.seed;
    this.resetMetrics();
    await this.sync();
  }

  /** Counters of steps 2..n (work done inside step() only), and GPU bytes held now. */
  stats(): TrainerStats {
    this.checkUsable('stats');
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
      kernels: Object.fromEntries([...this.runtime.kernelChoice.choices()].map(([shapeClass, c]) => [shapeClass, `${c.name} (${c.by})`])),
    };
  }

  /** Waits for the GPU and throws any GPU error raised so far. */
  override async sync(): Promise<void> {
    await super.sync();
    await this.ring.settle();
    this.inFlight.length = 0;
  }
}
