// Reduction kernels (axis sums and means, bias gradient, broadcast backward, column sums of
// a convolution's partial weight gradients, sums into a metrics slot, argmax, correct counts) against the float64 reference; the reference
// gradients of bias add and of the axis sum are checked by central finite differences.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors';
import type { ComputeProgram } from '../../src/gpu/program';
import { argmax, biasGradient, countCorrect, sumAxis, sumAxisBackward, sumRows, sumToSlot } from '../../src/kernels/reduce';
import type { WorkgroupSumOptions } from '../../src/kernels/workgroup-sum';
import { centralDifference, expectClose } from '../helpers/compare';
import { runProgram, testRuntime, workgroupSums, type Data } from '../helpers/gpu';
import { rng, uniform } from '../helpers/random';
import { biasAdd } from '../reference/binary';
import * as ref from '../reference/reduce';

const U = 2 ** -24; // unit roundoff of f32
// A blocked + tree f32 sum of L ≤ 1e6 terms on 256 threads rounds at most
// 64 + L/16384 + 8 ≤ 133 times along any path (on one subgroup of 8 threads, 64 + L/512 + 7 ≤ 2025); random rounding errors add up like a
// random walk, so 16·U·Σ|x| (≈ 1e-6 of Σ|x|; ≤ 3·U·Σ|x| seen on lavapipe) holds with a
// wide margin, while a running f32 sum over 1e5 terms already misses it (the 100k test).
const SUM_ULPS = 16;
const sumTolerance = (absSums: number[]) => ({ atol: SUM_ULPS * U * Math.max(...absSums), rtol: 2 * U });
// Copies, or one product with 1/axis rounded to f32 (2 roundings).
const BROADCAST_TOL = { atol: 0, rtol: 2 * U };
const EXACT = { atol: 0, rtol: 0 };

// [outer, axis, inner] views; sumAxis reduces the middle axis, biasGradient keeps it.
const SHAPES = [[1, 1, 1], [1, 7, 1], [7, 33, 1], [1, 1000, 1], [3, 129, 5], [33, 7, 129], [2, 1000, 33], [1000, 10, 1]] as const;
const abs = (x: Float32Array) => x.map(Math.abs);
// The summing kernels run with each workgroup sum (tree, and subgroup where the device has it).
const SUMS = await workgroupSums();
const withSums = <T extends readonly unknown[]>(rows: readonly T[]) =>
  SUMS.flatMap(([sum, options]) => rows.map((row) => [...row, sum, options] as [...T, string, WorkgroupSumOptions]));
const shape = (dims: readonly number[]) => `[${dims.join(', ')}]`;

/** Runs programs in one submit, each on buffers picked from `data` by index; reads buffer `result`. */
async function runSequence(data: Data[], steps: [ComputeProgram, number[]][], result: number): Promise<Float32Array> {
  const runtime = await testRuntime();
  const buffers = data.map((d, i) => runtime.upload(d, `reduce test ${i}`));
  const launches = [];
  for (const [program, picks] of steps) {
    const pipeline = await runtime.prepare(program);
    launches.push(runtime.launch(pipeline, picks.map((i) => buffers[i]!)));
  }
  runtime.submit(launches);
  const out = await runtime.readFloat32(buffers[result]!, data[result]!.length);
  buffers.forEach((buffer) => runtime.destroyBuffer(buffer));
  return out;
}

