// Lab 9: gradient check. For the layer the reader picks, the engine's backpropagated gradient
// (one training step with lr 0, then trainer.gradients()) beside the central difference
// (L(θ + h) − L(θ − h)) / 2h, each loss an engine forward pass (evaluate) in train mode, on
// the same batch: the notes' way of trusting a backward pass.
import { BatchNorm1d, compile, Conv2d, ELU, Flatten, GELU, LayerNorm, Linear, ReLU, seededRandom, Sequential, sgd, Sigmoid, Softplus, Tanh, type Module } from '../../src/index';
import { numberInput, select } from './controls';
import type { Lab } from './lab';
import { el, tableRow } from './page';
import { LineChart, plotBox } from './plots';

/** A model around the layer under test, its input shape, and the parameters whose gradients are checked. */
interface Subject {
  label: string;
  inputShape: number[];
  model(): Module;
  checked: string[];
}

const ACTIVATIONS = { sigmoid: ['Sigmoid', Sigmoid], tanh: ['Tanh', Tanh], relu: ['ReLU', ReLU], gelu: ['GELU', GELU], elu: ['ELU', ELU], softplus: ['Softplus', Softplus] } as const;

/** An activation is checked through the Linear before it: its backward is what carries that gradient. */
const around = (label: string, layer: () => Module, before: { bias: boolean }, checked: string[]): Subject => ({
  label,
  inputShape: [6],
  model: () => new Sequential([new Linear(6, 5, before), layer(), new Linear(5, 3)]),
  checked,
});

export const SUBJECTS = {
  linear: { label: 'Linear(6, 4)', inputShape: [6], model: () => new Sequential([new Linear(6, 4)]), checked: ['0.weight', '0.bias'] },
  conv2d: {
    label: 'Conv2d(2, 3, 3, padding 1)',
    inputShape: [2, 5, 5],
    model: () => new Sequential([new Conv2d(2, 3, 3, { padding: 1 }), new Flatten(), new Linear(75, 3)]),
    checked: ['0.weight', '0.bias'],
  },
  // No bias before a norm: the norm removes it, so its gradient is 0 and its check all noise.
  batchnorm: around('BatchNorm1d(5)', () => BatchNorm1d(5), { bias: false }, ['1.weight', '1.bias', '0.weight']),
  layernorm: around('LayerNorm(5)', () => new LayerNorm(5), { bias: false }, ['1.weight', '1.bias', '0.weight']),
  ...Object.fromEntries(Object.entries(ACTIVATIONS).map(([k, [label, make]]) => [k, around(label, () => make(), { bias: true }, ['0.weight', '0.bias'])])),
} as Record<string, Subject>;

/** One checked parameter entry. */
export interface GradEntry {
  name: string;
  index: number;
  backprop: number;
  numerical: number;
  /** |backprop − numerical| / max(|backprop|, |numerical|). */
  relError: number;
}

export interface GradcheckResult {
  layer: string;
  h: number;
  entries: GradEntry[];
  /** ‖backprop − numerical‖ / max(‖backprop‖, ‖numerical‖) over the checked entries. */
  relError: number;
}

function normals(n: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  return Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(Math.max(random(), 1e-12))) * Math.cos(2 * Math.PI * random()));
}

