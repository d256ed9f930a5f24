// Every layer, loss, initializer, schedule and optimizer default pinned to the literal value
// PyTorch documents (torch.nn, torch.optim, torch.nn.init; torch ≥ 2.2 for SGD's lr). The
// expected values are typed in here from the documentation, never read from src/, so a changed
// default fails. Most checks read what the layers put into a built graph and what the lowering
// bakes into kernel constants (CPU only); where a default only shows on the GPU (activation α,
// GELU's exact erf, clip_grad_norm_'s 1e-6) a tiny kernel run checks the behaviour.
import { describe, expect, it } from 'vitest';
import { arenaSegments, initialArena, layoutArena } from '../../src/graph/arena';
import { buildSchedule } from '../../src/graph/build';
import { GraphBuilder, type OpAttrs, type OpKind } from '../../src/graph/ir';
import { normalizeLoss, type LossConfig } from '../../src/graph/loss';
import { clipNorm } from '../../src/kernels/clip';
import { activationForward } from '../../src/kernels/elementwise';
import { gaussianNll, lossForward, nllForward } from '../../src/kernels/losses';
import { optimizerUniform, optimizerUpdate, segmentTable } from '../../src/kernels/optim';
import { resolveOptimizer, type OptimizerConfig } from '../../src/kernels/optim-config';
import { crossEntropyFromLabels, crossEntropyFromProbs } from '../../src/kernels/softmax_xent';
import { AvgPool2d, Conv2d, MaxPool2d } from '../../src/nn/conv';
import { initialize } from '../../src/nn/init';
import { ActivationLayer, Dropout, ELU, GELU, LeakyReLU, Linear, Softplus } from '../../src/nn/layers';
import type { Module } from '../../src/nn/module';
import { BatchNorm1d, BatchNorm2d, GroupNorm, InstanceNorm2d, LayerNorm } from '../../src/nn/norm';
import { adadelta, adagrad, adam, adamw, rmsprop, sgd } from '../../src/optim/optimizers';
import { cosineDecay, stepDecay } from '../../src/optim/schedules';
import { seededRandom } from '../../src/data/dataset';
import { expectClose } from '../helpers/compare';
import { runProgram } from '../helpers/gpu';

/** Builds `layer` on an input of `shape` and returns the graph and the layer's (last) op. */
function built(layer: Module, shape: readonly number[]) {
  const graph = new GraphBuilder();
  const input = graph.tensor(shape, 'input', 'input');
  const output = layer.build(graph, input, '0');
  return { graph, input, output, op: graph.ops[graph.ops.length - 1]! };
}

function attrsOf<K extends OpKind>(kind: K, layer: Module, shape: readonly number[]): OpAttrs[K] {
  const { op } = built(layer, shape);
  expect(op.kind).toBe(kind);
  return op.attrs as OpAttrs[K];
}

/**
 * The kernel calls a layer lowers to (eval mode, or a training step with plain SGD), under a
 * Linear head when the layer's output is not [N, C] already. Pure CPU: nothing is compiled.
 */
function lowered(layer: Module, shape: readonly number[], mode: 'train' | 'eval' = 'eval', loss: LossConfig = { kind: 'mse' }) {
  const { graph, input, output } = built(layer, shape);
  let out = output;
  if (graph.shape(out).length !== 2 || graph.params.length === 0) {
    const flat = graph.shape(out).slice(1).reduce((a, b) => a * b, 1);
    const x = graph.shape(out).length === 2 ? out : graph.op('reshape', 'flat', [out], [shape[0]!, flat], {});
    out = new Linear(flat, 3).build(graph, x, 'head');
  }
  const layout = layoutArena(graph.params);
  const optimizer =
    mode === 'train'
      ? { config: resolveOptimizer({ kind: 'sgd' }), stateFloats: 0, segmentTable: segmentTable(arenaSegments(layout), layout.size) }
      : undefined;
  const { schedule } = buildSchedule(graph, [{ input, output: out }], { mode, loss, layout, subgroupSize: undefined, optimizer });
  return schedule.calls;
}

