// Lab 2: the optimizer race. Each of seven optimizers gets its own trainer of a model whose
// two weights are the point (x, y) and whose MSE loss on two fixed samples is exactly the
// surface f(x, y); every step is the engine's trainer.step() (forward, backward and the fused
// optimizer kernel on the GPU), and the point is read back with stateDict() after each one.
// The paths are drawn over f's level lines (computed on the CPU, for the picture only). Then
// the notes' exercise: a tanh MLP fitting a curve with SGD, Momentum and Adam (optimizers-fit.ts).
import { adadelta, adagrad, adam, compile, Linear, momentum, nesterov, rmsprop, Sequential, sgd, Tanh, type Module, type OptimizerConfig, type Trainer } from '../../src/index';
import { ContourChart, type ContourSurface } from './contour';
import { numberInput, select } from './controls';
import type { Lab } from './lab';
import { el, tableRow } from './page';
import { FitChart, FIT_OPTIMIZERS, runFit, type FitResult } from './optimizers-fit';
import { LineChart, plotBox } from './plots';

type Optimizer = 'sgd' | 'momentum' | 'nesterov' | 'adagrad' | 'rmsprop' | 'adadelta' | 'adam';

/** The racers, in legend order; each with torch's defaults but the learning rate. */
const OPTIMIZERS: readonly { name: Optimizer; label: string; color: string; make: (lr: number) => OptimizerConfig }[] = [
  { name: 'sgd', label: 'SGD', color: '#cf222e', make: (lr) => sgd({ lr }) },
  { name: 'momentum', label: 'Momentum', color: '#1e9e5a', make: (lr) => momentum({ lr }) },
  { name: 'nesterov', label: 'Nesterov', color: '#0aa1b5', make: (lr) => nesterov({ lr }) },
  { name: 'adagrad', label: 'AdaGrad', color: '#8250df', make: (lr) => adagrad({ lr }) },
  { name: 'rmsprop', label: 'RMSprop', color: '#e67e22', make: (lr) => rmsprop({ lr }) },
  { name: 'adadelta', label: 'Adadelta', color: '#9a6b1a', make: (lr) => adadelta({ lr }) },
  { name: 'adam', label: 'Adam', color: '#2f6fed', make: (lr) => adam({ lr }) },
];
const colorOf = (name: string) => OPTIMIZERS.find((o) => o.name === name)!.color;
const FIT_TITLE = 'tanh MLP 1-32-32-1 fitting sin 2x (256 noisy samples)';

type SurfaceId = 'valley' | 'plateau';

/**
 * A surface as a model: its weight is (x, y) ("0.weight", [1, 2]) and its MSE (the mean over
 * the two samples' squared errors) on `inputs` and `targets` is f(x, y).
 */
interface Surface extends ContourSurface {
  label: string;
  formula: string;
  start: readonly [number, number];
  steps: number;
  lr: Readonly<Record<Optimizer, number>>;
  model(): Module;
  inputs: Float32Array;
  targets: Float32Array;
}

