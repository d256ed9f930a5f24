// Training-step suite: the MNIST MLP 784-256-128-10 (ReLU, Adam lr 1e-3, batch 128) and the
// MNIST CNN of `npm run train -- --model cnn` (mnistModel('cnn'), read at run time) through
// compile()/step(), against the same models in TF.js (tf.layers, tf.train.adam loop) and the
// MLP in jax-js (one jit(valueAndGrad) + Adam program, bench/jaxjs.ts).
// Synthetic batches (seeded) stand in for MNIST: a step costs the same on any data.
import type * as TfCore from '@tensorflow/tfjs-core';
import type * as TfLayers from '@tensorflow/tfjs-layers';
import { ActivationLayer, adam, BatchNorm, compile, Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential } from '../src/index';
import { mnistModel } from '../src/cli/models';
import { permute4 } from './conv';
import { CheckError, randomArray, randomLabels, type BenchCase, type BenchContext, type Prepared, type Suite } from './core';
import { jaxjsMlpTrainer, jaxjsOf, jaxjsPrepared } from './jaxjs';
import { checkLoss, engineParams, sequentialLoss, tfjsParams, type Params } from './train-check';
import { tfjsOf, tfjsPrepared } from './tfjs';

const BATCH = 128;
const CLASSES = 10;
/** Distinct batches cycled through, so no step sees the previous step's input buffer contents. */
const BATCHES = 4;
/** The CNN's sample shape, [C, H, W]. */
const IMAGE = [1, 28, 28] as const;

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

function batches(sampleSize: number) {
  return Array.from({ length: BATCHES }, (_, b) => ({
    x: randomArray(BATCH * sampleSize, 100 + b),
    y: randomLabels(BATCH, CLASSES, 200 + b),
  }));
}

/** One model trained by both engines: how to build it, its sample shape, and TF.js's mirror of it. */
interface TrainModel {
  name: string;
  build: () => Sequential;
  sample: readonly number[];
  /** The TF.js layers and, for each engine module index, the TF.js layer holding its parameters. */
  tfjs(tfl: typeof TfLayers, model: Sequential): { layers: TfLayers.layers.Layer[]; of: (index: number) => TfLayers.layers.Layer | undefined };
  /** A batch in TF.js's input layout. */
  tfInput(tf: typeof TfCore, x: Float32Array): TfCore.Tensor;
}

const he = { weightInit: { kind: 'heNormal' }, biasInit: { kind: 'zeros' } } as const;

const MLP: TrainModel = {
  name: 'MLP 784-256-128-10 Adam step',
  build: () => new Sequential([new Linear(784, 256, he), ReLU(), new Linear(256, 128, he), ReLU(), new Linear(128, 10)]),
  sample: [784],
  tfjs(tfl) {
    // Dense layers with the ReLU fused in, as a TF.js user writes them.
    const layers = [
      tfl.layers.dense({ inputShape: [784], units: 256, activation: 'relu', kernelInitializer: 'heNormal' }),
      tfl.layers.dense({ units: 128, activation: 'relu', kernelInitializer: 'heNormal' }),
      tfl.layers.dense({ units: 10 }),
    ];
    return { layers, of: (i) => (i % 2 ? undefined : layers[i / 2]) };
  },
  tfInput: (tf, x) => tf.tensor2d(x, [BATCH, 784]),
};

/**
 * A TF.js layer per module of a Sequential CNN, in NHWC: tfjs-layers runs channelsFirst
 * convolutions and pooling by transposing to NHWC around each layer, so NHWC is the layout
 * a TF.js user trains in.
 */
