// The Labs page (demo/labs.html) in real Chromium, WebGPU on SwiftShader, for the labs'
// end-to-end test files: labsPage() registers beforeAll / afterAll that serve the page with
// Vite's dev server (no build, so it costs seconds) and open it with webdriverio, and returns
// what a test does there as a reader would: set controls, click Run and read the run's
// data-result, count a chart's series pixels, screenshot a lab. Screenshots go to
// test-artifacts/ (and, with LAB_IMAGES=<dir>, each lab's also to <dir>/: scripts/lab-screenshots.mjs).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, type ViteDevServer } from 'vite';
import { remote } from 'webdriverio';
import { afterAll, beforeAll, expect } from 'vitest';
import { CHROMEDRIVER_BINARY, CHROMIUM_BINARY, chromiumArgs } from '../support/chromium';
import { freePort } from '../support/free-port';

type Browser = Awaited<ReturnType<typeof remote>>;

export interface LabsPage {
  /** The open browser (after beforeAll). */
  browser(): Browser;
  /** Sets a control as a reader would. */
  set(testId: string, value: string | boolean): Promise<void>;
  /** Clicks a lab's Run and waits for "done"; returns what the run measured. */
  run<R>(id: string, timeout?: number): Promise<R>;
  /** Pixels of a series colour on the canvases under a test id. */
  ink(testId: string, rgb: [number, number, number]): Promise<number>;
  /** Screenshot of one lab's section at 1280 px wide. */
  shoot(id: string): Promise<void>;
}

/**
 * Serves and opens the Labs page for the calling test file. `cacheDir`: the file's own Vite
 * dependency cache, so two test files never race over one. `fullPage`: a name for full-page
 * screenshots at 1280 px and 390 px wide after the file's tests (test-artifacts/<name>.png, <name>-phone.png).
 */
export function labsPage(options: { cacheDir: string; fullPage?: string }): LabsPage {
  let server: ViteDevServer | undefined;
  let browser: Browser | undefined;
  const images = process.env.LAB_IMAGES;
  /** Each run's "done in" time, printed at the end (the page's own measure, Run to done). */
  const times: string[] = [];
  const open = () => browser ?? expect.fail('the Labs page did not open');

  beforeAll(async () => {
    const port = await freePort();
    // uPlot is pre-bundled up front: discovering it on the first request would make Vite reload the page.
    server = await createServer({
      configFile: 'demo/vite.config.ts',
      root: 'demo',
      cacheDir: options.cacheDir,
      logLevel: 'warn',
      optimizeDeps: { include: ['uplot'] },
      // No file watching: a file saved during a run would reload the page and lose the run.
      server: { host: '127.0.0.1', port, strictPort: true, watch: null },
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
      if (options.fullPage) {
        // Without a scrollbar, the full-page capture is laid out at exactly the window's width.
        await b.execute(() => void (document.documentElement.style.overflow = 'hidden'));
        await b.pause(300); // the charts follow their containers' width
        await b.saveScreenshot(`test-artifacts/${options.fullPage}.png`, { fullPage: true });
        await b.setViewport({ width: 390, height: 844 }); // a window is never narrower than ~414 px; a viewport can be
        await b.pause(500);
        await b.saveScreenshot(`test-artifacts/${options.fullPage}-phone.png`, { fullPage: true });
      }
      await b.deleteSession().catch(() => undefined);
    }
    await server?.close();
    console.info(`lab runs: ${times.join(', ')}`);
  });

  return {
    browser: open,

    async set(testId, value) {
      const el = open().$(`[data-testid="${testId}"]`);
      const tag = await el.getTagName();
      if (tag === 'select') await el.selectByAttribute('value', value as string);
      else if (typeof value === 'boolean') {
        if ((await el.isSelected()) !== value) await el.click();
      } else await el.setValue(value);
    },

    async run<R>(id: string, timeout = 60_000): Promise<R> {
      const b = open();
      const button = b.$(`[data-testid="${id}-run"]`);
      await button.scrollIntoView();
      await button.click();
      const status = b.$(`[data-testid="${id}-status"]`);
      await b.waitUntil(async () => /^done in|error/.test((await status.getText()) + (await status.getAttribute('class'))), { timeout, interval: 200, timeoutMsg: `${id} did not finish` });
      const text = await status.getText();
      expect(text).toMatch(/^done in \d+\.\d s$/);
      times.push(`${id} ${text.slice(8)}`);
      return JSON.parse((await b.$(`#${id}`).getAttribute('data-result'))!) as R;
    },

    // uPlot draws axes and grid on the same canvas as the series, so counting any ink would pass on an empty chart.
    ink(testId, rgb) {
      return open().execute(
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
    },

    // The viewport grows to hold all of the section, then goes back to 1280×800.
    async shoot(id) {
      const b = open();
      const section = b.$(`#${id}`);
      const { height } = await section.getSize();
      await b.setViewport({ width: 1280, height: Math.max(800, Math.ceil(height) + 40) });
      await section.scrollIntoView();
      await b.pause(300); // the charts follow their containers' width
      await section.saveScreenshot(`test-artifacts/lab-${id}.png`);
      if (images) await section.saveScreenshot(join(images, `${id}.png`));
      await b.setViewport({ width: 1280, height: 800 });
    },
  };
}
