// The real-GPU report on lavapipe, reduced to stay fast (MLP only, no peers, three matmul
// variants at 64² and 96², the convolution passes of two tiny layers): every section runs, the partial reports arrive in order, the JSON
// holds the documented fields with finite positive numbers, and the markdown shows each
// section. About 5 s with Mesa's shader cache warm; lavapipe compiles each pipeline at its
// first dispatch (1–8 s for a tiled matmul), so with the cache empty it takes over a minute.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportFailures, runDeviceReport, type DeviceReport } from '../../bench/device-report';
import { reportMarkdown } from '../../bench/device-report-markdown';
import { matmulVariants, type ReportVariant } from '../../bench/device-report-matmul';
import { convCases, reportConvs, type ReportConv } from '../../bench/device-report-conv';
import { GpuRuntime, kernels } from '../../src/index';

const positive = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v > 0;
const SIZES = [64, 96];
/** One small layer with all three passes (each pass × variant is a pipeline to compile). */
const CONVS: ReportConv[] = [{ batch: 2, inChannels: 4, outChannels: 8, size: 5 }];
/** The variants run: register-tiled, workgroup-memory tiled and (lavapipe has fixed 8-lane subgroups) subgroup. */
const chosen = (v: ReportVariant) => v.name === 'register' || v.name === 'tiled-64x64' || v.settings.variant === 'subgroup';