function tfjsMirror(tfl: typeof TfLayers, model: Sequential, [c, h, w]: readonly number[]): TfLayers.layers.Layer[] {
  return model.layers.map((layer, i) => {
    const first = i === 0 ? { inputShape: [h!, w!, c!] } : {};
    const init = (options: { weightInit?: { kind: string } }) =>
      options.weightInit?.kind === 'heNormal' ? { kernelInitializer: 'heNormal' as const } : {};
    if (layer instanceof Conv2d) {
      const same = layer.padding.every((p, k) => 2 * p === layer.kernel[k]! - 1);
      const plain = [...layer.stride, ...layer.dilation, layer.groups].every((v) => v === 1);
      if (!plain || !(same || layer.padding.every((p) => p === 0))) {
        throw new CheckError(`train bench: no TF.js mirror for layer ${i} (Conv2d ${JSON.stringify(layer)})`);
      }
      const padding = same ? 'same' : 'valid';
      const { outChannels: filters, kernel } = layer;
      return tfl.layers.conv2d({ ...first, filters, kernelSize: [...kernel], padding, useBias: layer.options.bias ?? true, ...init(layer.options) });
    }
    if (layer instanceof BatchNorm) {
      // TF.js's moving average keeps `momentum` of the old value; torch's `momentum` is the new value's share.
      const { eps = 1e-5, momentum = 0.1 } = layer.options;
      return tfl.layers.batchNormalization({ ...first, axis: -1, epsilon: eps, momentum: 1 - momentum });
    }
    if (layer instanceof MaxPool2d && layer.window.padding.every((p) => p === 0)) {
      return tfl.layers.maxPooling2d({ ...first, poolSize: [...layer.window.kernel], strides: [...layer.window.stride], padding: 'valid' });
    }
    if (layer instanceof ActivationLayer && layer.activation === 'relu') {
      return tfl.layers.activation({ ...first, activation: 'relu' });
    }
    if (layer instanceof Flatten) return tfl.layers.flatten(first);
    if (layer instanceof Linear) {
      return tfl.layers.dense({ ...first, units: layer.outFeatures, useBias: layer.options.bias ?? true, ...init(layer.options) });
    }
    throw new CheckError(`train bench: no TF.js mirror for layer ${i} (${layer.type})`);
  });
}

const CNN: TrainModel = {
  name: "MNIST CNN Adam step (mnistModel('cnn'); TF.js NHWC)",
  build: () => mnistModel('cnn'),
  sample: IMAGE,
  tfjs(tfl, model) {
    const layers = tfjsMirror(tfl, model, IMAGE);
    return { layers, of: (i) => layers[i] };
  },
  tfInput: (tf, x) => tf.tensor4d(permute4(x, [BATCH, ...IMAGE], [0, 2, 3, 1]), [BATCH, IMAGE[1], IMAGE[2], IMAGE[0]]),
};

