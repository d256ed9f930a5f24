// Environment detection (page, Web Worker, service worker, Node, other) and the advice each
// missing-WebGPU message gives. Runs in both projects: stand-in global scopes for every
// environment, plus the real one (Node: 'node', Chromium test page: 'browser').
import { describe, expect, it } from 'vitest';
import { currentEnvironment, findGpu, importDawn } from '../../src/gpu/device';
import { WebGPUUnavailableError, type GpuEnvironment } from '../../src/gpu/errors';

/** A global scope whose prototype chain makes it an instance of the named scope classes. */
function workerScope(kind: 'worker' | 'service-worker', extra: Record<string, unknown> = {}): object {
  class WorkerGlobalScope {}
  class ServiceWorkerGlobalScope extends WorkerGlobalScope {}
  const Scope = kind === 'worker' ? class DedicatedWorkerGlobalScope extends WorkerGlobalScope {} : ServiceWorkerGlobalScope;
  return Object.assign(new Scope(), { WorkerGlobalScope, ServiceWorkerGlobalScope, navigator: {}, ...extra });
}

const pageScope = (extra: Record<string, unknown> = {}) => ({ window: {}, document: {}, navigator: {}, ...extra });
const nodeScope = (extra: Record<string, unknown> = {}) => ({ process: { versions: { node: '20.19.0' } }, ...extra });

async function unavailable(promise: Promise<unknown>): Promise<WebGPUUnavailableError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WebGPUUnavailableError);
  return error as WebGPUUnavailableError;
}

/** Advice that only Node may give. */
const NODE_ADVICE = /apt-get|mesa-vulkan-drivers|npm install webgpu|Dawn/;

describe('currentEnvironment', () => {
  it('tells the real environment of this test run', () => {
    expect(currentEnvironment()).toBe(typeof document === 'undefined' ? 'node' : 'browser');
  });

  it.each<[string, object, GpuEnvironment]>([
    ['a page (window + document)', pageScope(), 'browser'],
    ['a dedicated Web Worker', workerScope('worker'), 'worker'],
    ['a shared worker scope (also a WorkerGlobalScope)', workerScope('worker', { name: 'shared' }), 'worker'],
    ['a service worker', workerScope('service-worker'), 'service-worker'],
    ['a Web Worker whose bundler shimmed `process`', workerScope('worker', { process: { versions: { node: '20' } } }), 'worker'],
    ['Node.js', nodeScope(), 'node'],
    ['Node with a jsdom-style window and document', nodeScope({ window: {}, document: {} }), 'node'],
    ['a `process` shim without versions.node, on a page', pageScope({ process: { env: {} } }), 'browser'],
    ['another runtime (no window, no process)', { navigator: {} }, 'other'],
  ])('%s', (_, scope, expected) => {
    expect(currentEnvironment(scope)).toBe(expected);
  });
});

describe('findGpu', () => {
  it('uses navigator.gpu wherever it exists, Node included', async () => {
    const gpu = { requestAdapter: async () => null };
    for (const scope of [pageScope({ navigator: { gpu } }), workerScope('worker', { navigator: { gpu } }), nodeScope({ navigator: { gpu } })]) {
      expect(await findGpu(currentEnvironment(scope), scope)).toBe(gpu);
    }
  });

  it('a Web Worker without navigator.gpu gets worker advice, never the Node path or apt-get', async () => {
    const error = await unavailable(findGpu('worker', workerScope('worker')));
    expect(error.environment).toBe('worker');
    expect(error.reason).toBe('no-webgpu');
    expect(error.message).toMatch(/in this Web Worker/);
    expect(error.message).toMatch(/dedicated workers/);
    expect(error.message).not.toMatch(NODE_ADVICE);
  });

  it('a service worker without navigator.gpu gets service-worker advice', async () => {
    const error = await unavailable(findGpu('service-worker', workerScope('service-worker')));
    expect(error.environment).toBe('service-worker');
    expect(error.message).toMatch(/in this service worker.*Service workers have navigator\.gpu only in Chrome\/Edge 124\+/s);
    expect(error.message).not.toMatch(NODE_ADVICE);
  });

  it('a page without navigator.gpu gets browser advice, and is told when it is not a secure context', async () => {
    const secure = await unavailable(findGpu('browser', pageScope({ isSecureContext: true })));
    expect(secure.message).toMatch(/on this page\. Use a browser with WebGPU enabled/);
    expect(secure.message).toMatch(/enable-unsafe-webgpu/);
    expect(secure.message).not.toMatch(/not a secure context/);
    expect(secure.message).not.toMatch(NODE_ADVICE);
    const insecure = await unavailable(findGpu('browser', pageScope({ isSecureContext: false })));
    expect(insecure.message).toMatch(/not a secure context: WebGPU is only exposed to https:\/\/ and localhost/);
  });

  it('another runtime is told to use a browser or Node', async () => {
    const error = await unavailable(findGpu('other', { navigator: {} }));
    expect(error.environment).toBe('other');
    expect(error.message).toMatch(/not Node\.js.*Node\.js 20\.19\+/s);
    expect(error.message).not.toMatch(/apt-get/);
  });
});

describe('importDawn without the webgpu package', () => {
  it('says to install `webgpu` (a typed no-dawn error) when the package is missing', async () => {
    const notFound = Object.assign(new Error("Cannot find package 'webgpu' imported from /app/x.js"), { code: 'ERR_MODULE_NOT_FOUND' });
    const error = await unavailable(importDawn(() => Promise.reject(notFound)));
    expect(error.environment).toBe('node');
    expect(error.reason).toBe('no-dawn');
    expect(error.cause).toBe(notFound);
    expect(error.message).toMatch(/the "webgpu" package \(Dawn\) is not installed/);
    expect(error.message).toMatch(/install `webgpu` \(npm install webgpu\)/);
  });

  it('names the load failure when the package is there but cannot load', async () => {
    const broken = new Error('libvulkan.so.1: cannot open shared object file');
    const error = await unavailable(importDawn(() => Promise.reject(broken)));
    expect(error.reason).toBe('no-dawn');
    expect(error.message).toMatch(/cannot load the "webgpu" package \(Error: libvulkan\.so\.1/);
  });
});

describe('advice by reason in Node', () => {
  it('no adapter: the Vulkan driver, not the package', () => {
    const error = new WebGPUUnavailableError('node', 'no-adapter', 'requestAdapter() returned no adapter');
    expect(error.message).toMatch(/mesa-vulkan-drivers/);
    expect(error.message).not.toMatch(/optional peer dependency/);
  });
});