const callsLabelled = (calls: ReturnType<typeof lowered>, label: string) => calls.filter((c) => c.program.label === label);

// torch.optim, each optimizer's signature in the documentation (torch 2.2+).
describe('torch.optim defaults', () => {
  const cases: [string, OptimizerConfig, Record<string, unknown>][] = [
    ['SGD', { kind: 'sgd' }, { kind: 'sgd', lr: 1e-3, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false }],
    ['Adagrad', { kind: 'adagrad' }, { kind: 'adagrad', lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10 }],
    ['Adadelta', { kind: 'adadelta' }, { kind: 'adadelta', lr: 1.0, rho: 0.9, eps: 1e-6, weightDecay: 0 }],
    ['RMSprop', { kind: 'rmsprop' }, { kind: 'rmsprop', lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false }],
    ['Adam', { kind: 'adam' }, { kind: 'adam', lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 }],
    ['AdamW', { kind: 'adamw' }, { kind: 'adamw', lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2 }],
  ];

  it.each(cases)('%s resolves to torch\'s defaults', (_, config, expected) => {
    expect(resolveOptimizer(config)).toEqual(expected);
  });

  it('the constructors add nothing to torch\'s defaults', () => {
    const factories = [sgd, adagrad, adadelta, rmsprop, adam, adamw];
    factories.forEach((make, i) => expect(resolveOptimizer(make())).toEqual(cases[i]![2]));
  });

  // What the fused update kernel is specialized with: the defaults must reach the GPU too.
  it.each([
    ['sgd', { MOMENTUM: 0, ONE_MINUS_DAMPENING: 1, NESTEROV: 0, WEIGHT_DECAY: 0 }],
    ['adagrad', { EPS: 1e-10, INITIAL_ACCUMULATOR: 0, WEIGHT_DECAY: 0 }],
    ['adadelta', { EPS: 1e-6, RHO: 0.9, WEIGHT_DECAY: 0 }],
    ['rmsprop', { EPS: 1e-8, ALPHA: 0.99, MOMENTUM: 0, CENTERED: 0, WEIGHT_DECAY: 0 }],
    ['adam', { EPS: 1e-8, BETA1: 0.9, BETA2: 0.999, DECOUPLED: 0, WEIGHT_DECAY: 0 }],
    ['adamw', { EPS: 1e-8, BETA1: 0.9, BETA2: 0.999, DECOUPLED: 1, WEIGHT_DECAY: 1e-2 }],
  ] as const)('%s: the update kernel gets the default hyperparameters', (kind, constants) => {
    expect(optimizerUpdate({ kind }, 64, 1).constants).toMatchObject(constants);
  });

  it('the per-step uniform carries the default lr, Adam\'s bias corrections and Adagrad\'s undecayed lr', () => {
    const u = (config: OptimizerConfig, step: number) => Array.from(optimizerUniform(config, { step }).subarray(0, 4));
    expect(u({ kind: 'sgd' }, 1)).toEqual([Math.fround(1e-3), 1, 1, 1]);
    expect(u({ kind: 'rmsprop' }, 3)).toEqual([Math.fround(1e-2), 1, 1, 1]);
    expect(u({ kind: 'adagrad' }, 50)).toEqual([Math.fround(1e-2), 1, 1, 1]); // lr_decay 0
    const [lr, scale, c1, c2] = u({ kind: 'adam' }, 2);
    expect([lr, scale]).toEqual([Math.fround(1e-3), 1]);
    expect(c1).toBe(Math.fround(1 - 0.9 ** 2));
    expect(c2).toBe(Math.fround(1 - 0.999 ** 2));
  });
});

