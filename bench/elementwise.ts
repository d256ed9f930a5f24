// Elementwise suite: ReLU forward over 1M–16M floats, a pure memory-bandwidth kernel.
import { kernels } from '../src/index';
import { compareAt, randomArray, range, type BenchCase, type Suite } from './core';

function reluCase(n: number): BenchCase {
  return {
    suite: 'elementwise',
    name: 'relu forward',
    size: `${n / 2 ** 20}M floats`,
    engine: 'shadergrad',
    unit: 'gbps',
    work: 8 * n,
    formula: 'GB/s = (4·n bytes read + 4·n written) / median time',
    async prepare({ runtime }) {
      const x = randomArray(n, 3);
      const bufX = runtime.upload(x, 'bench x');
      const bufY = runtime.createBuffer(4 * n, 'bench y');
      const pipeline = await runtime.prepare(kernels.activationForward('relu', n));
      const launch = runtime.launch(pipeline, [bufX, bufY]);
      return {
        async check() {
          runtime.submit([launch], 'bench check');
          const y = await runtime.readFloat32(bufY, n);
          compareAt('relu', range(n), (i) => y[i]!, (i) => Math.max(0, x[i]!), { atol: 0, rtol: 0 });
          return `all ${n} values exact`;
        },
        iterate: () => runtime.submit([launch], 'bench'),
        sync: () => runtime.sync(),
        dispose: () => [bufX, bufY].forEach((b) => runtime.destroyBuffer(b)),
      };
    },
  };
}

export const elementwiseSuite: Suite = {
  name: 'elementwise',
  cases: (quick) => (quick ? [2 ** 20] : [2 ** 20, 2 ** 22, 2 ** 24]).map(reluCase),
};
