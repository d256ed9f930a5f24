// End-to-end test of lab 2, the optimizer race, on the Labs page in real Chromium (WebGPU on
// SwiftShader; the page and browser come from labs-page.ts): at reduced settings, every
// optimizer gets closer to the minimum of x²/20 + y², plain SGD's GPU path is gradient
// descent's closed form on that quadratic (so the engine did the steps), the adaptive methods
// leave the tanh plateau where SGD stays, and the MLP exercise ranks Adam, Momentum, SGD.
import { describe, expect, it } from 'vitest';
import type { OptimizersResult } from '../../demo/labs/optimizers-lab';
import { labsPage } from './labs-page';

const { browser, set, run, ink, shoot } = labsPage({ cacheDir: '.tmp/vite-labs-optimizers' });

const distance = ([x, y]: readonly number[]) => Math.hypot(x!, y!);

describe('lab 2: optimizer race', () => {
  it('every optimizer descends x²/20 + y² (SGD exactly as gradient descent), adaptive ones leave the tanh plateau, Adam fits the curve best', async () => {
    await set('optimizers-surface', 'plateau');
    await set('optimizers-fit-steps', '50'); // the MLP is checked on the second run
    const plateau = await run<OptimizersResult>('optimizers', 150_000);
    const end = (r: OptimizersResult, name: string) => r.race.find((p) => p.optimizer === name)!;
    // The surface's own learning rates came with it (the select's change event).
    expect(plateau.race.map((p) => p.lr)).toEqual([1, 0.3, 0.3, 0.5, 0.02, 20, 0.1]);
    const startF = 0.5 * ((Math.tanh(-3.5) - 0.5) ** 2 + Math.tanh(1.5) ** 2);
    for (const name of ['sgd', 'momentum']) expect(end(plateau, name).finalF, `${name} on the plateau`).toBeGreaterThan(0.9);
    for (const name of ['adagrad', 'rmsprop', 'adam']) expect(end(plateau, name).finalF, `${name} off the plateau`).toBeLessThan(0.1);
    expect(end(plateau, 'sgd').finalF).toBeLessThan(startF);

    await set('optimizers-surface', 'valley'); // last, at the valley's defaults: the screenshot shows the book's race
    await set('optimizers-fit-steps', '300');
    const valley = await run<OptimizersResult>('optimizers', 150_000);
    expect(valley.race).toHaveLength(7);
    for (const r of valley.race) {
      expect(r.path, r.optimizer).toHaveLength(valley.steps + 1);
      expect(distance(r.path.at(-1)!), r.optimizer).toBeLessThan(distance(valley.start));
    }
    // Gradient descent on x²/20 + y²: x ← x(1 − η/10), y ← y(1 − 2η), in f32 on the GPU.
    const sgd = end(valley, 'sgd');
    let [x, y] = valley.start;
    for (const [k, [gx, gy]] of sgd.path.entries()) {
      expect(Math.abs(gx - x!), `x at step ${k}`).toBeLessThan(1e-5 * Math.max(1, Math.abs(x!)) * (k + 1));
      expect(Math.abs(gy - y!), `y at step ${k}`).toBeLessThan(1e-5 * Math.max(1, Math.abs(y!)) * (k + 1));
      [x, y] = [x! * (1 - sgd.lr / 10), y! * (1 - 2 * sgd.lr)];
    }

    const loss = (name: string) => valley.fit.runs.find((r) => r.optimizer === name)!.finalLoss;
    expect(loss('adam'), 'Adam below Momentum').toBeLessThan(loss('momentum'));
    expect(loss('momentum'), 'Momentum below SGD').toBeLessThan(loss('sgd'));
    expect(loss('adam')).toBeLessThan(0.1);
    expect(valley.fit.runs.every((r) => r.losses.length === valley.fit.steps.length)).toBe(true);
    expect(await ink('optimizers-race', [0x2f, 0x6f, 0xed]), 'Adam’s path').toBeGreaterThan(50);
    expect(await ink('optimizers-race', [0xcf, 0x22, 0x2e]), 'SGD’s path').toBeGreaterThan(50);
    expect(await ink('optimizers-fit', [0x2f, 0x6f, 0xed]), 'Adam’s fitted curve').toBeGreaterThan(50);
    await shoot('optimizers');
    // The phone layout: controls in two columns above the charts, one chart a row.
    await browser().setViewport({ width: 390, height: 2400 }); // tall enough for the whole section
    await browser().pause(500);
    await browser().$('#optimizers').saveScreenshot('test-artifacts/lab-optimizers-phone.png');
    await browser().setViewport({ width: 1280, height: 800 });
  }, 300_000); // ~30 s on SwiftShader with other tests beside it; CI runs test files in parallel
});
