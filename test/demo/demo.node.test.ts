// End-to-end test of the demo pages in real Chromium: builds the demo with Vite (into its own
// folder), serves the build with `vite preview`, and drives Debian Chromium (WebGPU on
// SwiftShader) with webdriverio at 1280×800 and 390 px wide. The benchmark page runs its quick
// matmul case against TF.js and jax-js into a table that fits at 1280 px and scrolls at 390 px.
// The trainer, before training: charts with axes and a placeholder, a status tile that fits each
// of its labels, the Labs link, and Momentum's learning rate rule. A quick MLP run must pass 85%
// test accuracy, with the loss tile and chart in step while paused; a drawn digit gets 10
// probabilities; the finished model survives a page reload (IndexedDB) with the same
// prediction, downloads through Save as a safetensors file and comes back through Load, while
// corrupt or mismatched files show a readable error. Then, after Reset, a short run of a small
// CNN (4 and 8 channels) with 1-pixel shift augmentation must pass 65%. Screenshots go to test-artifacts/.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, preview, type PreviewServer } from 'vite';
import { remote } from 'webdriverio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STATES, statusLabel } from '../../demo/status';
import { readSafetensors, saveSafetensors } from '../../src/io/safetensors';
import { CHROMEDRIVER_BINARY, CHROMIUM_BINARY, chromiumArgs } from '../support/chromium';
import {
  atPhoneWidth,
  chartPixels,
  drawSeven,
  expectPrediction,
  expectResults,
  overflowingLabels,
  percent,
  placeholdersShown,
  probabilities,
  screenshots,
  setField,
  waitForStatus,
  type Browser,
} from './demo-browser';
import { freePort } from '../support/free-port';

/** Chromium's download folder (Save), where the files for Load are written, and the build. */
const scratch = mkdtempSync(join(tmpdir(), 'shadergrad-demo-'));
const downloads = join(scratch, 'downloads');
// Its own build folder: `npm run build` (dist/demo) and this test can run side by side.
const config = { configFile: 'demo/vite.config.ts', root: 'demo', logLevel: 'warn', build: { outDir: join(scratch, 'build') } } as const;
let server: PreviewServer | undefined;
let browser: Browser | undefined;
let url = '';

beforeAll(async () => {
  mkdirSync(downloads);
  await build(config);
  const port = await freePort();
  server = await preview({ ...config, preview: { host: '127.0.0.1', port, strictPort: true, open: false } });
  url = `http://localhost:${port}/`; // the host resolver rules let only localhost through
  browser = await remote({
    logLevel: 'warn',
    capabilities: {
      browserName: 'chrome',
      'goog:chromeOptions': {
        binary: CHROMIUM_BINARY,
        args: [...chromiumArgs, '--window-size=1280,800'],
        prefs: { 'download.default_directory': downloads, 'download.prompt_for_download': false },
      },
      'wdio:chromedriverOptions': { binary: CHROMEDRIVER_BINARY },
    },
  });
  mkdirSync('test-artifacts', { recursive: true });
}, 180_000);

afterAll(async () => {
  await browser?.deleteSession().catch(() => undefined);
  await server?.close();
  rmSync(scratch, { recursive: true, force: true });
});

/** Reset frees the model (trainer.destroy()) and unlocks the form for the next run. */
async function resetAndExpectIdle(b: Browser): Promise<void> {
  await b.$('[data-testid="train-reset"]').click();
  await waitForStatus(b, 'idle', 30_000);
  expect(await b.$('[data-testid="train-start"]').isEnabled()).toBe(true);
  expect(await b.$('[data-testid="train-samples"]').isEnabled()).toBe(true);
}

/** Waits until the note under the drawing pad matches. */
async function waitForNote(b: Browser, pattern: RegExp, timeout = 30_000): Promise<string> {
  const el = b.$('[data-testid="model-note"]');
  await b.waitUntil(async () => pattern.test(await el.getText()), { timeout, interval: 250, timeoutMsg: `model note did not match ${pattern}` });
  return el.getText();
}

/** Waits for Chromium to finish downloading `name` into the download folder; returns its bytes. */
async function downloaded(b: Browser, name: string): Promise<Uint8Array> {
  const path = join(downloads, name);
  await b.waitUntil(async () => existsSync(path), { timeout: 20_000, interval: 200, timeoutMsg: `${name} was not downloaded` });
  return new Uint8Array(readFileSync(path));
}

