// The MNIST trainer behind `npm run train`: trains on the GPU from Node (Dawn) and reports test
// accuracy; with --json the last stdout line is one JSON object with results and per-step counters.
import { parseMnist } from '../data/mnist';
import { Batcher } from '../data/dataset';
import { compile } from '../graph/trainer';
import { resolveOptimizer } from '../kernels/optim';
import { OPTIMIZER_FACTORIES } from '../optim/optimizers';
import { constantLr, cosineDecay, stepDecay } from '../optim/schedules';
import { ShadergradError } from '../gpu/errors';
import { parseTrainArgs, type TrainArgs } from './args';
import { readMnistFiles } from './mnist-files';
import { defaultLr, mnistModel } from './models';
import { ProgressBar } from './progress';

async function train(args: TrainArgs, io: CliIo): Promise<Record<string, unknown>> {
  const log = (line: string) => io.stderr.write(`${line}\n`);
  const mnist = parseMnist(readMnistFiles(args.data), { trainCount: args.limit, normalization: args.normalize });
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
  log(`shadergrad: ${args.model} on ${trainer.runtime.gpu.adapterName}; ${trainSet.count} training samples, batch ${args.batch}, ${args.optimizer} (lr ${lr}, ${args.schedule} schedule)`);

  let trainSeconds = 0;
  let steps = 0;
  for (let epoch = 1; epoch <= args.epochs; epoch++) {
    trainer.train();
    trainer.resetMetrics();
    batcher.startEpoch();
    const bar = new ProgressBar(io.stderr, `epoch ${epoch}/${args.epochs}`, batcher.batchesPerEpoch);
    const start = performance.now();
    for (let b = 0; b < batcher.batchesPerEpoch; b++) {
      const { x, y } = batcher.fill(b);
      trainer.step(x, y);
      await trainer.throttle(); // stay a couple of steps ahead of the GPU, never further
      const seconds = (performance.now() - start) / 1000;
      bar.update(b + 1, `${Math.round(((b + 1) * args.batch) / seconds)} samples/s, loss ${trainer.metrics.loss.toFixed(4)}`);
    }
    const metrics = await trainer.flushMetrics();
    const seconds = (performance.now() - start) / 1000;
    trainSeconds += seconds;
    steps += batcher.batchesPerEpoch;
    bar.finish(
      `${Math.round(metrics.samples / seconds)} samples/s, loss ${metrics.loss.toFixed(4)}, train accuracy ${(100 * metrics.accuracy).toFixed(2)}%`,
    );
  }
  trainer.eval();
  const test = await trainer.evaluate(mnist.test);
  log(`test accuracy ${(100 * test.accuracy).toFixed(2)}%, test loss ${test.loss.toFixed(4)}`);
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
    samplesPerSec: (steps * args.batch) / trainSeconds,
    stepMs: (trainSeconds * 1000) / steps,
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
    io.stderr.write(`train: ${(error as Error).message}\n`);
    return 2;
  }
  try {
    const result = await train(args, io);
    if (args.json) io.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  } catch (error) {
    const known = error instanceof ShadergradError || error instanceof RangeError;
    io.stderr.write(`train: ${known ? (error as Error).message : String((error as Error).stack ?? error)}\n`);
    return 1;
  }
}
