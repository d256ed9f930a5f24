// End-to-end test of the Labs page's lab 7 (learning-rate schedules and batch size) in real
// Chromium, WebGPU on SwiftShader (page and browser from labs-page.ts): at reduced settings,
// the step-decay run ends below the constant-lr run, its lr drops ×0.1 at 50% and at 75% of
// training, each loss slice is lowest at the trained weights and the large batch's rises more
// (a sharper minimum) and it tests worse; the charts are drawn, and a 1280 px screenshot is saved.
import { describe, expect, it } from 'vitest';
import type { SchedulesResult } from '../../demo/labs/schedules-lab';
import { labsPage } from './labs-page';

const { set, run, ink, shoot } = labsPage({ cacheDir: '.tmp/vite-labs-schedules' });

describe('Labs page, learning-rate schedules and batch size', () => {
  it('lab 7: step decay settles below the constant lr after its drops; the large batch ends in a sharper minimum and generalizes worse', async () => {
    await set('schedules-epochs', '4');
    await set('schedules-samples', '768');
    await set('schedules-large', '96');
    // About 15 s alone on SwiftShader (25 s on this busy 2-core machine); several times that beside other test files.
    const result = await run<SchedulesResult>('schedules', 200_000);
    const total = 4 * (768 / 16);
    expect(result.steps.at(-1)).toBe(total);
    const [constant, decayed] = result.schedules;
    expect(constant!.lr).toEqual(Array(total).fill(0.03));
    // The schedule's exact rates: 0.03, then 0.03·0.1, then 0.03·0.1² (stepDecay computes lr·γⁿ).
    const drops = [total / 2, (3 * total) / 4];
    expect(decayed!.lr).toEqual(Array.from({ length: total }, (_, i) => 0.03 * 0.1 ** drops.filter((d) => i >= d).length));
    for (const run of result.schedules) for (const loss of run.losses) expect(loss, run.schedule).not.toBeNull();
    // After the second drop: the mean of the windows in the last quarter of training.
    const lastQuarter = (losses: (number | null)[]) => {
      const tail = losses.filter((_, k) => result.steps[k]! > drops[1]!).map((l) => l ?? Infinity);
      return tail.reduce((a, b) => a + b, 0) / tail.length;
    };
    expect(lastQuarter(decayed!.losses), 'step decay below the constant lr').toBeLessThan(lastQuarter(constant!.losses));

    const [small, large] = result.batches;
    expect([small!.batchSize, small!.steps, large!.batchSize, large!.steps]).toEqual([16, total, 96, 4 * 8]);
    expect(small!.testAccuracy, 'part B’s small batch is part A’s step-decay run').toBe(decayed!.testAccuracy);
    expect(result.alphas).toHaveLength(13);
    expect(result.alphas[6]).toBe(0);
    for (const b of result.batches) {
      const lowest = b.slice.indexOf(Math.min(...b.slice));
      expect(Math.abs(result.alphas[lowest]!), `batch ${b.batchSize}: the slice's lowest point near α = 0`).toBeLessThanOrEqual(1 / 6 + 1e-9);
    }
    for (const b of result.batches) expect(b.rise, `batch ${b.batchSize}: rise`).toBeCloseTo((b.slice[0]! + b.slice[12]!) / 2 - b.slice[6]!, 12);
    expect(large!.rise, 'the large batch’s slice rises more at ±a (sharper)').toBeGreaterThan(small!.rise);
    expect(small!.testAccuracy, 'the small batch generalizes better').toBeGreaterThan(large!.testAccuracy);

    expect(await ink('schedules-loss', [0xcf, 0x22, 0x2e]), 'step-decay loss').toBeGreaterThan(50);
    expect(await ink('schedules-loss', [0x2f, 0x6f, 0xed]), 'constant-lr loss').toBeGreaterThan(50);
    expect(await ink('schedules-lr', [0xcf, 0x22, 0x2e]), 'step-decay lr').toBeGreaterThan(50);
    expect(await ink('schedules-slice', [0x1e, 0x9e, 0x5a]), 'small-batch slice').toBeGreaterThan(50);
    expect(await ink('schedules-slice', [0xe6, 0x7e, 0x22]), 'large-batch slice').toBeGreaterThan(50);
    await shoot('schedules');
  }, 240_000);
});
