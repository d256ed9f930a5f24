// End-to-end test of the MNIST demo in real Chromium: builds the demo with Vite, serves the build
// with `vite preview`, and drives Debian Chromium (WebGPU on SwiftShader) with webdriverio:
// a quick training run must pass 85% test accuracy, a drawn digit must get 10 probabilities,
// the loss chart and confusion matrix must be drawn. Screenshots go to test-artifacts/.
import { mkdirSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { build, preview, type PreviewServer } from 'vite';
import { remote } from 'webdriverio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

beforeAll(async () => {
  await build(config);
  const port = await freePort();
  server = await preview({ ...config, preview: { host: '127.0.0.1', port, strictPort: true, open: false } });
  url = `http://localhost:${port}/`; // the host resolver rules let only localhost through
  browser = await remote({
    logLevel: 'warn',
    capabilities: {
      browserName: 'chrome',
      'goog:chromeOptions': { binary: CHROMIUM_BINARY, args: [...chromiumArgs, '--window-size=1280,800'] },
      'wdio:chromedriverOptions': { binary: CHROMEDRIVER_BINARY },
    },
  });
  mkdirSync('test-artifacts', { recursive: true });
}, 180_000);

afterAll(async () => {
  await browser?.deleteSession().catch(() => undefined);
  await server?.close();
});

/** Sets an input's value as a user would (select-all + type), firing input/change events. */
async function setField(b: Browser, testId: string, value: string): Promise<void> {
  const el = b.$(`[data-testid="${testId}"]`);
  if ((await el.getTagName()) === 'select') await el.selectByAttribute('value', value);
  else await el.setValue(value);
}

const percent = (text: string) => Number.parseFloat(text.replace('%', ''));

describe('MNIST demo', () => {
  it('trains in Chromium, predicts a drawn digit and shows the results', async () => {
    const b = browser!;
    await b.url(url);
    const start = b.$('[data-testid="train-start"]');
    // Enabled once WebGPU is up and the 55 MB of IDX files are loaded from the build.
    await start.waitForEnabled({ timeout: 60_000 });
    expect(await b.$('[data-testid="error"]').isDisplayed()).toBe(false);
    expect(await b.$('[data-testid="adapter"]').getText()).toMatch(/\w/);

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
    await b.waitUntil(async () => (await b.$('[data-testid="status"]').getText()) === 'paused', { timeout: 10_000 });
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
    await b.waitUntil(async () => (await b.$('[data-testid="status"]').getText()) === 'done', { timeout: 120_000, interval: 1000 });
    console.log(`demo: test accuracy ${await accuracy.getText()}, ${await b.$('[data-testid="throughput"]').getText()} samples/s`);

    // Draw a 7 with pointer actions (offsets from the canvas center).
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
    const probabilities = async () =>
      Promise.all(await b.$$('[data-testid="digit-probability"]').map(async (el) => percent(await el.getText())));
    await b.waitUntil(async () => (await probabilities()).every((p) => Number.isFinite(p)), { timeout: 30_000 });
    const probs = await probabilities();
    expect(probs).toHaveLength(10);
    expect(probs.reduce((a, c) => a + c, 0)).toBeGreaterThan(99);
    expect(probs.reduce((a, c) => a + c, 0)).toBeLessThan(101);
    console.log(`demo: drawn 7 → most likely ${probs.indexOf(Math.max(...probs))} (${Math.max(...probs)}%)`);

    // The loss chart is a uPlot canvas with a curve on it.
    const inked = await b.execute(() => {
      const c = document.querySelector<HTMLCanvasElement>('[data-testid="loss-chart"] canvas');
      if (!c || c.width === 0) return 0;
      const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) n++;
      return n;
    });
    expect(inked).toBeGreaterThan(100);

    // The confusion matrix: 10×10 counts over the 2,000 evaluated test images.
    const cells = await b.$$('[data-testid="confusion-matrix"] td').map((el) => el.getText());
    expect(cells).toHaveLength(100);
    expect(cells.reduce((a, c) => a + Number(c), 0)).toBe(2000);
    expect(await b.$$('[data-testid="misclassified"] canvas').length).toBeGreaterThan(0);

    // Without a scrollbar, the full-page capture is laid out at exactly the window's width.
    await b.execute(() => void (document.documentElement.style.overflow = 'hidden'));
    await b.pause(300); // the charts follow their containers' width
    await b.saveScreenshot('test-artifacts/demo.png', { fullPage: true });
    await b.setWindowSize(390, 844);
    await b.pause(500);
    await b.saveScreenshot('test-artifacts/demo-phone.png', { fullPage: true });
    await b.execute(() => void (document.documentElement.style.overflow = ''));

    // Reset frees the model and unlocks the form for the next run.
    await b.$('[data-testid="train-reset"]').click();
    await b.waitUntil(async () => (await b.$('[data-testid="status"]').getText()) === 'idle', { timeout: 30_000 });
    expect(await start.isEnabled()).toBe(true);
    expect(await b.$('[data-testid="train-samples"]').isEnabled()).toBe(true);
  }, 480_000);
});
