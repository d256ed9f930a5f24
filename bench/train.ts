// Training-step suite: the MNIST MLP 784-256-128-10 (ReLU, Adam lr 1e-3, batch 128) through
// compile()/step(), against the same model in TF.js (tf.layers model, tf.train.adam loop).
// Synthetic batches (seeded) stand in for MNIST: a step costs the same on any data.
import type * as TfCore from '@tensorflow/tfjs-core';
import { adam, compile, Linear, ReLU, Sequential } from '../src/index';
import { CheckError, randomArray, randomLabels, type BenchCase, type Suite } from './core';
import { tfjsOf, tfjsPrepared } from './tfjs';

const LAYERS = [784, 256, 128, 10];
const BATCH = 128;
/** Distinct batches cycled through, so no step sees the previous step's input buffer contents. */
const BATCHES = 4;

interface Dense {
  /** [out, in] (PyTorch layout) when `outIn`, else [in, out] (TF.js kernels). */
  weight: Float32Array;
  bias: Float32Array;
  outIn: boolean;
}

/** Mean cross-entropy of the MLP on one batch, in float64. */
function mlpLoss(layers: Dense[], x: Float32Array, y: Uint32Array): number {
  let act = Float64Array.from(x);
  let width = LAYERS[0]!;
  layers.forEach((layer, l) => {
    const out = LAYERS[l + 1]!;
    const next = new Float64Array(BATCH * out);
    for (let r = 0; r < BATCH; r++) {
      for (let o = 0; o < out; o++) {
        let s = layer.bias[o]!;
        for (let i = 0; i < width; i++) s += act[r * width + i]! * layer.weight[layer.outIn ? o * width + i : i * out + o]!;
        next[r * out + o] = l < layers.length - 1 ? Math.max(0, s) : s;
      }
    }
    act = next;
    width = out;
  });
  let loss = 0;
  for (let r = 0; r < BATCH; r++) {
    const row = act.subarray(r * width, (r + 1) * width);
    const max = Math.max(...row);
    const lse = max + Math.log(row.reduce((a, v) => a + Math.exp(v - max), 0));
    loss += lse - row[y[r]!]!;
  }
  return loss / BATCH;
}

function checkLoss(engine: string, got: number, want: number): string {
  if (!(Math.abs(got - want) <= 1e-4 * Math.abs(want) + 1e-5)) {
    throw new CheckError(`${engine} MLP: first-step loss ${got}, CPU forward with the same weights gives ${want}`);
  }
  return `first-step loss ${got.toFixed(5)} = CPU float64 forward (|err| ${Math.abs(got - want).toExponential(1)})`;
}

function batches() {
  return Array.from({ length: BATCHES }, (_, b) => ({
    x: randomArray(BATCH * LAYERS[0]!, 100 + b),
    y: randomLabels(BATCH, LAYERS[3]!, 200 + b),
  }));
}

const base = {
  suite: 'train',
  name: 'MLP 784-256-128-10 Adam step',
  size: `batch ${BATCH}`,
  unit: 'samplesPerSec',
  work: BATCH,
  formula: 'samples/s = batch / median step time (forward, backward, Adam update; to GPU completion)',
} as const;

const shadergradCase: BenchCase = {
  ...base,
  engine: 'shadergrad',
  async prepare({ runtime }) {
    const he = { weightInit: { kind: 'heNormal' }, biasInit: { kind: 'zeros' } } as const;
    const model = new Sequential([new Linear(784, 256, he), ReLU(), new Linear(256, 128, he), ReLU(), new Linear(128, 10)]);
    const trainer = await compile(model, {
      inputShape: [784],
      loss: 'crossEntropy',
      optimizer: adam({ lr: 1e-3 }),
      batchSize: BATCH,
      seed: 1,
      runtime,
    });
    const data = batches();
    let step = 0;
    return {
      async check() {
        const params = await trainer.parameters();
        const layer = (k: number): Dense => ({ weight: params.get(`${k}.weight`)!, bias: params.get(`${k}.bias`)!, outIn: true });
        trainer.resetMetrics();
        trainer.step(data[0]!.x, data[0]!.y);
        const { loss } = await trainer.flushMetrics();
        return checkLoss('shadergrad', loss, mlpLoss([layer(0), layer(2), layer(4)], data[0]!.x, data[0]!.y));
      },
      async iterate() {
        const { x, y } = data[step++ % BATCHES]!;
        trainer.step(x, y);
        await trainer.throttle(); // as `npm run train` does: stay at most 2 steps ahead of the GPU
      },
      sync: () => trainer.sync(),
      dispose: () => {},
    };
  },
};

const tfjsCase: BenchCase = {
  ...base,
  engine: 'tfjs',
  async prepare(ctx) {
    const { tf, layers: tfl } = tfjsOf(ctx);
    const model = tfl.sequential({
      layers: [
        tfl.layers.dense({ inputShape: [784], units: 256, activation: 'relu', kernelInitializer: 'heNormal' }),
        tfl.layers.dense({ units: 128, activation: 'relu', kernelInitializer: 'heNormal' }),
        tfl.layers.dense({ units: 10 }),
      ],
    });
    const optimizer = tf.train.adam(1e-3);
    const data = batches();
    const xs = data.map(({ x }) => tf.tensor2d(x, [BATCH, 784]));
    const ys = data.map(({ y }) => tf.oneHot(tf.tensor1d(Int32Array.from(y), 'int32'), 10));
    const lossOf = (b: number) => () =>
      tf.losses.softmaxCrossEntropy(ys[b]!, model.apply(xs[b]!, { training: true }) as TfCore.Tensor) as TfCore.Scalar;
    let step = 0;
    return tfjsPrepared(
      tf,
      async () => {
        const w = await Promise.all(model.getWeights().map(async (t) => (await t.data()) as Float32Array));
        const layer = (k: number): Dense => ({ weight: w[2 * k]!, bias: w[2 * k + 1]!, outIn: false });
        const loss = optimizer.minimize(lossOf(0), true)!;
        const got = (await loss.data())[0]!;
        loss.dispose();
        return checkLoss('TF.js', got, mlpLoss([layer(0), layer(1), layer(2)], data[0]!.x, data[0]!.y));
      },
      () => optimizer.minimize(lossOf(step++ % BATCHES), false),
      () => {
        tf.dispose([...xs, ...ys]);
        model.dispose();
        optimizer.dispose();
      },
    );
  },
};

export const trainSuite: Suite = {
  name: 'train',
  cases: () => [shadergradCase, tfjsCase],
};