describe('torch.nn layer defaults', () => {
  it('Linear: bias=True, weight and bias ~ U(−√k, √k) with k = 1/in_features', () => {
    const { graph, op } = built(new Linear(300, 10), [4, 300]);
    expect(op.attrs).toMatchObject({ bias: true });
    const bound = Math.sqrt(1 / 300);
    expect(graph.params.map((p) => p.name)).toEqual(['0.weight', '0.bias']);
    for (const p of graph.params) {
      expect(p.init.kind).toBe('uniform');
      const init = p.init as { low: number; high: number };
      expect(init.low).toBeCloseTo(-bound, 15);
      expect(init.high).toBeCloseTo(bound, 15);
    }
    // The drawn values fill that range (3000 draws: the extremes come within 1% of the bound).
    const layout = layoutArena(graph.params);
    const w = initialArena(layout, graph.params, [1]).subarray(0, 3000);
    const largest = Math.max(...Array.from(w, Math.abs));
    expect(largest).toBeLessThanOrEqual(bound);
    expect(largest).toBeGreaterThan(0.99 * bound);
  });

  it('Conv2d: stride 1, padding 0, dilation 1, groups 1, bias=True, U(±√k) init with k = groups/(C_in·kh·kw)', () => {
    const { graph, op, output } = built(new Conv2d(3, 8, 5), [2, 3, 12, 12]);
    expect(op.attrs).toMatchObject({ stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1, bias: true });
    expect(graph.shape(output)).toEqual([2, 8, 8, 8]); // 12 − 5 + 1
    for (const [conv, shape, k] of [
      [new Conv2d(3, 8, 5), [2, 3, 12, 12], 1 / (3 * 5 * 5)],
      [new Conv2d(4, 6, [3, 2], { groups: 2 }), [1, 4, 6, 6], 2 / (4 * 3 * 2)],
    ] as const) {
      const params = built(conv, shape).graph.params;
      expect(params.map((p) => p.name)).toEqual(['0.weight', '0.bias']);
      for (const p of params) {
        const init = p.init as { kind: string; low: number; high: number };
        expect(init.kind).toBe('uniform');
        expect(init.low).toBeCloseTo(-Math.sqrt(k), 15);
        expect(init.high).toBeCloseTo(Math.sqrt(k), 15);
      }
    }
  });

  it('MaxPool2d: stride = kernel_size, padding 0, floor output (ceil_mode=False)', () => {
    const { op, graph, output } = built(new MaxPool2d(3), [1, 2, 7, 7]);
    expect(op.attrs).toEqual({ kernel: [3, 3], stride: [3, 3], padding: [0, 0] });
    expect(graph.shape(output)).toEqual([1, 2, 2, 2]);
  });

  it('AvgPool2d: stride = kernel_size, padding 0, count_include_pad=True', () => {
    const attrs = attrsOf('avgpool2d', new AvgPool2d([2, 3]), [1, 1, 6, 6]);
    expect(attrs).toEqual({ kernel: [2, 3], stride: [2, 3], padding: [0, 0], countIncludePad: true });
    // With padding the flag reaches the kernel: padded zeros count in the divisor.
    const calls = lowered(new AvgPool2d(3, { stride: 1, padding: 1 }), [1, 1, 4, 4]);
    const [pool] = callsLabelled(calls, 'pool.avg.forward');
    expect(pool!.program.constants).toMatchObject({ COUNT_PAD: 1, PH: 1, PW: 1 });
  });

  it('Dropout: p = 0.5, kept values scaled by 1/(1 − p) = 2', () => {
    expect(attrsOf('dropout', new Dropout(), [4, 10])).toEqual({ p: 0.5 });
    const [forward] = callsLabelled(lowered(new Dropout(), [4, 10], 'train'), 'dropout.forward');
    expect(forward!.program.constants).toMatchObject({ SCALE: 2, THRESHOLD: 2 ** 23 });
  });

  it('LeakyReLU: negative_slope = 0.01; ELU: alpha = 1.0', () => {
    expect(attrsOf('activation', LeakyReLU(), [2, 3])).toEqual({ activation: 'leakyRelu', alpha: 0.01 });
    expect(attrsOf('activation', ELU(), [2, 3])).toEqual({ activation: 'elu', alpha: 1 });
    // An activation op without α gets torch's default from the kernel.
    expect(activationForward('leakyRelu', 4).constants).toMatchObject({ ALPHA: 0.01 });
    expect(activationForward('elu', 4).constants).toMatchObject({ ALPHA: 1 });
  });

  it('Softplus: beta = 1, threshold = 20', () => {
    expect(attrsOf('activation', Softplus(), [2, 3])).toEqual({ activation: 'softplus', alpha: 1, threshold: 20 });
    const [forward] = callsLabelled(lowered(Softplus(), [2, 3]), 'elementwise.softplus.forward');
    expect(forward!.program.constants).toMatchObject({ ALPHA: 1, THRESHOLD: 20 });
    // An activation op without β or threshold gets torch's defaults from the kernel.
    expect(activationForward('softplus', 4).constants).toMatchObject({ ALPHA: 1, THRESHOLD: 20 });
  });

  it('BatchNorm1d/2d: eps 1e-5, momentum 0.1, γ = 1, β = 0, running_mean 0, running_var 1, num_batches_tracked', () => {
    for (const [bn, shape] of [[BatchNorm1d(4), [8, 4]], [BatchNorm2d(4), [2, 4, 3, 3]]] as const) {
      const { graph, op } = built(bn, shape);
      expect(op.attrs).toMatchObject({ eps: 1e-5, momentum: 0.1 });
      expect(graph.params.map((p) => [p.name, p.init])).toEqual([
        ['0.weight', { kind: 'constant', value: 1 }],
        ['0.bias', { kind: 'zeros' }],
      ]);
      expect(graph.buffers.map((b) => [b.name, b.dtype, b.init && Array.from(b.init)])).toEqual([
        ['0.running_mean', 'f32', [0, 0, 0, 0]],
        ['0.running_var', 'f32', [1, 1, 1, 1]],
        ['0.num_batches_tracked', 'i64', undefined],
      ]);
      const train = lowered(bn, shape, 'train');
      expect(callsLabelled(train, 'batchnorm.forward_train')[0]!.program.constants).toMatchObject({ EPS: 1e-5, MOMENTUM: 0.1 });
      expect(callsLabelled(train, 'batchnorm.backward')[0]!.program.constants).toMatchObject({ EPS: 1e-5 });
      expect(callsLabelled(lowered(bn, shape), 'batchnorm.forward_eval')[0]!.program.constants).toMatchObject({ EPS: 1e-5 });
    }
  });

  it('LayerNorm: eps 1e-5, elementwise affine with γ = 1, β = 0', () => {
    const { graph, op } = built(new LayerNorm(6), [3, 6]);
    expect(op.attrs).toEqual({ features: 6, eps: 1e-5 });
    expect(graph.params.map((p) => [p.name, p.init])).toEqual([
      ['0.weight', { kind: 'constant', value: 1 }],
      ['0.bias', { kind: 'zeros' }],
    ]);
    const calls = lowered(new LayerNorm(6), [3, 6]);
    expect(calls.find((c) => c.program.label.includes('layer'))!.program.constants).toMatchObject({ EPS: 1e-5 });
  });

  it('GroupNorm: eps 1e-5, affine=True (γ = 1, β = 0)', () => {
    const { graph, op } = built(new GroupNorm(2, 4), [2, 4, 3, 3]);
    expect(op.attrs).toEqual({ groups: 2, channels: 4, eps: 1e-5, affine: true });
    expect(graph.params.map((p) => [p.name, p.init])).toEqual([
      ['0.weight', { kind: 'constant', value: 1 }],
      ['0.bias', { kind: 'zeros' }],
    ]);
  });

  it('InstanceNorm2d: eps 1e-5, affine=False (no parameters), no running statistics', () => {
    const { graph, op } = built(new InstanceNorm2d(3), [2, 3, 4, 4]);
    expect(op.attrs).toEqual({ groups: 3, channels: 3, eps: 1e-5, affine: false });
    expect(graph.params).toEqual([]);
    expect(graph.buffers).toEqual([]);
    const calls = lowered(new InstanceNorm2d(3), [2, 3, 4, 4]);
    expect(calls.find((c) => c.program.label.includes('group'))!.program.constants).toMatchObject({ EPS: 1e-5 });
  });
});

