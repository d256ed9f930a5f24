// Replicas (compile's `replicas`): K copies of a model trained in the same plans must each
// match a single-model run with the same seed, data, learning rate and weight decay —
// parameters, BatchNorm running statistics, training metrics, evaluation and predictions —
// for an MLP and a CNN; their hyperparameters must really differ; state dicts per replica
// load into ordinary models; bad options fail before any GPU work.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors';
import type { StateDict } from '../../src/io/state-dict';
import { compile } from '../../src/graph/compile';
import type { Trainer } from '../../src/graph/trainer';
import type { CompileOptions } from '../../src/graph/options';
import type { OptimizerConfig } from '../../src/kernels/optim-config';
import { Conv2d, MaxPool2d } from '../../src/nn/conv';
import { Flatten, Linear, ReLU, Tanh } from '../../src/nn/layers';
import { Sequential, type Module } from '../../src/nn/module';
import { BatchNorm1d, BatchNorm2d } from '../../src/nn/norm';
import { adam, momentum, noDecayOnBiasAndNorm, sgd } from '../../src/optim/optimizers';
import { testRuntime } from '../helpers/gpu';
import { normal, rng } from '../helpers/random';
import { failsBeforeGpuWork, throwsBeforeGpuWork } from '../robustness/expect-error';

const mlp = () => new Sequential([new Linear(6, 8), BatchNorm1d(8), Tanh(), new Linear(8, 3)]);
const cnn = () => new Sequential([new Conv2d(1, 3, 3, { padding: 1 }), BatchNorm2d(3), ReLU(), new MaxPool2d(2), new Flatten(), new Linear(3 * 3 * 3, 4)]);

interface Setup {
  model: () => Module;
  inputShape: number[];
  classes: number;
  optimizer: OptimizerConfig;
  replicas: { seed: number; lr: number; weightDecay: number }[];
}

const BATCH = 5;
const STEPS = 4;

/** Replica r's batch of step s: its own samples and labels. */
function batch(setup: Setup, r: number, s: number) {
  const size = setup.inputShape.reduce((a, b) => a * b, 1);
  const random = rng(1000 * r + s + 1);
  return { x: normal(BATCH * size, 100 * r + s + 7), y: Uint32Array.from({ length: BATCH }, () => Math.floor(random() * setup.classes)) };
}

const options = (setup: Setup, extra: Partial<CompileOptions>): CompileOptions => ({
  inputShape: setup.inputShape, loss: 'crossEntropy', optimizer: setup.optimizer, batchSize: BATCH, metricsEvery: 1, evalBatchSize: 16, ...extra,
});

/**
 * Everything a run leaves to compare, per replica: state dict, training metrics, evaluation
 * and predictions on fixed data (evaluate() runs in train mode, so it updates the running
 * statistics once, in every replica alike).
 */
async function outcomes(trainer: Trainer, setup: Setup) {
  const size = setup.inputShape.reduce((a, b) => a * b, 1);
  const x = normal(7 * size, 99);
  const y = Uint32Array.from({ length: 7 }, (_, i) => i % setup.classes);
  const metrics = await trainer.flushMetrics();
  const evaluation = await trainer.evaluate({ x, y, count: 7 });
  trainer.eval();
  const logits = await trainer.predict(x);
  trainer.train();
  const count = trainer.replicas;
  const width = 7 * trainer.outputs;
  return Promise.all(
    Array.from({ length: count }, async (_, r) => ({
      state: await trainer.stateDict(count === 1 ? {} : { replica: r }),
      metrics: count === 1 ? metrics : metrics.replicas![r]!,
      evaluation: count === 1 ? evaluation : evaluation.replicas![r]!,
      logits: logits.slice(r * width, (r + 1) * width),
    })),
  );
}

function expectSameState(actual: StateDict, expected: StateDict, what: string): void {
  expect([...actual.keys()], what).toEqual([...expected.keys()]);
  for (const [name, tensor] of expected) {
    const got = actual.get(name)!;
    expect(got.shape, `${what} ${name}`).toEqual(tensor.shape);
    if (tensor.data instanceof BigInt64Array) expect(got.data, `${what} ${name}`).toEqual(tensor.data);
    else expectSame(got.data as Float32Array, tensor.data, `${what} ${name}`);
  }
}

/**
 * A replica runs the same kernels on the same shapes as the single model, so its values are
 * bit-identical (measured on lavapipe and SwiftShader), not merely close.
 */
function expectSame(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) if (!Object.is(actual[i], expected[i])) expect(actual[i], `${what}[${i}]`).toBe(expected[i]);
}

