// The compiled-plan core every face of a model shares (Trainer, InferenceModel): the parameter
// arena and buffers on the GPU, forward-only plans for predict() and evaluate(), and the
// state dict. Training adds its step plan on top (trainer.ts).
import { ConfigError, ShadergradError } from '../errors';
import type { DeviceLostError } from '../gpu/errors';
import { boolean, integer, show } from '../validate';
import type { GpuRuntime } from '../gpu/runtime';
import type { StateDict, StateDictLike } from '../io/state-dict';
import type { Module } from '../nn/module';
import { splitArena, type ArenaLayout } from './arena';
import { KEYS } from './build';
import { ShapeError, showShape, sizeOf, type GraphBuilder } from './ir';
import { EvalPlans, type EvalRun } from './eval-plans';
import { lossRowsFactor, METRIC_CORRECT, METRIC_LOSS, METRIC_ROWS, METRIC_WORDS, targetsPerRow, usesLabels, type LossConfig } from './loss';
import { checkPredictOptions, moduleOutputs, type LayerOutput, type PredictOptions, type PredictOutputs } from './layer-outputs';
import type { SharedBuffers } from './schedule';
import { ModelState } from './model-state';
import { metricsFloats } from './replicas';

export interface Evaluation {
  loss: number;
  /** NaN for losses without class labels. */
  accuracy: number;
  samples: number;
  /**
   * A model with several replicas: each one's evaluation on the same data; `loss` and
   * `accuracy` above are then their means (the average member).
   */
  replicas?: Evaluation[];
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
  /** Copies of the model compiled side by side (compile's replicas); default 1. */
  replicas?: number;
}

export class CompiledModel {
  /** How predict() and evaluate() run: 'train' (batch statistics, dropout) or 'eval'. */
  mode: 'train' | 'eval' = 'eval';
  protected destroyed = false;
  /** Parameters, buffers and counters by state-dict name. */
  private readonly state: ModelState;
  private readonly plans: EvalPlans;
  /** Zeroed metrics words of every replica, made on the first evaluate(). */
  private noMetrics: Float32Array | undefined;
  private readonly rowsWord = new Float32Array(1);
  /** Per-sample output shape of every module name (see moduleOutputs), for predict's `outputs`. */
  private readonly moduleShapes: ReadonlyMap<string, readonly number[]>;

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
    this.state = new ModelState(runtime, shared, layout, graph, spec.replicas ?? 1);
    const planSpec = { model, inputShape: spec.inputShape, loss: spec.loss, layout, replicas: spec.replicas };
    this.plans = new EvalPlans(runtime, shared, planSpec, spec.evalBatchSize);
    this.moduleShapes = new Map([...moduleOutputs(graph)].map(([name, id]) => [name, graph.shape(id).slice(1)]));
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

  /** Independent copies of the model (compile's `replicas`); 1 for an ordinary model. */
  get replicas(): number {
    return this.spec.replicas ?? 1;
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
    this.state.countTrainForward();
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
    await this.plans.get(rows, mode);
  }

