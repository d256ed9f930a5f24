// Acquires a GPUDevice: navigator.gpu on a page or in a worker, Dawn (the optional `webgpu`
// package) in Node; tells those environments apart so that a missing WebGPU gets advice for
// where the code runs; and wires device errors and loss to the caller.
import {
  DeviceLostError,
  GpuError,
  WebGPUUnavailableError,
  toGpuError,
  type GpuEnvironment,
} from './errors';
import { ConfigError } from '../errors';
import { adapterFacts, adapterKind } from './adapter-kind';
import { paceDawnEvents } from './dawn-events';

/** Options of {@link requestGpuDevice}. */
export interface DeviceOptions {
  powerPreference?: GPUPowerPreference;
  /**
   * Features the device must have; a missing one fails with `device-request-failed`. By
   * default the optional features the engine uses (`subgroups`, `timestamp-query`) are
   * requested when the adapter has them.
   */
  requiredFeatures?: GPUFeatureName[];
  /** Leave out the `subgroups` feature even when the adapter has it (kernels without subgroup operations are used). */
  noSubgroups?: boolean;
  /**
   * Limits to request. By default the adapter's maximum buffer and storage-binding sizes
   * are requested, so large parameter arenas fit.
   */
  requiredLimits?: Record<string, number>;
  /** Use this GPU object instead of navigator.gpu / Dawn (tests, a custom Dawn instance). */
  gpu?: Pick<GPU, 'requestAdapter'>;
  /** Called for every uncaptured GPU error (they are also kept, see GpuDevice.takeErrors). */
  onError?: (error: GpuError) => void;
  /** Called once if the device is lost. */
  onLost?: (error: DeviceLostError) => void;
  /**
   * Node only: how Dawn's binding polls for finished GPU work while a promise of it is pending.
   * `'spin'` is Dawn's own loop, which keeps one CPU core busy whenever the JS thread idles;
   * `'paced'` spins 1 ms per wait, then polls every millisecond (src/gpu/dawn-events.ts). By
   * default CPU adapters (lavapipe, SwiftShader), which compute on the cores that loop takes,
   * are paced and GPUs spin. Pacing is process-wide while any paced device lives.
   */
  dawnEvents?: 'paced' | 'spin';
}

/** A device plus what the engine needs to know about it. */
export interface GpuDevice {
  readonly device: GPUDevice;
  readonly adapter: GPUAdapter;
  /** Human-readable adapter name, e.g. "llvmpipe (LLVM 19.1.7, 256 bits)" or "SwiftShader". */
  readonly adapterName: string;
  readonly environment: GpuEnvironment;
  /**
   * Lanes per subgroup when the device has the `subgroups` feature and the adapter reports
   * one fixed size (lavapipe 8, SwiftShader 4); undefined otherwise. Subgroup kernels need
   * a workgroup that is exactly one subgroup, so a varying size rules them out.
   */
  readonly subgroupSize: number | undefined;
  /** How Dawn's events are polled in Node (DeviceOptions.dawnEvents, resolved); undefined in a browser. */
  readonly dawnEvents: 'paced' | 'spin' | undefined;
  /** Resolves (never rejects) with the loss reason if the device is lost. */
  readonly lost: Promise<DeviceLostError>;
  /** Uncaptured GPU errors seen since the last call; the caller decides to throw. */
  takeErrors(): GpuError[];
  /** Destroys the device; pending work is dropped. */
  destroy(): void;
}

// Dawn crashes the process if the object returned by create() is garbage-collected while
// a device made from it is alive, so the one Node GPU instance is held here for good.
let nodeGpu: GPU | undefined;

/** The parts of a global scope that tell environments apart (globalThis, or a stand-in in tests). */
type Scope = Record<string, unknown>;

function isInstanceOf(scope: object, constructorName: string): boolean {
  const ctor = (scope as Scope)[constructorName];
  return typeof ctor === 'function' && scope instanceof (ctor as new () => unknown);
}

/**
 * Where this code runs, from its global scope: a service worker or a Web Worker (their scopes
 * are instances of ServiceWorkerGlobalScope / WorkerGlobalScope), Node.js (`process.versions.node`;
 * this also covers jsdom-style test environments, which then get Dawn), a page (`window` and
 * `document`), or another runtime. A Web Worker has no `window`, but neither is it Node: it
 * must never take the Dawn path.
 */
export function currentEnvironment(scope: object = globalThis): GpuEnvironment {
  if (isInstanceOf(scope, 'ServiceWorkerGlobalScope')) return 'service-worker';
  if (isInstanceOf(scope, 'WorkerGlobalScope')) return 'worker';
  const { process, window, document } = scope as Scope;
  const versions = (process as { versions?: { node?: unknown } } | undefined)?.versions;
  if (typeof versions?.node === 'string') return 'node';
  if (typeof window === 'object' && window !== null && typeof document === 'object' && document !== null) return 'browser';
  return 'other';
}

const PLACE: Record<Exclude<GpuEnvironment, 'node'>, string> = {
  browser: 'on this page',
  worker: 'in this Web Worker',
  'service-worker': 'in this service worker',
  other: 'in this JavaScript runtime',
};

/** Why there is no navigator.gpu here, as far as the scope tells (an insecure context hides it). */
function noWebGpuDetail(environment: Exclude<GpuEnvironment, 'node'>, scope: Scope): string {
  const insecure = scope.isSecureContext === false ? ' (not a secure context: WebGPU is only exposed to https:// and localhost)' : '';
  return `navigator.gpu is undefined ${PLACE[environment]}${insecure}`;
}

/** Loads Dawn's module (the optional peer dependency `webgpu`). */
type DawnModule = { create(flags: string[]): GPU; globals: object };

