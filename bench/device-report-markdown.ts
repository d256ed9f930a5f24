// Renders a device report as markdown: the adapter, compile times, the training steps (the
// bench's own markdown table, engines side by side), the matmul variants × sizes with
// their fraction of FP32 peak, and the convolution variants × passes beside the table's pick.
import type { ConvEntry, DeviceReport, MatmulEntry, ReportSection } from './device-report';
import { markdownTable } from './table';

const line = (cells: readonly (string | number)[]) => `| ${cells.map((c) => String(c).replaceAll('|', '\\|')).join(' | ')} |`;
const table = (head: readonly string[], rows: readonly (readonly (string | number)[])[]) => [line(head), line(head.map(() => '---')), ...rows.map(line)];
const ms = (v: number) => `${v.toFixed(v < 100 ? 1 : 0)} ms`;
/** The line saying a section threw, if it did. */
const failed = (report: DeviceReport, section: ReportSection) => (report.errors[section] ? ['', `**Failed:** ${report.errors[section]}`] : []);

function matmulCell(entry: MatmulEntry | undefined): string {
  if (!entry) return '—';
  if ('error' in entry) return entry.error.slice(0, 80);
  const fraction = entry.fractionOfPeak === null ? '' : ` (${(100 * entry.fractionOfPeak).toFixed(1)}%)`;
  return `${entry.gflops.toFixed(entry.gflops < 100 ? 1 : 0)}${fraction}`;
}

function adapterSection(report: DeviceReport): string[] {
  const a = report.adapter;
  const subgroups = a.subgroupMinSize === undefined ? 'not reported' : `${a.subgroupMinSize}–${a.subgroupMaxSize}`;
  const rows: [string, string][] = [
    ['vendor', a.vendor],
    ['architecture', a.architecture],
    ['device', a.device],
    ['description', a.description],
    ['subgroup sizes', `${subgroups}; engine subgroup kernels: ${a.engineSubgroupSize ? `${a.engineSubgroupSize} lanes` : 'off'}`],
    ['FP32 peak', report.peak ? `${report.peak.tflops} TFLOP/s (${report.peak.name}; ${report.peak.source})` : 'unknown (not in the table; pass --peak TFLOPS)'],
    ['device features', a.deviceFeatures.join(', ')],
    ['adapter features', a.adapterFeatures.join(', ')],
    ...Object.entries(a.limits).map(([k, v]): [string, string] => [k, String(v)]),
  ];
  return ['## Adapter', '', ...table(['', ''], rows)];
}

function compileSection(report: DeviceReport): string[] {
  const rows = report.compile.map((c) => [c.model.toUpperCase(), c.cache, ms(c.compileMs), ms(c.firstStepMs), c.pipelinesCreated]);
  return [
    '## Compile times',
    '',
    'MNIST models of `npm run train`, batch 128, Adam. Cold: a fresh runtime (new device, empty pipeline cache; the driver shader cache as found). Warm: the same model compiled again on that runtime.',
    '',
    ...table(['model', 'cache', 'compile()', 'first step (to GPU completion)', 'pipelines created'], rows),
    ...failed(report, 'compile'),
  ];
}

function matmulSection(report: DeviceReport): string[] {
  const sizes = [...new Set(report.matmul.map((m) => m.n))];
  const variants = [...new Set(report.matmul.map((m) => m.variant))];
  const find = (v: string, n: number) => report.matmul.find((m) => m.variant === v && m.n === n);
  const timing = report.timing === 'gpu-timestamps' ? 'GPU timestamp queries (the passes’ own time)' : 'wall clock, submit to GPU completion';
  const peak = report.peak ? `, in parentheses the fraction of ${report.peak.tflops} TFLOP/s FP32 peak` : '';
  const best = sizes.map((n) => {
    const ok = variants.map((v) => find(v, n)).filter((e): e is Extract<MatmulEntry, { gflops: number }> => !!e && !('error' in e));
    const top = ok.sort((x, y) => y.gflops - x.gflops)[0];
    return top ? `${n}²: ${top.variant}` : `${n}²: none`;
  });
  return [
    '## Matmul (square, NN)',
    '',
    `GFLOP/s = 2·N³ / time, timed by ${timing}${peak}; each case first checked against float64 at 64 entries.`,
    '',
    ...table(['variant', ...sizes.map((n) => `${n}²`)], variants.map((v) => [v, ...sizes.map((n) => matmulCell(find(v, n)))])),
    '',
    `Fastest: ${best.join('; ')}.`,
    ...failed(report, 'matmul'),
  ];
}

function convSection(report: DeviceReport): string[] {
  const columns = [...new Set(report.conv.map((c) => `${c.layer} ${c.pass}`))];
  const variants = [...new Set(report.conv.map((c) => c.variant))];
  const find = (v: string, col: string) => report.conv.find((c) => c.variant === v && `${c.layer} ${c.pass}` === col);
  const cell = (e: ConvEntry | undefined) => (!e ? '—' : 'error' in e ? e.error.slice(0, 80) : `${e.gflops.toFixed(e.gflops < 100 ? 1 : 0)} (${ms(e.gpuMs ?? e.medianMs)})`);
  const fastest = columns.map((col) => {
    const ok = variants.map((v) => find(v, col)).filter((e): e is Extract<ConvEntry, { gflops: number }> => !!e && !('error' in e));
    const top = ok.sort((x, y) => y.gflops - x.gflops)[0];
    return `${col}: ${top ? top.variant : 'none'} (table: ${report.convTable[col] ?? '—'})`;
  });
  return [
    '## Convolutions (MNIST CNN layers, 3×3, padding 1)',
    '',
    'GFLOP/s = 2·N·C_out·C_in·9·H·W / time per pass (in parentheses), each pass of each kernel variant forced and first checked against float64 at 32 entries; the weight gradient is its split partial sums (their small sum is not timed).',
    '',
    ...table(['variant', ...columns], variants.map((v) => [v, ...columns.map((col) => cell(find(v, col)))])),
    '',
    `Fastest, with what the per-adapter table runs: ${fastest.join('; ')}.`,
    ...failed(report, 'conv'),
  ];
}

/** The whole report as markdown. */
export function reportMarkdown(report: DeviceReport): string {
  const total = report.durationMs.total === undefined ? 'not finished' : `took ${(report.durationMs.total / 1000).toFixed(1)} s`;
  const pending = report.pending.length ? ` Not run yet: ${report.pending.join(', ')}.` : '';
  const about =
    `Training steps: median of timed runs, each to GPU completion; submits and dispatches per step counted on the WebGPU prototypes.`;
  return [
    `# shadergrad device report: ${report.adapter.name}`,
    '',
    `${report.date}, ${report.environment}${report.quick ? ', quick sizes' : ''}; ${report.host ? `${report.host}; ` : ''}${total}.${pending}`,
    '',
    ...adapterSection(report),
    '',
    ...compileSection(report),
    '',
    '## Training steps',
    '',
    ...(report.train.length ? [markdownTable(report.train, about)] : ['(no rows)']),
    ...failed(report, 'train'),
    '',
    ...matmulSection(report),
    '',
    ...convSection(report),
    '',
  ].join('\n');
}
