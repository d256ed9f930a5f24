// The files of the consumer projects that test/package/consumer.node.test.ts installs the packed
// tarball into: strict TypeScript consumers (bundler, node16, nodenext resolution), a Vite app
// with a Web Worker, and Node scripts. Kept as strings so that the repository's own type check
// does not try to resolve `shadergrad` before it is built.

/** Writes `files` (relative path → text) under a project folder. */
export type ProjectFiles = Record<string, string>;

/** Trains a tiny MLP a few steps on a fixed batch; shared by the Vite app, its worker and Node. */
const TRAIN_JS = `// Trains a 4-16-3 MLP 10 SGD steps on one fixed batch; returns the loss before and after.
import { compile, Linear, ReLU, Sequential, requestGpuDevice, sgd } from 'shadergrad';

export async function trainFewSteps() {
  const gpu = await requestGpuDevice();
  const { environment, adapterName } = gpu;
  gpu.destroy();
  const model = new Sequential([new Linear(4, 16), ReLU(), new Linear(16, 3)]);
  const trainer = await compile(model, { inputShape: [4], loss: 'crossEntropy', optimizer: sgd({ lr: 0.5 }), batchSize: 12, seed: 1 });
  const x = new Float32Array(48);
  const y = new Uint32Array(12);
  for (let i = 0; i < 12; i++) {
    y[i] = i % 3;
    for (let j = 0; j < 4; j++) x[i * 4 + j] = (j === y[i] ? 1 : 0) + 0.1 * Math.sin(i * 7 + j);
  }
  const data = { x, y, count: 12 };
  const before = (await trainer.evaluate(data)).loss;
  for (let step = 0; step < 10; step++) trainer.step(x, y);
  const after = (await trainer.evaluate(data)).loss;
  await trainer.destroy();
  return { environment, adapterName, before, after };
}
`;

/** What a WebGPUUnavailableError says, as plain data. */
const DESCRIBE_JS = `export function describeError(error) {
  return error && error.name === 'WebGPUUnavailableError'
    ? { name: error.name, environment: error.environment, reason: error.reason, message: error.message }
    : { name: 'other', message: String(error && error.stack ? error.stack : error) };
}
`;

/**
 * A strict consumer: real types, not `any` (each @ts-expect-error must meet an error, or tsc
 * fails with "Unused '@ts-expect-error' directive"), and GPU types resolved through the package.
 */
const CONSUMER_TS = `import {
  compile, Linear, ReLU, Sequential, adam, sgd, requestGpuDevice, WebGPUUnavailableError,
  type CompileOptions, type GpuEnvironment, type Trainer, type TrainingMetrics,
} from 'shadergrad';

const model = new Sequential([new Linear(4, 8), ReLU(), new Linear(8, 3)]);
const options: CompileOptions = { inputShape: [4], loss: 'crossEntropy', optimizer: adam({ lr: 1e-3 }), batchSize: 8 };

export async function run(): Promise<number> {
  const trainer: Trainer = await compile(model, { ...options, optimizer: sgd({ lr: 0.1 }) });
  trainer.step(new Float32Array(32), new Uint32Array(8));
  const metrics: TrainingMetrics = trainer.metrics;
  const evaluation = await trainer.evaluate({ x: new Float32Array(32), y: new Uint32Array(8), count: 8 });
  await trainer.destroy();
  return evaluation.loss + metrics.loss;
}

/** GPU types come from @webgpu/types, which the package references. */
export async function device(): Promise<GPUDevice> {
  const gpu = await requestGpuDevice({ powerPreference: 'high-performance' });
  const usage: number = GPUBufferUsage.STORAGE;
  gpu.device.createBuffer({ size: 16, usage });
  return gpu.device;
}

export function explain(error: unknown): string {
  if (error instanceof WebGPUUnavailableError) {
    const where: GpuEnvironment = error.environment;
    return where + ': ' + error.reason;
  }
  return String(error);
}

// Wrong calls must be type errors (they would pass silently if the types were \`any\`):
// @ts-expect-error Linear takes numbers
new Linear('4', 8);
// @ts-expect-error compile needs its options
void compile(model);
// @ts-expect-error not an environment
export const nowhere: GpuEnvironment = 'mars';
// @ts-expect-error a GPUDevice is not a number
export const notANumber: number = await device();
`;

