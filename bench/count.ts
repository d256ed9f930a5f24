// Counts queue submits and compute dispatches made by any engine in this realm, by wrapping
// GPUQueue.prototype.submit and GPUComputePassEncoder.prototype.dispatchWorkgroups(Indirect)
// once. Wrapping the prototypes rather than proxying each device means every engine is
// counted alike (shadergrad, TF.js and jax-js each request their own device) and native
// brand checks still see real Dawn / browser objects. Works in Node (Dawn's classes are
// installed on globalThis by the bench CLI) and in a browser page.

/** Running totals since the counter was installed. */
export interface CallCounts {
  submits: number;
  dispatches: number;
}

let counts: CallCounts | undefined;

function wrap<T extends object>(proto: T | undefined, method: keyof T, bump: () => void): void {
  const original = proto?.[method];
  if (typeof original !== 'function') return;
  Object.defineProperty(proto, method, {
    configurable: true,
    writable: true,
    value: function (this: unknown, ...args: unknown[]) {
      bump();
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    },
  });
}

/**
 * The realm's call counter, installed on first use; undefined where WebGPU's classes are
 * not globals (then no counts are reported).
 */
export function callCounter(): Readonly<CallCounts> | undefined {
  if (counts) return counts;
  const g = globalThis as { GPUQueue?: { prototype: GPUQueue }; GPUComputePassEncoder?: { prototype: GPUComputePassEncoder } };
  if (!g.GPUQueue || !g.GPUComputePassEncoder) return undefined;
  const c: CallCounts = { submits: 0, dispatches: 0 };
  wrap(g.GPUQueue.prototype, 'submit', () => c.submits++);
  wrap(g.GPUComputePassEncoder.prototype, 'dispatchWorkgroups', () => c.dispatches++);
  wrap(g.GPUComputePassEncoder.prototype, 'dispatchWorkgroupsIndirect', () => c.dispatches++);
  return (counts = c);
}
