// Optimizer configuration: torch.optim's hyperparameters and defaults per optimizer, their
// validation, and the names of each optimizer's state slots (src/kernels/optim.ts runs them).
import { ConfigError } from '../errors';
import { boolean, fail as invalid, finiteNumber, knownKeys } from '../validate';
import { resolveGroups, type ParamGroup, type ResolvedParamGroup } from './optim-groups';

/**
 * Hyperparameters of each optimizer: torch.optim's names in camelCase, and its defaults
 * in {@link OPTIMIZER_DEFAULTS}. SGD with `momentum` μ and lr η takes the same steps as
 * the textbook "v ← μv − η∇L; w ← w + v" while lr is constant (v = −η·buffer).
 */
export interface OptimizerOptions {
  sgd: { lr: number; momentum: number; dampening: number; weightDecay: number; nesterov: boolean };
  adagrad: { lr: number; lrDecay: number; weightDecay: number; initialAccumulatorValue: number; eps: number };
  adadelta: { lr: number; rho: number; eps: number; weightDecay: number };
  rmsprop: { lr: number; alpha: number; eps: number; weightDecay: number; momentum: number; centered: boolean };
  adam: { lr: number; betas: readonly [number, number]; eps: number; weightDecay: number };
  /** Adam with decoupled weight decay: p ← p·(1 − lr·weightDecay) before the Adam step. */
  adamw: { lr: number; betas: readonly [number, number]; eps: number; weightDecay: number };
}

export type OptimizerKind = keyof OptimizerOptions;

/**
 * An optimizer, any hyperparameters that differ from torch's defaults, and optional param
 * groups with their own lr and weight decay (see ParamGroup). Without groups every parameter
 * gets the same options, weight decay included, as a torch optimizer given model.parameters().
 */
export type OptimizerConfig = { [K in OptimizerKind]: { kind: K } & Partial<OptimizerOptions[K]> & { groups?: readonly ParamGroup[] } }[OptimizerKind];

/** An optimizer with every hyperparameter filled in and validated (groups only when given). */
export type ResolvedOptimizer = { [K in OptimizerKind]: { kind: K } & OptimizerOptions[K] & { groups?: readonly ResolvedParamGroup[] } }[OptimizerKind];

/** torch.optim's defaults (torch ≥ 2.2, where SGD's lr defaults to 1e-3). */
export const OPTIMIZER_DEFAULTS: { readonly [K in OptimizerKind]: Readonly<OptimizerOptions[K]> } = {
  sgd: { lr: 1e-3, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false },
  adagrad: { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10 },
  adadelta: { lr: 1, rho: 0.9, eps: 1e-6, weightDecay: 0 },
  rmsprop: { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false },
  adam: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 },
  adamw: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2 },
};


/** Fills torch's defaults in and checks every value as torch does (ConfigError naming it). */
export function resolveOptimizer(config: OptimizerConfig): ResolvedOptimizer {
  const kinds = Object.keys(OPTIMIZER_DEFAULTS);
  const kind = (config as { kind?: unknown } | null)?.kind;
  if (typeof config !== 'object' || config === null || typeof kind !== 'string' || !kinds.includes(kind)) {
    invalid('optimizer', config, `{kind: ${kinds.map((k) => `'${k}'`).join(' | ')}, …} (e.g. adam({ lr: 1e-3 }))`);
  }
  const defaults: Record<string, unknown> = OPTIMIZER_DEFAULTS[config.kind];
  const given = config as Record<string, unknown>;
  knownKeys(`optim ${config.kind}`, given, ['kind', ...Object.keys(defaults), 'groups']);
  for (const [key, value] of Object.entries(given)) {
    if (key === 'kind' || key === 'groups' || value === undefined) continue;
    const what = `optim ${config.kind}: ${key}`;
    if (typeof defaults[key] === 'boolean') boolean(what, value);
    else if (key === 'betas') {
      if (!Array.isArray(value) || value.length !== 2) invalid(what, value, 'a pair [β1, β2]');
      (value as unknown[]).forEach((b, k) => finiteNumber(`${what}[${k}]`, b));
    } else finiteNumber(what, value); // finite in float32 too: lr 1e39 would become Infinity
  }
  const c = Object.fromEntries(Object.entries(defaults).map(([k, v]) => [k, given[k] ?? v]));
  const r = { kind: config.kind, ...c } as ResolvedOptimizer;
  const fail = (name: string, value: unknown, rule: string) => {
    throw new ConfigError(`optim ${r.kind}: ${name} must be ${rule}, got ${String(value)}`);
  };
  const atLeast0 = (name: string, v: number) => (Number.isFinite(v) && v >= 0) || fail(name, v, 'finite and ≥ 0');
  atLeast0('lr', r.lr);
  atLeast0('weightDecay', r.weightDecay);
  if (r.kind !== 'sgd') atLeast0('eps', r.eps);
  switch (r.kind) {
    case 'sgd':
      atLeast0('momentum', r.momentum);
      if (!Number.isFinite(r.dampening)) fail('dampening', r.dampening, 'finite');
      if (r.nesterov && (r.momentum <= 0 || r.dampening !== 0)) {
        fail('nesterov', `momentum ${r.momentum}, dampening ${r.dampening}`, 'used with momentum > 0 and dampening 0');
      }
      break;
    case 'adagrad':
      atLeast0('lrDecay', r.lrDecay);
      atLeast0('initialAccumulatorValue', r.initialAccumulatorValue);
      break;
    case 'adadelta':
      if (!(r.rho >= 0 && r.rho <= 1)) fail('rho', r.rho, 'in [0, 1]');
      break;
    case 'rmsprop':
      atLeast0('alpha', r.alpha);
      atLeast0('momentum', r.momentum);
      break;
    case 'adam':
    case 'adamw':
      r.betas.forEach((b, k) => (b >= 0 && b < 1) || fail(`betas[${k}]`, b, 'in [0, 1)'));
      break;
  }
  const groups = given.groups === undefined ? [] : resolveGroups(r.kind, given.groups, r);
  if (groups.length > 0) r.groups = groups; // groups: [] is no groups
  return r;
}

/**
 * Names (torch's state keys) of the optimizer's state slots, in slot order. The state
 * buffer is laid out [slot][n]: slot s of arena element i is at float s·n + i, so it
 * holds stateSlots(config)·n floats.
 */
export function stateSlotNames(config: OptimizerConfig): string[] {
  const r = resolveOptimizer(config);
  switch (r.kind) {
    case 'sgd': return r.momentum > 0 ? ['momentum_buffer'] : [];
    case 'adagrad': return ['sum'];
    case 'adadelta': return ['square_avg', 'acc_delta'];
    case 'rmsprop':
      return ['square_avg', ...(r.centered ? ['grad_avg'] : []), ...(r.momentum > 0 ? ['momentum_buffer'] : [])];
    case 'adam':
    case 'adamw': return ['exp_avg', 'exp_avg_sq'];
  }
}

/** How many arena-sized state slots the optimizer needs (0 for SGD without momentum). */
export function stateSlots(config: OptimizerConfig): number {
  return stateSlotNames(config).length;
}
