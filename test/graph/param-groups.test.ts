// Optimizer param groups: which parameter lands in which group (first match wins, the rest in
// the default group), every bad group a ConfigError naming the group before any GPU work,
// then on the GPU: a grouped run against the float64 reference trainer for 3 steps under a
// schedule and clipping, setLearningRate's scaling of every group, checkpoints that record
// the groups, and steps that cost no more than without groups.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors';
import { arenaSegments, layoutArena } from '../../src/graph/arena';
import { buildGraph } from '../../src/graph/model-setup';
import { StateDictError } from '../../src/graph/state';
import { readSafetensors } from '../../src/io/safetensors';
import { compile } from '../../src/graph/compile';
import { resolveOptimizer, type OptimizerConfig } from '../../src/kernels/optim-config';
import { Linear, ReLU, Tanh } from '../../src/nn/layers';
import { Sequential } from '../../src/nn/module';
import { BatchNorm1d, LayerNorm } from '../../src/nn/norm';
import { adam, adamw, noDecayOnBiasAndNorm, sgd } from '../../src/optim/optimizers';
import { exponentialDecay } from '../../src/optim/schedules';
import { expectClose } from '../helpers/compare';
import { testRuntime } from '../helpers/gpu';
import { normal, rng } from '../helpers/random';
import type { Layer } from '../reference/model';
import { expectError, failsBeforeGpuWork, type Fragment } from '../robustness/expect-error';
import { checkMultiStep } from './multistep-check';

// 0.weight (no bias), 1.weight/1.bias (BatchNorm), 3.weight/3.bias, 4.weight/4.bias (LayerNorm), 6.weight/6.bias.
const model = () =>
  new Sequential([new Linear(6, 8, { bias: false }), BatchNorm1d(8), ReLU(), new Linear(8, 8), new LayerNorm(8), Tanh(), new Linear(8, 3)]);
const NAMES = ['0.weight', '1.weight', '1.bias', '3.weight', '3.bias', '4.weight', '4.bias', '6.weight', '6.bias'];

/** Each parameter's group index (−1: default) and segment settings, for an optimizer config. */
function assignment(config: OptimizerConfig) {
  const layout = layoutArena(buildGraph(model(), 2, [6]).graph.params, resolveOptimizer(config));
  const segments = arenaSegments(layout);
  return Object.fromEntries(layout.entries.map((e, k) => [e.name, { group: e.group, weightDecay: segments[k]!.weightDecay, lrScale: segments[k]!.lrScale }]));
}