describe('torch.nn loss defaults', () => {
  it('CrossEntropyLoss: label_smoothing 0.0, reduction "mean" (the lowered kernel divides by N)', () => {
    expect(normalizeLoss('crossEntropy')).toEqual({ kind: 'crossEntropy' });
    for (const mode of ['eval', 'train'] as const) {
      const calls = lowered(new Linear(4, 5), [7, 4], mode, normalizeLoss('crossEntropy'));
      const [xent] = callsLabelled(calls, 'softmax_xent.cross_entropy_labels');
      expect(xent!.program.constants).toMatchObject({ SMOOTHING: 0 });
      expect(xent!.program.params).toEqual([7, 7]); // rows, divisor (launch parameters)
    }
    for (const program of [crossEntropyFromLabels(7, 5), crossEntropyFromProbs(7, 5)]) {
      expect(program.constants).toMatchObject({ SMOOTHING: 0 });
      expect(program.params).toEqual([7, 7]);
    }
    expect(crossEntropyFromLabels(7, 5, { reduction: 'sum' }).params).toEqual([7, 1]);
  });

  it('MSELoss, L1Loss, BCELoss, BCEWithLogitsLoss, NLLLoss: reduction "mean"', () => {
    for (const loss of ['mse', 'l1', 'bce', 'bceWithLogits'] as const) {
      expect(lossForward(loss, 12).constants, loss).toMatchObject({ DIVISOR: 12 });
      const calls = lowered(new Linear(4, 3), [5, 4], 'train', { kind: loss });
      expect(calls.find((c) => c.program.label.startsWith(`losses.${loss}.`))!.program.constants, loss).toMatchObject({ DIVISOR: 15 });
    }
    expect(nllForward(6, 4).constants).toMatchObject({ DIVISOR: 6 });
  });

  it('GaussianNLLLoss: eps 1e-6, reduction "mean"', () => {
    expect(gaussianNll(3, 3).constants).toMatchObject({ VAR_EPS: 1e-6, DIVISOR: 9, FULL: 0 });
  });
});

