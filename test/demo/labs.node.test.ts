// End-to-end test of the Labs page (demo/labs.html) in real Chromium, WebGPU on SwiftShader
// (the page and browser come from labs-page.ts): the page's layout and error line, then the
// labs that train no MNIST model (1, 5, 9), each set to reduced settings, run, and its
// data-result checked against the notes' qualitative result. Screenshots of each lab and of the
// whole page at 1280×800 and 390 px wide go to test-artifacts/. The other labs have a file each
// (labs-optimizers, -overfitting, -cnn, -schedules), and 4 and 8 share labs-training.node.test.ts.
import { describe, expect, it } from 'vitest';
import type { InitResult } from '../../demo/labs/init-lab';
import type { PerceptronResult } from '../../demo/labs/perceptron-lab';
import type { GradcheckResult } from '../../demo/labs/gradcheck-lab';
import { labsPage } from './labs-page';

// Its own Vite dependency cache, so it never races another Vite server over node_modules/.vite.
const { browser, set, run, ink, shoot } = labsPage({ cacheDir: '.tmp/vite-labs', fullPage: 'labs' });

describe('Labs page', () => {
  it('lists every lab, each with an explanation, controls, Run and a status line', async () => {
    const b = browser();
    const ids = await b.$$('main#labs > section.lab').map((s) => s.getAttribute('id'));
    expect(ids).toEqual(['init', 'optimizers', 'overfitting', 'batchnorm', 'perceptron', 'cnn', 'schedules', 'search', 'gradcheck']);
    expect(await b.$$('nav.contents a').map((a) => a.getAttribute('href'))).toEqual(ids.map((id) => `#${id}`));
    for (const id of ids) {
      expect((await b.$(`#${id} .explanation`).getText()).length).toBeGreaterThan(100);
      expect(await b.$(`[data-testid="${id}-status"]`).getText()).toBe('ready');
    }
    // A value out of range stops the run before any GPU work, named in the status line.
    await set('init-samples', '5');
    await b.$('[data-testid="init-run"]').click();
    const status = b.$('[data-testid="init-status"]');
    await b.waitUntil(async () => (await status.getAttribute('class'))?.includes('error') === true, { timeout: 10_000 });
    expect(await status.getText()).toBe('Random inputs must be between 10 and 10000, got "5"');
    expect(await b.$('[data-testid="init-run"]').isEnabled()).toBe(true);
    // A count must be whole; the controls, disabled during the run, are enabled again.
    await set('init-samples', '20.5');
    await b.$('[data-testid="init-run"]').click();
    await b.waitUntil(async () => (await status.getText()).includes('whole'), { timeout: 10_000 });
    expect(await status.getText()).toBe('Random inputs must be a whole number, got "20.5"');
    expect(await b.$('[data-testid="init-samples"]').isEnabled()).toBe(true);
  });

  it('lab 1: with sigmoid, N(0, 1) weights saturate (most activations in the outermost bins), N(0, 0.01²) collapse to 0.5, Xavier spreads them; with ReLU only He keeps the spread', async () => {
    await set('init-samples', '200');
    await set('init-activation', 'relu');
    const relu = await run<InitResult>('init');
    const decay = (init: string) => {
      const layers = relu.rows.find((r) => r.init === init)!.layers;
      return layers[4]!.std / layers[0]!.std; // layer 5's spread relative to layer 1's
    };
    expect(decay('he')).toBeGreaterThan(0.5);
    expect(decay('xavier')).toBeLessThan(0.4); // ×1/√2 a layer: 0.25
    expect(decay('normal001')).toBeLessThan(1e-3);
    await set('init-activation', 'sigmoid'); // last, at the defaults: the screenshot shows the notes' figure
    await set('init-samples', '1000');
    const sigmoid = await run<InitResult>('init');
    const row = (init: string) => sigmoid.rows.find((r) => r.init === init)!.layers;
    for (const layer of row('normal1')) expect(layer.outer, `N(0, 1) ${layer.name}`).toBeGreaterThan(0.5);
    for (const layer of row('xavier')) expect(layer.outer, `Xavier ${layer.name}`).toBeLessThan(0.1);
    for (const layer of row('normal001').slice(1)) {
      expect((layer.counts[14]! + layer.counts[15]!) / 100_000, `N(0, 0.01²) ${layer.name}: the two bins around 0.5`).toBeGreaterThan(0.95);
    }
    for (const init of ['normal1', 'normal001', 'xavier', 'he']) expect(await ink(`init-${init}-layer-5`, [0x4f, 0x7f, 0xe0]), `${init} bars`).toBeGreaterThan(50);
    await shoot('init');
  });

  it('lab 5: one unit learns AND, OR and NAND; XOR only with the hidden layer', async () => {
    expect((await run<PerceptronResult>('perceptron')).accuracy, 'XOR, one unit (the defaults)').toBeLessThan(1);
    await set('perceptron-steps', '200');
    for (const gate of ['and', 'or', 'nand']) {
      await set('perceptron-gate', gate);
      expect((await run<PerceptronResult>('perceptron')).accuracy, gate).toBe(1);
    }
    await set('perceptron-gate', 'xor');
    await set('perceptron-hidden', true);
    expect((await run<PerceptronResult>('perceptron')).accuracy).toBe(1);
    expect(await ink('perceptron-loss', [0x2f, 0x6f, 0xed])).toBeGreaterThan(50);
    expect(await ink('perceptron-regions', [230, 126, 34]), 'the 0 region').toBeGreaterThan(500);
    await shoot('perceptron');
  }, 120_000);

  it('lab 9: backpropagated and central-difference gradients agree (relative error < 1e-2 in f32, h = 0.01)', async () => {
    await set('gradcheck-entries', '8');
    for (const layer of ['linear', 'conv2d', 'layernorm', 'tanh', 'batchnorm']) {
      await set('gradcheck-layer', layer);
      if (layer === 'batchnorm') await set('gradcheck-entries', '24'); // last, at the defaults, for the screenshot
      const result = await run<GradcheckResult>('gradcheck');
      expect(result.entries, layer).toHaveLength(layer === 'batchnorm' ? 24 : 8);
      expect(result.relError, layer).toBeLessThan(1e-2);
    }
    expect(await ink('gradcheck-errors', [0xcf, 0x22, 0x2e]), 'the error points').toBeGreaterThan(24 * 10);
    expect(await browser().$$('[data-testid="gradcheck-table"] tr').length).toBe(25);
    await shoot('gradcheck');
  }, 120_000); // ~10 s on a quiet machine; SwiftShader shares the cores with everything else
});
