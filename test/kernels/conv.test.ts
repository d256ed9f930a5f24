// Convolution kernels (forward, input gradient, weight gradient) against the float64
// reference on awkward shapes, on both kernel bodies, and the reference's gradients against
// central finite differences.
import { describe, expect, it } from 'vitest';
import { conv2dDims, conv2dForward, conv2dInputGrad, conv2dWeightGrad, conv2dWeightGradSplits, type Conv2dShape } from '../../src/kernels/conv';
import { sumRows } from '../../src/kernels/reduce';
import { expectClose } from '../helpers/compare';
import { runProgram, testRuntime } from '../helpers/gpu';
import { uniform } from '../helpers/random';
import { conv2dGradients, conv2dReference } from '../reference/conv';

const CASES: [string, Conv2dShape][] = [
  ['3×3 pad 1', { batch: 2, inChannels: 3, outChannels: 5, height: 7, width: 9, kernel: 3, padding: 1 }],
  ['stride 2 pad 1 odd', { batch: 1, inChannels: 2, outChannels: 3, height: 9, width: 7, kernel: 3, stride: 2, padding: 1 }],
  ['dilation 2, groups 2', { batch: 2, inChannels: 4, outChannels: 6, height: 8, width: 8, kernel: [3, 2], dilation: 2, padding: [2, 1], groups: 2 }],
  ['depthwise', { batch: 3, inChannels: 4, outChannels: 4, height: 6, width: 5, kernel: 3, padding: 1, groups: 4 }],
  ['1×1', { batch: 2, inChannels: 6, outChannels: 7, height: 5, width: 5, kernel: 1 }],
  ['kernel = input', { batch: 2, inChannels: 3, outChannels: 4, height: 5, width: 4, kernel: [5, 4] }],
];

describe('conv2d kernels', () => {
  it.each(CASES)('%s: forward, input and weight gradients match the reference', async (_, base) => {
    const runtime = await testRuntime();
    const shape = { ...base, subgroupSize: runtime.subgroupSize };
    const d = conv2dDims(shape);
    const x = uniform(d.n * d.cin * d.h * d.w, 1);
    const w = uniform(d.cout * (d.cin / d.groups) * d.kh * d.kw, 2);
    const b = uniform(d.cout, 3);
    const dy = uniform(d.n * d.cout * d.oh * d.ow, 4);
    const [y] = await runProgram(conv2dForward({ ...shape, bias: true }), [x, w, b, { zeros: dy.length }]);
    const k = (d.cin / d.groups) * d.kh * d.kw;
    expectClose(y!, conv2dReference(d, x, w, b), { atol: 1e-6 * Math.sqrt(k), rtol: 1e-6 }, 'y');
    const ref = conv2dGradients(d, x, w, dy);
    const [dx] = await runProgram(conv2dInputGrad(shape), [dy, w, { zeros: x.length }]);
    expectClose(dx!, ref.dx, { atol: 1e-6 * Math.sqrt(d.cout * d.kh * d.kw), rtol: 1e-6 }, 'dx');
    const { splits } = conv2dWeightGradSplits(shape);
    const [partials] = await runProgram(conv2dWeightGrad(shape), [x, dy, { zeros: splits * w.length }]);
    const [dw] = splits === 1 ? [partials!] : await runProgram(sumRows(splits, w.length), [partials!, { zeros: w.length }]);
    expectClose(dw!, ref.dw, { atol: 1e-6 * Math.sqrt(d.n * d.oh * d.ow), rtol: 1e-6 }, 'dw');
    expect(splits).toBeGreaterThanOrEqual(1);
  }, 240_000);
});
