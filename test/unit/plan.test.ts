// Liveness buffer planning: non-overlapping lifetimes share slots, overlapping ones never do.
import { describe, expect, it } from 'vitest';
import { planBuffers, type Lifetime } from '../../src/graph/plan';

describe('planBuffers', () => {
  it('reuses a slot once its tensor is dead, and never while it is live', () => {
    const lifetimes: Lifetime[] = [
      { key: 'a', bytes: 400, first: 0, last: 1 },
      { key: 'b', bytes: 400, first: 1, last: 2 }, // overlaps a at position 1
      { key: 'c', bytes: 200, first: 2, last: 3 }, // a is dead: c fits in a's slot
      { key: 'd', bytes: 800, first: 3, last: 4 }, // bigger than every free slot: new slot
    ];
    const plan = planBuffers(lifetimes);
    expect(plan.slotOf.get('a')).not.toBe(plan.slotOf.get('b'));
    expect(plan.slotOf.get('c')).toBe(plan.slotOf.get('a'));
    expect(plan.slotBytes).toEqual([400, 400, 800]);
  });

  it('no two tensors live at once share a slot (random lifetimes)', () => {
    let seed = 1;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const lifetimes = Array.from({ length: 200 }, (_, i) => {
      const first = Math.floor(random() * 100);
      return { key: `t${i}`, bytes: 16 * (1 + Math.floor(random() * 64)), first, last: first + Math.floor(random() * 20) };
    });
    const plan = planBuffers(lifetimes);
    for (const a of lifetimes) {
      expect(plan.slotBytes[plan.slotOf.get(a.key)!]).toBeGreaterThanOrEqual(a.bytes);
      for (const b of lifetimes) {
        if (a === b || plan.slotOf.get(a.key) !== plan.slotOf.get(b.key)) continue;
        expect(a.last < b.first || b.last < a.first).toBe(true);
      }
    }
    expect(plan.slotBytes.length).toBeLessThan(lifetimes.length / 2);
  });
});
