// Reading GPU buffers back to the CPU: a copy into a pooled staging buffer, mapAsync, and a
// copy out. Staging buffers come in power-of-two sizes, so reads of many different lengths
// (predict on any sample count) share a few of them instead of keeping one per length.
import type { DeviceLostError } from './errors';
import { toGpuError } from './errors';

/** What a read needs from its runtime. */
export interface ReadbackHost {
  readonly device: GPUDevice;
  /** Settles with the error once the device is lost. */
  readonly deviceLost: Promise<DeviceLostError>;
  createBuffer(bytes: number, label: string, usage: GPUBufferUsageFlags): GPUBuffer;
  /** Throws the first uncaptured GPU error reported since the last check. */
  throwPendingErrors(): void;
  countReadback(): void;
}

export class Readback {
  private readonly free = new Map<number, GPUBuffer[]>();

  constructor(private readonly host: ReadbackHost) {}

  /** The first `bytes` bytes of `buffer` (`size` of them, rounded up for the copy). */
  async read(buffer: GPUBuffer, bytes: number, size: number): Promise<ArrayBuffer> {
    const { device } = this.host;
    const stagingSize = Math.max(256, 2 ** Math.ceil(Math.log2(size)));
    const staging = this.take(stagingSize);
    const encoder = device.createCommandEncoder({ label: 'readback' });
    encoder.copyBufferToBuffer(buffer, 0, staging, 0, Math.min(size, buffer.size));
    device.queue.submit([encoder.finish()]);
    this.host.countReadback();
    try {
      await staging.mapAsync(GPUMapMode.READ);
    } catch (cause) {
      // A lost device rejects mapAsync (Dawn: "AbortError"); its lost promise may settle a
      // moment later, so give it that moment before calling this a readback error.
      const lost = await Promise.race([this.host.deviceLost, new Promise<undefined>((r) => setTimeout(r, 50))]);
      if (lost) throw lost;
      this.host.throwPendingErrors();
      throw toGpuError({ message: String(cause) } as GPUError, 'readback');
    }
    const copy = staging.getMappedRange(0, size).slice(0, bytes);
    staging.unmap();
    this.free.get(stagingSize)!.push(staging);
    this.host.throwPendingErrors();
    return copy;
  }

  private take(size: number): GPUBuffer {
    let free = this.free.get(size);
    if (!free) this.free.set(size, (free = []));
    return free.pop() ?? this.host.createBuffer(size, `staging ${size}B`, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
  }
}