describe('param groups: assignment', () => {
  it('without groups every parameter is in the default group and gets the optimizer\'s decay (torch)', () => {
    expect(resolveOptimizer(sgd({ lr: 0.1, weightDecay: 0.01 }))).toEqual({ kind: 'sgd', lr: 0.1, momentum: 0, dampening: 0, weightDecay: 0.01, nesterov: false });
    expect(resolveOptimizer(sgd({ lr: 0.1, weightDecay: 0.01, groups: [] }))).toEqual(resolveOptimizer(sgd({ lr: 0.1, weightDecay: 0.01 })));
    const all = assignment(sgd({ lr: 0.1, weightDecay: 0.01 }));
    expect(Object.keys(all)).toEqual(NAMES);
    for (const name of NAMES) expect(all[name], name).toEqual({ group: -1, weightDecay: undefined, lrScale: undefined });
  });

  it('noDecayOnBiasAndNorm takes every bias and every BatchNorm/LayerNorm γ, β; the first matching group wins', () => {
    const config = adamw({ lr: 0.01, weightDecay: 0.1, groups: [noDecayOnBiasAndNorm(), { params: /^(3|4)\./, lr: 0.005, weightDecay: 0.2 }] });
    expect(resolveOptimizer(config).groups!.map(({ lr, weightDecay }) => ({ lr, weightDecay }))).toEqual([
      { lr: 0.01, weightDecay: 0 },
      { lr: 0.005, weightDecay: 0.2 },
    ]);
    const noDecay = { group: 0, weightDecay: 0, lrScale: 1 };
    expect(assignment(config)).toEqual({
      '0.weight': { group: -1, weightDecay: undefined, lrScale: undefined },
      '1.weight': noDecay,
      '1.bias': noDecay,
      '3.weight': { group: 1, weightDecay: 0.2, lrScale: 0.5 },
      '3.bias': noDecay, // matched by both groups: the first wins
      '4.weight': noDecay,
      '4.bias': noDecay,
      '6.weight': { group: -1, weightDecay: undefined, lrScale: undefined },
      '6.bias': noDecay,
    });
  });

  it('selects by name list, by a g-flagged RegExp (no lastIndex state) and by predicate of name, shape, tag', () => {
    const seen: string[] = [];
    const config = sgd({
      lr: 0.2,
      groups: [
        { params: ['6.weight', '0.weight'], lr: 0.1 },
        { params: /bias/g, weightDecay: 0.3 },
        { params: (name, shape, tag) => (seen.push(`${name} [${shape}] ${tag}`), tag === 'norm' && shape[0] === 8) },
      ],
    });
    const groups = Object.values(assignment(config)).map((a) => a.group);
    expect(groups).toEqual([0, 2, 1, -1, 1, 2, 1, 0, 1]);
    expect(seen).toEqual(['1.weight [8] norm', '3.weight [8,8] weight', '4.weight [8] norm']);
    expect(assignment(config)['0.weight']!.lrScale).toBe(0.5);
  });
});

const bad = (groups: unknown) => adam({ lr: 0.01, groups: groups as never });

const invalid: [label: string, config: OptimizerConfig, fragments: Fragment[]][] = [
  ['groups not an array', bad(noDecayOnBiasAndNorm()), ['optim adam: groups must be an array of {params, lr?, weightDecay?}', 'got an object (params, weightDecay)']],
  ['a group that is null', bad([null]), ['optim adam: groups[0] must be an object {params, lr?, weightDecay?}', 'got null']],
  ['an unknown key (momentum is optimizer-wide)', bad([{ params: /bias/, momentum: 0.9 }]), ['optim adam: groups[0]: unknown option "momentum"', 'allowed: params, lr, weightDecay']],
  ['params missing', bad([{ lr: 0.1 }]), ['optim adam: groups[0].params must be a RegExp, an array of parameter names or a function', 'got undefined']],
  ['params a string', bad([{ params: 'bias' }]), ['groups[0].params must be', 'got "bias"']],
  ['params with a non-string', bad([{ params: ['3.bias', 3] }]), ['groups[0].params must be', 'got ["3.bias", 3]']],
  ['lr -0.1', bad([{ params: /bias/, lr: -0.1 }]), ['optim adam: groups[0].lr must be a finite number in [0, ', 'got -0.1']],
  ['lr NaN in the second group', bad([{ params: /bias/ }, { params: /norm/, lr: NaN }]), ['optim adam: groups[1].lr', 'got NaN']],
  ['lr 1e39 (Infinity in f32)', bad([{ params: /bias/, lr: 1e39 }]), ['groups[0].lr', 'got 1e+39']],
  ['weightDecay -0.01', bad([{ params: /bias/, weightDecay: -0.01 }]), ['optim adam: groups[0].weightDecay', 'got -0.01']],
  ['weightDecay "0"', bad([{ params: /bias/, weightDecay: '0' }]), ['groups[0].weightDecay', 'got "0"']],
  ['a group lr with optimizer lr 0', adam({ lr: 0, groups: [{ params: /bias/, lr: 0.1 }] }), ["groups[0].lr: a group's rate is kept relative", "optimizer's lr must be > 0", 'group lr 0 instead']],
];

