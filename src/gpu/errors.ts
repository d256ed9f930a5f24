// Typed errors of the GPU layer: what went wrong and what the user can do about it.

import { ShadergradError } from '../errors';

export { ShadergradError };

/**
 * Where the code is running when WebGPU is requested: a page's main thread (`browser`), a
 * dedicated or shared Web Worker (`worker`), a service worker, Node.js (Dawn), or another
 * JavaScript runtime (`other`). src/gpu/device.ts tells them apart.
 */
export type GpuEnvironment = 'browser' | 'worker' | 'service-worker' | 'node' | 'other';

/** Why no WebGPU device could be had. */
export type UnavailableReason =
  | 'no-webgpu' // no navigator.gpu (page, worker, service worker, other runtime)
  | 'no-dawn' // Node: the `webgpu` package (an optional peer dependency) could not be loaded
  | 'no-adapter' // requestAdapter() returned null (no driver / blocklisted)
  | 'device-request-failed'; // requestDevice() rejected (features or limits not supported)

const BROWSERS = 'Chrome/Edge 113+, Safari 26+, or Firefox 141+ on Windows';
const CHROMIUM_LINUX = 'on Linux start Chromium with --enable-unsafe-webgpu (and --enable-features=Vulkan)';
const VULKAN =
  'Dawn needs a Vulkan driver. Without a GPU install a CPU driver, on Debian as root: ' +
  'echo "deb http://deb.debian.org/debian bookworm-backports main" > ' +
  '/etc/apt/sources.list.d/bookworm-backports.list && apt-get update && ' +
  'apt-get install -t bookworm-backports mesa-vulkan-drivers ' +
  '(Mesa 24+; Dawn rejects the 22.x lavapipe); in a shadergrad checkout, bash scripts/prereqs.sh --node does it.';

/** What to install or enable, for where the code runs (Node advice only in Node). */
function hint(environment: GpuEnvironment, reason: UnavailableReason): string {
  switch (environment) {
    case 'browser':
      return `Use a browser with WebGPU enabled: ${BROWSERS}; ${CHROMIUM_LINUX}. The page must be a secure context (https:// or localhost).`;
    case 'worker':
      return (
        `In a Web Worker shadergrad uses the worker's own navigator.gpu: dedicated workers have it in ${BROWSERS}, ` +
        `shared workers in Chrome/Edge 124+; ${CHROMIUM_LINUX}. The page must be a secure context ` +
        '(https:// or localhost). Otherwise train on the page itself.'
      );
    case 'service-worker':
      return (
        'Service workers have navigator.gpu only in Chrome/Edge 124+ (and only in a secure context); ' +
        'elsewhere train in a dedicated Web Worker or on the page.'
      );
    case 'node':
      return reason === 'no-dawn'
        ? 'In Node, shadergrad runs on Dawn from the `webgpu` npm package, an optional peer dependency ' +
            'that is not installed with shadergrad: install `webgpu` (npm install webgpu). ' + VULKAN
        : 'In Node, shadergrad uses Dawn from the `webgpu` npm package. ' + VULKAN;
    case 'other':
      return (
        'This JavaScript runtime has no navigator.gpu and is not Node.js (where shadergrad would load ' +
        `Dawn from the \`webgpu\` package): use a browser with WebGPU (${BROWSERS}) or Node.js 20.19+.`
      );
  }
}

/** WebGPU is not available here; the message says what to install or enable. */
export class WebGPUUnavailableError extends ShadergradError {
  override name = 'WebGPUUnavailableError';
  constructor(
    readonly environment: GpuEnvironment,
    readonly reason: UnavailableReason,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`WebGPU is unavailable (${reason}): ${detail}. ${hint(environment, reason)}`, options);
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