// A variable specifier keeps browser bundlers from trying to bundle the native addon.
const DAWN_PACKAGE = 'webgpu';

/**
 * Imports Dawn (the optional peer dependency `webgpu`); `load` stands in for the import in
 * tests. A missing package is a WebGPUUnavailableError (`no-dawn`) saying to install `webgpu`.
 */
export async function importDawn(
  load: () => Promise<DawnModule> = () => import(/* @vite-ignore */ DAWN_PACKAGE),
): Promise<DawnModule> {
  try {
    return await load();
  } catch (cause) {
    const code = (cause as { code?: unknown } | null)?.code;
    const detail =
      code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND'
        ? 'the "webgpu" package (Dawn) is not installed'
        : `cannot load the "webgpu" package (${String(cause)})`;
    throw new WebGPUUnavailableError('node', 'no-dawn', detail, { cause });
  }
}

/** Node: loads Dawn once and keeps its GPU object for good (see nodeGpu). */
async function loadNodeGpu(): Promise<GPU> {
  if (nodeGpu) return nodeGpu;
  const dawn = await importDawn();
  // GPUBufferUsage, GPUShaderStage, GPUMapMode... are globals in browsers; Dawn exports them.
  Object.assign(globalThis, dawn.globals);
  nodeGpu = dawn.create([]);
  return nodeGpu;
}

/**
 * The GPU object for `environment`: navigator.gpu wherever it exists, else Dawn in Node only;
 * elsewhere a WebGPUUnavailableError with that environment's advice. Exported for tests.
 */
export async function findGpu(
  environment: GpuEnvironment,
  scope: object = globalThis,
): Promise<Pick<GPU, 'requestAdapter'>> {
  const navigatorGpu = ((scope as Scope).navigator as { gpu?: GPU } | undefined)?.gpu;
  if (navigatorGpu) return navigatorGpu;
  if (environment === 'node') return loadNodeGpu();
  throw new WebGPUUnavailableError(environment, 'no-webgpu', noWebGpuDetail(environment, scope as Scope));
}

/** The features requested by default: the optional ones the engine uses, where the adapter has them. */
function defaultFeatures(adapter: GPUAdapter, options: DeviceOptions): GPUFeatureName[] {
  const wanted: GPUFeatureName[] = ['timestamp-query', ...(options.noSubgroups ? [] : ['subgroups' as GPUFeatureName])];
  return wanted.filter((feature) => adapter.features.has(feature));
}

function fixedSubgroupSize(adapter: GPUAdapter, device: GPUDevice): number | undefined {
  const { subgroupMinSize: min, subgroupMaxSize: max } = adapter.info;
  return device.features.has('subgroups') && typeof min === 'number' && min > 0 && min === max ? min : undefined;
}

function describeAdapter(adapter: GPUAdapter): string {
  const info = adapter.info;
  const parts = [info?.vendor, info?.architecture, info?.device, info?.description].filter(
    (p): p is string => typeof p === 'string' && p.length > 0,
  );
  return parts.length > 0 ? [...new Set(parts)].join(' ') : 'unknown adapter';
}

/**
 * Requests a WebGPU device. Throws {@link WebGPUUnavailableError} (with a message saying what
 * to install or enable) when there is none.
 */
export async function requestGpuDevice(options: DeviceOptions = {}): Promise<GpuDevice> {
  if (options.dawnEvents !== undefined && options.dawnEvents !== 'paced' && options.dawnEvents !== 'spin') {
    throw new ConfigError(`requestGpuDevice: dawnEvents must be 'paced' or 'spin', got ${JSON.stringify(options.dawnEvents)}`);
  }
  const environment = currentEnvironment();
  const gpu = options.gpu ?? (await findGpu(environment));
  const adapter = await gpu.requestAdapter(
    options.powerPreference ? { powerPreference: options.powerPreference } : undefined,
  );
  if (!adapter) {
    throw new WebGPUUnavailableError(environment, 'no-adapter', 'requestAdapter() returned no adapter');
  }
  const requiredLimits = options.requiredLimits ?? {
    maxBufferSize: adapter.limits.maxBufferSize,
    maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
  };
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({
      requiredFeatures: options.requiredFeatures ?? defaultFeatures(adapter, options),
      requiredLimits,
    });
  } catch (cause) {
    throw new WebGPUUnavailableError(environment, 'device-request-failed', String(cause), { cause });
  }

  const pending: GpuError[] = [];
  const onUncaptured = (event: Event) => {
    const error = toGpuError((event as GPUUncapturedErrorEvent).error, 'an uncaptured GPU operation');
    pending.push(error);
    options.onError?.(error);
  };
  device.addEventListener('uncapturederror', onUncaptured);
  const dawnEvents = options.dawnEvents ?? (adapterKind(adapterFacts(adapter)) === 'cpu' ? 'paced' : 'spin');
  const releasePacing = environment === 'node' && dawnEvents === 'paced' ? paceDawnEvents() : () => {};
  const lost = device.lost.then((info) => {
    releasePacing();
    const error = new DeviceLostError(info.reason, info.message);
    options.onLost?.(error);
    return error;
  });

  return {
    device,
    adapter,
    adapterName: describeAdapter(adapter),
    environment,
    subgroupSize: fixedSubgroupSize(adapter, device),
    dawnEvents: environment === 'node' ? dawnEvents : undefined,
    lost,
    takeErrors: () => pending.splice(0, pending.length),
    // Dawn keeps listeners alive, and this closure's scope holds the device: without removing
    // it a destroyed device is never collected (the soak benchmark measured ~6 MB per compile).
    destroy: () => {
      device.removeEventListener('uncapturederror', onUncaptured);
      device.destroy();
      releasePacing();
    },
  };
}
