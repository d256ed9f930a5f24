// The MNIST trainer behind `npm run train`: trains on the GPU from Node (Dawn) and reports test
// accuracy; with --json the last stdout line is one JSON object with results and per-step counters.
import { splitDataset } from '../data/arrays';
import { parseMnist, type Mnist } from '../data/mnist';
import { compileInference, type InferenceModel } from '../graph/inference';
import { compile } from '../graph/compile';
import { resolveOptimizer } from '../kernels/optim-config';
import { OPTIMIZER_FACTORIES } from '../optim/optimizers';
import { constantLr, cosineDecay, stepDecay } from '../optim/schedules';
import { ShadergradError } from '../gpu/errors';
import { GpuRuntime } from '../gpu/runtime';
import { fail } from '../validate';
import { parseTrainArgs, type TrainArgs } from './args';
import { loadSafetensors, saveSafetensors } from '../io/safetensors';
import { readMnistFiles } from './mnist-files';
import { readModelFile, writeModelFile } from './model-files';
import { defaultLr, mnistModel } from './models';
import { ProgressBar } from './progress';

/** --epochs 0: a forward-only model (compileInference) evaluates the test set. */
async function evaluateOnly(args: TrainArgs, runtime: GpuRuntime, mnist: Mnist, log: (line: string) => void): Promise<Record<string, unknown>> {
  const model = await compileInference(mnistModel(args.model), { inputShape: [1, 28, 28], seed: args.seed, runtime });
  try {
    return await evaluateModel(args, model, mnist, log);
  } finally {
    await model.destroy();
  }
}

async function evaluateModel(args: TrainArgs, model: InferenceModel, mnist: Mnist, log: (line: string) => void) {
  if (args.load) await model.loadStateDict(loadSafetensors(readModelFile('--load', args.load)));
  log(`shadergrad: ${args.model} on ${model.runtime.gpu.adapterName}, inference only${args.load ? `, weights from ${args.load}` : ' (initial weights)'}`);
  const test = await model.evaluate(mnist.test);
  log(`test accuracy ${(100 * test.accuracy).toFixed(2)}%, test loss ${test.loss.toFixed(4)}`);
  return {
    model: args.model,
    adapter: model.runtime.gpu.adapterName,
    loaded: args.load ?? null,
    testAccuracy: test.accuracy,
    testLoss: test.loss,
    epochs: 0,
    gpuBytes: model.runtime.stats().bytesHeld,
  };
}

/** Reads MNIST, then trains (or evaluates) on one runtime that is destroyed at the end. */
async function run(args: TrainArgs, io: CliIo): Promise<Record<string, unknown>> {
  const log = (line: string) => io.stderr.write(`${line}\n`);
  const mnist = parseMnist(readMnistFiles(args.data), { trainCount: args.limit, normalization: args.normalize });
  const runtime = await GpuRuntime.create({ dawnEvents: args.dawnEvents });
  try {
    const result = args.epochs === 0 && !args.resume ? await evaluateOnly(args, runtime, mnist, log) : await train(args, runtime, mnist, io);
    return { ...result, dawnEvents: runtime.gpu.dawnEvents };
  } finally {
    runtime.destroy();
  }
}

