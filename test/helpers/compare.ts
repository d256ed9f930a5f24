// Elementwise comparison with absolute + relative tolerance that names the worst element.
import { expect } from 'vitest';

export interface Tolerance {
  /** Absolute tolerance. */
  atol: number;
  /** Relative tolerance (times |expected|). */
  rtol: number;
}

/** Passes when |actual − expected| ≤ atol + rtol·|expected| for every element. */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  { atol, rtol }: Tolerance,
  what = 'values',
): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    const excess = Math.abs(a - e) - (atol + rtol * Math.abs(e));
    if (!(excess <= 0) && (worst < 0 || !(excess <= worstExcess))) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    expect.fail(
      `${what}[${worst}] = ${actual[worst]} but expected ${expected[worst]} ` +
        `(atol ${atol}, rtol ${rtol}; ${expected.length} values)`,
    );
  }
  expect(worst).toBe(-1);
}

/** Central finite difference of a float64 scalar function of one variable. */
export function centralDifference(f: (v: number) => number, v: number, h = 1e-6): number {
  return (f(v + h) - f(v - h)) / (2 * h);
}