async function checkEquivalence(setup: Setup): Promise<void> {
  const runtime = await testRuntime();
  const replicated = await compile(setup.model(), options(setup, { runtime, replicas: setup.replicas }));
  expect(replicated.replicas).toBe(setup.replicas.length);
  const singles = await Promise.all(
    setup.replicas.map(({ seed, lr, weightDecay }) =>
      compile(setup.model(), options(setup, { runtime, seed, optimizer: { ...setup.optimizer, lr, weightDecay } as OptimizerConfig })),
    ),
  );
  for (let s = 0; s < STEPS; s++) {
    const batches = setup.replicas.map((_, r) => batch(setup, r, s));
    const x = new Float32Array(batches.flatMap((b) => [...b.x]));
    const y = Uint32Array.from(batches.flatMap((b) => [...b.y]));
    replicated.step(x, y);
    singles.forEach((single, r) => single.step(batches[r]!.x, batches[r]!.y));
  }
  const stats = replicated.stats();
  expect(stats.submitsPerStep).toBe(1);
  expect(stats.allocationsPerStep).toBe(0);
  // stats() names the matmul variant the runtime chose for each shape class, and how.
  const matmuls = Object.entries(stats.kernels).filter(([shapeClass]) => shapeClass.startsWith('matmul '));
  expect(matmuls.length).toBeGreaterThan(0);
  for (const [, choice] of matmuls) expect(choice).toMatch(/^(register|subgroup|small|tiled-[\dx-]+) \((table|trial|stored|forced)\)$/);
  const got = await outcomes(replicated, setup);
  for (const [r, single] of singles.entries()) {
    const [want] = await outcomes(single, setup);
    expectSameState(got[r]!.state, want!.state, `replica ${r}`);
    expect(got[r]!.metrics.loss, `replica ${r} training loss`).toBe(want!.metrics.loss);
    expect(got[r]!.metrics.accuracy, `replica ${r} training accuracy`).toBe(want!.metrics.accuracy);
    expect(got[r]!.evaluation.loss, `replica ${r} evaluation loss`).toBe(want!.evaluation.loss);
    expect(got[r]!.evaluation.accuracy, `replica ${r} evaluation accuracy`).toBe(want!.evaluation.accuracy);
    expectSame(got[r]!.logits, want!.logits, `replica ${r} predictions`);
    await single.destroy();
  }
  await replicated.destroy();
}

describe('replicas: each replica is the single-model run with its seed, data and hyperparameters', () => {
  it('MLP with BatchNorm, SGD with momentum, 3 replicas with their own seed, lr and weight decay', async () => {
    await checkEquivalence({
      model: mlp, inputShape: [6], classes: 3, optimizer: momentum({ lr: 0.1, momentum: 0.9, weightDecay: 0.01 }),
      replicas: [{ seed: 3, lr: 0.1, weightDecay: 0.01 }, { seed: 11, lr: 0.05, weightDecay: 0 }, { seed: 12, lr: 0.2, weightDecay: 0.1 }],
    });
  });

  it('CNN with BatchNorm2d, Adam, 2 replicas', async () => {
    await checkEquivalence({
      model: cnn, inputShape: [1, 6, 6], classes: 4, optimizer: adam({ lr: 0.01 }),
      replicas: [{ seed: 0, lr: 0.01, weightDecay: 0 }, { seed: 1, lr: 0.003, weightDecay: 0.05 }],
    });
  });
});

