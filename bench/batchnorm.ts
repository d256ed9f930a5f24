// BatchNorm suite: training forward (batch statistics) + backward, one submit per iteration.
import { kernels } from '../src/index';
import { compareAt, randomArray, type BenchCase, type Suite } from './core';

/** Float64 reference of the training forward and backward, per channel (torch semantics). */
function reference(x: Float32Array, dy: Float32Array, gamma: Float32Array, beta: Float32Array, n: number, c: number, s: number, eps = 1e-5) {
  const y = new Float64Array(x.length);
  const dx = new Float64Array(x.length);
  const dgamma = new Float64Array(c);
  const dbeta = new Float64Array(c);
  const m = n * s;
  const at = (b: number, ch: number, k: number) => (b * c + ch) * s + k;
  for (let ch = 0; ch < c; ch++) {
    let mean = 0;
    for (let b = 0; b < n; b++) for (let k = 0; k < s; k++) mean += x[at(b, ch, k)]!;
    mean /= m;
    let variance = 0;
    for (let b = 0; b < n; b++) for (let k = 0; k < s; k++) variance += (x[at(b, ch, k)]! - mean) ** 2;
    const invStd = 1 / Math.sqrt(variance / m + eps);
    let sumDy = 0;
    let sumDyXhat = 0;
    for (let b = 0; b < n; b++) {
      for (let k = 0; k < s; k++) {
        const i = at(b, ch, k);
        const xhat = (x[i]! - mean) * invStd;
        y[i] = gamma[ch]! * xhat + beta[ch]!;
        sumDy += dy[i]!;
        sumDyXhat += dy[i]! * xhat;
      }
    }
    dgamma[ch] = sumDyXhat;
    dbeta[ch] = sumDy;
    for (let b = 0; b < n; b++) {
      for (let k = 0; k < s; k++) {
        const i = at(b, ch, k);
        const xhat = (x[i]! - mean) * invStd;
        dx[i] = (gamma[ch]! * invStd * (m * dy[i]! - sumDy - xhat * sumDyXhat)) / m;
      }
    }
  }
  return { y, dx, dgamma, dbeta };
}

/** `workgroupSize`: threads per channel (the kernel's default is 256). */
function batchNormCase(shape: readonly number[], workgroupSize?: number): BenchCase {
  const [n, c] = shape as [number, number];
  const s = shape.slice(2).reduce((a, b) => a * b, 1);
  const count = n * c * s;
  return {
    suite: 'batchnorm',
    name: `batchnorm train fwd+bwd${workgroupSize ? ` wg ${workgroupSize}` : ''}`,
    size: shape.join('×'),
    engine: 'shadergrad',
    unit: 'gbps',
    work: 5 * 4 * count,
    formula: 'GB/s = 5·4·N·C·S bytes (forward reads x, writes y; backward reads x and dy, writes dx) / median time',
    async prepare({ runtime }) {
      const x = randomArray(count, 7, -2, 3);
      const dy = randomArray(count, 8);
      const gamma = randomArray(c, 9, 0.5, 1.5);
      const beta = randomArray(c, 10);
      const made = [
        runtime.upload(x, 'bench x'),
        runtime.upload(gamma, 'bench gamma'),
        runtime.upload(beta, 'bench beta'),
        runtime.createBuffer(4 * count, 'bench y'),
        runtime.upload(new Float32Array(c), 'bench running mean'),
        runtime.upload(new Float32Array(c).fill(1), 'bench running var'),
        runtime.createBuffer(8 * c, 'bench saved'),
        runtime.upload(dy, 'bench dy'),
        runtime.createBuffer(4 * count, 'bench dx'),
        runtime.createBuffer(4 * c, 'bench dgamma'),
        runtime.createBuffer(4 * c, 'bench dbeta'),
      ];
      const [bx, bg, bb, by, rm, rv, saved, bdy, bdx, bdg, bdb] = made;
      const forward = await runtime.prepare(kernels.batchNormTrainingForward(shape, { workgroupSize }));
      const backward = await runtime.prepare(kernels.batchNormBackward(shape, { workgroupSize }));
      const launches = [
        runtime.launch(forward, [bx!, bg!, bb!, by!, rm!, rv!, saved!]),
        runtime.launch(backward, [bx!, bg!, saved!, bdy!, bdx!, bdg!, bdb!]),
      ];
      return {
        async check() {
          runtime.submit(launches, 'bench check');
          const [y, dx, dg, db] = await Promise.all([
            runtime.readFloat32(by!, count),
            runtime.readFloat32(bdx!, count),
            runtime.readFloat32(bdg!, c),
            runtime.readFloat32(bdb!, c),
          ]);
          const want = reference(x, dy, gamma, beta, n, c, s);
          const all = (len: number) => Array.from({ length: len }, (_, i) => i);
          const e1 = compareAt('batchnorm y', all(count), (i) => y![i]!, (i) => want.y[i]!, { atol: 1e-4 });
          const e2 = compareAt('batchnorm dx', all(count), (i) => dx![i]!, (i) => want.dx[i]!, { atol: 1e-4 });
          const e3 = compareAt('batchnorm dγ', all(c), (i) => dg![i]!, (i) => want.dgamma[i]!, { atol: 1e-5 * n * s, rtol: 1e-3 });
          const e4 = compareAt('batchnorm dβ', all(c), (i) => db![i]!, (i) => want.dbeta[i]!, { atol: 1e-5 * n * s, rtol: 1e-3 });
          return `y, dx, dγ, dβ vs float64, max |err| ${Math.max(e1, e2, e3, e4).toExponential(1)}`;
        },
        iterate: () => runtime.submit(launches, 'bench'),
        sync: () => runtime.sync(),
        dispose: () => made.forEach((b) => runtime.destroyBuffer(b)),
      };
    },
  };
}

export const batchnormSuite: Suite = {
  name: 'batchnorm',
  // The default 256 threads per channel, then fewer (a sweep: with 128 values per channel
  // most of 256 threads idle at every barrier of the reductions).
  cases: (quick) =>
    (quick ? [[128, 256]] : [[128, 256], [64, 16, 28, 28]]).flatMap((shape) => [
      batchNormCase(shape),
      ...(quick ? [] : [32, 64].map((wg) => batchNormCase(shape, wg))),
    ]),
};