describe('reference gradients', () => {
  it('bias add: db is the bias gradient and dx is dy (central differences)', () => {
    const [outer, channels, inner] = [3, 4, 5];
    const [x, b, w] = [uniform(60, 1), uniform(4, 2), uniform(60, 3)];
    const loss = (xs: ArrayLike<number>, bs: ArrayLike<number>) =>
      ref.sum(biasAdd(xs, bs, channels, inner).map((v, i) => v * w[i]!));
    const db = ref.biasGradient(w, outer, channels, inner);
    b.forEach((v, c) => {
      const fd = centralDifference((u) => loss(x, Array.from(b, (bc, k) => (k === c ? u : bc))), v);
      expect(Math.abs(fd - db[c]!)).toBeLessThan(1e-6);
    });
    x.forEach((v, i) => {
      const fd = centralDifference((u) => loss(Array.from(x, (xi, k) => (k === i ? u : xi)), b), v);
      expect(Math.abs(fd - w[i]!)).toBeLessThan(1e-6);
    });
  });

  it.each([false, true])('sum over an axis (mean %s): the gradient is dy broadcast', (mean) => {
    const [outer, axis, inner] = [3, 5, 4];
    const [x, w] = [uniform(60, 4), uniform(12, 5)];
    const loss = (xs: ArrayLike<number>) => ref.sum(ref.sumAxis(xs, outer, axis, inner, mean).map((v, i) => v * w[i]!));
    const dx = ref.sumAxisBackward(w, outer, axis, inner, mean);
    x.forEach((v, i) => {
      const fd = centralDifference((u) => loss(Array.from(x, (xi, k) => (k === i ? u : xi))), v);
      expect(Math.abs(fd - dx[i]!)).toBeLessThan(1e-6);
    });
  });
});

describe('axis reductions', () => {
  it.each(withSums<[boolean]>([[false], [true]]))('sumAxis (mean %s, %s) matches the float64 reference', async (mean, _, sum) => {
    for (const [outer, axis, inner] of SHAPES) {
      const x = uniform(outer * axis * inner, axis + inner);
      const [out] = await runProgram(sumAxis(outer, axis, inner, { mean, ...sum }), [x, { zeros: outer * inner }]);
      const tol = sumTolerance(ref.sumAxis(abs(x), outer, axis, inner, mean));
      expectClose(out!, ref.sumAxis(x, outer, axis, inner, mean), tol, `sumAxis ${shape([outer, axis, inner])}`);
    }
  });

  it.each([false, true])('sumAxisBackward (mean %s) broadcasts dy along the axis', async (mean) => {
    for (const [outer, axis, inner] of SHAPES) {
      const dy = uniform(outer * inner, outer + axis);
      const n = outer * axis * inner;
      const [dx] = await runProgram(sumAxisBackward(outer, axis, inner, { mean }), [dy, { zeros: n }]);
      const tol = mean ? BROADCAST_TOL : EXACT;
      expectClose(dx!, ref.sumAxisBackward(dy, outer, axis, inner, mean), tol, `sumAxisBackward ${shape([outer, axis, inner])}`);
    }
  });

  it.each(SUMS)('biasGradient sums over outer and inner (%s)', async (_, sum) => {
    for (const [outer, channels, inner] of SHAPES) {
      const dy = uniform(outer * channels * inner, 7 * channels + outer);
      const [db] = await runProgram(biasGradient(outer, channels, inner, sum), [dy, { zeros: channels }]);
      const tol = sumTolerance(ref.biasGradient(abs(dy), outer, channels, inner));
      expectClose(db!, ref.biasGradient(dy, outer, channels, inner), tol, `biasGradient ${shape([outer, channels, inner])}`);
    }
  });

  it('sumRows adds the rows of [rows, cols] per column (one row: a copy)', async () => {
    // 300 columns span several 64-thread workgroups; [axis = rows, inner = cols] in ref.sumAxis.
    for (const [rows, cols] of [[1, 7], [5, 300]] as const) {
      const x = uniform(rows * cols, rows + cols);
      const [out] = await runProgram(sumRows(rows, cols), [x, { zeros: cols }]);
      const tol = sumTolerance(ref.sumAxis(abs(x), 1, rows, cols));
      expectClose(out!, ref.sumAxis(x, 1, rows, cols), tol, `sumRows ${shape([rows, cols])}`);
    }
    expect(() => sumRows(0, 4)).toThrow(/sumRows: \[rows, cols\] = \[0, 4\]/);
  });

  it('covers more than 65535 outputs by folding the grid into two dimensions', async () => {
    const [outer, axis] = [70_000, 3];
    const program = sumAxis(outer, axis, 1);
    expect(program.workgroups[1]).toBeGreaterThan(1);
    const x = uniform(outer * axis, 9);
    const [out] = await runProgram(program, [x, { zeros: outer }]);
    expectClose(out!, ref.sumAxis(x, outer, axis, 1), sumTolerance(ref.sumAxis(abs(x), outer, axis, 1)), 'sumAxis folded');
  });
});

