// Augmentation kernels against the float64 reference given the same Philox draws: affine
// (shift, rotate, scale, combined) with bilinear zero fill, Gaussian noise, cutout, mixup,
// CutMix and the mixed soft targets; the host's per-step λ / box draws.
import { describe, expect, it } from 'vitest';
import { augmentSamples, augmentUniforms, mixBatch, mixTargets, MIX_CUTMIX, MIX_MIXUP, MIX_NONE, type ImageShape, type MixDraw, type SampleAugmentation } from '../../src/kernels/augment';
import { drawMix } from '../../src/graph/augment';
import { expectClose } from '../helpers/compare';
import { runProgram } from '../helpers/gpu';
import { uniform } from '../helpers/random';
import { augmentReference, mixReference, mixTargetsReference, noiseDraw, sampleDraws } from '../reference/augment';

const SEED = 0x5eed;
const EXACT = { atol: 0, rtol: 0 };
// Bilinear sampling at f32 source coordinates (|coord| < 32, ulp ≤ 4e-6; sin/cos are the
// kernel's own series, not the adapter's) times neighbour differences ≤ 1: the worst seen is
// 2.4e-6 (28×28, ±180°) on lavapipe and SwiftShader alike.
const AFFINE = { atol: 1e-5, rtol: 0 };
// Box–Muller in f32 (log to a few ulp, |z| < 5.8) times the noise std 0.3: worst seen 2.1e-7.
const NOISE = { atol: 1e-6, rtol: 1e-5 };
// λ·a + (1 − λ)·b in f32 with |a|, |b| ≤ 1.
const MIX = { atol: 3e-7, rtol: 0 };

const noMix = (): MixDraw => ({ mode: MIX_NONE, lam: 1, box: new Uint32Array(4) });

async function augment(x: Float32Array, n: number, image: ImageShape, options: SampleAugmentation, step = 3, seed = SEED) {
  const [y] = await runProgram(augmentSamples(n, image, options), [{ uniform: augmentUniforms(seed, step, noMix()) }, x, { zeros: x.length }]);
  return y!;
}

const image = (n: number, shape: ImageShape, seed: number) => uniform(n * shape[0] * shape[1] * shape[2], seed, 0, 1);

