// The benchmark page's table (demo/bench-table.ts) built from result rows: a column per engine
// the page ran with its adapter, shadergrad's ratio to each peer (its rate over the peer's),
// one section per suite with its formula, counts per step for training rows, and a dash where
// an engine has no number.
import { describe, expect, it } from 'vitest';
import type { BenchResult } from '../../bench/index';
import type { Row } from '../../bench/table';
import { benchTable } from '../../demo/bench-table';

const result = (fields: Partial<BenchResult> & Pick<BenchResult, 'suite' | 'name' | 'size' | 'engine'>): BenchResult =>
  ({ medianMs: 2, formula: `${fields.suite} formula`, runs: 1, iterations: 1, ...fields }) as BenchResult;

const rows: Row[] = [
  result({ suite: 'matmul', name: 'matmul NN', size: '128×128×128', engine: 'shadergrad', gflops: 4, medianMs: 1 }),
  result({ suite: 'matmul', name: 'matmul NN', size: '128×128×128', engine: 'tfjs', gflops: 1, medianMs: 4 }),
  result({ suite: 'matmul', name: 'matmul NN', size: '128×128×128', engine: 'jaxjs', gflops: 2, medianMs: 2 }),
  result({ suite: 'train', name: 'MLP', size: 'batch 128', engine: 'shadergrad', samplesPerSec: 3000, submits: 1, dispatches: 14.5 }),
  { suite: 'train', name: 'MLP', size: 'batch 128', engine: 'tfjs', formula: 'train formula', error: 'cannot load TF.js WebGPU: boom' },
];
const all = [
  { engine: 'shadergrad', adapter: 'google swiftshader' },
  { engine: 'tfjs', adapter: 'google swiftshader' },
  { engine: 'jaxjs', adapter: 'unavailable' },
] as const;

describe('benchmark page table', () => {
  it('has a column per engine with its adapter, then a ratio column per peer', () => {
    const { head } = benchTable(rows, all);
    expect(head.map((c) => c.text)).toEqual(['benchmark', 'size', 'shadergrad', 'TF.js WebGPU', 'jax-js WebGPU', 'vs TF.js', 'vs jax-js']);
    expect(head.slice(2, 5).map((c) => c.sub)).toEqual(['google swiftshader', 'google swiftshader', 'unavailable']);
  });

  it('puts each suite under its formula with the ratios of the rates', () => {
    const { sections } = benchTable(rows, all);
    expect(sections.map((s) => s.title)).toEqual(['[matmul] matmul formula', '[train] train formula']);
    const [matmul] = sections[0]!.rows;
    expect(matmul!.map((c) => c.text)).toEqual(['matmul NN', '128×128×128', '4.00 GFLOP/s', '1.00 GFLOP/s', '2.00 GFLOP/s', '4.00×', '2.00×']);
    expect(matmul!.slice(2, 5).map((c) => c.notes)).toEqual([['(1.00 ms)'], ['(4.00 ms)'], ['(2.00 ms)']]);
  });

  it('shows counts per step for training rows, the error of a failed peer, and dashes for missing numbers', () => {
    const train = benchTable(rows, all).sections[1]!.rows[0]!;
    expect(train[2]).toEqual({ text: '3000 samples/s', notes: ['(2.00 ms)', '1 submit · 14.5 dispatches per step'] });
    expect(train[3]).toEqual({ text: 'cannot load TF.js WebGPU: boom' });
    expect(train.slice(4).map((c) => c.text)).toEqual(['—', '—', '—']);
  });

  it('leaves out the peers the page did not run', () => {
    const mine = rows.filter((r) => r.engine === 'shadergrad');
    const table = benchTable(mine, [all[0]]);
    expect(table.head.map((c) => c.text)).toEqual(['benchmark', 'size', 'shadergrad']);
    expect(table.sections.map((s) => s.rows[0]!.length)).toEqual([3, 3]);
    expect(benchTable([], [all[0]]).sections).toEqual([]);
  });
});