describe('sums into a metrics slot', () => {
  it.each(withSums<[number]>([[1], [7], [33], [129], [1000], [100_000], [1_000_000]]))('sumToSlot n=%i (%s) overwrites only its slot', async (n, _, sum) => {
    const x = uniform(n, n);
    const metrics = Float32Array.of(5, 6, 7, 8);
    const [out] = await runProgram(sumToSlot(n, { accumulate: false, slot: 2, scale: 1 / n, ...sum }), [x, metrics]);
    const expected = [5, 6, ref.sum(x) / n, 8];
    expectClose(out!, expected, { atol: SUM_ULPS * U * (ref.sum(abs(x)) / n), rtol: 2 * U }, `sumToSlot n=${n}`);
  });

  it.each(SUMS)('sumToSlot of 100k positive values (%s) holds 1e-6 relative where a running f32 sum does not', async (_, sum) => {
    const n = 100_000;
    const x = uniform(n, 77, 0, 1);
    let running = 0;
    for (const v of x) running = Math.fround(running + v);
    const exact = ref.sum(x);
    expect(Math.abs(running - exact) / exact).toBeGreaterThan(1e-6);
    const [out] = await runProgram(sumToSlot(n, { accumulate: false, slot: 0, ...sum }), [x, { zeros: 1 }]);
    expectClose(out!, [exact], { atol: 0, rtol: 1e-6 }, 'sumToSlot 100k positive');
  });

  it('sumToSlot accumulates twice into its slot', async () => {
    const [x1, x2] = [uniform(1000, 1), uniform(129, 2)];
    const options = { accumulate: true, slot: 1, scale: 0.5 };
    const out = await runSequence(
      [Float32Array.of(3, 0.25, 4), x1, x2],
      [[sumToSlot(1000, options), [1, 0]], [sumToSlot(129, options), [2, 0]]],
      0,
    );
    const absSum = ref.sum(abs(x1)) + ref.sum(abs(x2));
    const expected = [3, 0.25 + 0.5 * (ref.sum(x1) + ref.sum(x2)), 4];
    expectClose(out, expected, { atol: SUM_ULPS * U * absSum, rtol: 2 * U }, 'sumToSlot twice');
  });
});

describe('padded batches: only the first metrics[rowsSlot] rows count', () => {
  it.each(withSums<[number, number]>([
    [0, 5],
    [3, 5],
    [7, 1],
    [8, 5], // every row
    [9, 5], // more rows claimed than exist: clamped to all of them
  ]))('sumToSlot with %i real rows of %i terms each (%s)', async (rows, termsPerRow, _, sum) => {
    const n = 8 * termsPerRow;
    const x = uniform(n, rows + 10 * termsPerRow);
    const [out] = await runProgram(sumToSlot(n, { accumulate: true, slot: 0, rowsSlot: 3, termsPerRow, ...sum }), [x, Float32Array.of(0.5, 6, 7, rows)]);
    const real = x.subarray(0, Math.min(8, rows) * termsPerRow);
    expectClose(out!, [0.5 + ref.sum(real), 6, 7, rows], { atol: SUM_ULPS * U * ref.sum(abs(real)), rtol: 2 * U }, `${rows} rows`);
  });

  it.each(withSums<[number]>([[0], [1], [20], [33], [40]]))('countCorrect counts the first %i of 33 rows (%s)', async (rows, _, sum) => {
    const cols = 4;
    const x = tiedLogits(33 * cols, 5);
    const labels = Uint32Array.from(ref.argmax(x, 33, cols), (j, i) => (i % 3 === 0 ? (j + 1) % cols : j));
    const [out] = await runProgram(countCorrect(33, cols, { accumulate: false, slot: 1, rowsSlot: 3, ...sum }), [x, labels, Float32Array.of(9, 9, 9, rows)]);
    const counted = Math.min(33, rows);
    expectClose(out!, [9, ref.countCorrect(x.subarray(0, counted * cols), labels.subarray(0, counted), counted, cols), 9, rows], EXACT, `${rows} rows`);
  });

  it('rejects a rowsSlot that is the written slot', () => {
    expect(() => sumToSlot(4, { accumulate: false, slot: 1, rowsSlot: 1 })).toThrow(/sumToSlot: rowsSlot must be a non-negative integer other than slot 1, got 1/);
    expect(() => countCorrect(4, 2, { accumulate: false, slot: 0, rowsSlot: -1 })).toThrow(/countCorrect: rowsSlot/);
  });
});

