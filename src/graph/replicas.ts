// Replicas: K independent copies of one model compiled into the same plans. Each replica has
// its own parameters (one arena, K slices), seed, batch and learning rate / weight decay, and
// they all train in one submit with one fused optimizer dispatch. This file holds what
// replicas add to the single-model path: the option checks, parameter names, per-replica
// slices of the input/targets/metrics buffers and the per-replica optimizer settings.
import { ConfigError } from '../errors';
import type { ResolvedOptimizer } from '../kernels/optim-config';
import { fail, finiteNumber, integer, knownKeys, optionsObject } from '../validate';
import type { GpuRuntime } from '../gpu/runtime';
import type { ArenaLayout } from './arena';
import { METRIC_WORDS } from './loss';

/** One replica's settings; every field defaults to the single-model value (see {@link ReplicaSpec}). */
export interface ReplicaOptions {
  /**
   * Seeds this replica's parameter initialization (as compile's seed does for one model);
   * default: compile's seed + the replica index. Dropout masks come from compile's seed and
   * differ between replicas (each has its own range of the mask stream).
   */
  seed?: number;
  /** This replica's learning rate (lrSchedule and setLearningRate scale it by the same factor as the optimizer's). */
  lr?: number;
  /** This replica's weight decay, for the parameters of the optimizer's default group (param groups keep theirs). */
  weightDecay?: number;
}

/** compile()'s `replicas`: a count K (seeds seed, seed+1, …), or one ReplicaOptions per replica. */
export type ReplicaSpec = number | readonly ReplicaOptions[];

/** The most replicas one compile takes (each adds its dispatches to every plan). */
export const MAX_REPLICAS = 256;

export interface ResolvedReplica {
  readonly seed: number;
  readonly lr: number;
  readonly weightDecay: number;
}

/** Checks `replicas` and fills in every replica's seed, lr and weight decay. */
export function resolveReplicas(value: unknown, seed: number, optimizer: ResolvedOptimizer): ResolvedReplica[] {
  const what = 'compile: replicas';
  const top = { seed, lr: optimizer.lr, weightDecay: optimizer.weightDecay };
  if (value === undefined) return [top];
  if (typeof value === 'number') {
    integer(what, value, 1, MAX_REPLICAS);
    return Array.from({ length: value }, (_, r) => ({ ...top, seed: (seed + r) >>> 0 }));
  }
  if (!Array.isArray(value) || value.length < 1 || value.length > MAX_REPLICAS) {
    fail(what, value, `a count in [1, ${MAX_REPLICAS}] or an array of 1 to ${MAX_REPLICAS} {seed?, lr?, weightDecay?}`);
  }
  return value.map((item: unknown, r) => {
    const at = `${what}[${r}]`;
    const o = optionsObject(at, item);
    knownKeys(at, o, ['seed', 'lr', 'weightDecay']);
    const replica = { ...top, seed: (seed + r) >>> 0 };
    if (o.seed !== undefined) replica.seed = integer(`${at}.seed`, o.seed, 0, 0xffffffff);
    if (o.lr !== undefined) replica.lr = finiteNumber(`${at}.lr`, o.lr, 0);
    if (o.weightDecay !== undefined) replica.weightDecay = finiteNumber(`${at}.weightDecay`, o.weightDecay, 0);
    if (replica.lr > 0 && top.lr === 0) {
      throw new ConfigError(`${at}.lr: replica rates are kept relative to the optimizer's lr, so the optimizer's lr must be > 0 when a replica's is ${replica.lr}`);
    }
    return replica;
  });
}

/** The module path of replica r's copy of the model: '' for a single model, else "r" (as in torch.nn.ModuleList). */
export const replicaPath = (count: number, r: number): string => (count === 1 ? '' : String(r));

/** Floats from one replica's slice of a buffer to the next: binding offsets need 256 bytes. */
export const replicaStride = (count: number, floats: number): number => (count === 1 ? floats : Math.ceil(floats / 64) * 64);

/** Metrics words of K replicas: METRIC_WORDS for one, else one 64-float slice each. */
export const metricsFloats = (count: number): number => (count === 1 ? METRIC_WORDS : count * 64);

/** Replica of a parameter index when the graph holds `count` copies of `params` parameters each. */
export const replicaOf = (index: number, perReplica: number): number => Math.floor(index / perReplica);

/**
 * The layout with each replica's lr and weight decay in its entries' segment settings: lr as
 * a scale of the optimizer's (times the param group's), weight decay replacing the default
 * group's. A single replica with the optimizer's own values leaves the layout as it is.
 */
export function withReplicaSettings(layout: ArenaLayout, replicas: readonly ResolvedReplica[], optimizer: ResolvedOptimizer): ArenaLayout {
  const top = replicas.length === 1 ? replicas[0]! : undefined;
  if (top && top.lr === optimizer.lr && top.weightDecay === (optimizer.weightDecay)) return layout;
  const perReplica = layout.entries.length / replicas.length;
  const entries = layout.entries.map((e, i) => {
    const replica = replicas[replicaOf(i, perReplica)]!;
    const scale = optimizer.lr === 0 ? 0 : replica.lr / optimizer.lr;
    const settings = e.settings
      ? { weightDecay: e.settings.weightDecay, lrScale: e.settings.lrScale * scale }
      : { weightDecay: replica.weightDecay, lrScale: scale };
    return { ...e, settings };
  });
  return { entries, size: layout.size };
}

/** Names of replica r's state entries, without its prefix: one replica as an ordinary model. */
export function replicaName(count: number, r: number, name: string): string | undefined {
  if (count === 1) return name;
  const prefix = `${r}.`;
  return name.startsWith(prefix) ? name.slice(prefix.length) : undefined;
}

/**
 * Writes `count` replicas' data, laid one after another in `data`, into a buffer of their
 * 256-byte-aligned parts (see replicaStride): one write when the parts are contiguous.
 */
export function writeReplicas(runtime: GpuRuntime, buffer: GPUBuffer, data: Float32Array | Uint32Array, count: number): void {
  const floats = data.length / count;
  const stride = replicaStride(count, floats);
  if (stride === floats) return runtime.write(buffer, data);
  for (let r = 0; r < count; r++) runtime.write(buffer, data.subarray(r * floats, (r + 1) * floats), r * stride * 4);
}
