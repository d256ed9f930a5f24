// End-to-end test of the MNIST demo in real Chromium: builds the demo with Vite, serves the build
// with `vite preview`, and drives Debian Chromium (WebGPU on SwiftShader) with webdriverio:
// a quick MLP run must pass 85% test accuracy, a drawn digit must get 10 probabilities, the loss
// chart and confusion matrix must be drawn. The finished model must survive a page reload
// (IndexedDB) with the same prediction, download through Save as a safetensors file, and come
// back through Load; corrupt or mismatched files must show a readable error. Then, on the same
// page after Reset, a short CNN run with 1-pixel shift augmentation must pass 80% with the same
// checks. Screenshots go to test-artifacts/.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, preview, type PreviewServer } from 'vite';
import { remote } from 'webdriverio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSafetensors, saveSafetensors } from '../../src/io/safetensors';
import { CHROMEDRIVER_BINARY, CHROMIUM_BINARY, chromiumArgs } from '../support/chromium';

type Browser = Awaited<ReturnType<typeof remote>>;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const config = { configFile: 'demo/vite.config.ts', root: 'demo', logLevel: 'warn' } as const;
let server: PreviewServer | undefined;
let browser: Browser | undefined;
let url = '';
/** Chromium's download folder (Save), and where the files for Load are written. */
const downloads = mkdtempSync(join(tmpdir(), 'shadergrad-demo-'));

beforeAll(async () => {
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
  rmSync(downloads, { recursive: true, force: true });
});

/** Sets an input's value as a user would (select-all + type), firing input/change events. */
async function setField(b: Browser, testId: string, value: string): Promise<void> {
  const el = b.$(`[data-testid="${testId}"]`);
  if ((await el.getTagName()) === 'select') await el.selectByAttribute('value', value);
  else await el.setValue(value);
}

const percent = (text: string) => Number.parseFloat(text.replace('%', ''));

async function waitForStatus(b: Browser, status: string, timeout: number): Promise<void> {
  const el = b.$('[data-testid="status"]');
  await b.waitUntil(async () => (await el.getText()) === status, { timeout, interval: 500, timeoutMsg: `status did not become "${status}"` });
}

/** Draws a 7 on the pad with pointer actions (offsets from the canvas center). */
async function drawSeven(b: Browser): Promise<void> {
  const canvas = b.$('[data-testid="draw-canvas"]');
  await canvas.scrollIntoView();
  await b
    .action('pointer', { parameters: { pointerType: 'mouse' } })
    .move({ origin: canvas, x: -55, y: -70 })
    .down()
    .move({ origin: canvas, x: 55, y: -70, duration: 150 })
    .move({ origin: canvas, x: -5, y: 85, duration: 200 })
    .up()
    .perform();
}

/** The ten class probabilities shown next to the pad, in %; NaN while there is no prediction. */
async function probabilities(b: Browser): Promise<number[]> {
  return Promise.all(await b.$$('[data-testid="digit-probability"]').map(async (el) => percent(await el.getText())));
}

/** Waits for the drawn digit's probabilities; checks there are ten summing to 100%; returns them. */
async function expectPrediction(b: Browser): Promise<number[]> {
  await b.waitUntil(async () => (await probabilities(b)).every((p) => Number.isFinite(p)), { timeout: 30_000 });
  const probs = await probabilities(b);
  expect(probs).toHaveLength(10);
  const sum = probs.reduce((a, c) => a + c, 0);
  expect(sum).toBeGreaterThan(99); // each is rounded to 0.1%
  expect(sum).toBeLessThan(101);
  return probs;
}

/**
 * Pixels of the loss curve's own colour (#2f6fed) on the uPlot canvas: the axes and grid are
 * drawn on the same canvas, so counting any ink would pass on an empty chart.
 */
async function lossCurvePixels(b: Browser): Promise<number> {
  return b.execute(() => {
    const c = document.querySelector<HTMLCanvasElement>('[data-testid="loss-chart"] canvas');
    if (!c || c.width === 0) return 0;
    const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < data.length; i += 4) {
      const near = Math.abs(data[i]! - 0x2f) + Math.abs(data[i + 1]! - 0x6f) + Math.abs(data[i + 2]! - 0xed) < 60;
      if (near && data[i + 3]! > 100) n++;
    }
    return n;
  });
}

/** The confusion matrix is 10×10 counts over the 2,000 evaluated test images; mistakes are shown. */
async function expectResults(b: Browser): Promise<void> {
  const cells = await b.$$('[data-testid="confusion-matrix"] td').map((el) => el.getText());
  expect(cells).toHaveLength(100);
  expect(cells.reduce((a, c) => a + Number(c), 0)).toBe(2000);
  expect(await b.$$('[data-testid="misclassified"] canvas').length).toBeGreaterThan(0);
}

/** Full-page screenshots at 1280×800 and at phone width (390 px), then back to 1280×800. */
async function screenshots(b: Browser, name: string): Promise<void> {
  // Without a scrollbar, the full-page capture is laid out at exactly the window's width.
  await b.execute(() => void (document.documentElement.style.overflow = 'hidden'));
  await b.pause(300); // the charts follow their containers' width
  await b.saveScreenshot(`test-artifacts/${name}.png`, { fullPage: true });
  await b.setWindowSize(390, 844);
  await b.pause(500);
  await b.saveScreenshot(`test-artifacts/${name}-phone.png`, { fullPage: true });
  await b.setWindowSize(1280, 800);
  await b.execute(() => void (document.documentElement.style.overflow = ''));
}

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

