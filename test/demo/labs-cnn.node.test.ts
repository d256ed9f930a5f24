// End-to-end test of the Labs page's lab 6, MLP vs CNN, in real Chromium, WebGPU on SwiftShader
// (page and browser from labs-page.ts): at reduced settings both models learn, the CNN ends
// above the MLP with fewer parameters, both curves are drawn, and a screenshot goes to test-artifacts/.
import { describe, expect, it } from 'vitest';
import type { CnnResult } from '../../demo/labs/cnn-lab';
import { labsPage } from './labs-page';

const { browser, set, run, ink, shoot } = labsPage({ cacheDir: '.tmp/vite-labs-cnn' });

describe('Labs page, MLP vs CNN', () => {
  it('lab 6: both models learn; the small CNN ends above the MLP with fewer parameters', async () => {
    const epochs = 4;
    await set('cnn-epochs', String(epochs));
    await set('cnn-samples', '1000');
    await set('cnn-test', '500');
    // Seeded, so repeatable: MLP 86.6%, CNN 89.2% after 4 epochs, every run; 23 s on a lightly loaded 2-core machine, about 40 s on a busy one.
    const result = await run<CnnResult>('cnn', 200_000);
    expect(result.testImages).toBe(500);
    for (const model of [result.mlp, result.cnn]) {
      // Twice within the first epoch (50 steps: after 13 and 25), then after every epoch.
      expect(model.epochs, model.name).toEqual([0.26, 0.5, 1, 2, 3, 4]);
      expect(model.accuracy, model.name).toHaveLength(model.epochs.length);
      expect(model.epochSeconds, model.name).toHaveLength(epochs);
      expect(model.secondsPerEpoch, model.name).toBeGreaterThan(0);
      expect(model.accuracy.at(-1)!, `${model.name} learns: well above chance (10%)`).toBeGreaterThan(0.7);
    }
    expect(result.mlp.epochs).toEqual(result.cnn.epochs);
    expect(result.cnn.accuracy.at(-1)! - result.mlp.accuracy.at(-1)!, 'CNN − MLP final test accuracy').toBeGreaterThan(0.02);
    expect(result.cnn.parameters).toBeLessThan(result.mlp.parameters);
    expect(result.mlp.parameters, 'Linear 784→128 and 128→10').toBe(784 * 128 + 128 + 128 * 10 + 10);
    expect(await ink('cnn-accuracy', [0xe6, 0x7e, 0x22]), 'the MLP curve').toBeGreaterThan(50);
    expect(await ink('cnn-accuracy', [0x2f, 0x6f, 0xed]), 'the CNN curve').toBeGreaterThan(50);
    const cells = await browser().$$('[data-testid="cnn-table"] tbody tr td').map((td) => td.getText());
    expect(cells.filter((_, i) => i % 4 < 2)).toEqual(['MLP 784-128-10', '101,770', 'CNN 4-8 ch', result.cnn.parameters.toLocaleString('en-US')]);
    expect(cells[3]).toBe(`${(100 * result.mlp.accuracy.at(-1)!).toFixed(1)}%`);
    await shoot('cnn');
  }, 240_000);
});