const SURFACES: Record<SurfaceId, Surface> = {
  // (√0.1·x)² and (√2·y)², averaged: the book's x²/20 + y², 20 times steeper across y than along x.
  valley: {
    label: 'valley x²/20 + y²',
    formula: 'f(x, y) = x²/20 + y²: the MSE of Linear(2, 1, no bias) on inputs (√0.1, 0), (0, √2) with targets 0, 0',
    f: (x, y) => (x * x) / 20 + y * y,
    x: [-8, 8],
    y: [-3, 3],
    minimum: [0, 0],
    start: [-7, 2],
    steps: 30,
    lr: { sgd: 0.95, momentum: 0.1, nesterov: 0.1, adagrad: 1.5, rmsprop: 0.1, adadelta: 50, adam: 0.3 },
    model: () => new Sequential([new Linear(2, 1, { bias: false })]),
    inputs: Float32Array.of(Math.sqrt(0.1), 0, 0, Math.sqrt(2)),
    targets: Float32Array.of(0, 0),
  },
  // tanh(x) and tanh(y) against targets ½ and 0: far left, tanh is flat and so is f.
  plateau: {
    label: 'tanh plateau',
    formula: 'f(x, y) = ½[(tanh x − ½)² + tanh² y]: the MSE of Linear(2, 1, no bias) → Tanh on inputs (1, 0), (0, 1) with targets ½, 0',
    f: (x, y) => ((Math.tanh(x) - 0.5) ** 2 + Math.tanh(y) ** 2) / 2,
    x: [-4.5, 3],
    y: [-2, 2],
    minimum: [Math.atanh(0.5), 0],
    start: [-3.5, 1.5],
    steps: 50,
    lr: { sgd: 1, momentum: 0.3, nesterov: 0.3, adagrad: 0.5, rmsprop: 0.02, adadelta: 20, adam: 0.1 },
    model: () => new Sequential([new Linear(2, 1, { bias: false }), Tanh()]),
    inputs: Float32Array.of(1, 0, 0, 1),
    targets: Float32Array.of(0.5, 0),
  },
};

export interface RacePath {
  optimizer: Optimizer;
  lr: number;
  /** The point before the first step and after each step: steps + 1 points, read from the GPU. */
  path: [number, number][];
  /** f at the last point (float64 on the CPU). */
  finalF: number;
}

export interface OptimizersResult {
  surface: SurfaceId;
  steps: number;
  start: [number, number];
  race: RacePath[];
  fit: FitResult;
}

const weight = (x: number, y: number) => ({ '0.weight': { shape: [1, 2], data: Float32Array.of(x, y) } });

