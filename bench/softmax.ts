// Fused softmax-cross-entropy suite: loss and dlogits in one dispatch (the graph's root).
import { kernels } from '../src/index';
import { compareAt, randomArray, randomLabels, spotIndices, type BenchCase, type Suite } from './core';

/** `threadsPerRow`: override the kernel's default (1 below 128 classes, else 32). */
function crossEntropyCase(n: number, c: number, threadsPerRow?: number): BenchCase {
  return {
    suite: 'softmax',
    name: `softmax-xent fwd+grad${threadsPerRow ? ` ${threadsPerRow} thread/row` : ''}`,
    size: `${n}×${c}`,
    engine: 'shadergrad',
    unit: 'gbps',
    work: 4 * (2 * n * c + 2 * n),
    formula: 'GB/s = 4·(N·C logits + N labels read, N losses + N·C dlogits written) bytes / median time',
    async prepare({ runtime }) {
      const logits = randomArray(n * c, 4, -4, 4);
      const labels = randomLabels(n, c, 5);
      const bufX = runtime.upload(logits, 'bench logits');
      const bufL = runtime.upload(labels, 'bench labels');
      const bufLoss = runtime.createBuffer(4 * n, 'bench loss');
      const bufD = runtime.createBuffer(4 * n * c, 'bench dlogits');
      const pipeline = await runtime.prepare(kernels.crossEntropyFromLabels(n, c, { threadsPerRow }));
      const launch = runtime.launch(pipeline, [bufX, bufL, bufLoss, bufD]);
      return {
        async check() {
          runtime.submit([launch], 'bench check');
          const loss = await runtime.readFloat32(bufLoss, n);
          const dlogits = await runtime.readFloat32(bufD, n * c);
          const rows = spotIndices(n, 32, 6);
          for (const r of rows) {
            const row = logits.subarray(r * c, (r + 1) * c);
            const max = Math.max(...row);
            let sum = 0;
            for (const v of row) sum += Math.exp(v - max);
            const lse = max + Math.log(sum);
            compareAt(`loss row ${r}`, [r], (i) => loss[i]!, () => (lse - row[labels[r]!]!) / n);
            compareAt(`dlogits row ${r}`, Array.from({ length: c }, (_, j) => r * c + j), (i) => dlogits[i]!, (i) => {
              const j = i - r * c;
              return (Math.exp(row[j]! - lse) - (j === labels[r] ? 1 : 0)) / n;
            }, { atol: 1e-7 });
          }
          return `${rows.length} rows (loss and dlogits) vs float64`;
        },
        iterate: () => runtime.submit([launch], 'bench'),
        sync: () => runtime.sync(),
        dispose: () => [bufX, bufL, bufLoss, bufD].forEach((b) => runtime.destroyBuffer(b)),
      };
    },
  };
}

export const softmaxSuite: Suite = {
  name: 'softmax',
  cases: (quick) =>
    (quick ? [[128, 10]] : [[128, 10], [1024, 10], [128, 1000], [1024, 1000]]).flatMap(([n, c]) => [
      crossEntropyCase(n!, c!),
      // Wide rows get 32 threads each by default; one thread per row is the CPU-driver choice.
      ...(c! >= 128 ? [crossEntropyCase(n!, c!, 1)] : []),
    ]),
};
