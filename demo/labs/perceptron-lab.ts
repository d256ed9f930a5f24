// Lab 5: the perceptron and XOR. One unit (Linear(2, 1), its sigmoid in the BCE-with-logits
// loss, the threshold at logit 0) is trained by the engine on a logic gate's four points; the
// decision regions come from predict() over a grid of points, drawn on a canvas.
import { adam, compile, Linear, Sequential, Tanh, type Module } from '../../src/index';
import { checkbox, numberInput, select } from './controls';
import type { Lab } from './lab';
import { el } from './page';
import { LineChart, plotBox } from './plots';

type Gate = 'and' | 'or' | 'nand' | 'xor';
const GATES: Record<Gate, { label: string; truth: [number, number, number, number] }> = {
  and: { label: 'AND', truth: [0, 0, 0, 1] },
  or: { label: 'OR', truth: [0, 1, 1, 1] },
  nand: { label: 'NAND', truth: [1, 1, 1, 0] },
  xor: { label: 'XOR', truth: [0, 1, 1, 0] },
};
/** The inputs (x1, x2) in the truth tables' order. */
const POINTS = Float32Array.of(0, 0, 0, 1, 1, 0, 1, 1);
/** Grid cells per side over [−0.5, 1.5]². */
const GRID = 48;
const LOSS_EVERY = 20;

export interface PerceptronResult {
  gate: Gate;
  hidden: boolean;
  /** Share of the four points on the right side of the boundary. */
  accuracy: number;
  /** BCE over the last LOSS_EVERY steps. */
  loss: number;
}

function gridPoints(): Float32Array {
  const xy = new Float32Array(GRID * GRID * 2);
  for (let row = 0; row < GRID; row++) {
    for (let col = 0; col < GRID; col++) {
      const i = row * GRID + col;
      xy[2 * i] = -0.5 + (2 * (col + 0.5)) / GRID;
      xy[2 * i + 1] = 1.5 - (2 * (row + 0.5)) / GRID; // row 0 at the top: x2 = 1.5
    }
  }
  return xy;
}

/** Decision regions: blue where the unit says 1, orange where it says 0, paler near the boundary; the four points on top. */
function drawRegions(canvas: HTMLCanvasElement, logits: Float32Array, truth: readonly number[]): void {
  const context = canvas.getContext('2d')!;
  const image = context.createImageData(GRID, GRID);
  logits.forEach((z, i) => {
    const p = 1 / (1 + Math.exp(-z));
    const strength = Math.min(1, Math.abs(p - 0.5) * 2) * 0.6 + 0.25;
    const [r, g, b] = p >= 0.5 ? [47, 111, 237] : [230, 126, 34];
    image.data.set([255 - (255 - r) * strength, 255 - (255 - g) * strength, 255 - (255 - b) * strength, 255], 4 * i);
  });
  const cells = document.createElement('canvas');
  cells.width = cells.height = GRID;
  cells.getContext('2d')!.putImageData(image, 0, 0);
  const size = canvas.width;
  context.imageSmoothingEnabled = false;
  context.drawImage(cells, 0, 0, size, size);
  truth.forEach((t, k) => {
    const [x1, x2] = [POINTS[2 * k]!, POINTS[2 * k + 1]!];
    context.beginPath();
    context.arc(((x1 + 0.5) / 2) * size, ((1.5 - x2) / 2) * size, size / 24, 0, 2 * Math.PI);
    context.fillStyle = t ? '#1d3f99' : '#fff';
    context.strokeStyle = '#1d2330';
    context.lineWidth = 2;
    context.fill();
    context.stroke();
  });
}

export const perceptronLab: Lab<PerceptronResult> = {
  id: 'perceptron',
  title: 'Perceptron and XOR',
  explanation:
    'A perceptron is a weighted sum and a threshold: one unit draws one straight line through the plane, which is enough for AND, OR and NAND. No line separates XOR’s two classes, so one unit cannot learn it; a hidden layer (two stacked layers) can.',
  mount({ controls, plots }) {
    const gate = select(controls, 'perceptron', 'gate', 'Gate', Object.entries(GATES).map(([k, v]) => [k as Gate, v.label] as const), 'xor');
    const hidden = checkbox(controls, 'perceptron', 'hidden', 'Hidden layer (tanh)', false);
    const units = numberInput(controls, 'perceptron', 'units', 'Hidden units', 4, { min: 2, max: 32, step: 1 });
    const steps = numberInput(controls, 'perceptron', 'steps', 'Steps (Adam)', 400, { min: 20, max: 5000, step: 20 });
    const lr = numberInput(controls, 'perceptron', 'lr', 'Learning rate', 0.1, { min: 0.0001, max: 1 });
    plots.classList.add('pair');
    const regions = plotBox(plots, 'decision regions (x₁ across, x₂ up, both −0.5 … 1.5)', 'perceptron-regions');
    const canvas = regions.body.appendChild(el('canvas', 'regions'));
    canvas.width = canvas.height = 240;
    const lossBox = plotBox(plots, 'loss (binary cross-entropy)', 'perceptron-loss');
    const lossChart = new LineChart(lossBox.body, { x: 'step', y: 'loss', logY: true }, [{ label: 'loss', color: '#2f6fed' }]);
    return {
      async run({ runtime, status }) {
        const settings = { gate: gate(), hidden: hidden(), units: units(), steps: steps(), lr: lr() };
        const model: Module = settings.hidden ? new Sequential([new Linear(2, settings.units), Tanh(), new Linear(settings.units, 1)]) : new Sequential([new Linear(2, 1)]);
        const truth = GATES[settings.gate].truth;
        const targets = Float32Array.from(truth);
        status('compiling…');
        const trainer = await compile(model, {
          inputShape: [2],
          loss: 'bceWithLogits',
          optimizer: adam({ lr: settings.lr }),
          batchSize: 4,
          evalBatchSize: GRID * GRID,
          seed: 1,
          runtime,
        });
        try {
          const xs: number[] = [];
          const losses: number[] = [];
          lossChart.set([], [[]]);
          for (let s = 1; s <= settings.steps; s++) {
            trainer.step(POINTS, targets);
            await trainer.throttle();
            if (s % LOSS_EVERY === 0 || s === settings.steps) {
              xs.push(s);
              losses.push((await trainer.flushMetrics()).loss);
              trainer.resetMetrics();
              lossChart.set(xs, [losses]);
              status(`step ${s} of ${settings.steps}, loss ${losses.at(-1)!.toPrecision(3)}`);
            }
          }
          trainer.eval();
          const logits = await trainer.predict(POINTS);
          const accuracy = truth.filter((t, k) => (logits[k]! > 0 ? 1 : 0) === t).length / 4;
          drawRegions(canvas, await trainer.predict(gridPoints()), truth);
          regions.title.textContent = `${GATES[settings.gate].label}, ${settings.hidden ? `2 → ${settings.units} → 1` : 'one unit'}: ${accuracy * 4} of 4 right (${accuracy * 100}%)`;
          return { gate: settings.gate, hidden: settings.hidden, accuracy, loss: losses.at(-1)! };
        } finally {
          await trainer.destroy();
        }
      },
    };
  },
};