  /** Writes `rows` samples from `start` into a plan's input and submits its forward pass. */
  private async forward(x: Float32Array, start: number, rows: number, keep?: readonly string[]): Promise<EvalRun> {
    const run = await this.plans.get(rows, this.mode, keep);
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
      if (!used.has(run)) this.runtime.write(metrics, (this.noMetrics ??= new Float32Array(metricsFloats(this.replicas))));
      used.add(run);
      // Each replica's head counts the real rows of its own metrics slice.
      if (run.padded) for (let r = 0; r < this.replicas; r++) this.runtime.write(metrics, this.rowsWord.fill(rows), (r * 64 + METRIC_ROWS) * 4);
      this.runtime.write(buffers.get(KEYS.targets)!, data.y.subarray(start * perTarget, (start + rows) * perTarget));
      this.runtime.submit(run.materialized.launches, 'evaluate');
    }
    const count = this.replicas;
    const lossSum = new Float64Array(count);
    const correct = new Float64Array(count);
    for (const run of used) {
      const values = await this.runtime.readFloat32(run.materialized.buffers.get(KEYS.metrics)!, metricsFloats(count));
      for (let r = 0; r < count; r++) {
        // Loss terms are divided by the plan's batch (not for 'sse'): this gives the sum of per-sample losses.
        lossSum[r]! += values[r * 64 + METRIC_LOSS]! * lossRowsFactor(this.spec.loss, run.batch);
        correct[r]! += values[r * 64 + METRIC_CORRECT]!;
      }
    }
    const replicas = Array.from(lossSum, (sum, r) => ({
      loss: sum / data.count,
      accuracy: usesLabels(this.spec.loss) ? correct[r]! / data.count : NaN,
      samples: data.count,
    }));
    if (count === 1) return replicas[0]!;
    const mean = (f: (e: Evaluation) => number) => replicas.reduce((a, e) => a + f(e), 0) / count;
    return { loss: mean((e) => e.loss), accuracy: mean((e) => e.accuracy), samples: data.count, replicas };
  }

  /**
   * The model's outputs (logits for classifiers) for `count` samples (default: all of x); one
   * readback per batch of evalBatchSize. A model with K replicas returns every replica's
   * outputs for the same samples, replica-major: [K, count, outputs].
   */
  async predict(x: Float32Array, count?: number): Promise<Float32Array>;
  /**
   * The model output and the outputs of the modules named in `options.outputs` (state-dict
   * prefixes: "1", "features.2"; see PredictOptions), each [count, ...shape], in the current
   * mode. One readback per named module and batch. Each list of names gets its own plans,
   * compiled on first use, cached and released by destroy().
   */
  async predict(x: Float32Array, options: PredictOptions): Promise<PredictOutputs>;
  async predict(x: Float32Array, arg?: number | PredictOptions): Promise<Float32Array | PredictOutputs> {
    this.checkUsable('predict');
    const options = typeof arg === 'object' ? checkPredictOptions(arg, this.moduleShapes) : undefined;
    let count = options ? options.count : (arg as number | undefined); // a number is checked below
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
    const names = options?.outputs ?? [];
    const layers = new Map<string, LayerOutput>();
    for (const name of names) {
      const shape = this.moduleShapes.get(name)!;
      layers.set(name, { shape: [count, ...shape], data: new Float32Array(count * sizeOf(shape)) });
    }
    const chunk = Math.min(this.spec.evalBatchSize, count);
    const out = new Float32Array(this.replicas * count * this.outputs);
    for (let start = 0; start < count; start += chunk) {
      const rows = Math.min(chunk, count - start);
      const run = await this.forward(x, start, rows, names);
      this.runtime.submit(run.materialized.launches, 'predict');
      for (const [r, key] of run.outputs.entries()) {
        out.set(await this.runtime.readFloat32(run.materialized.buffers.get(key)!, rows * this.outputs), (r * count + start) * this.outputs);
      }
      for (const [k, name] of names.entries()) {
        const layer = layers.get(name)!;
        const perSample = layer.data.length / count;
        layer.data.set(await this.runtime.readFloat32(run.materialized.buffers.get(run.kept[k]!)!, rows * perSample), start * perSample);
      }
    }
    return options ? { output: out, layers } : out;
  }

  /** Parameters by PyTorch state-dict name (e.g. "0.weight" [out, in]); one readback. */
  async parameters(): Promise<Map<string, Float32Array>> {
    this.checkUsable('parameters');
    return splitArena(this.layout, await this.runtime.readFloat32(this.shared.params, this.layout.size));
  }

  /**
   * Every tensor torch's model.state_dict() holds, with its names, shapes and order:
   * parameters, and buffers (BatchNorm running_mean, running_var, num_batches_tracked as
   * int64). One readback per GPU buffer. A model with replicas names each one's entries
   * under its index ("3.0.weight", as a torch.nn.ModuleList); `{replica: r}` gives replica r
   * alone, with the names of an ordinary model.
   */
  async stateDict(options: { replica?: number } = {}): Promise<StateDict> {
    this.checkUsable('stateDict');
    return this.state.read(options);
  }

  /**
   * Loads a state dict as torch's load_state_dict: with `strict` (default) missing and
   * unexpected keys are errors; shape and dtype mismatches always are; every problem is in one
   * StateDictError, thrown before anything is written. Returns the keys strict mode would
   * have rejected. `{replica: r}` loads an ordinary model's state into replica r.
   */
  async loadStateDict(dict: StateDictLike, options: { strict?: boolean; replica?: number } = {}): Promise<{ missing: string[]; unexpected: string[] }> {
    this.checkUsable('loadStateDict');
    if (options.strict !== undefined) boolean('loadStateDict: strict', options.strict);
    const result = this.state.load(dict, { strict: options.strict ?? true, replica: options.replica });
    await this.runtime.sync();
    return result;
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
    const evalRuns = await this.plans.all();
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
