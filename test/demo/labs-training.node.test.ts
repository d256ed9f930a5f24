// End-to-end test of the Labs page's MNIST-training labs (4: batch normalization, 8:
// hyperparameter search) in real Chromium, WebGPU on SwiftShader (page and browser from
// labs-page.ts): each lab at reduced settings, its data-result checked against the notes'
// qualitative result, its chart's series drawn, and a 1280×800 screenshot into test-artifacts/.
import { describe, expect, it } from 'vitest';
import type { BatchnormResult } from '../../demo/labs/batchnorm-lab';
import type { SearchResult } from '../../demo/labs/search-lab';
import { labsPage } from './labs-page';

const { browser, set, run, ink, shoot } = labsPage({ cacheDir: '.tmp/vite-labs-training' });

describe('Labs page, MNIST training', () => {
  it('lab 4: with batch normalization the loss falls at every weight scale; without it the smallest and the largest σ end higher', async () => {
    await set('batchnorm-steps', '70');
    await set('batchnorm-samples', '1000');
    // Six trainers on SwiftShader: about 30 s alone, over 60 s beside other test files.
    const result = await run<BatchnormResult>('batchnorm', 200_000);
    expect(result.steps.at(-1)).toBe(70);
    // A diverged run's loss is null (not finite): it counts as higher than any number.
    const last = (sigma: number, batchNorm: boolean) => result.runs.find((r) => r.sigma === sigma && r.batchNorm === batchNorm)!.losses.at(-1) ?? Infinity;
    const sigmas = [...new Set(result.runs.map((r) => r.sigma))].sort((a, b) => a - b);
    expect(sigmas).toEqual([0.01, 0.1, 1]);
    for (const sigma of sigmas) expect(last(sigma, true), `σ ${sigma} with BN, below chance (ln 10 = 2.30)`).toBeLessThan(2.3);
    for (const sigma of [sigmas[0]!, sigmas.at(-1)!]) expect(last(sigma, true), `σ ${sigma}: BN below no BN`).toBeLessThan(last(sigma, false));
    expect(await ink('batchnorm-loss', [0xcf, 0x22, 0x2e]), 'the σ = 1 curves').toBeGreaterThan(50);
    await shoot('batchnorm');
  }, 240_000);

  it('lab 8: both searches return every trial; the best beats the worst by 10 points; random tries more learning rates than the grid', async () => {
    // A trial count that is no square stops the run before any GPU work, named in the status line.
    await set('search-trials', '10');
    await browser().$('[data-testid="search-run"]').click();
    const status = browser().$('[data-testid="search-status"]');
    await browser().waitUntil(async () => (await status.getAttribute('class'))?.includes('error') === true, { timeout: 30_000 });
    expect(await status.getText()).toBe('Trials must be a square (4, 9, 16 or 25) for the grid to be n×n, got 10');
    await set('search-trials', '9');
    await set('search-epochs', '1');
    await set('search-samples', '500');
    const result = await run<SearchResult>('search', 100_000);
    for (const search of ['random', 'grid'] as const) {
      const accuracies = result[search].map((t) => t.accuracy);
      expect(accuracies, search).toHaveLength(9);
      for (const a of accuracies) {
        expect(Number.isFinite(a), search).toBe(true);
        expect(a, search).toBeGreaterThan(0);
        expect(a, search).toBeLessThanOrEqual(1);
      }
      expect(Math.max(...accuracies) - Math.min(...accuracies), `${search}: best − worst`).toBeGreaterThan(0.1);
    }
    const distinct = (search: 'random' | 'grid') => new Set(result[search].map((t) => t.lr)).size;
    expect(distinct('grid')).toBe(3);
    expect(distinct('random')).toBeGreaterThan(distinct('grid'));
    expect(await ink('search-space', [0x2f, 0x6f, 0xed]), 'random points').toBeGreaterThan(50);
    expect(await ink('search-space', [0xe6, 0x7e, 0x22]), 'grid points').toBeGreaterThan(50);
    await shoot('search');
  }, 120_000);
});