/** tsconfig for a strict consumer with the given module / moduleResolution, no skipLibCheck. */
function tsconfig(module: string, moduleResolution: string): string {
  return JSON.stringify(
    {
      compilerOptions: {
        target: 'ES2022',
        module,
        moduleResolution,
        strict: true,
        noUncheckedIndexedAccess: true,
        exactOptionalPropertyTypes: true,
        noImplicitOverride: true,
        isolatedModules: true,
        verbatimModuleSyntax: true,
        skipLibCheck: false, // the package's declarations and @webgpu/types are checked
        skipDefaultLibCheck: true, // TypeScript's own lib.*.d.ts are not (time)
        noEmit: true,
      },
      include: ['src'],
    },
    null,
    2,
  );
}

/** The three TypeScript consumers, by name. */
export const TYPESCRIPT_CONSUMERS: Record<string, ProjectFiles> = {
  bundler: {
    'package.json': JSON.stringify({ name: 'ts-bundler', private: true, type: 'module' }),
    'tsconfig.json': tsconfig('ESNext', 'Bundler'),
    'src/index.ts': CONSUMER_TS,
  },
  node16: {
    'package.json': JSON.stringify({ name: 'ts-node16', private: true, type: 'module' }),
    'tsconfig.json': tsconfig('Node16', 'Node16'),
    'src/index.ts': CONSUMER_TS,
  },
  nodenext: {
    'package.json': JSON.stringify({ name: 'ts-nodenext', private: true, type: 'module' }),
    'tsconfig.json': tsconfig('NodeNext', 'NodeNext'),
    'src/index.ts': CONSUMER_TS,
  },
};

/**
 * A Vite app: trains on the page, then in a Web Worker, then asks for a device in the worker
 * with navigator.gpu hidden. Writes one JSON object into #result.
 */
export const VITE_APP: ProjectFiles = {
  'package.json': JSON.stringify({ name: 'vite-consumer', private: true, type: 'module' }),
  'index.html': '<!doctype html>\n<html><body><pre id="result"></pre><script type="module" src="/src/main.ts"></script></body></html>\n',
  'src/train.js': TRAIN_JS,
  'src/describe.js': DESCRIBE_JS,
  'src/main.ts': `import { trainFewSteps } from './train.js';
import { describeError } from './describe.js';

async function main(): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  try {
    out.main = await trainFewSteps();
  } catch (error) {
    out.main = describeError(error);
  }
  const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  out.worker = await new Promise((resolve) => {
    worker.onmessage = (event) => resolve(event.data);
    worker.onerror = (event) => resolve({ name: 'worker-error', message: event.message });
  });
  return out;
}

void main().then((out) => {
  document.querySelector('#result')!.textContent = JSON.stringify(out);
});
`,
  'src/worker.ts': `import { requestGpuDevice } from 'shadergrad';
import { trainFewSteps } from './train.js';
import { describeError } from './describe.js';

async function run(): Promise<Record<string, unknown>> {
  const report: Record<string, unknown> = {};
  try {
    report.trained = await trainFewSteps();
  } catch (error) {
    report.trained = describeError(error);
  }
  // A browser whose workers have no WebGPU: hide navigator.gpu, then ask for a device.
  Object.defineProperty(Object.getPrototypeOf(navigator), 'gpu', { get: () => undefined, configurable: true });
  try {
    await requestGpuDevice();
    report.withoutGpu = { name: 'resolved' };
  } catch (error) {
    report.withoutGpu = describeError(error);
  }
  return report;
}

void run().then((report) => postMessage(report));
`,
};

/** A Node project: trains (with Dawn installed) or prints the error; `require()` must fail. */
export const NODE_APP: ProjectFiles = {
  'package.json': JSON.stringify({ name: 'node-consumer', private: true, type: 'module' }),
  'train.js': TRAIN_JS,
  'describe.js': DESCRIBE_JS,
  'main.js': `import { trainFewSteps } from './train.js';
import { describeError } from './describe.js';

try {
  console.log(JSON.stringify({ ok: true, ...(await trainFewSteps()) }));
  process.exit(0);
} catch (error) {
  const described = describeError(error);
  console.error(described.message);
  console.log(JSON.stringify({ ok: false, ...described }));
  process.exit(3);
}
`,
  'require.cjs': `try {
  require('shadergrad');
  console.log('loaded');
} catch (error) {
  console.log(error.code);
}
`,
};
