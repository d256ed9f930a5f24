// The labs' CPU-side math, which their e2e tests reach only through pictures: lab 2's level
// lines (marching squares) and lab 7's filter-normalized direction (Li et al. 2018).
import { describe, expect, it } from 'vitest';
import { contourSegments } from '../../demo/labs/contour';
import { filterNormalizedDirection } from '../../demo/labs/schedules-slice';
import type { StateDict } from '../../src/index';

describe('lab 2: contourSegments', () => {
  it('puts every segment end of the bowl x² + y² on one of its level circles, within a cell', () => {
    const surface = { f: (x: number, y: number) => x * x + y * y, x: [-2, 2] as [number, number], y: [-2, 2] as [number, number], minimum: [0, 0] as [number, number] };
    const cells = 40;
    const levels = 3;
    const segments = contourSegments(surface, cells, levels);
    // The grid's range of f is [0, 8]; level k is 8·(k / 4)², radius √level.
    const radii = [1, 2, 3].map((k) => Math.sqrt(8 * (k / 4) ** 2));
    const cell = 4 / cells;
    const near = radii.map(() => 0);
    for (const [x0, y0, x1, y1] of segments) {
      for (const [x, y] of [[x0, y0], [x1, y1]] as const) {
        const r = Math.hypot(x, y);
        const k = radii.findIndex((radius) => Math.abs(r - radius) < cell / 4); // linear interpolation on a curved line: well inside a cell
        expect(k, `(${x}, ${y}) at radius ${r}`).toBeGreaterThanOrEqual(0);
        near[k]!++;
      }
    }
    // A circle of radius r crosses about 2πr/cell cells, two segment ends in each.
    for (const [k, radius] of radii.entries()) {
      const expected = (2 * 2 * Math.PI * radius) / cell;
      expect(near[k], `level ${k + 1}`).toBeGreaterThan(0.6 * expected);
      expect(near[k], `level ${k + 1}`).toBeLessThan(1.6 * expected);
    }
  });
});

describe('lab 7: filterNormalizedDirection', () => {
  it('gives each weight row of d the norm of the same row of w, leaves biases out, repeats for a seed', () => {
    const w = Float32Array.from({ length: 3 * 4 }, (_, i) => (i % 5) - 2 + 0.5 * Math.floor(i / 4));
    const weights: StateDict = new Map([
      ['0.weight', { shape: [3, 4], data: w }],
      ['0.bias', { shape: [3], data: Float32Array.of(1, 2, 3) }],
    ]);
    const d = filterNormalizedDirection(weights, 5);
    expect([...d.keys()]).toEqual(['0.weight']);
    const dw = d.get('0.weight')!;
    for (let r = 0; r < 3; r++) {
      const norm = (a: Float32Array) => Math.hypot(...a.subarray(r * 4, (r + 1) * 4));
      expect(norm(dw), `row ${r}`).toBeCloseTo(norm(w), 5);
    }
    expect(filterNormalizedDirection(weights, 5).get('0.weight')).toEqual(dw);
    expect(filterNormalizedDirection(weights, 6).get('0.weight')).not.toEqual(dw);
  });
});
