// Lab 7's flatness measure: the training loss along one random direction through a trained
// model's weights, L(w + α·d) for α in [−a, a] (Li et al. 2018, "Visualizing the loss
// landscape of neural nets"). d is filter-normalized: each row of a weight matrix (one unit's
// incoming weights, the "filter" of a Linear layer) is scaled to the norm of that row of w,
// so models whose weights differ in scale are perturbed alike; biases are not perturbed, as in
// the paper. The CPU only builds each perturbed state dict; loadStateDict and evaluate run on the GPU.
import { seededRandom, type StateDict, type Trainer } from '../../src/index';

/** The labelled images a loss is measured on. */
export interface SliceData {
  x: Float32Array;
  y: Uint32Array;
  count: number;
}

/** A random direction shaped like `weights`' weight matrices, each row scaled to the norm of the same row of w. */
export function filterNormalizedDirection(weights: StateDict, seed: number): Map<string, Float32Array> {
  const random = seededRandom(seed);
  const normal = () => Math.sqrt(-2 * Math.log(Math.max(random(), 1e-12))) * Math.cos(2 * Math.PI * random());
  const direction = new Map<string, Float32Array>();
  for (const [name, tensor] of weights) {
    if (tensor.shape.length !== 2 || !(tensor.data instanceof Float32Array)) continue; // biases stay put
    const [rows, cols] = tensor.shape as [number, number];
    const w = tensor.data;
    const d = Float32Array.from({ length: w.length }, normal);
    for (let r = 0; r < rows; r++) {
      let ww = 0;
      let dd = 0;
      for (let c = r * cols; c < (r + 1) * cols; c++) {
        ww += w[c]! * w[c]!;
        dd += d[c]! * d[c]!;
      }
      const scale = Math.sqrt(ww / Math.max(dd, 1e-30));
      for (let c = r * cols; c < (r + 1) * cols; c++) d[c]! *= scale;
    }
    direction.set(name, d);
  }
  return direction;
}

/**
 * Training loss of `trainer`'s model at w + α·d for each α, averaged over `directions` random
 * directions (seeds seed, seed + 1, …); the trainer's weights and mode are put back afterwards.
 */
export async function lossSlice(trainer: Trainer, data: SliceData, alphas: readonly number[], directions: number, seed: number): Promise<number[]> {
  const weights = await trainer.stateDict();
  const sums = alphas.map(() => 0);
  const mode = trainer.mode;
  trainer.eval();
  try {
    for (let k = 0; k < directions; k++) {
      const direction = filterNormalizedDirection(weights, seed + k);
      for (const [i, alpha] of alphas.entries()) {
        const moved: StateDict = new Map();
        for (const [name, d] of direction) {
          const w = weights.get(name)!.data as Float32Array;
          moved.set(name, { shape: weights.get(name)!.shape, data: Float32Array.from(w, (v, j) => v + alpha * d[j]!) });
        }
        await trainer.loadStateDict(moved, { strict: false });
        sums[i]! += (await trainer.evaluate(data)).loss;
      }
    }
  } finally {
    await trainer.loadStateDict(weights);
    if (mode === 'train') trainer.train();
  }
  return sums.map((s) => s / directions);
}
