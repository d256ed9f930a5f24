// jax-js peers (@jax-js/jax, WebGPU device) measured the same way as the engine: jit'ed
// matmul at the matmul suite's sizes and the MLP's Adam step as one jit(valueAndGrad) +
// Adam update written in jax-js ops (@jax-js/optax is not on npm). The caller loads jax-js
// and initializes its WebGPU device (in Node: src/cli/bench-jaxjs.ts); nothing here imports
// it, so the definitions stay usable in a page that loads jax-js its own way.
//
// jax-js is lazy: a jit'ed call only records pending kernels, dispatched when an output is
// used. The cases dispatch each iteration with `gpuBufferSync()` on one output (it submits
// the call's kernels, one submit each, and reads nothing back), so iterations reach the GPU
// as they are issued, as the other engines' do.
import type * as Jax from '@jax-js/jax';
import type { BenchContext, Prepared } from './core';

/** jax-js with its WebGPU device initialized and made the default. */
export interface JaxModules {
  jax: typeof Jax;
  /** The adapter jax-js runs on, from its device's adapterInfo. */
  adapter: string;
}

/** Thrown by a jax-js case when jax-js could not be loaded: the runner prints the reason. */
export class JaxjsUnavailableError extends Error {
  override name = 'JaxjsUnavailableError';
}

export function jaxjsOf(ctx: BenchContext): JaxModules {
  if ('unavailable' in ctx.jaxjs) throw new JaxjsUnavailableError(`jax-js unavailable: ${ctx.jaxjs.unavailable}`);
  return ctx.jaxjs;
}

/** "vendor architecture" of jax-js's WebGPU device. */
export function jaxjsAdapter(jax: typeof Jax): string {
  const info = jax.getWebGPUDevice().adapterInfo as GPUAdapterInfo | undefined;
  return [info?.vendor, info?.architecture].filter(Boolean).join(' ') || 'unknown adapter';
}

/**
 * A prepared jax-js case: `issue` records one iteration and returns an output, which is used
 * (dispatching the iteration) and dropped; at most `ahead` iterations are in flight, as the
 * engine's trainer.throttle() allows 2.
 */
export function jaxjsPrepared(
  jax: typeof Jax,
  check: () => Promise<string>,
  issue: () => Jax.Array,
  dispose: () => void,
  ahead = Infinity,
): Prepared {
  const queue = jax.getWebGPUDevice().queue;
  const inFlight: Promise<unknown>[] = [];
  return {
    check,
    async iterate() {
      issue().gpuBufferSync();
      if (ahead === Infinity) return;
      inFlight.push(queue.onSubmittedWorkDone());
      if (inFlight.length > ahead) await inFlight.shift();
    },
    async sync() {
      inFlight.length = 0;
      await queue.onSubmittedWorkDone();
    },
    dispose,
  };
}

/** The MLP's parameters for jax-js: per Linear layer a weight [in, out] (x·W) and a bias [out]. */
export type JaxParams = Jax.Array[];

export interface AdamOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
}

/**
 * One jit'ed training step of an MLP (Linear layers, ReLU between them) with mean softmax
 * cross-entropy and Adam (PyTorch's update: p −= lr·m̂ / (√v̂ + ε), bias-corrected moments).
 * `step(x, onehot)` runs forward, backward and update as one jit(valueAndGrad) program and
 * returns the step's loss; `params` are those before the next step.
 */
export function jaxjsMlpTrainer(jax: typeof Jax, initial: { weight: Float32Array; bias: Float32Array; in: number; out: number }[], adam: AdamOptions) {
  const { numpy: np, nn } = jax;
  const loss = (p: JaxParams, x: Jax.Array, onehot: Jax.Array): Jax.Array => {
    let h = x;
    for (let l = 0; l < p.length / 2; l++) {
      h = np.matmul(h, p[2 * l]!).add(p[2 * l + 1]!);
      if (l < p.length / 2 - 1) h = nn.relu(h);
    }
    const n = onehot.shape[0]!;
    return nn.logSoftmax(h, -1).mul(onehot).sum().mul(-1 / n);
  };
  const { lr, beta1: b1 = 0.9, beta2: b2 = 0.999, eps = 1e-8 } = adam;
  // c1 = 1/(1 − β1^t), c2 = 1/(1 − β2^t): arguments, not constants, so one program serves every t.
  const update = jax.jit((p: JaxParams, m: JaxParams, v: JaxParams, x: Jax.Array, onehot: Jax.Array, c1: Jax.Array, c2: Jax.Array) => {
    const [value, grads] = jax.valueAndGrad(loss)(p.map((a) => a.ref), x, onehot);
    const next = { p: [] as Jax.Array[], m: [] as Jax.Array[], v: [] as Jax.Array[] };
    grads.forEach((g, k) => {
      const mk = m[k]!.mul(b1).add(g.ref.mul(1 - b1));
      const vk = v[k]!.mul(b2).add(g.ref.mul(g).mul(1 - b2));
      const denom = np.sqrt(vk.ref.mul(c2.ref)).add(eps);
      next.p.push(p[k]!.sub(mk.ref.mul(c1.ref).div(denom).mul(lr)));
      next.m.push(mk);
      next.v.push(vk);
    });
    c1.dispose();
    c2.dispose();
    return [value, next.p, next.m, next.v] as [Jax.Array, Jax.Array[], Jax.Array[], Jax.Array[]];
  });
  let params: JaxParams = initial.flatMap((l) => [np.array(l.weight).reshape([l.in, l.out]), np.array(l.bias)]);
  let m = params.map((a) => np.zerosLike(a.ref));
  let v = params.map((a) => np.zerosLike(a.ref));
  let t = 0;
  return {
    /** One step on a batch (x and onehot are kept: the step takes references). */
    step(x: Jax.Array, onehot: Jax.Array): Jax.Array {
      t++;
      const c1 = np.array(1 / (1 - b1 ** t));
      const c2 = np.array(1 / (1 - b2 ** t));
      const [value, p, m2, v2] = update(params, m, v, x.ref, onehot.ref, c1, c2);
      [params, m, v] = [p, m2, v2];
      return value;
    },
    dispose() {
      for (const a of [...params, ...m, ...v]) a.dispose();
      update.dispose();
    },
  };
}
