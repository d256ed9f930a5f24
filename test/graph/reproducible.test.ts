// Seeded runs are reproducible: same seed → bit-identical parameters after training steps
// (initialization, dropout masks and the GPU arithmetic are all deterministic); another
// seed → different parameters.
import { expect, it } from 'vitest';
import { compile } from '../../src/graph/compile';
import { Dropout, Linear, Tanh } from '../../src/nn/layers';
import { Sequential } from '../../src/nn/module';
import { adam } from '../../src/optim/optimizers';
import { testRuntime } from '../helpers/gpu';
import { normal } from '../helpers/random';

async function run(seed: number): Promise<Float32Array[]> {
  const model = new Sequential([new Linear(20, 32), Tanh(), new Dropout(0.3), new Linear(32, 4)]);
  const trainer = await compile(model, { inputShape: [20], loss: 'crossEntropy', optimizer: adam({ lr: 0.01 }), batchSize: 16, seed, runtime: await testRuntime() });
  const x = normal(16 * 20, 1);
  const y = Uint32Array.from({ length: 16 }, (_, i) => i % 4);
  for (let i = 0; i < 5; i++) trainer.step(x, y);
  return [...(await trainer.parameters()).values()];
}

it('same seed gives bit-identical parameters; another seed differs', async () => {
  const [a, b, c] = [await run(11), await run(11), await run(12)];
  a.forEach((tensor, i) => expect(Array.from(tensor)).toEqual(Array.from(b[i]!)));
  expect(Array.from(a[0]!)).not.toEqual(Array.from(c[0]!));
});