/** Logits with many ties (values from {0, 1, 2, 3}) so "first maximum" is exercised. */
const tiedLogits = (n: number, seed: number) => uniform(n, seed, 0, 4).map(Math.floor);

describe('argmax and correct counts', () => {
  it('argmax picks the first maximum of each row', async () => {
    for (const [rows, cols] of [[1, 1], [7, 1000], [33, 7], [129, 33], [1000, 10], [1, 129], [129, 1]] as const) {
      for (const x of [tiedLogits(rows * cols, rows + cols), uniform(rows * cols, rows * cols)]) {
        const [out] = await runProgram(argmax(rows, cols), [x, { zeros: rows }]);
        expect(Array.from(new Uint32Array(out!.buffer)), `argmax [${rows}, ${cols}]`).toEqual(ref.argmax(x, rows, cols));
      }
    }
  });

  it.each(SUMS)('countCorrect counts rows whose first maximum equals the label (%s)', async (_, sum) => {
    for (const rows of [1, 7, 33, 129, 1000]) {
      const cols = 10;
      const x = tiedLogits(rows * cols, rows);
      const r = rng(rows);
      // About half the labels are the reference argmax, the rest random (sometimes equal).
      const labels = Uint32Array.from(ref.argmax(x, rows, cols), (j) => (r() < 0.5 ? j : Math.floor(r() * cols)));
      const [out] = await runProgram(countCorrect(rows, cols, { accumulate: false, slot: 1, ...sum }), [x, labels, Float32Array.of(9, 9)]);
      expectClose(out!, [9, ref.countCorrect(x, labels, rows, cols)], EXACT, `countCorrect rows=${rows}`);
    }
  });

  it('countCorrect accumulates twice into its slot', async () => {
    const [rows, cols] = [129, 7];
    const [x1, x2] = [tiedLogits(rows * cols, 1), tiedLogits(rows * cols, 2)];
    const labels = Uint32Array.from({ length: rows }, (_, i) => i % cols);
    const program = countCorrect(rows, cols, { accumulate: true, slot: 3 });
    const out = await runSequence(
      [Float32Array.of(1, 2, 3, 4), x1, x2, labels],
      [[program, [1, 3, 0]], [program, [2, 3, 0]]],
      0,
    );
    const hits = ref.countCorrect(x1, labels, rows, cols) + ref.countCorrect(x2, labels, rows, cols);
    expectClose(out, [1, 2, 3, 4 + hits], EXACT, 'countCorrect twice');
  });
});

describe('shape validation', () => {
  it('throws ConfigErrors naming the kernel and the shape', () => {
    expect(() => sumAxis(2, 0, 3)).toThrow(/sumAxis: \[outer, axis, inner\] = \[2, 0, 3\]/);
    expect(() => sumAxisBackward(1.5, 2, 3)).toThrow(/sumAxisBackward: .*\[1.5, 2, 3\]/);
    expect(() => biasGradient(4, -1)).toThrow(/biasGradient: \[outer, channels, inner\] = \[4, -1, 1\]/);
    expect(() => sumToSlot(0, { accumulate: false, slot: 0 })).toThrow(/sumToSlot: \[n\] = \[0\]/);
    expect(() => sumToSlot(8, { accumulate: false, slot: -1 })).toThrow(/sumToSlot: slot must be/);
    expect(() => argmax(3, 0)).toThrow(/argmax: \[rows, cols\] = \[3, 0\]/);
    expect(() => countCorrect(2 ** 24, 10, { accumulate: true, slot: 0 })).toThrow(/countCorrect: .*2\^24/);
    expect(() => sumAxis(2, 3, 4, { workgroupSize: 48 })).toThrow(/sumAxis: workgroup size must be a power of two/);
  });
});
