// What demo.node.test.ts does in Chromium, as a user would: fill fields, wait for the status,
// draw on the pad, read the probabilities, count the loss curve's pixels, measure clipping,
// take screenshots. Not a test file: the helpers of that one end-to-end test.
import type { remote } from 'webdriverio';
import { expect } from 'vitest';

export type Browser = Awaited<ReturnType<typeof remote>>;

/** Sets an input's value as a user would (select-all + type), firing input/change events. */
export async function setField(b: Browser, testId: string, value: string): Promise<void> {
  const el = b.$(`[data-testid="${testId}"]`);
  if ((await el.getTagName()) === 'select') await el.selectByAttribute('value', value);
  else await el.setValue(value);
}

export const percent = (text: string) => Number.parseFloat(text.replace('%', ''));

export async function waitForStatus(b: Browser, status: string, timeout: number): Promise<void> {
  const el = b.$('[data-testid="status"]');
  await b.waitUntil(async () => (await el.getText()) === status, { timeout, interval: 250, timeoutMsg: `status did not become "${status}"` });
}

/** Draws a 7 on the pad with pointer actions (offsets from the canvas center). */
export async function drawSeven(b: Browser): Promise<void> {
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

/** The texts of the elements matching `selector`, read in one round trip (one per element is slow). */
export async function texts(b: Browser, selector: string): Promise<string[]> {
  return b.execute((sel) => [...document.querySelectorAll<HTMLElement>(sel)].map((el) => el.innerText), selector);
}

/** The ten class probabilities shown next to the pad, in %; NaN while there is no prediction. */
export async function probabilities(b: Browser): Promise<number[]> {
  return (await texts(b, '[data-testid="digit-probability"]')).map(percent);
}

/** Waits for the drawn digit's probabilities; checks there are ten summing to 100%; returns them. */
export async function expectPrediction(b: Browser): Promise<number[]> {
  await b.waitUntil(async () => (await probabilities(b)).every((p) => Number.isFinite(p)), { timeout: 30_000 });
  const probs = await probabilities(b);
  expect(probs).toHaveLength(10);
  const sum = probs.reduce((a, c) => a + c, 0);
  expect(sum).toBeGreaterThan(99); // each is rounded to 0.1%
  expect(sum).toBeLessThan(101);
  return probs;
}

/**
 * Opaque pixels of a chart's uPlot canvas, and those of the loss curve's own colour (#2f6fed):
 * the axes and grid are drawn on the same canvas, so counting any ink would pass on an empty chart.
 */
export async function chartPixels(b: Browser, testId: string): Promise<{ opaque: number; curve: number }> {
  return b.execute((id) => {
    const c = document.querySelector<HTMLCanvasElement>(`[data-testid="${id}"] canvas`);
    if (!c || c.width === 0) return { opaque: 0, curve: 0 };
    const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let opaque = 0;
    let curve = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3]! <= 100) continue;
      opaque++;
      if (Math.abs(data[i]! - 0x2f) + Math.abs(data[i + 1]! - 0x6f) + Math.abs(data[i + 2]! - 0xed) < 60) curve++;
    }
    return { opaque, curve };
  }, testId);
}

/** Whether each chart's "waiting for the first metrics…" placeholder is shown. */
export async function placeholdersShown(b: Browser): Promise<boolean[]> {
  return b.$$('[data-testid="chart-waiting"]').map((el) => el.isDisplayed());
}

/**
 * Puts each label into the element and returns those that overflow it (scrollWidth above
 * clientWidth: cut off or ellipsized), then restores its text.
 */
export async function overflowingLabels(b: Browser, selector: string, labels: readonly string[]): Promise<string[]> {
  return b.execute(
    (sel, texts) => {
      const el = document.querySelector<HTMLElement>(sel)!;
      const before = el.textContent;
      const over = texts.filter((text) => {
        el.textContent = text;
        return el.scrollWidth > el.clientWidth;
      });
      el.textContent = before;
      return over;
    },
    selector,
    [...labels],
  );
}

/** The confusion matrix is 10×10 counts over the 2,000 evaluated test images; mistakes are shown. */
export async function expectResults(b: Browser): Promise<void> {
  const cells = await texts(b, '[data-testid="confusion-matrix"] td');
  expect(cells).toHaveLength(100);
  expect(cells.reduce((a, c) => a + Number(c), 0)).toBe(2000);
  expect(await b.$$('[data-testid="misclassified"] canvas').length).toBeGreaterThan(0);
}

/** Runs `check` at phone width (390×844), then goes back to 1280×800. */
export async function atPhoneWidth<T>(b: Browser, check: () => Promise<T>): Promise<T> {
  await b.setWindowSize(390, 844);
  await b.pause(300); // the charts follow their containers' width
  try {
    return await check();
  } finally {
    await b.setWindowSize(1280, 800);
    await b.pause(300);
  }
}

/**
 * A full-page screenshot at 1280 px wide (the window is 1280×800) into test-artifacts/, and with
 * `phone` one at 390 px wide too.
 */
export async function screenshots(b: Browser, name: string, phone = true): Promise<void> {
  // Without a scrollbar, the full-page capture is laid out at exactly the window's width.
  await b.execute(() => void (document.documentElement.style.overflow = 'hidden'));
  await b.pause(300);
  await b.saveScreenshot(`test-artifacts/${name}.png`, { fullPage: true });
  if (phone) await atPhoneWidth(b, () => b.saveScreenshot(`test-artifacts/${name}-phone.png`, { fullPage: true }));
  await b.execute(() => void (document.documentElement.style.overflow = ''));
}
