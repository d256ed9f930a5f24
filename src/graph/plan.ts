// Buffer planning by liveness: tensors whose lifetimes do not overlap share one GPU buffer.
// Lifetimes are measured in positions of the step's launch schedule (forward, backward,
// optimizer), so an activation lives from its producer to its last reader.

/** One tensor to place: its size and the first and last schedule positions using it. */
export interface Lifetime {
  readonly key: string;
  readonly bytes: number;
  readonly first: number;
  readonly last: number;
}

/** Where each tensor lives: slot index per key, and each slot's size in bytes. */
export interface BufferPlan {
  readonly slotOf: ReadonlyMap<string, number>;
  readonly slotBytes: readonly number[];
}

/**
 * Greedy interval allocation: tensors in order of first use take the smallest free slot that
 * fits (a slot frees after its tensor's last use), else a new slot. Slots are never
 * resized, so a plan made once holds for every step.
 */
export function planBuffers(lifetimes: readonly Lifetime[]): BufferPlan {
  const order = [...lifetimes].sort((a, b) => a.first - b.first || b.bytes - a.bytes);
  const slotBytes: number[] = [];
  const busyUntil: number[] = [];
  const slotOf = new Map<string, number>();
  for (const t of order) {
    let best = -1;
    for (let s = 0; s < slotBytes.length; s++) {
      if (busyUntil[s]! < t.first && slotBytes[s]! >= t.bytes && (best < 0 || slotBytes[s]! < slotBytes[best]!)) best = s;
    }
    if (best < 0) {
      best = slotBytes.length;
      slotBytes.push(t.bytes);
      busyUntil.push(-1);
    }
    busyUntil[best] = t.last;
    slotOf.set(t.key, best);
  }
  return { slotOf, slotBytes };
}