const unmatched: [label: string, config: OptimizerConfig, fragments: Fragment[]][] = [
  ['a pattern that matches nothing', sgd({ groups: [{ params: /bias/ }, { params: /^conv/ }] }), ['optim sgd: groups[1] (params /^conv/) selects no parameter', 'not already taken', '(parameters: 0.weight, 1.weight, 1.bias, 3.weight']],
  ['a predicate that matches nothing', sgd({ groups: [{ params: () => false }] }), ['optim sgd: groups[0] (params a function) selects no parameter (parameters: 0.weight, ']],
  ['a group emptied by an earlier one', sgd({ groups: [noDecayOnBiasAndNorm(), { params: ['3.bias'] }] }), ['groups[1] (params ["3.bias"]) selects no parameter not already taken by an earlier group']],
  ['an unknown name', sgd({ groups: [{ params: ['3.bias', '0.bias'] }] }), ['optim sgd: groups[0].params names ["0.bias"], not parameters of the model (0.weight, 1.weight']],
];

describe('param groups: validation', () => {
  it.each(invalid)('%s: a ConfigError naming the group', (_, config, fragments) => {
    let error: unknown;
    try {
      resolveOptimizer(config);
    } catch (e) {
      error = e;
    }
    expectError(error, ConfigError, fragments);
  });

  it.each([...invalid, ...unmatched])('%s: compile() rejects it before any GPU work', async (_, optimizer, fragments) => {
    const runtime = await testRuntime();
    await failsBeforeGpuWork(runtime, () => compile(model(), { inputShape: [6], loss: 'crossEntropy', optimizer, batchSize: 4, runtime }), ConfigError, fragments);
  });
});

const labels = (n: number, seed: number) => {
  const r = rng(seed);
  return Uint32Array.from({ length: n }, () => Math.floor(r() * 3));
};

