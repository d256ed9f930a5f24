// Lab 7's training loop: several trainers stepped in turn on the same shuffled batches, so that
// runs which differ only in their schedule see exactly the same data in the same order.
import { Batcher, type LabeledData, type Trainer } from '../../src/index';

/** `steps` steps of every trainer on the same batches (shuffled by `seed`); `before()` before each step, `after(s)` after step s (1-based). */
export async function stepTogether(data: LabeledData, batchSize: number, steps: number, trainers: readonly Trainer[], seed: number, before: () => void, after: (s: number) => Promise<void>): Promise<void> {
  const batcher = new Batcher(data, batchSize, { seed });
  for (let s = 1; s <= steps; s++) {
    const b = (s - 1) % batcher.batchesPerEpoch;
    if (b === 0) batcher.startEpoch();
    const batch = batcher.fill(b);
    before();
    for (const trainer of trainers) trainer.step(batch.x, batch.y);
    await trainers.at(-1)!.throttle(); // a few steps ahead of the GPU at most
    await after(s);
  }
}