describe('device report (lavapipe, reduced)', () => {
  let runtime: GpuRuntime;
  let report: DeviceReport;
  const updates: string[][] = [];

  beforeAll(async () => {
    runtime = await GpuRuntime.create();
    const variants = matmulVariants(runtime).filter(chosen);
    const ctx = { runtime, tfjs: { unavailable: 'not requested' }, jaxjs: { unavailable: 'not requested' } };
    const result = await runDeviceReport(ctx, {
      quick: true,
      peakTflops: 0.5,
      peers: [],
      models: ['mlp'],
      sizes: SIZES,
      convs: CONVS,
      variants,
      newRuntime: () => GpuRuntime.create(),
      environment: 'vitest',
      onUpdate: (r) => updates.push([...r.pending]),
    });
    // What report.json holds.
    report = JSON.parse(JSON.stringify(result)) as DeviceReport;
  }, 240_000);

  afterAll(() => runtime?.destroy());

  it('runs the sections in order and reports each as it finishes', () => {
    expect(updates).toEqual([['compile', 'train', 'matmul', 'conv'], ['train', 'matmul', 'conv'], ['matmul', 'conv'], ['conv'], [], []]);
    expect(report.pending).toEqual([]);
    expect(report.errors).toEqual({});
    for (const key of ['compile', 'train', 'matmul', 'conv', 'total'] as const) expect(positive(report.durationMs[key]), key).toBe(true);
  });

  it('describes the adapter: info fields, features, limits, subgroup sizes', () => {
    const a = report.adapter;
    expect(a.name).toBe(runtime.gpu.adapterName);
    expect(a.vendor).toBe('mesa');
    expect(a.deviceFeatures).toContain('timestamp-query');
    expect(a.adapterFeatures).toEqual([...a.adapterFeatures].sort());
    expect(a.limits.maxComputeWorkgroupStorageSize).toBeGreaterThanOrEqual(16384);
    expect(a.limits.maxStorageBufferBindingSize).toBeGreaterThan(0);
    expect(a.engineSubgroupSize).toBe(runtime.subgroupSize);
    expect(report.peak).toEqual({ name: a.name, tflops: 0.5, source: '--peak' });
    expect(report.timing).toBe('gpu-timestamps');
  });

  it('times compile() and the first step, cold then warm from the pipeline cache', () => {
    expect(report.compile.map((c) => `${c.model} ${c.cache}`)).toEqual(['mlp cold', 'mlp warm']);
    for (const c of report.compile) expect(positive(c.compileMs) && positive(c.firstStepMs), JSON.stringify(c)).toBe(true);
    expect(report.compile[0]!.pipelinesCreated).toBeGreaterThan(0);
    expect(report.compile[1]!.pipelinesCreated).toBe(0);
  });

  it('measures the MLP training step, checked, with submits and dispatches', () => {
    expect(report.train).toHaveLength(1);
    const row = report.train[0]!;
    expect('error' in row, JSON.stringify(row)).toBe(false);
    if ('error' in row) return;
    expect(row).toMatchObject({ engine: 'shadergrad', size: 'batch 128', check: expect.stringMatching(/^first-step loss .* = CPU float64 forward/) });
    expect([row.samplesPerSec, row.medianMs, row.gpuMs, row.submits, row.dispatches].every(positive), JSON.stringify(row)).toBe(true);
  });

  it('runs every engine variant the device can, each forced (no per-adapter choice)', () => {
    const lanes = runtime.subgroupSize;
    expect(lanes).toBeGreaterThan(0);
    const variants = matmulVariants(runtime);
    expect(variants.map((v) => v.name)).toEqual(kernels.MATMUL_VARIANTS.map((v) => (v.needsSubgroups ? `${v.name} (${lanes} lanes)` : v.name)));
    for (const v of variants) expect(v.settings.variant, v.name).toEqual(expect.any(String));
    expect(variants.find((v) => v.settings.variant === 'subgroup')?.settings.subgroupSize).toBe(lanes);
    expect(matmulVariants({ subgroupSize: undefined }).map((v) => v.name)).toEqual(kernels.MATMUL_VARIANTS.filter((v) => !v.needsSubgroups).map((v) => v.name));
  });

  it('measures each variant at each size, checked, as a fraction of the peak', () => {
    const names = matmulVariants(runtime).filter(chosen).map((v) => v.name);
    expect(names).toHaveLength(3);
    expect(report.matmul.map((m) => `${m.n} ${m.variant}`)).toEqual(SIZES.flatMap((n) => names.map((v) => `${n} ${v}`)));
    for (const m of report.matmul) {
      expect('error' in m, JSON.stringify(m)).toBe(false);
      if ('error' in m) continue;
      expect([m.gflops, m.medianMs, m.gpuMs, m.runs, m.iterations].every(positive), JSON.stringify(m)).toBe(true);
      // GPU timestamps on lavapipe: GFLOP/s from the passes' own time.
      expect(m.gflops).toBeCloseTo((2 * m.n ** 3) / (m.gpuMs! * 1e6), 6);
      expect(m.fractionOfPeak).toBeCloseTo(m.gflops / 500, 9);
      expect(m.check).toMatch(/^64 entries vs float64, max \|err\| /);
    }
  });

  it('runs each convolution pass of each layer in every variant, checked, beside the table\'s pick', () => {
    const names = matmulVariants(runtime).filter(chosen).map((v) => v.name);
    const passes = ['2×4×5×5 → 8 forward', '2×4×5×5 → 8 inputGrad', '2×4×5×5 → 8 weightGrad'];
    expect(report.conv.map((c) => `${c.layer} ${c.pass} ${c.variant}`)).toEqual(passes.flatMap((p) => names.map((v) => `${p} ${v}`)));
    for (const c of report.conv) {
      if ('error' in c) throw new Error(`${c.pass} ${c.variant}: ${c.error}`);
      expect(positive(c.gflops) && positive(c.medianMs), `${c.pass} ${c.variant}`).toBe(true);
      expect(c.work).toBe(2 * 2 * 8 * 4 * 9 * 25); // 2·N·C_out·C_in·9·H·W
      expect(c.check).toMatch(/^\d+ entries vs float64, max \|err\| /);
    }
    // lavapipe is a CPU driver: the table keeps the subgroup body everywhere.
    expect(report.convTable).toEqual(Object.fromEntries(passes.map((p) => [p, 'subgroup'])));
    // The full report runs the MNIST CNN's two layers at batch 128; a first layer has no input gradient.
    expect(reportConvs(false)).toEqual([
      { batch: 128, inChannels: 1, outChannels: 16, size: 28 },
      { batch: 128, inChannels: 16, outChannels: 32, size: 14 },
    ]);
    const first = convCases([{ batch: 1, inChannels: 1, outChannels: 2, size: 4 }], [{ name: 'register', settings: { variant: 'register' } }]);
    expect(first.map((c) => c.name)).toEqual(['conv2d forward register', 'conv2d weightGrad register']);
  });

  it('keeps going when a section throws, and says so', async () => {
    const ctx = { runtime, tfjs: { unavailable: 'not requested' }, jaxjs: { unavailable: 'not requested' } };
    const failing = await runDeviceReport(ctx, {
      quick: true,
      peers: [],
      models: ['mlp'],
      sizes: [],
      convs: [],
      newRuntime: () => Promise.reject(new Error('no second device')),
      environment: 'vitest',
    });
    expect(failing.errors).toEqual({ compile: 'no second device' });
    expect(failing.pending).toEqual([]);
    expect(failing.train).toHaveLength(1);
    expect(reportFailures(failing)).toEqual(['compile section failed: no second device']);
    expect(reportMarkdown(failing)).toContain('**Failed:** no second device');
    expect(reportFailures(report)).toEqual([]);
  }, 60_000);

  it('renders every section as markdown', () => {
    const md = reportMarkdown(report);
    for (const heading of ['# shadergrad device report: ', '## Adapter', '## Compile times', '## Training steps', '## Matmul (square, NN)', '## Convolutions']) expect(md).toContain(heading);
    expect(md).toContain('| FP32 peak | 0.5 TFLOP/s');
    expect(md).toMatch(/^\S+, vitest, quick sizes; took [\d.]+ s\.$/m);
    // The CLI adds the host's load (src/cli/host-load.ts) to the same line.
    expect(reportMarkdown({ ...report, host: 'load average 1.00, 2.00, 3.00 at the end' })).toMatch(/^\S+, vitest, quick sizes; load average 1\.00, 2\.00, 3\.00 at the end; took [\d.]+ s\.$/m);
    expect(md).toMatch(/\| MLP \| cold \| [\d.]+ ms \| [\d.]+ ms \| \d+ \|/);
    expect(md).toMatch(/\| subgroup \(\d+ lanes\) \| [\d.]+ \([\d.]+%\) \| [\d.]+ \([\d.]+%\) \|/);
    expect(md).toMatch(/Fastest: 64²: .+; 96²: .+\./);
    expect(md).toMatch(/\| tiled-64x64 \| [\d.]+ \([\d.]+ ms\) \|/);
    expect(md).toMatch(/Fastest, with what the per-adapter table runs: 2×4×5×5 → 8 forward: .+ \(table: subgroup\);/);
  });
});
