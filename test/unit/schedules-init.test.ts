// Learning-rate schedules and initializers (torch definitions, conv weights included), checked numerically.
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/data/dataset';
import { GraphBuilder } from '../../src/graph/ir';
import { Conv2d } from '../../src/nn/conv';
import { fans, initialize } from '../../src/nn/init';
import { constantLr, cosineDecay, exponentialDecay, linearWarmup, stepDecay } from '../../src/optim/schedules';

describe('learning-rate schedules', () => {
  it('step decay multiplies by gamma at 50% and 75% of training', () => {
    const s = stepDecay(0.1, [0.5, 0.75], 0.1);
    const expected = [0.1, 0.1, 0.01, 0.01, 0.001, 0.001];
    [0, 49, 50, 74, 75, 99].forEach((step, i) => expect(s(step, 100)).toBeCloseTo(expected[i]!, 15));
  });
  it('cosine goes from lr to minLr; exponential and warm-up as defined', () => {
    const c = cosineDecay(1, 0.1);
    expect(c(0, 10)).toBeCloseTo(1, 12);
    expect(c(5, 10)).toBeCloseTo(0.55, 12);
    expect(c(10, 10)).toBeCloseTo(0.1, 12);
    expect(exponentialDecay(1, 0.5, 2)(4, 10)).toBeCloseTo(0.25, 12);
    const w = linearWarmup(4, constantLr(2));
    expect([w(0, 10), w(3, 10), w(4, 10)]).toEqual([0.5, 2, 2]);
  });
});

describe('initializers', () => {
  const stats = (v: Float32Array) => {
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    return { mean, std: Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length), max: Math.max(...v.map(Math.abs)) };
  };
  const shape = [200, 300]; // fan_in 300, fan_out 200

  it('computes fans of [out, in, ...kernel] like torch', () => {
    expect(fans([200, 300])).toEqual({ fanIn: 300, fanOut: 200 });
    expect(fans([16, 3, 5, 5])).toEqual({ fanIn: 75, fanOut: 400 });
  });

  it.each([
    ['xavierNormal', Math.sqrt(2 / 500)],
    ['heNormal', Math.sqrt(2 / 300)],
    ['xavierUniform', Math.sqrt(6 / 500) / Math.sqrt(3)],
    ['heUniform', Math.sqrt(6 / 300) / Math.sqrt(3)],
  ] as const)('%s has std %f (within 3%) and mean ≈ 0', (kind, std) => {
    const s = stats(initialize({ kind }, shape, seededRandom(1)));
    expect(Math.abs(s.std / std - 1)).toBeLessThan(0.03);
    expect(Math.abs(s.mean)).toBeLessThan(0.05 * std);
  });

  it('uniform bounds, constants and seeding', () => {
    const u = initialize({ kind: 'xavierUniform' }, shape, seededRandom(2));
    expect(stats(u).max).toBeLessThanOrEqual(Math.sqrt(6 / 500));
    expect([...initialize({ kind: 'constant', value: 3 }, [4], seededRandom(0))]).toEqual([3, 3, 3, 3]);
    expect([...initialize({ kind: 'zeros' }, [2], seededRandom(0))]).toEqual([0, 0]);
    const n = (seed: number) => Array.from(initialize({ kind: 'normal', std: 0.01 }, [50], seededRandom(seed)));
    expect(n(5)).toEqual(n(5));
    expect(n(5)).not.toEqual(n(6));
  });
});

describe('convolution weight initialization', () => {
  it('fans of a grouped conv weight [out, in/groups, kh, kw] count one group, as torch', () => {
    // torch: fan_in = in/groups·kh·kw, fan_out = out·kh·kw (the stored tensor's dims 1 and 0).
    expect(fans([32, 8, 3, 3])).toEqual({ fanIn: 72, fanOut: 288 });
    expect(fans([8, 1, 5, 3])).toEqual({ fanIn: 15, fanOut: 120 }); // depthwise
  });

  it("Conv2d's default is torch's kaiming_uniform(a=√5): W and b in U(±1/√fanIn), fanIn = 2·3·3 = 18", () => {
    const graph = new GraphBuilder();
    new Conv2d(4, 6, 3, { groups: 2 }).build(graph, graph.tensor([1, 4, 5, 5], 'input', 'x'), '0');
    const [w, b] = graph.params;
    const bound = 1 / Math.sqrt(18);
    expect(w!.shape).toEqual([6, 2, 3, 3]);
    expect(w!.init).toEqual({ kind: 'uniform', low: -bound, high: bound });
    expect(b!.init).toEqual({ kind: 'uniform', low: -bound, high: bound });
    expect([w!.tag, b!.tag]).toEqual(['weight', 'bias']);
  });

  it('heNormal on a conv weight has std √(2/fanIn) with the receptive field in fanIn', () => {
    const v = initialize({ kind: 'heNormal' }, [64, 16, 3, 3], seededRandom(3));
    const std = Math.sqrt(v.reduce((a, x) => a + x * x, 0) / v.length);
    expect(Math.abs(std / Math.sqrt(2 / 144) - 1)).toBeLessThan(0.03);
  });
});