describe('replicas: names, state dicts and hyperparameters', () => {
  it('names each replica like a ModuleList and loads one replica into an ordinary model', async () => {
    const runtime = await testRuntime();
    const trainer = await compile(mlp(), { inputShape: [6], loss: 'crossEntropy', optimizer: sgd({ lr: 0.1 }), batchSize: 4, evalBatchSize: 8, replicas: 2, runtime });
    expect(trainer.parameterShapes.map((p) => p.name)).toEqual([
      '0.0.weight', '0.0.bias', '0.1.weight', '0.1.bias', '0.3.weight', '0.3.bias',
      '1.0.weight', '1.0.bias', '1.1.weight', '1.1.bias', '1.3.weight', '1.3.bias',
    ]);
    const whole = await trainer.stateDict();
    expect([...whole.keys()]).toContain('1.1.num_batches_tracked');
    const second = await trainer.stateDict({ replica: 1 });
    expect([...second.keys()]).toEqual(['0.weight', '0.bias', '1.weight', '1.bias', '1.running_mean', '1.running_var', '1.num_batches_tracked', '3.weight', '3.bias']);
    // Replica seeds default to seed + r: replica 1 starts as the single model of seed 1.
    const single = await compile(mlp(), { inputShape: [6], loss: 'crossEntropy', optimizer: sgd({ lr: 0.1 }), batchSize: 4, evalBatchSize: 8, seed: 1, runtime });
    expectSameState(second, await single.stateDict(), 'replica 1 at compile');
    // Replica 0's state into an ordinary model, and an ordinary model's state into replica 1.
    await single.loadStateDict(await trainer.stateDict({ replica: 0 }));
    expectSameState(await single.stateDict(), await trainer.stateDict({ replica: 0 }), 'replica 0 loaded');
    await trainer.loadStateDict(await single.stateDict(), { replica: 1 });
    expectSameState(await trainer.stateDict({ replica: 1 }), await trainer.stateDict({ replica: 0 }), 'replica 1 overwritten');
    await expect(trainer.stateDict({ replica: 2 })).rejects.toThrow(/stateDict: replica must be an integer in \[0, 1\], got 2/);
    await single.destroy();
    await trainer.destroy();
  });

  it('a replica with lr 0 stays put while the others train; groups select by the names within a replica', async () => {
    const runtime = await testRuntime();
    const config = sgd({ lr: 0.1, weightDecay: 0.5, groups: [noDecayOnBiasAndNorm(), { params: /^3\./, lr: 0.2 }] });
    const trainer = await compile(mlp(), { inputShape: [6], loss: 'crossEntropy', optimizer: config, batchSize: 4, evalBatchSize: 8, replicas: [{ lr: 0 }, {}, { weightDecay: 0 }], runtime });
    const before = await trainer.parameters();
    const x = normal(3 * 4 * 6, 5);
    const y = Uint32Array.from({ length: 12 }, (_, i) => i % 3);
    trainer.step(x, y);
    const after = await trainer.parameters();
    for (const name of ['0.weight', '3.bias', '3.weight']) expect(after.get(`0.${name}`), `replica 0 ${name}`).toEqual(before.get(`0.${name}`));
    for (const name of ['0.weight', '3.bias', '3.weight']) expect(after.get(`1.${name}`), `replica 1 ${name}`).not.toEqual(before.get(`1.${name}`));
    await trainer.destroy();
  });
});

describe('replicas: errors before any GPU work', () => {
  it('rejects bad replica options and mis-sized batches', async () => {
    const runtime = await testRuntime();
    const base = { inputShape: [6], loss: 'crossEntropy', optimizer: sgd({ lr: 0.1 }), batchSize: 4, evalBatchSize: 8, runtime } as const;
    await failsBeforeGpuWork(runtime, () => compile(mlp(), { ...base, replicas: 0 }), ConfigError, ['compile: replicas', 'got 0', '[1, 256]']);
    await failsBeforeGpuWork(runtime, () => compile(mlp(), { ...base, replicas: [{ lr: -1 }] }), ConfigError, ['compile: replicas[0].lr', 'got -1']);
    await failsBeforeGpuWork(runtime, () => compile(mlp(), { ...base, replicas: [{ seeds: 1 } as never] }), ConfigError, ['compile: replicas[0]', 'unknown option "seeds"']);
    await failsBeforeGpuWork(
      runtime,
      () => compile(cnn(), { ...base, inputShape: [1, 6, 6], replicas: 2, augment: { imageShape: [1, 6, 6], shift: 1 } }),
      ConfigError,
      ['compile: augment', 'replicas'],
    );
    const trainer = await compile(mlp(), { ...base, replicas: 2 });
    throwsBeforeGpuWork(runtime, () => trainer.step(new Float32Array(4 * 6), new Uint32Array(4)), Error, ['2 replicas', 'expected 8×[6] = 48']);
    await trainer.destroy();
  });
});

describe('replicas: checkpoints and the single-model faces', () => {
  it('a checkpoint of a replicated trainer restores exactly; fit() points to the replica loops', async () => {
    const runtime = await testRuntime();
    const base = { inputShape: [6], loss: 'crossEntropy', optimizer: adam({ lr: 0.01 }), batchSize: 4, evalBatchSize: 8, replicas: [{ lr: 0.01 }, { lr: 0.02 }], runtime } as const;
    const x = (s: number) => normal(2 * 4 * 6, 50 + s);
    const y = Uint32Array.from({ length: 8 }, (_, i) => i % 3);
    const straight = await compile(mlp(), base);
    for (let s = 0; s < 4; s++) straight.step(x(s), y);
    const first = await compile(mlp(), base);
    for (let s = 0; s < 2; s++) first.step(x(s), y);
    const resumed = await compile(mlp(), base);
    await resumed.restore(await first.checkpoint());
    for (let s = 2; s < 4; s++) resumed.step(x(s), y);
    expect(await resumed.checkpoint()).toEqual(await straight.checkpoint());
    await expect(straight.fit({ x: x(0), y, count: 4 }, { epochs: 1 })).rejects.toThrow(/fit: this trainer has 2 replicas/);
    await Promise.all([straight, first, resumed].map((t) => t.destroy()));
  });
});