describe('param groups on the GPU', () => {
  it('Adam with two groups (no decay on biases and norms at 2× lr; 3.weight with its own decay) follows the float64 reference under a schedule', async () => {
    const [BATCH, EVAL] = [12, 37];
    const layers: Layer[] = [
      { kind: 'linear', name: '0', inFeatures: 6, outFeatures: 8, bias: false },
      { kind: 'batchnorm', name: '1', channels: 8, eps: 1e-5, momentum: 0.1 },
      { kind: 'activation', activation: 'relu', alpha: 0 },
      { kind: 'linear', name: '3', inFeatures: 8, outFeatures: 8, bias: true },
      { kind: 'layernorm', name: '4', features: 8, eps: 1e-5 },
      { kind: 'activation', activation: 'tanh', alpha: 0 },
      { kind: 'linear', name: '6', inFeatures: 8, outFeatures: 3, bias: true },
    ];
    await checkMultiStep({
      model: model(),
      layers,
      inputShape: [6],
      loss: 'crossEntropy',
      optimizer: {
        kind: 'adam', lr: 0.02, betas: [0.8, 0.95], eps: 1e-3, weightDecay: 0.05,
        groups: [{ ...noDecayOnBiasAndNorm(), lr: 0.04, weightDecay: 0 }, { params: ['3.weight'], lr: 0.005, weightDecay: 0.3 }],
      },
      // Written out: biases and norms no decay at 2× the rate, 3.weight decay 0.3 at ¼, the rest the optimizer's.
      group: (name, role) => (role !== 'weight' ? { weightDecay: 0, lrScale: 2 } : name === '3.weight' ? { weightDecay: 0.3, lrScale: 0.25 } : undefined),
      slots: ['exp_avg', 'exp_avg_sq'],
      lrSchedule: exponentialDecay(0.02, 0.7),
      lr: (s) => 0.02 * 0.7 ** s,
      clipGradNorm: 0.2,
      seed: 3,
      batch: BATCH,
      steps: 3,
      batchOf: (k) => ({ x: normal(BATCH * 6, 40 + k, 1.5), y: labels(BATCH, 50 + k) }),
      evalSet: { x: normal(EVAL * 6, 60, 1.5), y: labels(EVAL, 61), count: EVAL },
      evalBatchSize: 16,
      finiteDifferenceStep: 2,
    });
  }, 300_000); // compiling takes seconds on CPU drivers (minutes on a loaded machine)

  it('setLearningRate sets the default group\'s rate and scales every group alike; steps cost what they cost without groups', async () => {
    const runtime = await testRuntime();
    const x = normal(4 * 6, 5);
    const y = labels(4, 6);
    const make = (groups?: OptimizerConfig['groups']) =>
      compile(model(), { inputShape: [6], loss: 'crossEntropy', optimizer: sgd({ lr: 0.1, weightDecay: 0.02, groups }), batchSize: 4, runtime, seed: 1 });
    const grouped = await make([{ params: /bias$/, lr: 0.4, weightDecay: 0 }]);
    const plain = await make();
    grouped.setLearningRate(0.05);
    expect(grouped.learningRate).toBe(0.05);
    const p0 = await grouped.parameters();
    grouped.step(x, y);
    const g = await grouped.gradients();
    const p1 = await grouped.parameters();
    for (const name of NAMES) {
      // SGD: p ← p − lr·(g + wd·p); the group's rate is 0.4 / 0.1 × 0.05.
      const [lr, wd] = name.endsWith('.bias') ? [0.2, 0] : [0.05, 0.02];
      const want = Array.from(p0.get(name)!, (p, i) => p - lr * (g.get(name)![i]! + wd * p));
      expectClose(p1.get(name)!, want, { atol: 1e-7, rtol: 1e-6 }, `${name} after setLearningRate(0.05)`);
    }
    for (const t of [grouped, plain]) for (let k = 0; k < 3; k++) t.step(x, y);
    const [s, t] = [grouped.stats(), plain.stats()];
    const cost = (u: typeof s) => ({ dispatches: u.dispatchesPerStep, allocations: u.allocationsPerStep, pipelines: u.pipelinesCreatedPerStep, submits: u.submitsPerStep });
    expect(cost(s)).toEqual({ ...cost(t), allocations: 0, pipelines: 0, submits: 1 });
    for (const trainer of [grouped, plain]) await trainer.destroy();
  }, 300_000);

  it('checkpoints record each group by the names it took; restore accepts the same groups, rejects others', async () => {
    const runtime = await testRuntime();
    const x = normal(4 * 6, 7);
    const y = labels(4, 8);
    const make = (optimizer: OptimizerConfig) => compile(model(), { inputShape: [6], loss: 'crossEntropy', optimizer, batchSize: 4, runtime, seed: 2 });
    const trainer = await make(adamw({ lr: 0.01, groups: [noDecayOnBiasAndNorm()] }));
    trainer.step(x, y);
    const bytes = await trainer.checkpoint();
    const recorded = JSON.parse(readSafetensors(bytes).metadata.optimizer!);
    expect(recorded.groups).toEqual([{ params: ['1.weight', '1.bias', '3.bias', '4.weight', '4.bias', '6.bias'], lr: 0.01, weightDecay: 0 }]);
    // The same groups written another way select the same parameters: restore accepts them.
    const same = await make(adamw({ lr: 0.01, groups: [{ params: /^(1|4)\.|bias$/, weightDecay: 0 }] }));
    await same.restore(bytes);
    expect(await same.parameters()).toEqual(await trainer.parameters());
    const other = await make(adamw({ lr: 0.01, groups: [{ params: /bias$/, weightDecay: 0 }] }));
    expectError(await other.restore(bytes).catch((e: unknown) => e), StateDictError, ["restore: the checkpoint's optimizer", 'differs from this trainer\'s']);
    const none = await make(adamw({ lr: 0.01 }));
    expectError(await none.restore(bytes).catch((e: unknown) => e), StateDictError, ['"groups":[{"params":["1.weight"']);
    for (const t of [trainer, same, other, none]) await t.destroy();
  }, 300_000);
});
