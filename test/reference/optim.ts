// Float64 CPU reference of the torch.optim update rules over a segmented parameter arena,
// written from torch's documented pseudo-code, plus the textbook momentum update.
import type { ArenaSegment } from '../../src/kernels/optim';
import type { ResolvedOptimizer } from '../../src/kernels/optim-config';

/** What changes from step to step (torch's lr, the step count t from 1, a gradient factor). */
export interface ReferenceStep {
  lr: number;
  step: number;
  gradScale: number;
}

/** Per-element state of one parameter, keyed by torch's state names. */
type State = Record<string, number>;

/** torch's update of one parameter p with gradient g (decay and lr already chosen per segment: its param group's). */
function updateOne(r: ResolvedOptimizer, p: number, grad: number, wd: number, s: State, { lr, step: t }: ReferenceStep): number {
  let g = grad;
  if (r.kind === 'adamw') p *= 1 - lr * wd;
  else g += wd * p;
  switch (r.kind) {
    case 'sgd': {
      if (r.momentum !== 0) {
        s.momentum_buffer = t === 1 ? g : r.momentum * s.momentum_buffer! + (1 - r.dampening) * g;
        g = r.nesterov ? g + r.momentum * s.momentum_buffer : s.momentum_buffer;
      }
      return p - lr * g;
    }
    case 'adagrad': {
      const clr = lr / (1 + (t - 1) * r.lrDecay);
      s.sum = (t === 1 ? r.initialAccumulatorValue : s.sum!) + g * g;
      return p - (clr * g) / (Math.sqrt(s.sum) + r.eps);
    }
    case 'adadelta': {
      const v = r.rho * (s.square_avg ?? 0) + (1 - r.rho) * g * g;
      const u = s.acc_delta ?? 0;
      const delta = (Math.sqrt(u + r.eps) / Math.sqrt(v + r.eps)) * g;
      s.square_avg = v;
      s.acc_delta = r.rho * u + (1 - r.rho) * delta * delta;
      return p - lr * delta;
    }
    case 'rmsprop': {
      s.square_avg = r.alpha * (s.square_avg ?? 0) + (1 - r.alpha) * g * g;
      let v = s.square_avg;
      if (r.centered) {
        s.grad_avg = r.alpha * (s.grad_avg ?? 0) + (1 - r.alpha) * g;
        v -= s.grad_avg * s.grad_avg;
      }
      const scaled = g / (Math.sqrt(v) + r.eps);
      if (r.momentum > 0) {
        s.momentum_buffer = r.momentum * (s.momentum_buffer ?? 0) + scaled;
        return p - lr * s.momentum_buffer;
      }
      return p - lr * scaled;
    }
    case 'adam':
    case 'adamw': {
      const [b1, b2] = r.betas;
      s.exp_avg = b1 * (s.exp_avg ?? 0) + (1 - b1) * g;
      s.exp_avg_sq = b2 * (s.exp_avg_sq ?? 0) + (1 - b2) * g * g;
      const mHat = s.exp_avg / (1 - b1 ** t);
      const vHat = s.exp_avg_sq / (1 - b2 ** t);
      return p - (lr * mHat) / (Math.sqrt(vHat) + r.eps);
    }
  }
}

/** A float64 optimizer over an arena: params outside every segment never change. */
export class ReferenceOptimizer {
  readonly params: Float64Array;
  private readonly states = new Map<number, State>();

  constructor(
    readonly config: ResolvedOptimizer,
    readonly segments: readonly ArenaSegment[],
    params: ArrayLike<number>,
  ) {
    this.params = Float64Array.from(params);
  }

  step(grads: ArrayLike<number>, now: ReferenceStep): void {
    if (now.step === 1) this.states.clear();
    for (const { start, length, weightDecay, lrScale = 1 } of this.segments) {
      const wd = weightDecay ?? this.config.weightDecay;
      const groupStep = { ...now, lr: now.lr * lrScale };
      for (let i = start; i < start + length; i++) {
        let s = this.states.get(i);
        if (!s) this.states.set(i, (s = {}));
        this.params[i] = updateOne(this.config, this.params[i]!, grads[i]! * now.gradScale, wd, s, groupStep);
      }
    }
  }

  /** Slot `name` of every arena element (NaN outside segments), to compare with a GPU slot. */
  slot(name: string): Float64Array {
    return Float64Array.from(this.params, (_, i) => this.states.get(i)?.[name] ?? NaN);
  }
}

/** Textbook momentum "v ← αv − η∇L; w ← w + v" from v = 0: the weights after each gradient. */
export function textbookMomentum(w0: ArrayLike<number>, grads: readonly ArrayLike<number>[], lr: number, alpha: number): Float64Array[] {
  const w = Float64Array.from(w0);
  const v = new Float64Array(w.length);
  return grads.map((g) => {
    for (let i = 0; i < w.length; i++) {
      v[i] = alpha * v[i]! - lr * g[i]!;
      w[i] = w[i]! + v[i]!;
    }
    return w.slice();
  });
}
