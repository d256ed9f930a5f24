// Renders benchmark results: the terminal table, the README's markdown table, and the
// README update between the `<!-- bench:start -->` / `<!-- bench:end -->` markers.
import { UNIT_LABEL, type BenchResult, type Unit } from './core';

/** A result, or a case that produced no number and why. */
export type Row = BenchResult | { suite: string; name: string; size: string; engine: string; error: string; formula: string };

export const isResult = (row: Row): row is BenchResult => !('error' in row);

export function rate(result: BenchResult): { value: number; unit: Unit } {
  const unit: Unit = result.gflops !== undefined ? 'gflops' : result.gbps !== undefined ? 'gbps' : 'samplesPerSec';
  return { value: result[unit]!, unit };
}

function formatRate(result: BenchResult): string {
  const { value, unit } = rate(result);
  const digits = unit === 'samplesPerSec' ? 0 : value < 10 ? 2 : 1;
  return `${value.toFixed(digits)} ${UNIT_LABEL[unit]}`;
}

function formatMs(ms: number): string {
  return ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : `${ms.toFixed(ms < 10 ? 2 : 1)} ms`;
}

export function describeRow(row: Row): string {
  if (!isResult(row)) return row.error;
  const gpu = row.gpuMs === undefined ? '' : `; GPU ${formatMs(row.gpuMs)}`;
  return `${formatRate(row)} (${formatMs(row.medianMs)}${gpu})`;
}

/** The peers, in column order. */
export const PEERS = [
  { engine: 'tfjs', label: 'TF.js WebGPU', short: 'TF.js' },
  { engine: 'jaxjs', label: 'jax-js WebGPU', short: 'jax-js' },
] as const;

/** Rows side by side per (suite, name, size): shadergrad, each peer, and shadergrad's ratio to each. */
export function paired(rows: readonly Row[]) {
  const groups = new Map<string, { suite: string; name: string; size: string; sg?: Row; peers: (Row | undefined)[] }>();
  for (const row of rows) {
    const key = `${row.suite}|${row.name}|${row.size}`;
    const group = groups.get(key) ?? { suite: row.suite, name: row.name, size: row.size, peers: PEERS.map(() => undefined) };
    const peer = PEERS.findIndex((p) => p.engine === row.engine);
    if (peer >= 0) group.peers[peer] = row;
    else group.sg = row;
    groups.set(key, group);
  }
  return [...groups.values()].map((g) => {
    const ratios = g.peers.map((p) => (g.sg && p && isResult(g.sg) && isResult(p) ? rate(g.sg).value / rate(p).value : undefined));
    return { ...g, ratios };
  });
}

export const formatCount = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));

/**
 * "shadergrad · TF.js · jax-js" submits and dispatches per iteration, for suites reported in
 * samples/s (training steps); undefined for the others.
 */
function countCells(g: ReturnType<typeof paired>[number]): [string, string] | undefined {
  const engines = [g.sg, ...g.peers];
  if (!engines.some((r) => r && isResult(r) && r.samplesPerSec !== undefined)) return undefined;
  const cell = (key: 'submits' | 'dispatches') =>
    engines.map((r) => (r && isResult(r) && r[key] !== undefined ? formatCount(r[key]) : '—')).join(' · ');
  return [cell('submits'), cell('dispatches')];
}

export const formatRatio = (ratio?: number) => (ratio ? `${ratio.toFixed(2)}×` : '');

/** The speed-up targets of the benchmark issues (issue 17's for matmul and the MLP step), with whether this run met them. */
export function targets(rows: readonly Row[]): string[] {
  const find = (suite: string, name: string, size: string, engine: string) =>
    rows.find((r): r is BenchResult => isResult(r) && r.suite === suite && r.name.startsWith(name) && r.size === size && r.engine === engine);
  const lines: string[] = [];
  const check = (what: string, goal: number, a?: BenchResult, b?: BenchResult, byTime = false) => {
    if (!a || !b) return;
    const ratio = byTime ? b.medianMs / a.medianMs : rate(a).value / rate(b).value;
    lines.push(`${what}: ${ratio.toFixed(2)}× (target ≥ ${goal}×) ${ratio >= goal ? 'met' : 'NOT met'}`);
  };
  const mm = '1024×1024×1024';
  check('matmul 1024² NN vs TF.js WebGPU', 6, find('matmul', 'matmul NN', mm, 'shadergrad'), find('matmul', 'matmul NN', mm, 'tfjs'));
  check('MLP training samples/s vs TF.js', 5, find('train', 'MLP', 'batch 128', 'shadergrad'), find('train', 'MLP', 'batch 128', 'tfjs'));
  check('matmul 1024² NN vs jax-js WebGPU (jit)', 6, find('matmul', 'matmul NN', mm, 'shadergrad'), find('matmul', 'matmul NN', mm, 'jaxjs'));
  check('MLP training samples/s vs jax-js (jit(valueAndGrad) + Adam)', 4, find('train', 'MLP', 'batch 128', 'shadergrad'), find('train', 'MLP', 'batch 128', 'jaxjs'));
  const k8 = 'K=8, batch 64';
  check('8 MLPs trained as replicas vs one after another', 2, find('replicas', '8 MLPs 784-128-10 as replicas', k8, 'shadergrad'), find('replicas', '8 MLPs 784-128-10 one after another', k8, 'shadergrad'));
  const p = '1e6 params / 20 tensors';
  const fused = find('optim', 'adam fused', p, 'shadergrad');
  check('fused Adam vs per-tensor unfused updates (TF.js tf.train.adam, 20 variables) at 1e6 params', 5, fused, find('optim', 'adam per-tensor unfused', p, 'tfjs'), true);
  const perTensor = find('optim', 'adam per-tensor (20 dispatches)', p, 'shadergrad');
  if (fused && perTensor) {
    lines.push(`(for reference, not a target: the same fused kernel once per tensor, 20 dispatches: ${(perTensor.medianMs / fused.medianMs).toFixed(2)}× slower than one dispatch)`);
  }
  return lines;
}