/** Picks a file for the Load button, as a user would in the file dialog. */
async function pickFile(b: Browser, name: string, bytes: Uint8Array): Promise<void> {
  const path = join(downloads, name);
  writeFileSync(path, bytes);
  await b.$('[data-testid="model-load"]').addValue(path); // setValue would clear() first, which file inputs refuse
}

/** The error shown after picking a bad file names the file and says what is wrong with it. */
async function expectLoadError(b: Browser, name: string, bytes: Uint8Array, reason: RegExp): Promise<void> {
  await pickFile(b, name, bytes);
  const error = b.$('[data-testid="error"]');
  const prefix = `Could not load ${name}: `;
  await b.waitUntil(async () => (await error.isDisplayed()) && (await error.getText()).startsWith(prefix), { timeout: 15_000, timeoutMsg: `no error for ${name}` });
  expect((await error.getText()).slice(prefix.length)).toMatch(reason);
  await waitForStatus(b, 'idle', 15_000); // back where it was
}

/** Opens the demo and waits until WebGPU is up and the 55 MB of IDX files are loaded from the build. */
async function openDemo(b: Browser): Promise<void> {
  await b.url(url);
  await b.$('[data-testid="train-start"]').waitForEnabled({ timeout: 60_000 });
  expect(await b.$('[data-testid="error"]').isDisplayed()).toBe(false);
  expect(await b.$('[data-testid="adapter"]').getText()).toMatch(/\w/);
}

/** The trainer before any run: what a user sees first, and the optimizer fields' rule. */
async function expectFreshTrainer(b: Browser): Promise<void> {
  // Empty charts draw their axes (ink, but none of the curve's colour) under a placeholder.
  expect(await placeholdersShown(b)).toEqual([true, true]);
  expect(await b.$('[data-testid="loss-chart"]').getText()).toContain('waiting for the first metrics…');
  const empty = await chartPixels(b, 'loss-chart');
  expect(empty.opaque).toBeGreaterThan(500); // axes, ticks, labels and grid
  expect(empty.curve).toBe(0);
  expect(await b.$('#loss').getText()).toBe('–');

  // Every status label fits its tile, at both widths.
  const labels = STATES.map(statusLabel);
  expect(await overflowingLabels(b, '[data-testid="status"]', labels)).toEqual([]);
  expect(await atPhoneWidth(b, () => overflowingLabels(b, '[data-testid="status"]', labels))).toEqual([]);

  const labs = b.$('[data-testid="labs-link"]');
  expect(await labs.getText()).toBe('Labs');
  expect(await labs.getAttribute('href')).toBe('./labs.html');
  expect(await b.execute(async (href) => (await fetch(href)).status, await labs.getProperty('href') as string)).toBe(200);

  // Picking Momentum with the learning rate untouched sets its default and says so; a rate the
  // user typed stays when the optimizer changes again, and the note names the default.
  const lr = b.$('[data-testid="lr"]');
  const note = b.$('[data-testid="optimizer-note"]');
  expect(await note.isDisplayed()).toBe(false);
  await setField(b, 'optimizer', 'momentum');
  expect(await lr.getValue()).toBe('0.01');
  expect(await note.getText()).toBe("lr set to 0.01, Momentum's default");
  await setField(b, 'lr', '0.002');
  await setField(b, 'optimizer', 'adam');
  expect(await lr.getValue()).toBe('0.002');
  expect(await note.getText()).toBe("lr kept at your 0.002 (Adam's default: 0.001)");
}

