// End-to-end test of the Labs page (demo/labs.html) in real Chromium, WebGPU on SwiftShader:
// Vite's dev server serves the page as it is (no build, so it costs seconds), webdriverio sets
// each lab's controls to reduced settings, clicks Run, and reads what the run measured from its
// section's data-result; the notes' qualitative results are asserted. Screenshots of each lab
// and of the whole page at 1280×800 and 390 px wide go to test-artifacts/ (and, with
// LAB_IMAGES=<dir>, each lab's also to <dir>/: scripts/lab-screenshots.mjs, the README's images).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, type ViteDevServer } from 'vite';
import { remote } from 'webdriverio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InitResult } from '../../demo/labs/init-lab';
import type { PerceptronResult } from '../../demo/labs/perceptron-lab';
import type { GradcheckResult } from '../../demo/labs/gradcheck-lab';
import { CHROMEDRIVER_BINARY, CHROMIUM_BINARY, chromiumArgs } from '../support/chromium';
import { freePort } from '../support/free-port';

type Browser = Awaited<ReturnType<typeof remote>>;

let server: ViteDevServer | undefined;
let browser: Browser | undefined;
const images = process.env.LAB_IMAGES;
/** Each run's "done in" time, printed at the end (the page's own measure, Run to done). */
const times: string[] = [];

beforeAll(async () => {
  const port = await freePort();
  // Its own dependency cache, so it never races another Vite server over node_modules/.vite.
  // uPlot is pre-bundled up front: discovering it on the first request would make Vite reload the page.
  server = await createServer({
    configFile: 'demo/vite.config.ts',
    root: 'demo',
    cacheDir: '.tmp/vite-labs',
    logLevel: 'warn',
    optimizeDeps: { include: ['uplot'] },
    server: { host: '127.0.0.1', port, strictPort: true },
  });
  await server.listen();
  browser = await remote({
    logLevel: 'warn',
    capabilities: {
      browserName: 'chrome',
      'goog:chromeOptions': { binary: CHROMIUM_BINARY, args: [...chromiumArgs, '--window-size=1280,800'] },
      'wdio:chromedriverOptions': { binary: CHROMEDRIVER_BINARY },
    },
  });
  mkdirSync('test-artifacts', { recursive: true });
  if (images) mkdirSync(images, { recursive: true });
  await browser.url(`http://localhost:${port}/labs.html`); // the host resolver rules let only localhost through
  const adapter = browser.$('[data-testid="adapter"]');
  await browser.waitUntil(async () => !(await adapter.getText()).startsWith('requesting'), { timeout: 60_000, interval: 250 });
  expect(await adapter.getText()).not.toBe('unavailable');
}, 120_000);

afterAll(async () => {
  const b = browser;
  if (b) {
    // Without a scrollbar, the full-page capture is laid out at exactly the window's width.
    await b.execute(() => void (document.documentElement.style.overflow = 'hidden'));
    await b.pause(300); // the charts follow their containers' width
    await b.saveScreenshot('test-artifacts/labs.png', { fullPage: true });
    await b.setViewport({ width: 390, height: 844 }); // a window is never narrower than ~414 px; a viewport can be
    await b.pause(500);
    await b.saveScreenshot('test-artifacts/labs-phone.png', { fullPage: true });
    await b.deleteSession().catch(() => undefined);
  }
  await server?.close();
  console.info(`lab runs: ${times.join(', ')}`);
});

/** Sets a control as a reader would. */
async function set(testId: string, value: string | boolean): Promise<void> {
  const el = browser!.$(`[data-testid="${testId}"]`);
  const tag = await el.getTagName();
  if (tag === 'select') await el.selectByAttribute('value', value as string);
  else if (typeof value === 'boolean') {
    if ((await el.isSelected()) !== value) await el.click();
  } else await el.setValue(value);
}

/** Clicks a lab's Run and waits for "done"; returns what the run measured. */
async function run<R>(id: string, timeout = 60_000): Promise<R> {
  const b = browser!;
  const button = b.$(`[data-testid="${id}-run"]`);
  await button.scrollIntoView();
  await button.click();
  const status = b.$(`[data-testid="${id}-status"]`);
  await b.waitUntil(async () => /^done in|error/.test((await status.getText()) + (await status.getAttribute('class'))), { timeout, interval: 200, timeoutMsg: `${id} did not finish` });
  const text = await status.getText();
  expect(text).toMatch(/^done in \d+\.\d s$/);
  times.push(`${id} ${text.slice(8)}`);
  return JSON.parse((await b.$(`#${id}`).getAttribute('data-result'))!) as R;
}

/**
 * Pixels of a series colour on the canvases under a test id: uPlot draws axes and grid on the
 * same canvas, so counting any ink would pass on an empty chart.
 */
async function ink(testId: string, rgb: [number, number, number]): Promise<number> {
  return browser!.execute(
    (selector, [r, g, b]) => {
      let n = 0;
      for (const c of document.querySelectorAll<HTMLCanvasElement>(`${selector} canvas`)) {
        if (c.width === 0) continue;
        const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        for (let i = 0; i < data.length; i += 4) if (Math.abs(data[i]! - r) + Math.abs(data[i + 1]! - g) + Math.abs(data[i + 2]! - b) < 60 && data[i + 3]! > 100) n++;
      }
      return n;
    },
    `[data-testid="${testId}"]`,
    rgb,
  );
}

/** Screenshot of one lab's section at 1280 px wide; the viewport grows to hold all of it, then goes back to 1280×800. */
async function shoot(id: string): Promise<void> {
  const b = browser!;
  const section = b.$(`#${id}`);
  const { height } = await section.getSize();
  await b.setViewport({ width: 1280, height: Math.max(800, Math.ceil(height) + 40) });
  await section.scrollIntoView();
  await b.pause(300); // the charts follow their containers' width
  await section.saveScreenshot(`test-artifacts/lab-${id}.png`);
  if (images) await section.saveScreenshot(join(images, `${id}.png`));
  await b.setViewport({ width: 1280, height: 800 });
}

describe('Labs page', () => {
  it('lists every lab, each with an explanation, controls, Run and a status line', async () => {
    const b = browser!;
    const ids = await b.$$('main#labs > section.lab').map((s) => s.getAttribute('id'));
    expect(ids).toEqual(['init', 'perceptron', 'gradcheck']);
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
    expect(await browser!.$$('[data-testid="gradcheck-table"] tr').length).toBe(25);
    await shoot('gradcheck');
  }, 120_000); // ~10 s on a quiet machine; SwiftShader shares the cores with everything else
});