describe('per-sample augmentation kernel', () => {
  const cases: [string, SampleAugmentation, ImageShape][] = [
    ['shift', { shift: 2.5 }, [2, 7, 9]],
    ['rotate', { rotate: 40 }, [1, 12, 10]],
    ['scale', { scale: [0.7, 1.4] }, [1, 9, 11]],
    ['combined affine', { shift: 3, rotate: 180, scale: [0.8, 1.25] }, [3, 10, 8]],
  ];
  it.each(cases)('%s equals the reference (bilinear, zero fill)', async (_, options, shape) => {
    const n = 6;
    const x = image(n, shape, 11);
    expectClose(await augment(x, n, shape, options), augmentReference(x, n, shape, options, SEED, 3), AFFINE, `augment ${JSON.stringify(options)}`);
  });

  it('a shift samples the image at (x − tx, y − ty), independently of the reference', async () => {
    const shape: ImageShape = [1, 6, 6];
    const x = image(1, shape, 5);
    const y = await augment(x, 1, shape, { shift: 0.9 });
    const { tx, ty } = sampleDraws({ shift: 0.9 }, shape, 0, SEED, 3);
    // Pixel (3, 3) reads source (3 − tx, 3 − ty): between texels 2..4, all inside.
    const [sx, sy] = [3 - tx, 3 - ty];
    const [x0, y0] = [Math.floor(sx), Math.floor(sy)];
    const [fx, fy] = [sx - x0, sy - y0];
    const at = (a: number, b: number) => x[b * 6 + a]!;
    const expected = (1 - fy) * ((1 - fx) * at(x0, y0) + fx * at(x0 + 1, y0)) + fy * ((1 - fx) * at(x0, y0 + 1) + fx * at(x0 + 1, y0 + 1));
    expect(Math.abs(y[3 * 6 + 3]! - expected)).toBeLessThan(1e-5);
    // A corner pixel moved in from outside by more than a pixel reads zeros.
    const corner = (tx > 0 ? 0 : 5) + (ty > 0 ? 0 : 5) * 6;
    if (Math.abs(tx) > 0 && Math.abs(ty) > 0) expect(Math.abs(y[corner]!)).toBeLessThanOrEqual(Math.max(...x));
  });

  it('Gaussian noise equals the reference and has the stated std', async () => {
    const shape: ImageShape = [2, 5, 6];
    const n = 4;
    const x = image(n, shape, 2);
    expectClose(await augment(x, n, shape, { noise: 0.3 }), augmentReference(x, n, shape, { noise: 0.3 }, SEED, 3), NOISE, 'noise');
    const big = 100_000;
    const z = await augment(new Float32Array(big), big, [1, 1, 1], { noise: 2 });
    const mean = z.reduce((a, b) => a + b, 0) / big;
    const std = Math.sqrt(z.reduce((a, b) => a + (b - mean) ** 2, 0) / big);
    // σ of the mean is 2/√1e5 = 0.0063; of the std about 2/√(2e5) = 0.0045.
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(std - 2)).toBeLessThan(0.02);
    expect(noiseDraw(big, 0, SEED, 3)).toBeCloseTo(z[0]! / 2, 5);
  });

  it('cutout zeroes one clipped square per sample and copies the rest exactly', async () => {
    const shape: ImageShape = [2, 9, 8];
    const n = 16;
    const x = image(n, shape, 8);
    const y = await augment(x, n, shape, { cutout: 4 });
    expectClose(y, augmentReference(x, n, shape, { cutout: 4 }, SEED, 3), EXACT, 'cutout');
    for (let s = 0; s < n; s++) {
      const zeros = y.subarray(s * 144, s * 144 + 72).filter((v) => v === 0).length;
      const { cx, cy } = sampleDraws({}, shape, s, SEED, 3);
      const side = (c: number, size: number) => Math.min(size, c + 2) - Math.max(0, c - 2);
      expect(zeros).toBe(side(cx, 8) * side(cy, 9));
    }
  });

  it('affine, noise and cutout together equal the reference', async () => {
    const options: SampleAugmentation = { shift: 1.5, rotate: 15, scale: [0.9, 1.1], noise: 0.1, cutout: 3 };
    const shape: ImageShape = [3, 8, 8];
    const x = image(5, shape, 4);
    expectClose(await augment(x, 5, shape, options, 9), augmentReference(x, 5, shape, options, SEED, 9), AFFINE, 'all per-sample');
  });

  it('copies when nothing is enabled, and draws anew per step and seed', async () => {
    const shape: ImageShape = [1, 8, 8];
    const x = image(4, shape, 6);
    expectClose(await augment(x, 4, shape, {}), x, EXACT, 'identity');
    const options = { rotate: 30, noise: 0.1 };
    const a = await augment(x, 4, shape, options, 1);
    for (const other of [await augment(x, 4, shape, options, 2), await augment(x, 4, shape, options, 1, SEED + 1)]) {
      expect(a.some((v, i) => Math.abs(v - other[i]!) > 1e-3)).toBe(true);
    }
    expectClose(await augment(x, 4, shape, options, 1), a, EXACT, 'same step, same draws');
  });
});

