// Node only: paces how Dawn's binding (the `webgpu` package) polls for finished GPU work.
//
// Dawn settles its promises (queue.onSubmittedWorkDone, buffer.mapAsync, createXAsync) from
// instance.ProcessEvents(), which its binding calls from a setImmediate callback that queues
// itself again for as long as any such promise is pending. That is a busy loop: whenever the JS
// thread has nothing else to do, it keeps one CPU core fully busy. A trainer always has a
// step's promise pending, so in Node the loop runs for the whole of training. On a CPU adapter
// (lavapipe, SwiftShader) that core is one the rasterizer would compute on: on this project's
// 2-core machine, lavapipe ran the MNIST MLP's Adam step in 37.4 / 27.0 ms with the busy loop
// and 26.2 / 24.6 ms paced, the CNN's in 554 / 446 against 306 / 275 ms (README, "Dawn's event
// polling").
//
// Pacing lets a waiting episode spin for SPIN_MS (a short wait still ends at once), then
// polls every INTERVAL_MS with a timer instead. It swaps globalThis.setImmediate for a wrapper
// that changes only Dawn's callbacks (recognized by isDawnTick; every other callback is passed
// through untouched) and only while some device holds pacing (paceDawnEvents()).

/** How long a waiting episode polls back to back before it falls back to the timer. */
export const SPIN_MS = 1;
/** The timer's period once an episode has spun for SPIN_MS (Node's timers are 1 ms at the finest). */
export const INTERVAL_MS = 1;

type Callback = (...args: unknown[]) => unknown;

/** The globals pacing uses (globalThis, or a stand-in in tests). */
export interface PacingScope {
  setImmediate: (callback: Callback, ...args: unknown[]) => unknown;
  setTimeout: (callback: Callback, ms: number) => unknown;
}

/** Who holds pacing now, and how often Dawn's callbacks were let run back to back or put on the timer. */
export interface PacingCounts {
  holds: number;
  spins: number;
  timers: number;
}

/** Stand-ins for tests: the clock and the recognizer of Dawn's callbacks. */
export interface PacingOptions {
  now?: () => number;
  isTick?: (callback: unknown, args: readonly unknown[]) => boolean;
}

interface PacingState extends PacingCounts {
  /** True while a Dawn callback runs: a callback it queues continues the same episode. */
  inTick: boolean;
  episodeStart: number;
}

const states = new WeakMap<PacingScope, PacingState | null>();
const GLOBAL = globalThis as unknown as PacingScope;

/**
 * Whether setImmediate was called by Dawn's binding for its next ProcessEvents(): a native
 * function the binding creates without a name or parameters, with a `prototype`, passed no
 * arguments. Promise resolvers (also anonymous and native) take one parameter; the no-op
 * Function.prototype has no `prototype`; a JS function's source is not `[native code]`.
 * Misjudging a callback would only delay it by a millisecond, never drop or reorder it
 * against other timers.
 */
export function isDawnTick(callback: unknown, args: readonly unknown[]): boolean {
  return (
    typeof callback === 'function' &&
    args.length === 0 &&
    callback.length === 0 &&
    callback.name === '' &&
    Object.hasOwn(callback, 'prototype') &&
    Function.prototype.toString.call(callback) === 'function () { [native code] }'
  );
}

/** Wraps the scope's setImmediate; null where it cannot be replaced (a frozen or read-only global). */
function install(scope: PacingScope, { now = () => performance.now(), isTick = isDawnTick }: PacingOptions): PacingState | null {
  const state: PacingState = { holds: 0, spins: 0, timers: 0, inTick: false, episodeStart: 0 };
  const original = scope.setImmediate;
  const paced = function (this: unknown, callback: Callback, ...args: unknown[]) {
    if (state.holds === 0 || !isTick(callback, args)) return original.call(this, callback, ...args);
    const t = now();
    if (!state.inTick) state.episodeStart = t;
    const tick = () => {
      state.inTick = true;
      try {
        return callback();
      } finally {
        state.inTick = false;
      }
    };
    if (t - state.episodeStart < SPIN_MS) {
      state.spins++;
      return original.call(this, tick);
    }
    state.timers++;
    return scope.setTimeout(tick, INTERVAL_MS);
  };
  // What else hangs on the original stays reachable, e.g. util.promisify.custom.
  for (const key of Reflect.ownKeys(original)) {
    if (key !== 'length' && key !== 'name' && key !== 'prototype') Object.defineProperty(paced, key, Object.getOwnPropertyDescriptor(original, key)!);
  }
  try {
    scope.setImmediate = paced;
  } catch {
    return null; // strict code throws on a read-only property
  }
  return scope.setImmediate === paced ? state : null;
}

/**
 * Paces Dawn's event polling in `scope` until the returned release function is called (each
 * holder releases once; pacing ends with the last). Installs the setImmediate wrapper on first
 * use; afterwards it passes everything through while nobody holds pacing. Where setImmediate
 * cannot be replaced, Dawn keeps its loop and nobody counts as holding pacing.
 */
export function paceDawnEvents(scope: PacingScope = GLOBAL, options: PacingOptions = {}): () => void {
  let state = states.get(scope);
  if (state === undefined) states.set(scope, (state = install(scope, options)));
  if (state === null) return () => {};
  state.holds++;
  let released = false;
  const held = state;
  return () => {
    if (released) return;
    released = true;
    held.holds--;
  };
}

/** Pacing's holders and counts so far in `scope` (the bench's header, tests). */
export function dawnPacing(scope: PacingScope = GLOBAL): PacingCounts {
  const state = states.get(scope);
  return { holds: state?.holds ?? 0, spins: state?.spins ?? 0, timers: state?.timers ?? 0 };
}