async function train(args: TrainArgs, runtime: GpuRuntime, mnist: Mnist, io: CliIo): Promise<Record<string, unknown>> {
  const log = (line: string) => io.stderr.write(`${line}\n`);
  const { train: trainSet, validation } = args.validation === undefined ? { train: mnist.train, validation: undefined } : splitDataset(mnist.train, args.validation, args.seed);
  const chosenLr = args.lr ?? defaultLr(args.model, args.optimizer);
  const optimizer = OPTIMIZER_FACTORIES[args.optimizer](chosenLr === undefined ? {} : { lr: chosenLr });
  // fit() would train one partial batch; the CLI keeps rejecting a batch over the data, with
  // the message of its former Batcher (test/robustness/cli.node.test.ts).
  if (args.batch > trainSet.count) fail('Batcher: batchSize', args.batch, `at most the ${trainSet.count} samples of the data`);
  const perEpoch = Math.ceil(trainSet.count / args.batch); // the last, partial batch trains too
  const lr = resolveOptimizer(optimizer).lr;
  const schedules = { cosine: cosineDecay(lr), step: stepDecay(lr, [0.5, 0.75], 0.1), constant: constantLr(lr) };
  const trainer = await compile(mnistModel(args.model), {
    inputShape: [1, 28, 28],
    loss: 'crossEntropy',
    optimizer,
    batchSize: args.batch,
    seed: args.seed,
    lrSchedule: schedules[args.schedule],
    totalSteps: args.epochs * perEpoch,
    ...(args.augment && { augment: args.augment }),
    runtime,
  });
  if (args.load) await trainer.loadStateDict(loadSafetensors(readModelFile('--load', args.load)));
  let done = 0; // steps already taken (a resumed checkpoint's)
  if (args.resume) {
    await trainer.restore(readModelFile('--resume', args.resume));
    done = trainer.stats().steps;
    if (done > args.epochs * perEpoch) throw new ShadergradError(`--resume ${args.resume}: the checkpoint is at step ${done}, past the ${args.epochs * perEpoch} steps of --epochs ${args.epochs}`);
    // The CLI checkpoints at epoch ends; fit() resumes at an epoch boundary.
    if (done % perEpoch !== 0) throw new ShadergradError(`--resume ${args.resume}: the checkpoint is at step ${done}, inside an epoch of ${perEpoch} steps (were --batch or --limit changed?)`);
    log(`resumed from ${args.resume} at step ${done} (epoch ${done / perEpoch + 1})`);
  }
  log(`shadergrad: ${args.model} on ${trainer.runtime.gpu.adapterName}; ${trainSet.count} training samples, batch ${args.batch}, ${args.optimizer} (lr ${lr}, ${args.schedule} schedule)`);
  if (validation) log(`validation: ${validation.count} held-out samples${args.earlyStopping ? `, early stopping after ${args.earlyStopping} epochs without a lower validation loss` : ''}`);
  if (args.augment) log(`augmentation: ${JSON.stringify(args.augment)}`);

  let bar: ProgressBar | undefined;
  const history = args.epochs === 0 ? { epochs: [] } : await trainer.fit(trainSet, {
    epochs: args.epochs,
    initialEpoch: done / perEpoch, // replays the skipped epochs' shuffles
    seed: args.seed,
    ...(validation && { validation }),
    ...(args.earlyStopping && { earlyStopping: { monitor: 'valLoss' as const, patience: args.earlyStopping } }),
    onProgress: ({ epoch, samplesDone, samplesPerSec }) => {
      bar ??= new ProgressBar(io.stderr, `epoch ${epoch}/${args.epochs}`, perEpoch);
      bar.update(Math.ceil(samplesDone / args.batch), `${Math.round(samplesPerSec)} samples/s, loss ${trainer.metrics.loss.toFixed(4)}`);
    },
    onEpochEnd: async (e) => {
      const val = validation ? `, validation loss ${e.valLoss.toFixed(4)}, accuracy ${(100 * e.valAccuracy).toFixed(2)}%` : '';
      bar?.finish(`${Math.round(e.samples / e.seconds)} samples/s, loss ${e.loss.toFixed(4)}, train accuracy ${(100 * e.accuracy).toFixed(2)}%${val}`);
      bar = undefined;
      if (args.checkpoint) writeModelFile('--checkpoint', args.checkpoint, await trainer.checkpoint());
    },
  });
  if ('stopped' in history && history.stopped === 'earlyStopping') log(`early stopping after epoch ${history.epochs.at(-1)!.epoch}; the weights of epoch ${history.bestEpoch} are kept`);
  const trainSeconds = history.epochs.reduce((sum, e) => sum + e.seconds, 0);
  const samples = history.epochs.reduce((sum, e) => sum + e.samples, 0);
  const steps = trainer.stats().steps - done;
  trainer.eval();
  const test = await trainer.evaluate(mnist.test);
  log(`test accuracy ${(100 * test.accuracy).toFixed(2)}%, test loss ${test.loss.toFixed(4)}`);
  if (args.save) {
    writeModelFile('--save', args.save, saveSafetensors(await trainer.stateDict(), { model: args.model }));
    log(`saved the model to ${args.save}`);
  }
  const stats = trainer.stats();
  return {
    model: args.model,
    optimizer: args.optimizer,
    lr,
    schedule: args.schedule,
    adapter: trainer.runtime.gpu.adapterName,
    testAccuracy: test.accuracy,
    testLoss: test.loss,
    epochs: args.epochs,
    epochsTrained: history.epochs.length,
    stopped: 'stopped' in history ? history.stopped : 'completed',
    bestEpoch: 'bestEpoch' in history ? history.bestEpoch : null,
    history: history.epochs,
    augment: args.augment ?? null,
    validationSamples: validation?.count ?? 0,
    batch: args.batch,
    stepsTrained: steps,
    samplesPerSec: steps > 0 ? samples / trainSeconds : null,
    stepMs: steps > 0 ? (trainSeconds * 1000) / steps : null,
    dispatchesPerStep: stats.dispatchesPerStep,
    submitsPerStep: stats.submitsPerStep,
    readbacksPerStep: stats.readbacksPerStep,
    allocationsPerStep: stats.allocationsPerStep,
    pipelinesCreatedPerStep: stats.pipelinesCreatedPerStep,
    gpuBytes: stats.gpuBytes,
  };
}

/** Streams the CLI writes to (process.stdout/stderr; tests pass their own). */
export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: NodeJS.WriteStream | { write(text: string): unknown; isTTY?: boolean };
}

/** Runs the trainer CLI; returns the exit code (0 ok, 1 failure, 2 bad arguments). */
export async function runTrainCli(argv: readonly string[], io: CliIo): Promise<number> {
  let args: TrainArgs;
  try {
    args = parseTrainArgs(argv);
  } catch (error) {
    io.stderr.write(`train: ${oneLine((error as Error).message)}\n`);
    return 2;
  }
  try {
    const result = await run(args, io);
    if (args.json) io.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  } catch (error) {
    // Our errors are explained in their message; anything else is a bug, reported with its
    // origin, still on one line (set SHADERGRAD_STACK=1 for the whole stack).
    const e = error as Error;
    const text = error instanceof ShadergradError ? e.message : `${e?.name ?? 'Error'}: ${e?.message ?? String(error)} (${firstFrame(e)})`;
    io.stderr.write(`train: ${oneLine(text)}\n`);
    if (!(error instanceof ShadergradError) && process.env.SHADERGRAD_STACK) io.stderr.write(`${e?.stack}\n`);
    return 1;
  }
}

/** Multi-line messages (several state-dict problems, Dawn's compiler output) on one line. */
const oneLine = (text: string) => text.replace(/\s*\n\s*/g, '; ').trim();

const firstFrame = (error: Error | undefined) => error?.stack?.split('\n').find((l) => l.trim().startsWith('at '))?.trim() ?? 'no stack';
