// Pacing of Dawn's event polling (src/gpu/dawn-events.ts) on a stand-in global scope: which
// callbacks it changes, when it spins and when it waits on the timer, and who holds it.
// test/gpu/dawn-events.node.test.ts checks it against the real Dawn binding.
import { describe, expect, it } from 'vitest';
import { dawnPacing, isDawnTick, paceDawnEvents, type PacingScope } from '../../src/gpu/dawn-events';
import { requestGpuDevice } from '../../src/gpu/device';
import { ConfigError } from '../../src/errors';
import { testRuntime } from '../helpers/gpu';

type Callback = (...args: unknown[]) => unknown;

/** A scope whose setImmediate and setTimeout only record what they were given. */
function fakeScope() {
  const immediates: Callback[] = [];
  const timers: { run: Callback; ms: number }[] = [];
  const setImmediate = (callback: Callback, ...args: unknown[]) => immediates.push(() => callback(...args));
  (setImmediate as unknown as Record<symbol, string>)[Symbol.for('test.custom')] = 'kept';
  const scope: PacingScope = { setImmediate, setTimeout: (run, ms) => timers.push({ run, ms }) };
  let time = 0;
  const clock = { now: () => time, set: (t: number) => (time = t) };
  // Stands in for Dawn's ProcessEvents callback.
  const ticks = new WeakSet<object>();
  const dawnTick = (body: () => void = () => {}) => {
    const f = () => body();
    ticks.add(f);
    return f;
  };
  const isTick = (callback: unknown) => typeof callback === 'function' && ticks.has(callback);
  return { scope, immediates, timers, clock, dawnTick, isTick };
}

describe('Dawn event pacing', () => {
  it('passes every callback that is not Dawn\'s through unchanged, arguments included', () => {
    const f = fakeScope();
    const release = paceDawnEvents(f.scope, { now: f.clock.now, isTick: f.isTick });
    const seen: unknown[] = [];
    f.scope.setImmediate((a, b) => seen.push(a, b), 'x', 2);
    f.immediates.shift()!();
    expect(seen).toEqual(['x', 2]);
    expect(f.timers).toHaveLength(0);
    expect((f.scope.setImmediate as unknown as Record<symbol, string>)[Symbol.for('test.custom')]).toBe('kept');
    release();
  });

  it('lets a waiting episode spin for 1 ms, then polls on a 1 ms timer; a new wait spins again', () => {
    const f = fakeScope();
    const release = paceDawnEvents(f.scope, { now: f.clock.now, isTick: f.isTick });
    // Dawn's tick queues the next one from inside itself while work is pending.
    const chain = (): Callback => f.dawnTick(() => f.scope.setImmediate(chain()));
    f.scope.setImmediate(chain()); // t = 0: the episode starts (queued from outside a tick)
    expect(f.immediates).toHaveLength(1);
    f.clock.set(0.6);
    f.immediates.shift()!(); // runs the tick, which queues the next at t = 0.6: still spinning
    expect([f.immediates.length, f.timers.length]).toEqual([1, 0]);
    f.clock.set(1.2);
    f.immediates.shift()!(); // t = 1.2: past 1 ms of spinning, on the timer
    expect([f.immediates.length, f.timers.length]).toEqual([0, 1]);
    expect(f.timers[0]!.ms).toBe(1);
    f.clock.set(2.3);
    f.timers.shift()!.run(); // the timer's tick queues the next one, again on the timer
    expect([f.immediates.length, f.timers.length]).toEqual([0, 1]);
    expect(dawnPacing(f.scope)).toEqual({ holds: 1, spins: 2, timers: 2 });
    f.timers.length = 0;
    f.clock.set(50);
    f.scope.setImmediate(f.dawnTick()); // a new wait, queued from outside a tick
    expect([f.immediates.length, f.timers.length]).toEqual([1, 0]);
    release();
  });

  it('holds are counted: pacing ends with the last release, and releasing twice counts once', () => {
    const f = fakeScope();
    const first = paceDawnEvents(f.scope, { now: f.clock.now, isTick: f.isTick });
    const second = paceDawnEvents(f.scope);
    expect(dawnPacing(f.scope).holds).toBe(2);
    first();
    first();
    expect(dawnPacing(f.scope).holds).toBe(1);
    f.clock.set(5);
    const chain = (): Callback => f.dawnTick(() => f.scope.setImmediate(chain()));
    f.scope.setImmediate(chain());
    f.clock.set(7);
    f.immediates.shift()!();
    expect(f.timers).toHaveLength(1); // still paced
    second();
    f.timers.shift()!.run(); // unpaced now: Dawn's own back-to-back loop
    expect([f.immediates.length, f.timers.length]).toEqual([1, 0]);
    expect(dawnPacing(f.scope)).toMatchObject({ holds: 0, timers: 1 });
  });

  it('a read-only setImmediate is left alone: Dawn keeps its loop and nobody holds pacing', () => {
    const f = fakeScope();
    const original = f.scope.setImmediate;
    Object.defineProperty(f.scope, 'setImmediate', { value: original, writable: false });
    const release = paceDawnEvents(f.scope, { now: f.clock.now, isTick: f.isTick });
    expect(f.scope.setImmediate).toBe(original);
    expect(dawnPacing(f.scope).holds).toBe(0);
    release();
    expect(dawnPacing(f.scope).holds).toBe(0);
  });

  it('recognizes none of the callbacks JS code passes: functions, arrows, resolvers, bound and built-in functions, the no-op Function.prototype', () => {
    let resolver: unknown;
    void new Promise((resolve) => (resolver = resolve));
    function named() {}
    // Function.prototype, a no-op, is anonymous, native and takes no parameters too, but has no prototype.
    const candidates: unknown[] = [named, function () {}, () => {}, resolver, named.bind(null), Promise.resolve, Math.random, Function.prototype, 'text'];
    for (const candidate of candidates) expect(isDawnTick(candidate, []), String(candidate)).toBe(false);
  });

  it('a bad dawnEvents option is a ConfigError naming it, before any adapter is requested', async () => {
    let asked = 0;
    const gpu = { requestAdapter: async () => (asked++, null) };
    const error = await requestGpuDevice({ gpu, dawnEvents: 'fast' as 'spin' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(`requestGpuDevice: dawnEvents must be 'paced' or 'spin', got "fast"`);
    expect(asked).toBe(0);
  });

  it('paces only in Node: a page has no Dawn binding, so a device there holds nothing', async () => {
    const runtime = await testRuntime();
    const cpu = /llvmpipe|lavapipe|swiftshader/i.test(runtime.gpu.adapterName);
    expect(dawnPacing().holds > 0).toBe(runtime.gpu.environment === 'node' && cpu);
  });
});
