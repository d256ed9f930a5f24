// Typed errors of the GPU layer: what went wrong and what the user can do about it.

import { ShadergradError } from '../errors';

export { ShadergradError };

/** Where the code is running when WebGPU is requested. */
export type GpuEnvironment = 'browser' | 'node';

/** Why no WebGPU device could be had. */
export type UnavailableReason =
  | 'no-webgpu' // the browser has no navigator.gpu
  | 'no-dawn' // Node: the `webgpu` package could not be loaded
  | 'no-adapter' // requestAdapter() returned null (no driver / blocklisted)
  | 'device-request-failed'; // requestDevice() rejected (features or limits not supported)

const HINTS: Record<GpuEnvironment, string> = {
  browser:
    'Use a browser with WebGPU enabled: Chrome/Edge 113+ or Safari 26+; on Linux start ' +
    'Chromium with --enable-unsafe-webgpu (and --enable-features=Vulkan), or Firefox 141+ ' +
    'on Windows.',
  node:
    'In Node, shadergrad uses Dawn from the `webgpu` npm package (npm install webgpu), ' +
    'which needs a Vulkan driver. Without a GPU install a CPU driver, on Debian as root: ' +
    'echo "deb http://deb.debian.org/debian bookworm-backports main" > ' +
    '/etc/apt/sources.list.d/bookworm-backports.list && apt-get update && ' +
    'apt-get install -t bookworm-backports mesa-vulkan-drivers ' +
    '(Mesa 24+; Dawn rejects the 22.x lavapipe), or run scripts/prereqs.sh.',
};

/** WebGPU is not available here; the message says what to install or enable. */
export class WebGPUUnavailableError extends ShadergradError {
  override name = 'WebGPUUnavailableError';
  constructor(
    readonly environment: GpuEnvironment,
    readonly reason: UnavailableReason,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`WebGPU is unavailable (${reason}): ${detail}. ${HINTS[environment]}`, options);
  }
}

/** An error reported by the GPU itself (validation, out-of-memory, internal). */
export class GpuError extends ShadergradError {
  override name = 'GpuError';
  constructor(
    readonly kind: 'validation' | 'out-of-memory' | 'internal',
    readonly gpuMessage: string,
    readonly context: string,
  ) {
    super(`GPU ${kind} error during ${context}: ${gpuMessage}`);
  }
}

/** The device was lost (driver reset, tab in background, destroy()). */
export class DeviceLostError extends ShadergradError {
  override name = 'DeviceLostError';
  constructor(
    readonly reason: string,
    readonly gpuMessage: string,
  ) {
    super(`GPU device lost (${reason}): ${gpuMessage}`);
  }
}

/** Classifies a GPUError object into a typed GpuError. */
export function toGpuError(error: GPUError, context: string): GpuError {
  const kind =
    typeof GPUOutOfMemoryError !== 'undefined' && error instanceof GPUOutOfMemoryError
      ? 'out-of-memory'
      : typeof GPUInternalError !== 'undefined' && error instanceof GPUInternalError
        ? 'internal'
        : 'validation';
  return new GpuError(kind, error.message, context);
}