describe('demo pages', () => {
  it('shows the quick matmul benchmark as a table with the adapters, the peers and the ratios', async () => {
    const b = browser!;
    await b.url(`${url}bench.html`);
    const table = b.$('table[data-testid="bench-results"]');
    const head = () => table.$$('thead th').map(async (th) => (await th.getText()).split('\n')[0]);
    const columns = ['benchmark', 'size', 'shadergrad', 'TF.js WebGPU', 'jax-js WebGPU', 'vs TF.js', 'vs jax-js'];
    expect(await head()).toEqual(columns); // before any run

    await setField(b, 'bench-suite', 'matmul');
    const began = Date.now();
    await b.$('[data-testid="bench-quick"]').click();
    const progress = b.$('[data-testid="bench-progress"]');
    await b.waitUntil(async () => /^(Done|Failed)/.test(await progress.getText()), { timeout: 120_000, interval: 250, timeoutMsg: 'the benchmark did not finish' });
    expect(await progress.getText()).toBe('Done: 3 results.');
    console.log(`demo: quick matmul benchmark with TF.js and jax-js took ${((Date.now() - began) / 1000).toFixed(1)} s`);

    expect(await head()).toEqual(columns);
    const adapters = await table.$$('thead th small').map((el) => el.getText());
    expect(adapters).toHaveLength(3);
    for (const adapter of adapters) expect(adapter).toMatch(/\w/);
    expect(await table.$$('tbody tr.suite').map((el) => el.getText())).toEqual(['[matmul] GFLOP/s = 2·M·N·K / median time']);
    const rows = await table.$$('tbody tr:not(.suite)').map((tr) => tr.$$('td').map((td) => td.getText()));
    expect(rows).toHaveLength(1);
    const [name, size, ...engines] = rows[0]!;
    expect([name, size]).toEqual(['matmul NN', '128×128×128']);
    for (const cell of engines.slice(0, 3)) expect(cell).toMatch(/^[\d.]+ GFLOP\/s\n\([\d.]+ [mµ]s/); // the rate, the times under it
    for (const cell of engines.slice(3)) expect(cell).toMatch(/^\d+\.\d\d×$/);

    // Readable at 1280 px: nothing scrolls out of view. At 390 px the table scrolls sideways.
    const widths = () => b.execute(() => {
      const scroll = document.querySelector<HTMLElement>('[data-testid="bench-scroll"]')!;
      return { scroll: scroll.scrollWidth, client: scroll.clientWidth, overflow: getComputedStyle(scroll).overflowX };
    });
    const wide = await widths();
    expect(wide.scroll).toBeLessThanOrEqual(wide.client);
    await screenshots(b, 'bench', false);
    const narrow = await atPhoneWidth(b, async () => {
      await b.saveScreenshot('test-artifacts/bench-phone.png');
      return widths();
    });
    expect(narrow.scroll).toBeGreaterThan(narrow.client);
    expect(narrow.overflow).toBe('auto');
  }, 180_000);

  it('trains an MLP in Chromium, predicts a drawn digit and shows the results', async () => {
    const b = browser!;
    await openDemo(b);
    await expectFreshTrainer(b);
    await screenshots(b, 'demo-start');
    const start = b.$('[data-testid="train-start"]');

    await setField(b, 'layers', '128');
    await setField(b, 'train-samples', '3840');
    await setField(b, 'epochs', '2');
    await setField(b, 'batch-size', '128');
    await start.click();

    // Pause mid-epoch, once the first loss point is in: the page must handle the click while
    // training, and steps must stop.
    const step = b.$('#step');
    const loss = b.$('#loss');
    const stepNumber = async () => Number.parseInt(await step.getText(), 10) || 0;
    await b.waitUntil(async () => (await stepNumber()) >= 5 && /^\d+\.\d{4}$/.test(await loss.getText()), { timeout: 60_000, interval: 100 });
    await b.$('[data-testid="train-pause"]').click();
    await waitForStatus(b, 'paused', 10_000);
    await b.pause(500); // steps already submitted may still report
    const pausedAt = await stepNumber();
    await b.pause(1000);
    expect(await stepNumber()).toBe(pausedAt);
    expect(await start.getText()).toBe('Resume');
    // The loss tile's value is on the chart too (a single point is drawn as a dot).
    expect((await chartPixels(b, 'loss-chart')).curve).toBeGreaterThan(15);
    expect(await placeholdersShown(b)).toEqual([false, true]); // no epoch has ended yet
    await screenshots(b, 'demo-training', false);
    await start.click();

    const accuracy = b.$('[data-testid="test-accuracy"]');
    await waitForStatus(b, 'done', 240_000);
    console.log(`demo: test accuracy ${await accuracy.getText()}, ${await b.$('[data-testid="throughput"]').getText()} samples/s`);
    expect(percent(await accuracy.getText())).toBeGreaterThan(85);

    await drawSeven(b);
    const probs = await expectPrediction(b);
    console.log(`demo: drawn 7 → most likely ${probs.indexOf(Math.max(...probs))} (${Math.max(...probs)}%)`);

    expect((await chartPixels(b, 'loss-chart')).curve).toBeGreaterThan(100);
    expect(await placeholdersShown(b)).toEqual([false, false]);
    await expectResults(b);
    await screenshots(b, 'demo');

    // The finished run's model was kept in IndexedDB: after a reload it is restored, and the
    // same drawing gets the same probabilities.
    await waitForNote(b, /kept in this browser/);
    const began = Date.now();
    await openDemo(b);
    await waitForNote(b, /^Restored the last trained model \(784-128-10 relu\)/);
    await drawSeven(b);
    expect(await expectPrediction(b)).toEqual(probs);

    // Save downloads it: safetensors with the architecture in its metadata.
    await b.$('[data-testid="model-save"]').click();
    const file = await downloaded(b, 'shadergrad-mlp.safetensors');
    const { tensors, metadata } = readSafetensors(file);
    expect(metadata.model).toBe('mlp');
    expect(JSON.parse(metadata.architecture!)).toMatchObject({ arch: 'mlp', hidden: [128], activation: 'relu', batchnorm: false });
    expect([...tensors].map(([name, t]) => `${name} ${t.shape.join('×')}`)).toEqual([
      '1.weight 128×784', '1.bias 128', '3.weight 10×128', '3.bias 10',
    ]);

    // Load opens it again; bad files leave that model in place and say what is wrong.
    await pickFile(b, 'again.safetensors', file);
    await waitForNote(b, /^Loaded again\.safetensors: 784-128-10 relu/);
    expect(await expectPrediction(b)).toEqual(probs);
    await expectLoadError(b, 'truncated.safetensors', file.subarray(0, 100), /runs past the end|header/);
    const narrow = saveSafetensors(tensors, { model: 'mlp', architecture: JSON.stringify({ ...JSON.parse(metadata.architecture!), hidden: [64] }) });
    await expectLoadError(b, 'mismatched.safetensors', narrow, /size mismatch for 1\.weight/);
    expect(await b.$('[data-testid="model-note"]').getText()).toMatch(/^Loaded again\.safetensors/);
    expect(await expectPrediction(b)).toEqual(probs);
    console.log(`demo: reload + restore, Save, Load and two bad files took ${((Date.now() - began) / 1000).toFixed(1)} s`);
    await resetAndExpectIdle(b);
  }, 540_000);

  // Continues on the page the MLP run left after Reset (a new model on the same device, which
  // is what Reset is for); a fresh page if that run did not get there.
  it('trains a CNN in Chromium with the same live results and drawing pad', async () => {
    const b = browser!;
    const start = b.$('[data-testid="train-start"]');
    if ((await b.getUrl()) !== url || !(await start.isEnabled())) await openDemo(b);

    // Choosing the CNN shows its fields, hides the MLP-only ones, and turns batch norm on:
    // the defaults are the CLI's mnistModel('cnn').
    await setField(b, 'arch', 'cnn');
    expect(await b.$('[data-testid="layers"]').isDisplayed()).toBe(false);
    expect(await b.$('[data-testid="activation"]').isDisplayed()).toBe(false);
    expect(await b.$('[data-testid="conv1"]').getValue()).toBe('16');
    expect(await b.$('[data-testid="conv2"]').getValue()).toBe('32');
    expect(await b.$('[data-testid="batchnorm"]').isSelected()).toBe(true);

    // SwiftShader is slow, and the convolutions and the 2,000-image evaluation take most of the
    // time: 4 and 8 channels (a sixteenth of the default's second convolution), one epoch of 20
    // steps of 64.
    await setField(b, 'conv1', '4');
    await setField(b, 'conv2', '8');
    await setField(b, 'train-samples', '1280');
    await setField(b, 'epochs', '1');
    await setField(b, 'batch-size', '64');
    await setField(b, 'lr', '0.002');
    await setField(b, 'aug-shift', '1'); // compile's augment option, on the GPU in every step
    await b.$('[data-testid="draw-clear"]').click(); // the MLP's 7 is still on the pad
    const began = Date.now();
    await start.click();

    await waitForStatus(b, 'done', 180_000);
    const seconds = (Date.now() - began) / 1000;
    const accuracy = percent(await b.$('[data-testid="test-accuracy"]').getText());
    console.log(`demo: CNN test accuracy ${accuracy}%, ${await b.$('#step-ms').getText()} ms/step, ${seconds.toFixed(1)} s from Start to done`);
    expect(accuracy).toBeGreaterThan(65); // chance is 10%
    expect(await b.$('#test-note').getText()).toContain('CNN 4-8 ch (BN), adam lr 0.002, shift 1');

    expect((await probabilities(b)).every(Number.isNaN)).toBe(true); // a blank pad: no prediction
    await drawSeven(b);
    const probs = await expectPrediction(b);
    console.log(`demo: CNN, drawn 7 → most likely ${probs.indexOf(Math.max(...probs))} (${Math.max(...probs)}%)`);

    expect((await chartPixels(b, 'loss-chart')).curve).toBeGreaterThan(100);
    await expectResults(b);
    await screenshots(b, 'demo-cnn', false);
    await resetAndExpectIdle(b);
  }, 300_000);
});