describe('torch.nn.init and torch.optim.lr_scheduler defaults', () => {
  const shape = [400, 250]; // fan_in 250, fan_out 400
  const maxAbs = (v: Float32Array) => Math.max(...Array.from(v, Math.abs));

  it('kaiming_uniform_: a = 0, mode fan_in, leaky_relu gain √2 → bound √2·√(3/fan_in); xavier_uniform_: gain 1', () => {
    const he = maxAbs(initialize({ kind: 'heUniform' }, shape, seededRandom(1)));
    const heBound = Math.sqrt(2) * Math.sqrt(3 / 250);
    expect(he).toBeLessThanOrEqual(heBound);
    expect(he).toBeGreaterThan(0.999 * heBound);
    const xavier = maxAbs(initialize({ kind: 'xavierUniform' }, shape, seededRandom(2)));
    const xavierBound = Math.sqrt(6 / (250 + 400));
    expect(xavier).toBeLessThanOrEqual(xavierBound);
    expect(xavier).toBeGreaterThan(0.999 * xavierBound);
  });

  it('kaiming_normal_: std √2/√fan_in; normal_: mean 0', () => {
    const v = initialize({ kind: 'heNormal' }, shape, seededRandom(3));
    const std = Math.sqrt(v.reduce((s, x) => s + x * x, 0) / v.length);
    expect(Math.abs(std / (Math.sqrt(2) / Math.sqrt(250)) - 1)).toBeLessThan(0.01);
    const n = initialize({ kind: 'normal', std: 1 }, shape, seededRandom(4));
    expect(Math.abs(n.reduce((s, x) => s + x, 0) / n.length)).toBeLessThan(0.01);
  });

  it('MultiStepLR: gamma 0.1; CosineAnnealingLR: eta_min 0', () => {
    expect(stepDecay(1, [0.5])(60, 100)).toBeCloseTo(0.1, 15);
    expect(cosineDecay(1)(100, 100)).toBe(0);
  });
});