describe('MNIST demo', () => {
  it('trains an MLP in Chromium, predicts a drawn digit and shows the results', async () => {
    const b = browser!;
    await openDemo(b);
    const start = b.$('[data-testid="train-start"]');

    await setField(b, 'train-samples', '6400');
    await setField(b, 'epochs', '2');
    await setField(b, 'batch-size', '128');
    await setField(b, 'optimizer', 'adam');
    await setField(b, 'lr', '0.002');
    await start.click();

    // Pause mid-epoch: the page must handle the click while training, and steps must stop.
    const step = b.$('#step');
    const stepNumber = async () => Number.parseInt(await step.getText(), 10) || 0;
    await b.waitUntil(async () => (await stepNumber()) >= 5, { timeout: 60_000, interval: 250 });
    await b.$('[data-testid="train-pause"]').click();
    await waitForStatus(b, 'paused', 10_000);
    await b.pause(1000); // steps already submitted may still report
    const pausedAt = await stepNumber();
    await b.pause(2000);
    expect(await stepNumber()).toBe(pausedAt);
    expect(await start.getText()).toBe('Resume');
    await start.click();

    const accuracy = b.$('[data-testid="test-accuracy"]');
    await b.waitUntil(async () => percent(await accuracy.getText()) > 85, {
      timeout: 240_000,
      interval: 1000,
      timeoutMsg: 'test accuracy did not pass 85%',
    });
    await waitForStatus(b, 'done', 120_000);
    console.log(`demo: test accuracy ${await accuracy.getText()}, ${await b.$('[data-testid="throughput"]').getText()} samples/s`);

    await drawSeven(b);
    const probs = await expectPrediction(b);
    console.log(`demo: drawn 7 → most likely ${probs.indexOf(Math.max(...probs))} (${Math.max(...probs)}%)`);

    expect(await lossCurvePixels(b)).toBeGreaterThan(100);
    await expectResults(b);
    await screenshots(b, 'demo');

    // The finished run's model was kept in IndexedDB: after a reload it is restored, and the
    // same drawing gets the same probabilities.
    await waitForNote(b, /kept in this browser/);
    const began = Date.now();
    await openDemo(b);
    await waitForNote(b, /^Restored the last trained model \(784-256-128-10 relu\)/);
    await drawSeven(b);
    expect(await expectPrediction(b)).toEqual(probs);

    // Save downloads it: safetensors with the architecture in its metadata.
    await b.$('[data-testid="model-save"]').click();
    const file = await downloaded(b, 'shadergrad-mlp.safetensors');
    const { tensors, metadata } = readSafetensors(file);
    expect(metadata.model).toBe('mlp');
    expect(JSON.parse(metadata.architecture!)).toMatchObject({ arch: 'mlp', hidden: [256, 128], activation: 'relu', batchnorm: false });
    expect([...tensors].map(([name, t]) => `${name} ${t.shape.join('×')}`)).toEqual([
      '1.weight 256×784', '1.bias 256', '3.weight 128×256', '3.bias 128', '5.weight 10×128', '5.bias 10',
    ]);

    // Load opens it again; bad files leave that model in place and say what is wrong.
    await pickFile(b, 'again.safetensors', file);
    await waitForNote(b, /^Loaded again\.safetensors: 784-256-128-10 relu/);
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
  it('trains the CNN in Chromium with the same live results and drawing pad', async () => {
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

    // SwiftShader is slow: one short epoch (40 steps of 64).
    await setField(b, 'train-samples', '2560');
    await setField(b, 'epochs', '1');
    await setField(b, 'batch-size', '64');
    await setField(b, 'optimizer', 'adam');
    await setField(b, 'lr', '0.002');
    await setField(b, 'aug-shift', '1'); // compile's augment option, on the GPU in every step
    await b.$('[data-testid="draw-clear"]').click(); // the MLP's 7 is still on the pad
    const began = Date.now();
    await start.click();

    await waitForStatus(b, 'done', 180_000);
    const seconds = (Date.now() - began) / 1000;
    const accuracy = percent(await b.$('[data-testid="test-accuracy"]').getText());
    console.log(
      `demo: CNN test accuracy ${accuracy}%, ${await b.$('#step-ms').getText()} ms/step, ${seconds.toFixed(1)} s from Start to done`,
    );
    expect(accuracy).toBeGreaterThan(80);
    expect(await b.$('#test-note').getText()).toContain('CNN 16-32 ch (BN), adam lr 0.002, shift 1');

    expect((await probabilities(b)).every(Number.isNaN)).toBe(true); // a blank pad: no prediction
    await drawSeven(b);
    const probs = await expectPrediction(b);
    console.log(`demo: CNN, drawn 7 → most likely ${probs.indexOf(Math.max(...probs))} (${Math.max(...probs)}%)`);

    expect(await lossCurvePixels(b)).toBeGreaterThan(100);
    await expectResults(b);
    await screenshots(b, 'demo-cnn');
    await resetAndExpectIdle(b);
  }, 300_000);
});