export const optimizersLab: Lab<OptimizersResult> = {
  id: 'optimizers',
  title: 'Optimizer race',
  explanation:
    'Seven optimizers start from one point and descend the same surface, every step the engine’s own update kernel. On the valley x²/20 + y², SGD zig-zags across the steep direction, Momentum overshoots and curls back, and AdaGrad and RMSprop, which scale each coordinate’s step by its gradient history, head straight along the flat one (Adam too, with momentum’s swing); on the tanh plateau the gradient all but vanishes, so SGD and Momentum crawl while the adaptive methods move on. In the notes’ exercise, a tanh MLP fitting a curve on the same batches, Adam learns fastest, then Momentum, then SGD.',
  mount({ controls, plots }) {
    const id = 'optimizers';
    const surface = select(controls, id, 'surface', 'Surface', Object.entries(SURFACES).map(([k, s]) => [k as SurfaceId, s.label] as const), 'valley');
    const steps = numberInput(controls, id, 'steps', 'Steps', SURFACES.valley.steps, { min: 1, max: 500, step: 1 });
    const lrs = OPTIMIZERS.map((o) => numberInput(controls, id, `lr-${o.name}`, `${o.label} lr`, SURFACES.valley.lr[o.name], { min: 0, max: 1000 }));
    const fitSteps = numberInput(controls, id, 'fit-steps', 'MLP steps (batch 32)', 600, { min: 10, max: 5000, step: 10 });
    const fitLr = numberInput(controls, id, 'fit-lr', 'MLP learning rate', 0.01, { min: 0.0001, max: 1 });
    // A new surface brings its own start, steps and learning rates.
    controls.querySelector<HTMLSelectElement>('[name="surface"]')!.addEventListener('change', (event) => {
      const s = SURFACES[(event.target as HTMLSelectElement).value as SurfaceId];
      controls.querySelector<HTMLInputElement>('[name="steps"]')!.value = String(s.steps);
      for (const o of OPTIMIZERS) controls.querySelector<HTMLInputElement>(`[name="lr-${o.name}"]`)!.value = String(s.lr[o.name]);
      raceBox.title.textContent = s.formula;
      contour.setSurface(s);
      table.replaceChildren();
    });

    plots.classList.add('optimizers-plots');
    const raceBox = plotBox(plots, SURFACES.valley.formula, 'optimizers-race', true);
    const contour = new ContourChart(raceBox.body, { x: 'x', y: 'y' }, OPTIMIZERS, 340);
    contour.setSurface(SURFACES.valley);
    const tableBox = plotBox(plots, 'where each optimizer ended (on the chart: ● start, × minimum)', 'optimizers-table', true);
    const table = tableBox.body.appendChild(el('table', 'numbers'));
    const fitBox = plotBox(plots, FIT_TITLE, 'optimizers-fit');
    const fitChart = new FitChart(fitBox.body, FIT_OPTIMIZERS.map((o) => ({ label: o.label, color: colorOf(o.name) })));
    const lossBox = plotBox(plots, 'MLP training loss (MSE), same batches', 'optimizers-loss');
    const lossChart = new LineChart(lossBox.body, { x: 'step', y: 'loss', logY: true }, FIT_OPTIMIZERS.map((o) => ({ label: o.label, color: colorOf(o.name) })), 220);

    return {
      async run({ runtime, status }) {
        const settings = { surface: surface(), steps: steps(), lrs: lrs.map((lr) => lr()), fitSteps: fitSteps(), fitLr: fitLr() };
        const s = SURFACES[settings.surface];
        raceBox.title.textContent = s.formula;
        contour.setSurface(s);
        // Nothing of the previous run stays beside this one's paths.
        table.replaceChildren();
        fitBox.title.textContent = FIT_TITLE;
        fitChart.clear();
        lossChart.set([], FIT_OPTIMIZERS.map(() => []));
        const race: RacePath[] = OPTIMIZERS.map((o, k) => ({ optimizer: o.name, lr: settings.lrs[k]!, path: [[s.start[0], s.start[1]]], finalF: s.f(...s.start) }));
        const trainers: Trainer[] = [];
        try {
          for (const [k, o] of OPTIMIZERS.entries()) {
            status(`compiling ${o.label}…`);
            const trainer = await compile(s.model(), { inputShape: [2], loss: 'mse', optimizer: o.make(settings.lrs[k]!), batchSize: 2, seed: 1, runtime });
            trainers.push(trainer);
            await trainer.loadStateDict(weight(...s.start));
          }
          for (let step = 1; step <= settings.steps; step++) {
            for (const t of trainers) t.step(s.inputs, s.targets);
            const points = await Promise.all(trainers.map((t) => t.stateDict()));
            points.forEach((dict, k) => {
              const [x, y] = dict.get('0.weight')!.data as Float32Array;
              race[k]!.path.push([x!, y!]);
            });
            contour.setPaths(race.map((r, k) => ({ label: OPTIMIZERS[k]!.label, color: OPTIMIZERS[k]!.color, points: r.path })));
            status(`race: step ${step} of ${settings.steps}`);
          }
        } finally {
          await Promise.all(trainers.map((t) => t.destroy()));
        }
        for (const r of race) r.finalF = s.f(...r.path.at(-1)!);
        table.replaceChildren(tableRow('th', ['optimizer', 'lr', 'end x', 'end y', 'f at the end']), ...race.map((r, k) => tableRow('td', [OPTIMIZERS[k]!.label, String(r.lr), ...r.path.at(-1)!.map((v) => v.toFixed(3)), r.finalF.toExponential(2)])));
        const fit = await runFit(runtime, { steps: settings.fitSteps, lr: settings.fitLr }, { fit: fitChart, loss: lossChart }, status);
        const ending = fit.runs.map((r) => `${FIT_OPTIMIZERS.find((o) => o.name === r.optimizer)!.label} ${r.finalLoss.toPrecision(2)}`).join(', ');
        fitBox.title.textContent = `tanh MLP 1-32-32-1 fitting sin 2x, lr ${fit.lr}: final MSE ${ending}`;
        return { surface: settings.surface, steps: settings.steps, start: [s.start[0], s.start[1]], race, fit };
      },
    };
  },
};

