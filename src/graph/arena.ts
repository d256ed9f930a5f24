// The parameter arena: every parameter in one GPU buffer at 256-byte-aligned offsets (so each
// can be bound as a view), gradients in a second buffer with the same layout.
import type { ArenaSegment } from '../kernels/optim';
import { initialize } from '../nn/init';
import { seededRandom } from '../data/dataset';
import { sizeOf, type ParamInfo } from './ir';

/** Floats per alignment unit: minStorageBufferOffsetAlignment (256 bytes) / 4. */
const ALIGN_FLOATS = 64;

export interface ArenaEntry {
  readonly name: string;
  readonly shape: readonly number[];
  readonly offset: number;
  readonly length: number;
  readonly decay: boolean;
}

export interface ArenaLayout {
  readonly entries: readonly ArenaEntry[];
  /** Floats in the arena, padding included (a multiple of 64). */
  readonly size: number;
}

export function layoutArena(params: readonly ParamInfo[]): ArenaLayout {
  let offset = 0;
  const entries = params.map((p) => {
    const length = sizeOf(p.shape);
    const entry = { name: p.name, shape: p.shape, offset, length, decay: p.decay };
    offset += Math.ceil(length / ALIGN_FLOATS) * ALIGN_FLOATS;
    return entry;
  });
  return { entries, size: Math.max(offset, ALIGN_FLOATS) };
}

export function arenaSegments(layout: ArenaLayout): ArenaSegment[] {
  return layout.entries.map((e) => ({ start: e.offset, length: e.length, noDecay: !e.decay }));
}

/**
 * Initial parameter values, drawn on the CPU once at compile time. Each parameter has its own
 * generator seeded from (seed, index), so adding a layer does not change the others' values.
 */
export function initialArena(layout: ArenaLayout, params: readonly ParamInfo[], seed: number): Float32Array {
  const arena = new Float32Array(layout.size);
  params.forEach((p, i) => {
    const random = seededRandom((Math.imul(seed, 0x9e3779b1) ^ Math.imul(i + 1, 0x85ebca6b)) >>> 0);
    arena.set(initialize(p.init, p.shape, random), layout.entries[i]!.offset);
  });
  return arena;
}

/** Splits an arena copy into named tensors (PyTorch state-dict names and shapes). */
export function splitArena(layout: ArenaLayout, arena: Float32Array): Map<string, Float32Array> {
  return new Map(layout.entries.map((e) => [e.name, arena.slice(e.offset, e.offset + e.length)]));
}