function pad(cells: string[], widths: number[]): string {
  return cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
}

const COUNT_HEAD = ['submits/step', 'dispatches/step'];
const COUNT_NOTE = 'per step: shadergrad · TF.js · jax-js';

/** The plain-text table printed to stdout, with each suite's formula above its rows. */
export function textTable(rows: readonly Row[]): string {
  const head = ['benchmark', 'size', 'shadergrad', ...PEERS.map((p) => p.label), ...PEERS.map((p) => `vs ${p.short}`)];
  const groups = paired(rows);
  const body = groups.map((g) => [
    g.name,
    g.size,
    g.sg ? describeRow(g.sg) : '',
    ...g.peers.map((p) => (p ? describeRow(p) : '')),
    ...g.ratios.map(formatRatio),
    ...(countCells(g) ?? ['', '']),
  ]);
  const all = [...head, ...COUNT_HEAD];
  const widths = all.map((h, i) => Math.max(h.length, ...body.filter((r) => r[i]!.length < 60).map((r) => r[i]!.length)));
  const out: string[] = [];
  let suite = '';
  groups.forEach((g, k) => {
    const counted = groups.some((o) => o.suite === g.suite && countCells(o));
    const width = counted ? all.length : head.length;
    if (g.suite !== suite) {
      suite = g.suite;
      const formulas = [...new Set(rows.filter((r) => r.suite === suite).map((r) => r.formula))];
      out.push('', `[${suite}] ${formulas.join('; ')}${counted ? ` (${COUNT_NOTE})` : ''}`, pad(all.slice(0, width), widths));
    }
    out.push(pad(body[k]!.slice(0, width), widths));
  });
  return out.join('\n').trimStart();
}

/**
 * The README's markdown: one table per kind of suite (engines side by side; training suites
 * also with submits and dispatches per step), then formulas and targets.
 */
export function markdownTable(rows: readonly Row[], about: string): string {
  const cell = (r?: Row) => (r ? describeRow(r).replaceAll('|', '\\|') : '—');
  const groups = paired(rows);
  const counted = groups.filter((g) => countCells(g));
  const plain = groups.filter((g) => !countCells(g));
  const head = ['suite', 'benchmark', 'size', 'shadergrad', ...PEERS.map((p) => p.label), ...PEERS.map((p) => `vs ${p.short}`)];
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const table = (gs: typeof groups, extra: string[]) => [
    line([...head, ...extra]),
    line([...head, ...extra].map(() => '---')),
    ...gs.map((g) => line([g.suite, g.name, g.size, cell(g.sg), ...g.peers.map(cell), ...g.ratios.map(formatRatio), ...(extra.length ? countCells(g)! : [])])),
  ];
  const lines = [about];
  if (plain.length) lines.push('', ...table(plain, []));
  if (counted.length) lines.push('', ...table(counted, COUNT_HEAD.map((h) => `${h} (${COUNT_NOTE.replace('per step: ', '')})`)));
  const formulas = [...new Set(rows.map((r) => `${r.suite}: ${r.formula}`))];
  lines.push('', ...formulas.map((f) => `- ${f}`));
  const t = targets(rows);
  if (t.length) lines.push('', 'Targets:', '', ...t.map((l) => `- ${l}`));
  return lines.join('\n');
}

export const README_START = '<!-- bench:start -->';
export const README_END = '<!-- bench:end -->';

/** Replaces what lies between the markers; throws if they are missing. */
export function replaceBetweenMarkers(text: string, table: string): string {
  const start = text.indexOf(README_START);
  const end = text.indexOf(README_END);
  if (start < 0 || end < start) throw new RangeError(`README has no ${README_START} … ${README_END} markers`);
  return `${text.slice(0, start + README_START.length)}\n${table}\n${text.slice(end)}`;
}