describe('mixup and CutMix kernels', () => {
  const shape: ImageShape = [2, 5, 7];
  const sample = 70;

  async function mix(x: Float32Array, n: number, draw: MixDraw) {
    const [y] = await runProgram(mixBatch(n, shape), [{ uniform: augmentUniforms(SEED, 1, draw) }, x, { zeros: x.length }]);
    return y!;
  }
  async function targets(labels: Uint32Array, classes: number, draw: MixDraw) {
    const [t] = await runProgram(mixTargets(labels.length, classes), [{ uniform: augmentUniforms(SEED, 1, draw) }, labels, { zeros: labels.length * classes }]);
    return t!;
  }

  it.each([4, 5])('mixup of %i samples with the reversed batch equals the reference', async (n) => {
    const x = image(n, shape, n);
    const draw: MixDraw = { mode: MIX_MIXUP, lam: 0.3125, box: new Uint32Array(4) };
    const y = await mix(x, n, draw);
    expectClose(y, mixReference(x, n, shape, draw), MIX, 'mixup');
    // An odd batch's middle sample mixes with itself: unchanged.
    if (n % 2) expectClose(y.subarray(2 * sample, 3 * sample), x.subarray(2 * sample, 3 * sample), MIX, 'middle');
  });

  it('CutMix pastes the box from the reversed batch, exactly', async () => {
    const x = image(4, shape, 3);
    const draw: MixDraw = { mode: MIX_CUTMIX, lam: 1 - 6 / 35, box: Uint32Array.of(1, 2, 4, 4) };
    const y = await mix(x, 4, draw);
    expectClose(y, mixReference(x, 4, shape, draw), EXACT, 'cutmix');
    expect(y[0 * sample + 2 * 7 + 1]).toBe(x[3 * sample + 2 * 7 + 1]); // inside: from sample 3
    expect(y[0 * sample + 1 * 7 + 1]).toBe(x[1 * 7 + 1]); // outside: its own
    expectClose(await mix(x, 4, noMix()), x, EXACT, 'mode 0 copies');
  });

  it('soft targets mix the one-hot labels with the reversed batch', async () => {
    const labels = Uint32Array.of(0, 3, 1, 3, 2);
    for (const draw of [{ mode: MIX_MIXUP, lam: 0.7, box: new Uint32Array(4) }, { mode: MIX_CUTMIX, lam: 0.25, box: new Uint32Array(4) }, noMix()]) {
      const t = await targets(labels, 4, draw);
      expectClose(t, mixTargetsReference(labels, 4, draw), MIX, `targets mode ${draw.mode}`);
      for (let r = 0; r < 5; r++) expect(t.subarray(r * 4, r * 4 + 4).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    }
  });

  it('the host draws λ ~ Beta(α, α) and a CutMix box with λ corrected to its area', () => {
    const [h, w] = [28, 28];
    const lams: number[] = [];
    let cutmixSteps = 0;
    for (let step = 1; step <= 4000; step++) {
      const d = drawMix({ mixup: 0.4, cutmix: 1 }, [1, h, w], SEED, step);
      if (d.mode === MIX_CUTMIX) {
        cutmixSteps++;
        const [x0, y0, x1, y1] = d.box;
        expect(0 <= x0! && x0! <= x1! && x1! <= w && 0 <= y0! && y0! <= y1! && y1! <= h).toBe(true);
        expect(d.lam).toBe(1 - ((x1! - x0!) * (y1! - y0!)) / (h * w));
      } else {
        expect(d.mode).toBe(MIX_MIXUP);
        lams.push(d.lam);
      }
      expect(d.lam >= 0 && d.lam <= 1).toBe(true);
    }
    // switch_prob 0.5: 2000 ± 4·31.6.
    expect(Math.abs(cutmixSteps - 2000)).toBeLessThan(130);
    // Beta(0.4, 0.4): mean 1/2, variance 1/(4(2α + 1)) = 0.1389.
    const mean = lams.reduce((a, b) => a + b, 0) / lams.length;
    const variance = lams.reduce((a, b) => a + (b - mean) ** 2, 0) / lams.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.035);
    expect(Math.abs(variance - 1 / 7.2)).toBeLessThan(0.015);
    // A pure function of (seed, step): the same step draws the same.
    expect(drawMix({ mixup: 0.4 }, [1, h, w], SEED, 17)).toEqual(drawMix({ mixup: 0.4 }, [1, h, w], SEED, 17));
  });
});

describe('augmentation descriptors', () => {
  it('reject bad shapes and settings', () => {
    expect(() => augmentSamples(0, [1, 2, 2], {})).toThrow(/augmentSamples: batch and image/);
    expect(() => augmentSamples(1, [1, 2, 2], { rotate: 181 })).toThrow(/rotate must be in \[0, 180\]/);
    expect(() => augmentSamples(1, [1, 2, 2], { scale: [2, 1] })).toThrow(/scale must be/);
    expect(() => augmentSamples(1, [1, 2, 2], { cutout: 1.5 })).toThrow(/cutout must be an integer/);
    expect(() => augmentSamples(1 << 20, [1, 64, 64], { noise: 1 })).toThrow(/2\^32 RNG counters/);
    expect(() => mixTargets(2, 0)).toThrow(/mixTargets: rows × classes/);
    expect(() => augmentUniforms(-1, 0, noMix())).toThrow(/seed must be a u32/);
  });
});
