// The demo's uPlot charts (demo/charts.ts) in a page: before any data they draw their axes
// (ink on the canvas, where uPlot also writes the axis labels) under a "waiting for the first metrics…"
// placeholder; the first loss point is drawn (a dot: one point makes no line) and hides the
// placeholder, and clear() brings the empty view back.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import '../../demo/styles.css';
import { AccuracyChart, LossChart, WAITING_TEXT } from '../../demo/charts';

let host: HTMLElement;
beforeEach(() => {
  host = document.createElement('div');
  host.style.width = '640px';
  document.body.append(host);
});
afterEach(() => host.remove());

/** Canvas pixels that are opaque, and those near `rgb` (the series colour). */
function ink(container: HTMLElement, rgb: [number, number, number]): { opaque: number; series: number } {
  const canvas = container.querySelector('canvas')!;
  const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
  let opaque = 0;
  let series = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (data[i + 3]! < 100) continue;
    opaque++;
    if (Math.abs(data[i]! - rgb[0]) + Math.abs(data[i + 1]! - rgb[1]) + Math.abs(data[i + 2]! - rgb[2]) < 60) series++;
  }
  return { opaque, series };
}

const placeholder = (container: HTMLElement) => container.querySelector<HTMLElement>('[data-testid="chart-waiting"]')!;
const frame = () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
const BLUE: [number, number, number] = [0x2f, 0x6f, 0xed];

describe('demo charts', () => {
  it('draws the loss chart’s axes and placeholder before data, then its first point', async () => {
    const chart = new LossChart(host);
    await frame();
    expect(placeholder(host).textContent).toBe(WAITING_TEXT);
    expect(placeholder(host).checkVisibility()).toBe(true);
    const empty = ink(host, BLUE);
    expect(empty.opaque).toBeGreaterThan(200); // axes, ticks, their labels and the grid: all on the canvas
    expect(empty.series).toBe(0);

    chart.add(10, 1.8);
    await frame();
    expect(placeholder(host).checkVisibility()).toBe(false);
    expect(ink(host, BLUE).series).toBeGreaterThan(15); // a 7 px dot

    chart.add(20, 0.9);
    chart.clear();
    await frame();
    expect(placeholder(host).checkVisibility()).toBe(true);
    expect(ink(host, BLUE).series).toBe(0);
  });

  it('draws the accuracy chart’s axes and placeholder before the first epoch', async () => {
    const chart = new AccuracyChart(host);
    await frame();
    expect(placeholder(host).checkVisibility()).toBe(true);
    expect(ink(host, BLUE).opaque).toBeGreaterThan(200);
    chart.add(1, 0.8, 0.75);
    await frame();
    expect(placeholder(host).checkVisibility()).toBe(false);
  });
});