function cases(spec: TrainModel): BenchCase[] {
  const base = {
    suite: 'train',
    name: spec.name,
    size: `batch ${BATCH}`,
    unit: 'samplesPerSec',
    work: BATCH,
    formula: 'samples/s = batch / median step time (forward, backward, Adam update; to GPU completion)',
  } as const;
  const sampleSize = size(spec.sample);
  const shadergrad: BenchCase = {
    ...base,
    engine: 'shadergrad',
    async prepare({ runtime }) {
      const model = spec.build();
      const trainer = await compile(model, {
        inputShape: spec.sample,
        loss: 'crossEntropy',
        optimizer: adam({ lr: 1e-3 }),
        batchSize: BATCH,
        seed: 1,
        runtime,
      });
      const data = batches(sampleSize);
      let step = 0;
      return {
        async check() {
          const params = engineParams(await trainer.parameters());
          trainer.resetMetrics();
          trainer.step(data[0]!.x, data[0]!.y);
          const { loss } = await trainer.flushMetrics();
          return checkLoss(`shadergrad ${spec.name}`, loss, sequentialLoss(model, spec.sample, data[0]!.x, data[0]!.y, params));
        },
        async iterate() {
          const { x, y } = data[step++ % BATCHES]!;
          trainer.step(x, y);
          await trainer.throttle(); // as `npm run train` does: stay at most 2 steps ahead of the GPU
        },
        sync: () => trainer.sync(),
        dispose: () => void trainer.destroy(),
      };
    },
  };
  const tfjs: BenchCase = {
    ...base,
    engine: 'tfjs',
    async prepare(ctx) {
      const { tf, layers: tfl } = tfjsOf(ctx);
      const module = spec.build();
      const mirror = spec.tfjs(tfl, module);
      const model = tfl.sequential({ layers: mirror.layers });
      const optimizer = tf.train.adam(1e-3);
      const data = batches(sampleSize);
      const xs = data.map(({ x }) => spec.tfInput(tf, x));
      const ys = data.map(({ y }) => tf.oneHot(tf.tensor1d(Int32Array.from(y), 'int32'), CLASSES));
      const lossOf = (b: number) => () =>
        tf.losses.softmaxCrossEntropy(ys[b]!, model.apply(xs[b]!, { training: true }) as TfCore.Tensor) as TfCore.Scalar;
      let step = 0;
      return tfjsPrepared(
        tf,
        async () => {
          const params = await tfjsParams(module, mirror.of);
          const loss = optimizer.minimize(lossOf(0), true)!;
          const got = (await loss.data())[0]!;
          loss.dispose();
          return checkLoss(`TF.js ${spec.name}`, got, sequentialLoss(module, spec.sample, data[0]!.x, data[0]!.y, params));
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
  return [shadergrad, tfjs, ...(spec === MLP ? [{ ...base, engine: 'jaxjs', prepare: jaxjsMlp } as const] : [])];
}

/**
 * The MLP in jax-js: seeded He-uniform weights, zero biases; Adam lr 1e-3 as the others. The
 * first step's loss is checked against the CPU forward with the same weights (in the
 * engine's [out, in] layout).
 */
async function jaxjsMlp(ctx: BenchContext): Promise<Prepared> {
  const { jax } = jaxjsOf(ctx);
  const np = jax.numpy;
  const module = MLP.build();
  const linears = module.layers.flatMap((layer, index) => (layer instanceof Linear ? [{ index, in: layer.inFeatures, out: layer.outFeatures }] : []));
  const initial = linears.map((l, i) => {
    const bound = Math.sqrt(6 / l.in);
    return { ...l, weight: randomArray(l.in * l.out, 300 + i, -bound, bound), bias: new Float32Array(l.out) };
  });
  const trainer = jaxjsMlpTrainer(jax, initial, { lr: 1e-3 });
  const data = batches(size(MLP.sample));
  const xs = data.map(({ x }) => np.array(x).reshape([BATCH, ...MLP.sample]));
  const ys = data.map(({ y }) => jax.nn.oneHot(np.array(Int32Array.from(y), { dtype: np.int32 }), CLASSES));
  const params: Params = (i) => {
    const l = initial.find((p) => p.index === i);
    if (!l) return {};
    // [in, out] → [out, in]
    return { weight: Float32Array.from({ length: l.in * l.out }, (_, j) => l.weight[(j % l.in) * l.out + Math.floor(j / l.in)]!), bias: l.bias };
  };
  let step = 0;
  return jaxjsPrepared(
    jax,
    async () => {
      const got = (await trainer.step(xs[0]!, ys[0]!).data())[0]!;
      step++;
      return checkLoss(`jax-js ${MLP.name}`, got, sequentialLoss(module, MLP.sample, data[0]!.x, data[0]!.y, params));
    },
    () => trainer.step(xs[step % BATCHES]!, ys[step++ % BATCHES]!),
    () => {
      for (const a of [...xs, ...ys]) a.dispose();
      trainer.dispose();
    },
    2, // as trainer.throttle() does for the engine: at most 2 steps ahead of the GPU
  );
}

export const trainSuite: Suite = {
  name: 'train',
  cases: () => [...cases(MLP), ...cases(CNN)],
};
