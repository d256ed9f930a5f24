// Lab 1: weight initialization and the distribution of activations. Five fully connected
// layers of 100 units (no biases, as in the notes' experiment) run on 1,000 N(0, 1) inputs
// under each of four initializations, and predict()'s intermediate outputs give every layer's
// activations for a histogram: one row of five per initialization, the notes' figure.
import { ActivationLayer, compileInference, initialize, Linear, seededRandom, Sequential, type Initializer } from '../../src/index';
import { numberInput, select } from './controls';
import type { Lab } from './lab';
import { el } from './page';
import { Histogram, plotBox } from './plots';

const LAYERS = 5;
const UNITS = 100;
const BINS = 30;

type ActivationChoice = 'sigmoid' | 'tanh' | 'relu';
type InitChoice = 'normal1' | 'normal001' | 'xavier' | 'he';

const INITS: Record<InitChoice, { label: string; init: Initializer }> = {
  normal1: { label: 'N(0, 1)', init: { kind: 'normal', std: 1 } },
  normal001: { label: 'N(0, 0.01²)', init: { kind: 'normal', std: 0.01 } },
  // For 100 → 100 weights Xavier's σ = √(2 / (fan_in + fan_out)) is the notes' 1/√n.
  xavier: { label: 'Xavier, σ = 1/√n', init: { kind: 'xavierNormal' } },
  he: { label: 'He, σ = √(2/n)', init: { kind: 'heNormal' } },
};

/** One layer's histogram: counts per bin over [lo, hi], and the share in the two outermost bins. */
export interface LayerHistogram {
  name: string;
  counts: number[];
  lo: number;
  hi: number;
  /** Fraction of activations in the first and last bin (saturation for sigmoid / tanh). */
  outer: number;
  /** Fraction outside [lo, hi] (not drawn). */
  beyond: number;
  std: number;
}

export interface InitResult {
  activation: ActivationChoice;
  rows: { init: InitChoice; layers: LayerHistogram[] }[];
}

/** The histogram range: the activation's range for sigmoid and tanh; for ReLU, set by layer 1 so growth and decay show. */
function range(activation: ActivationChoice, first: Float32Array): [number, number] {
  if (activation === 'sigmoid') return [0, 1];
  if (activation === 'tanh') return [-1, 1];
  let sum = 0;
  for (const v of first) sum += v * v;
  return [0, 4 * Math.sqrt(sum / first.length) || 1];
}

function histogram(name: string, data: Float32Array, lo: number, hi: number): LayerHistogram {
  const counts = new Array<number>(BINS).fill(0);
  let beyond = 0;
  let sum = 0;
  let squares = 0;
  for (const v of data) {
    sum += v;
    squares += v * v;
    if (v < lo || v > hi) beyond++;
    else counts[Math.min(BINS - 1, Math.floor(((v - lo) / (hi - lo)) * BINS))]!++;
  }
  const mean = sum / data.length;
  return { name, counts, lo, hi, outer: (counts[0]! + counts[BINS - 1]!) / data.length, beyond: beyond / data.length, std: Math.sqrt(Math.max(0, squares / data.length - mean * mean)) };
}

export const initLab: Lab<InitResult> = {
  id: 'init',
  title: 'Initialization and activation distributions',
  explanation:
    'Five layers of 100 units see 1,000 random inputs; each row shows every layer’s activations for one way of drawing the weights. With sigmoid, N(0, 1) weights push activations to 0 and 1 (saturation: vanishing gradients) and N(0, 0.01²) collapses them to 0.5 (every unit alike), while Xavier’s σ = 1/√n keeps them spread in every layer. With ReLU, Xavier decays with depth and He’s σ = √(2/n) keeps the spread.',
  mount({ controls, plots }) {
    const activation = select(controls, 'init', 'activation', 'Activation', [['sigmoid', 'Sigmoid'], ['tanh', 'Tanh'], ['relu', 'ReLU']], 'sigmoid');
    const samples = numberInput(controls, 'init', 'samples', 'Random inputs', 1000, { min: 10, max: 10000, step: 10 });
    plots.classList.add('rows');
    const rows = (Object.keys(INITS) as InitChoice[]).map((init) => {
      const row = plots.appendChild(el('div', 'hist-row'));
      row.appendChild(el('h3')).textContent = INITS[init].label;
      const grid = row.appendChild(el('div', 'hist-grid'));
      const charts = Array.from({ length: LAYERS }, (_, k) => {
        const { title, body } = plotBox(grid, `layer ${k + 1}`, `init-${init}-layer-${k + 1}`);
        return { title, histogram: new Histogram(body, '', 110) };
      });
      return { init, charts };
    });
    return {
      async run({ runtime, status }) {
        const settings = { activation: activation(), samples: samples() };
        const layers = Array.from({ length: LAYERS }, () => [new Linear(UNITS, UNITS, { bias: false }), new ActivationLayer(settings.activation)]).flat();
        status('compiling…');
        const model = await compileInference(new Sequential(layers), { inputShape: [UNITS], batchSize: settings.samples, runtime });
        try {
          const random = seededRandom(7);
          const x = Float32Array.from({ length: settings.samples * UNITS }, () => Math.sqrt(-2 * Math.log(Math.max(random(), 1e-12))) * Math.cos(2 * Math.PI * random()));
          // The activations are modules 1, 3, 5, … of the Sequential: Linear, activation, Linear, …
          const names = Array.from({ length: LAYERS }, (_, k) => String(2 * k + 1));
          const result: InitResult = { activation: settings.activation, rows: [] };
          for (const { init, charts } of rows) {
            // One compiled model serves every row: each loads its own weights (seeded per layer).
            const weights = new Map(names.map((_, k) => [`${2 * k}.weight`, { shape: [UNITS, UNITS], data: initialize(INITS[init].init, [UNITS, UNITS], seededRandom(100 + k)) }]));
            await model.loadStateDict(weights);
            status(`${INITS[init].label}: forward pass on the GPU…`);
            const { layers: outputs } = await model.predict(x, { outputs: names });
            const [lo, hi] = range(settings.activation, outputs.get(names[0]!)!.data);
            const histograms = names.map((name, k) => histogram(`layer ${k + 1}`, outputs.get(name)!.data, lo, hi));
            histograms.forEach((h, k) => {
              charts[k]!.histogram.set(h.counts, lo, hi, settings.samples * UNITS);
              const note = h.beyond > 0.005 ? `, ${(100 * h.beyond).toFixed(0)}% > ${hi.toPrecision(2)}` : '';
              charts[k]!.title.textContent = `layer ${k + 1} · σ ${h.std.toPrecision(2)}${note}`;
            });
            result.rows.push({ init, layers: histograms });
          }
          return result;
        } finally {
          await model.destroy();
        }
      },
    };
  },
};
