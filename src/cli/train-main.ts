// The MNIST trainer behind `npm run train`: trains on the GPU from Node (Dawn) and reports test
// accuracy; with --json the last stdout line is one JSON object with results and per-step counters.
import { parseMnist, type Mnist } from '../data/mnist';
import { Batcher } from '../data/dataset';
import { compileInference, type InferenceModel } from '../graph/inference';
import { compile } from '../graph/trainer';
import { resolveOptimizer } from '../kernels/optim';
import { OPTIMIZER_FACTORIES } from '../optim/optimizers';
import { constantLr, cosineDecay, stepDecay } from '../optim/schedules';
import { ShadergradError } from '../gpu/errors';
import { parseTrainArgs, type TrainArgs } from './args';
import { loadSafetensors, saveSafetensors } from '../io/safetensors';
import { readMnistFiles } from './mnist-files';
import { readModelFile, writeModelFile } from './model-files';
import { defaultLr, mnistModel } from './models';
import { ProgressBar } from './progress';

/** --epochs 0: a forward-only model (compileInference) evaluates the test set. */
async function evaluateOnly(args: TrainArgs, mnist: Mnist, log: (line: string) => void): Promise<Record<string, unknown>> {
  const model = await compileInference(mnistModel(args.model), { inputShape: [1, 28, 28], seed: args.seed });
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

async function train(args: TrainArgs, io: CliIo): Promise<Record<string, unknown>> {
  const log = (line: string) => io.stderr.write(`${line}\n`);
  const mnist = parseMnist(readMnistFiles(args.data), { trainCount: args.limit, normalization: args.normalize });
  if (args.epochs === 0 && !args.resume) return evaluateOnly(args, mnist, log);
  const trainSet = mnist.train;
  const chosenLr = args.lr ?? defaultLr(args.model, args.optimizer);
  const optimizer = OPTIMIZER_FACTORIES[args.optimizer](chosenLr === undefined ? {} : { lr: chosenLr });
  const batcher = new Batcher(trainSet, args.batch, { seed: args.seed });
  const lr = resolveOptimizer(optimizer).lr;
  const schedules = { cosine: cosineDecay(lr), step: stepDecay(lr, [0.5, 0.75], 0.1), constant: constantLr(lr) };
  const trainer = await compile(mnistModel(args.model), {
    inputShape: [1, 28, 28],
    loss: 'crossEntropy',
    optimizer,
    batchSize: args.batch,
    seed: args.seed,
    lrSchedule: schedules[args.schedule],
    totalSteps: args.epochs * batcher.batchesPerEpoch,
  });
  if (args.load) await trainer.loadStateDict(loadSafetensors(readModelFile('--load', args.load)));
  const perEpoch = batcher.batchesPerEpoch;
  let done = 0; // steps already taken (a resumed checkpoint's)
  if (args.resume) {
    await trainer.restore(readModelFile('--resume', args.resume));
    done = trainer.stats().steps;
    if (done > args.epochs * perEpoch) throw new ShadergradError(`--resume ${args.resume}: the checkpoint is at step ${done}, past the ${args.epochs * perEpoch} steps of --epochs ${args.epochs}`);
    log(`resumed from ${args.resume} at step ${done} (epoch ${Math.floor(done / perEpoch) + 1}, batch ${(done % perEpoch) + 1})`);
  }
  log(`shadergrad: ${args.model} on ${trainer.runtime.gpu.adapterName}; ${trainSet.count} training samples, batch ${args.batch}, ${args.optimizer} (lr ${lr}, ${args.schedule} schedule)`);

  let trainSeconds = 0;
  let steps = 0;
  for (let epoch = 1; epoch <= args.epochs; epoch++) {
    batcher.startEpoch(); // replayed for resumed epochs: the shuffles stay the same
    const first = Math.max(0, done - (epoch - 1) * perEpoch);
    if (first >= perEpoch) continue;
    trainer.train();
    trainer.resetMetrics();
    const bar = new ProgressBar(io.stderr, `epoch ${epoch}/${args.epochs}`, perEpoch);
    const start = performance.now();
    for (let b = first; b < perEpoch; b++) {
      const { x, y } = batcher.fill(b);
      trainer.step(x, y);
      await trainer.throttle(); // stay a couple of steps ahead of the GPU, never further
      const seconds = (performance.now() - start) / 1000;
      bar.update(b + 1, `${Math.round(((b + 1 - first) * args.batch) / seconds)} samples/s, loss ${trainer.metrics.loss.toFixed(4)}`);
    }
    const metrics = await trainer.flushMetrics();
    const seconds = (performance.now() - start) / 1000;
    trainSeconds += seconds;
    steps += perEpoch - first;
    bar.finish(
      `${Math.round(metrics.samples / seconds)} samples/s, loss ${metrics.loss.toFixed(4)}, train accuracy ${(100 * metrics.accuracy).toFixed(2)}%`,
    );
    if (args.checkpoint) writeModelFile('--checkpoint', args.checkpoint, await trainer.checkpoint());
  }
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
    batch: args.batch,
    stepsTrained: steps,
    samplesPerSec: steps > 0 ? (steps * args.batch) / trainSeconds : null,
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
    const result = await train(args, io);
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