describe('defaults that show on the GPU', () => {
  /** Runs the activation call that `layer` lowers to on x and returns y. */
  async function activate(layer: ActivationLayer, x: number[]): Promise<Float32Array> {
    const [call] = callsLabelled(lowered(layer, [1, x.length]), `elementwise.${layer.activation}.forward`);
    const [y] = await runProgram(call!.program, [Float32Array.from(x), { zeros: x.length }]);
    return y!;
  }

  it('ELU(): α(eˣ − 1) with α = 1 for x ≤ 0', async () => {
    const x = [-3, -1, -0.25, 2];
    const y = await activate(ELU(), x);
    expectClose(y, x.map((v) => (v > 0 ? v : Math.expm1(v))), { atol: 1e-6, rtol: 1e-6 }, 'ELU');
  });

  it('LeakyReLU(): slope 0.01 for x < 0', async () => {
    const x = [-300, -2, 0.5, 4];
    expectClose(await activate(LeakyReLU(), x), x.map((v) => (v > 0 ? v : 0.01 * v)), { atol: 0, rtol: 1e-6 }, 'LeakyReLU');
  });

  it('GELU(): approximate="none", the exact x·Φ(x), not the tanh form', async () => {
    const x = [-3, -2, -1.5, -0.5, 0.5, 1, 2, 3];
    const erf = (v: number) => {
      // Maclaurin series; |v| ≤ 3 keeps the float64 cancellation below 1e-11.
      let term = v;
      let sum = v;
      for (let k = 1; k < 80; k++) {
        term *= (-v * v) / k;
        sum += term / (2 * k + 1);
      }
      return (2 / Math.sqrt(Math.PI)) * sum;
    };
    const exact = x.map((v) => 0.5 * v * (1 + erf(v / Math.SQRT2)));
    // The tanh form is 2e-5 to 4e-4 away at these points: 1e-6 tells the two apart.
    expectClose(await activate(GELU(), x), exact, { atol: 1e-6, rtol: 1e-6 }, 'GELU');
  });

  it('Softplus(): β = 1, log(1 + eˣ), x past the threshold', async () => {
    // The threshold 20 cannot show here (softplus(20) − 20 = 2e-9, below f32's ulp of 20): the
    // constants test above pins it.
    const x = [-30, -3, 0, 2, 20, 20.5];
    const want = [9.357622968839737e-14, 0.04858735157374206, Math.LN2, 2.1269280110429727, 20, 20.5];
    expectClose(await activate(Softplus(), x), want, { atol: 0, rtol: 2e-6 }, 'Softplus');
    // β = 1: softplus(1) = log(1 + e) = 1.3133 (β = 2 would give 1.0635).
    expectClose(await activate(Softplus(), [1]), [1.3132616875182228], { atol: 0, rtol: 2e-6 }, 'Softplus β');
  });

  it('clip_grad_norm_: coefficient max_norm / (‖g‖ + 1e-6)', async () => {
    // ‖g‖ = 1e-6, so the 1e-6 halves the coefficient: 1e-7 / 2e-6 = 0.05 (without it: 0.1).
    const [stats] = await runProgram(clipNorm(1, 1e-7), [Float32Array.of(1e-6), { zeros: 2 }]);
    expect(stats![0]).toBeCloseTo(1e-6, 12);
    expect(Math.abs(stats![1]! / 0.05 - 1)).toBeLessThan(1e-5);
  });
});