export const gradcheckLab: Lab<GradcheckResult> = {
  id: 'gradcheck',
  title: 'Gradient check',
  explanation:
    'Backpropagation is the chain rule done by hand for every layer, so it is easy to get subtly wrong; the check is to nudge each weight by ±h and compare the change in the loss, (L(θ + h) − L(θ − h)) / 2h, with the backpropagated gradient. Here both come from the engine on the GPU: the gradient from its backward pass, the two losses from its forward pass. In float32 the overall relative error ‖g − ĝ‖ / max(‖g‖, ‖ĝ‖) is near 1e-4 when the backward pass is right and above 1e-2 when it is broken (single entries with tiny gradients show more: the loss’s rounding noise divided by 2h).',
  mount({ controls, plots }) {
    const layer = select(controls, 'gradcheck', 'layer', 'Layer', Object.entries(SUBJECTS).map(([k, s]) => [k, s.label] as const), 'batchnorm');
    const h = numberInput(controls, 'gradcheck', 'h', 'Step h', 0.01, { min: 1e-5, max: 0.5 });
    const count = numberInput(controls, 'gradcheck', 'entries', 'Entries to check', 24, { min: 1, max: 200, step: 1 });
    const errorBox = plotBox(plots, 'relative error per entry (log scale)', 'gradcheck-errors', true);
    const chart = new LineChart(errorBox.body, { x: 'entry', y: 'relative error', logY: true }, [{ label: 'relative error', color: '#cf222e' }], 170, true);
    const tableBox = plotBox(plots, 'backprop vs numerical', 'gradcheck-table', true);
    const table = tableBox.body.appendChild(el('table', 'numbers'));
    return {
      async run({ runtime, status }) {
        const settings = { layer: layer(), h: h(), count: count() };
        const subject = SUBJECTS[settings.layer]!;
        const batch = 8;
        status('compiling…');
        // lr 0: the step computes the gradients and leaves the parameters as they were.
        const trainer = await compile(subject.model(), { inputShape: subject.inputShape, loss: 'mse', optimizer: sgd({ lr: 0 }), batchSize: batch, evalBatchSize: batch, seed: 3, runtime });
        try {
          const x = normals(batch * trainer.sampleSize, 11);
          const y = normals(batch * trainer.outputs, 12);
          trainer.train(); // the forward passes below use batch statistics, as the step does
          trainer.step(x, y);
          const grads = await trainer.gradients();
          const params = await trainer.parameters();
          const flat = subject.checked.flatMap((name) => Array.from(params.get(name)!, (_, index) => ({ name, index })));
          const picks = Array.from({ length: Math.min(settings.count, flat.length) }, (_, k) => flat[Math.floor((k * flat.length) / Math.min(settings.count, flat.length))]!);
          const shapes = new Map(trainer.parameterShapes.map((p) => [p.name, [...p.shape]]));
          const loss = async (name: string, values: Float32Array) => {
            await trainer.loadStateDict(new Map([[name, { shape: shapes.get(name)!, data: values }]]), { strict: false });
            return (await trainer.evaluate({ x, y, count: batch })).loss;
          };
          const entries: GradEntry[] = [];
          // Entries of one tensor follow each other: it is restored once, when the next tensor's turn comes.
          let current: { name: string; values: Float32Array } | undefined;
          for (const [k, { name, index }] of picks.entries()) {
            if (current && current.name !== name) await trainer.loadStateDict(new Map([[current.name, { shape: shapes.get(current.name)!, data: params.get(current.name)! }]]), { strict: false });
            if (current?.name !== name) current = { name, values: params.get(name)!.slice() };
            const values = current.values;
            const theta = values[index]!;
            values[index] = theta + settings.h;
            const plus = await loss(name, values);
            values[index] = theta - settings.h;
            const minus = await loss(name, values);
            values[index] = theta; // written with the next entry of this tensor, or restored as above
            const numerical = (plus - minus) / (2 * settings.h);
            const backprop = grads.get(name)![index]!;
            entries.push({ name, index, backprop, numerical, relError: Math.abs(backprop - numerical) / Math.max(Math.abs(backprop), Math.abs(numerical), 1e-12) });
            status(`entry ${k + 1} of ${picks.length}`);
          }
          const norm = (f: (e: GradEntry) => number) => Math.hypot(...entries.map(f));
          const relError = norm((e) => e.backprop - e.numerical) / Math.max(norm((e) => e.backprop), norm((e) => e.numerical), 1e-12);
          chart.set(entries.map((_, k) => k + 1), [entries.map((e) => Math.max(e.relError, 1e-9))]);
          errorBox.title.textContent = `relative error per entry (log scale) · overall ${relError.toExponential(1)}`;
          table.replaceChildren(tableRow('th', ['parameter', 'backprop', 'numerical', 'rel. error']), ...entries.map((e) => tableRow('td', [`${e.name}[${e.index}]`, e.backprop.toExponential(4), e.numerical.toExponential(4), e.relError.toExponential(1)])));
          return { layer: settings.layer, h: settings.h, entries, relError };
        } finally {
          await trainer.destroy();
        }
      },
    };
  },
};

