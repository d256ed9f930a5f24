// GPU time of compute passes, from timestamp queries (the `timestamp-query` feature): each
// timed pass writes a timestamp when it begins and one when it ends, into one query set
// that is resolved and read back once, after the passes, off the hot path.

/** What a timing window measured. */
export interface PassTiming {
  /** Compute passes timed. */
  passes: number;
  /** Their summed GPU time in milliseconds. */
  ms: number;
}

export class PassTimer {
  /** Passes one window can time; a window with more reports nothing. */
  static readonly CAPACITY = 1024;
  private readonly querySet: GPUQuerySet;
  private readonly resolved: GPUBuffer;
  private readonly staging: GPUBuffer;
  private passes = 0;

  constructor(private readonly device: GPUDevice) {
    const bytes = 16 * PassTimer.CAPACITY; // two u64 timestamps per pass
    this.querySet = device.createQuerySet({ label: 'pass timer', type: 'timestamp', count: 2 * PassTimer.CAPACITY });
    this.resolved = device.createBuffer({ label: 'pass timer resolve', size: bytes, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    this.staging = device.createBuffer({ label: 'pass timer staging', size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  }

  /** Starts a new window. */
  reset(): void {
    this.passes = 0;
  }

  /** The timestamp writes for the next pass (none once the window is full). */
  next(): GPUComputePassTimestampWrites | undefined {
    const index = this.passes++;
    if (index >= PassTimer.CAPACITY) return undefined;
    return { querySet: this.querySet, beginningOfPassWriteIndex: 2 * index, endOfPassWriteIndex: 2 * index + 1 };
  }

  /** Resolves and reads the window's timestamps; undefined when it timed no pass or overflowed. */
  async read(): Promise<PassTiming | undefined> {
    const passes = this.passes;
    if (passes === 0 || passes > PassTimer.CAPACITY) return undefined;
    const bytes = 16 * passes;
    const encoder = this.device.createCommandEncoder({ label: 'pass timer resolve' });
    encoder.resolveQuerySet(this.querySet, 0, 2 * passes, this.resolved, 0);
    encoder.copyBufferToBuffer(this.resolved, 0, this.staging, 0, bytes);
    this.device.queue.submit([encoder.finish()]);
    await this.staging.mapAsync(GPUMapMode.READ, 0, bytes);
    const stamps = new BigUint64Array(this.staging.getMappedRange(0, bytes).slice(0));
    this.staging.unmap();
    let ns = 0n;
    // An implementation may report an end before its begin (timestamps are not guaranteed
    // monotonic across passes); such a pass counts as 0.
    for (let i = 0; i < passes; i++) if (stamps[2 * i + 1]! > stamps[2 * i]!) ns += stamps[2 * i + 1]! - stamps[2 * i]!;
    return { passes, ms: Number(ns) / 1e6 };
  }

  destroy(): void {
    this.querySet.destroy();
    this.resolved.destroy();
    this.staging.destroy();
  }
}
