// Optimizer parameter groups (torch.optim's param_groups): per-parameter lr and weight decay,
// chosen by name pattern, name list or predicate. They reach the fused update as two values
// per segment of its segment table, so groups cost no dispatch and no per-step work.
import { ConfigError } from '../errors';
import type { ParamTag } from '../graph/ir';
import { fail, finiteNumber, knownKeys, show } from '../validate';

/**
 * Which parameters a group takes: state-dict names matching a RegExp (searched, as
 * `name.search(re)`, so /bias$/ and /^fc\./ work and a g flag does no harm), a list of exact
 * names, or a predicate of name, shape and tag ('weight' | 'bias' | 'norm').
 */
export type ParamSelector = RegExp | readonly string[] | ((name: string, shape: readonly number[], tag: ParamTag) => boolean);

/**
 * One param group: its parameters and the options that differ from the optimizer's
 * top-level ones (which form the default group). Like a torch param group, but the
 * parameters are chosen by `params` instead of listed as tensors; a parameter belongs to
 * the first group that selects it, else to the default group.
 */
export interface ParamGroup {
  params: ParamSelector;
  /** This group's learning rate; default: the optimizer's. Schedules scale it (see compile's lrSchedule). */
  lr?: number;
  /** This group's weight decay (L2, or decoupled for AdamW); default: the optimizer's. */
  weightDecay?: number;
}

/** A group with every option filled in from the optimizer's top-level ones. */
export interface ResolvedParamGroup {
  readonly params: ParamSelector;
  readonly lr: number;
  readonly weightDecay: number;
}

/** What a segment of the arena carries into the fused update (absent: the optimizer's own). */
export interface SegmentSettings {
  /** Replaces the optimizer's weightDecay for this segment. */
  weightDecay: number;
  /** Multiplies the step's learning rate: group lr / optimizer lr. */
  lrScale: number;
}

const GROUP_KEYS = ['params', 'lr', 'weightDecay'];

/** Checks `groups` of optimizer `kind` (top-level lr and weightDecay given) and fills them in. */
export function resolveGroups(kind: string, groups: unknown, top: { lr: number; weightDecay: number }): ResolvedParamGroup[] {
  const what = `optim ${kind}: groups`;
  if (!Array.isArray(groups)) fail(what, groups, 'an array of {params, lr?, weightDecay?} (e.g. [noDecayOnBiasAndNorm()])');
  return groups.map((group: unknown, k) => {
    const at = `${what}[${k}]`;
    if (typeof group !== 'object' || group === null || Array.isArray(group)) fail(at, group, 'an object {params, lr?, weightDecay?}');
    const g = group as Record<string, unknown>;
    knownKeys(at, g, GROUP_KEYS); // per-group momentum or betas would need per-group state logic: optimizer-wide only
    const { params } = g;
    const names = Array.isArray(params) && params.every((p) => typeof p === 'string');
    if (!(params instanceof RegExp || typeof params === 'function' || names)) {
      fail(`${at}.params`, params, 'a RegExp, an array of parameter names or a function (name, shape, tag) → boolean');
    }
    const lr = g.lr === undefined ? top.lr : finiteNumber(`${at}.lr`, g.lr, 0);
    const weightDecay = g.weightDecay === undefined ? top.weightDecay : finiteNumber(`${at}.weightDecay`, g.weightDecay, 0);
    if (lr > 0 && top.lr === 0) {
      throw new ConfigError(
        `${at}.lr: a group's rate is kept relative to the optimizer's lr (schedules and setLearningRate scale every group alike), ` +
          `so the optimizer's lr must be > 0 when a group's lr is ${lr}; to freeze parameters give their group lr 0 instead`,
      );
    }
    return { params: params as ParamSelector, lr, weightDecay };
  });
}

/** A selector for error messages: /re/, the names, or "a function". */
export const showSelector = (params: ParamSelector): string => (params instanceof RegExp ? String(params) : show(params));

/** Index of the first group selecting this parameter, or −1 (the default group). */
export function groupOf(groups: readonly ResolvedParamGroup[], name: string, shape: readonly number[], tag: ParamTag): number {
  return groups.findIndex(({ params }) => {
    if (params instanceof RegExp) return name.search(params) !== -1;
    if (typeof params === 'function') return Boolean(params(name, shape, tag));
    return params.includes(name);
  });
}

/**
 * Assigns each parameter its group and checks that every group selects something and that
 * every name a group lists exists: a ConfigError naming the group, before any GPU work.
 * Overlaps are allowed: the first group wins.
 */
export function assignGroups(kind: string, groups: readonly ResolvedParamGroup[], params: readonly { name: string; shape: readonly number[]; tag: ParamTag }[]): number[] {
  const assigned = params.map((p) => groupOf(groups, p.name, p.shape, p.tag));
  const known = new Set(params.map((p) => p.name));
  const all = [...known].join(', ');
  groups.forEach((g, k) => {
    const unknown = Array.isArray(g.params) ? g.params.filter((n) => !known.has(n)) : [];
    if (unknown.length > 0) {
      throw new ConfigError(`optim ${kind}: groups[${k}].params names ${show(unknown)}, not parameters of the model (${all})`);
    }
    if (!assigned.includes(k)) {
      throw new ConfigError(
        `optim ${kind}: groups[${k}] (params ${showSelector(g.params)}) selects no parameter` +
          `${k > 0 ? ' not already taken by an earlier group' : ''} (parameters: ${all})`,
      );
    }
  });
  return assigned;
}

/** The segment settings of a group: its weight decay, and its lr relative to the optimizer's. */
export function groupSettings(group: ResolvedParamGroup, topLr: number): SegmentSettings {
  return { weightDecay: group.weightDecay, lrScale: topLr === 0 ? 0 : group.lr / topLr };
}
