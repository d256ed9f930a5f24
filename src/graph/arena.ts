// The parameter arena: every parameter in one GPU buffer at 256-byte-aligned offsets (so each
// can be bound as a view), gradients in a second buffer with the same layout. Each tensor
// carries its optimizer param group, which the fused update reads from its segment table.
import type { ArenaSegment } from '../kernels/optim';
import type { ResolvedOptimizer } from '../kernels/optim-config';
import { assignGroups, groupSettings, type SegmentSettings } from '../kernels/optim-groups';
import { initialize } from '../nn/init';
import { seededRandom } from '../data/dataset';
import { sizeOf, type ParamInfo, type ParamTag } from './ir';

/** Floats per alignment unit: minStorageBufferOffsetAlignment (256 bytes) / 4. */
const ALIGN_FLOATS = 64;

export interface ArenaEntry {
  readonly name: string;
  readonly shape: readonly number[];
  readonly offset: number;
  readonly length: number;
  readonly tag: ParamTag;
  /** Index of the optimizer's param group it belongs to (the first that selects it); −1: the default group. */
  readonly group: number;
  /** That group's weight decay and lr scale (absent in the default group: the optimizer's own). */
  readonly settings?: SegmentSettings;
}

export interface ArenaLayout {
  readonly entries: readonly ArenaEntry[];
  /** Floats in the arena, padding included (a multiple of 64). */
  readonly size: number;
}

/**
 * Places the parameters; with an optimizer that has groups, assigns each its group (a
 * ConfigError for a group that selects nothing or names an unknown parameter). With
 * replicas (`params` holding their copies in order), groups select by the names within a
 * replica ("0.weight", not "2.0.weight"), so each replica groups alike.
 */
export function layoutArena(params: readonly ParamInfo[], optimizer?: ResolvedOptimizer, replicas = 1): ArenaLayout {
  const groups = optimizer?.groups ?? [];
  const local = replicas === 1 ? params : params.map((p) => ({ ...p, name: p.name.slice(p.name.indexOf('.') + 1) }));
  const assigned = groups.length > 0 ? assignGroups(optimizer!.kind, groups, local) : params.map(() => -1);
  let offset = 0;
  const entries = params.map((p, k) => {
    const length = sizeOf(p.shape);
    const group = assigned[k]!;
    const settings = group < 0 ? undefined : groupSettings(groups[group]!, optimizer!.lr);
    const entry = { name: p.name, shape: p.shape, offset, length, tag: p.tag, group, ...(settings ? { settings } : {}) };
    offset += Math.ceil(length / ALIGN_FLOATS) * ALIGN_FLOATS;
    return entry;
  });
  return { entries, size: Math.max(offset, ALIGN_FLOATS) };
}

/** The optimizer's segment table rows: each tensor's place and its group's settings. */
export function arenaSegments(layout: ArenaLayout): ArenaSegment[] {
  return layout.entries.map((e) => ({ start: e.offset, length: e.length, ...e.settings }));
}

/**
 * The optimizer as a checkpoint records it: its hyperparameters and, for each group, the
 * names of the parameters it took (patterns and predicates do not serialize; what they
 * selected does), so that restore() can check that the trainer groups alike.
 */
export function optimizerRecord(optimizer: ResolvedOptimizer, layout: ArenaLayout): object {
  if (!optimizer.groups) return optimizer;
  const groups = optimizer.groups.map((g, k) => ({
    params: layout.entries.filter((e) => e.group === k).map((e) => e.name),
    lr: g.lr,
    weightDecay: g.weightDecay,
  }));
  return { ...optimizer, groups };
}

/**
 * Initial parameter values, drawn on the CPU once at compile time. Each parameter has its own
 * generator seeded from (seed, index), so adding a layer does not change the others' values.
 * With replicas (one seed each, `params` holding their copies in order), replica r's
 * parameters get exactly the values a single model of seed seeds[r] gets.
 */
export function initialArena(layout: ArenaLayout, params: readonly ParamInfo[], seeds: readonly number[]): Float32Array {
  const arena = new Float32Array(layout.size);
  const perReplica = params.length / seeds.length;
  params.forEach((p, k) => {
    const [seed, i] = [seeds[Math.floor(k / perReplica)]!, k % perReplica];
    const random = seededRandom((Math.imul(seed, 0x9e3779b1) ^ Math.imul(i + 1, 0x85ebca6b)) >>> 0);
    arena.set(initialize(p.init, p.shape, random), layout.entries[k]!.offset);
  });
  return arena;
}

/** Splits an arena copy into named tensors (PyTorch state-dict names and shapes). */
export function splitArena(layout: ArenaLayout, arena: Float32Array): Map<string, Float32Array> {
  return new Map(layout.entries.map((e) => [e.name, arena.slice(e.offset, e.offset + e.length)]));
}
