// Runs benchmark cases anywhere (Node CLI or a page): cases of one suite and size are
// prepared, checked against their CPU reference, warmed up, then timed interleaved so that
// a drifting machine load treats every engine alike.
import { CheckError, measureInterleaved, startTimer, type BenchCase, type BenchContext, type Timer } from './core';
import { callCounter } from './count';
import { JaxjsUnavailableError } from './jaxjs';
import type { Row } from './table';
import { TfjsUnavailableError } from './tfjs';

/** The row of a case that produced no number. */
function failure(benchCase: BenchCase, error: unknown): Row {
  const id = { suite: benchCase.suite, name: benchCase.name, size: benchCase.size, engine: benchCase.engine, formula: benchCase.formula };
  if (error instanceof TfjsUnavailableError || error instanceof JaxjsUnavailableError) return { ...id, error: error.message };
  const prefix = error instanceof CheckError ? 'FAILED correctness check: ' : 'FAILED: ';
  return { ...id, error: prefix + ((error as Error).message ?? String(error)) };
}

async function runGroup(group: readonly BenchCase[], ctx: BenchContext, quick: boolean): Promise<Row[]> {
  const rows = new Map<BenchCase, Row>();
  const timers: Timer[] = [];
  const disposers: (() => void)[] = [];
  const counter = callCounter();
  try {
    for (const benchCase of group) {
      try {
        const prepared = await benchCase.prepare(ctx);
        disposers.push(() => prepared.dispose());
        const passTiming = benchCase.engine === 'shadergrad' ? ctx.runtime : undefined;
        timers.push(await startTimer(benchCase, prepared, { ...(quick ? { warmup: 1, runs: 1, targetMs: 50 } : {}), passTiming, counter }));
      } catch (error) {
        rows.set(benchCase, failure(benchCase, error));
      }
    }
    try {
      const results = await measureInterleaved(timers);
      timers.forEach((t, k) => rows.set(t.benchCase, results[k]!));
    } catch (error) {
      for (const t of timers) rows.set(t.benchCase, failure(t.benchCase, error));
    }
  } finally {
    for (const dispose of disposers) dispose();
  }
  return group.map((c) => rows.get(c)!);
}

export interface RunOptions {
  /** One short timed run per case (smoke tests). */
  quick?: boolean;
  /** Called before each group with "[i–j/n] suite size: names …". */
  onProgress?: (text: string) => void;
  onRow?: (row: Row) => void;
}

/** Runs the cases in order, grouping consecutive cases of one suite and size. */
export async function runCases(cases: readonly BenchCase[], ctx: BenchContext, options: RunOptions = {}): Promise<Row[]> {
  const groups: BenchCase[][] = [];
  for (const c of cases) {
    const last = groups.at(-1);
    if (last && last[0]!.suite === c.suite && last[0]!.size === c.size) last.push(c);
    else groups.push([c]);
  }
  const rows: Row[] = [];
  for (const group of groups) {
    const names = [...new Set(group.map((c) => `${c.name}${group.some((o) => o.engine !== c.engine) ? ` (${c.engine})` : ''}`))];
    options.onProgress?.(`[${rows.length + 1}–${rows.length + group.length}/${cases.length}] ${group[0]!.suite} ${group[0]!.size}: ${names.join(', ')} …`);
    for (const row of await runGroup(group, ctx, options.quick ?? false)) {
      rows.push(row);
      options.onRow?.(row);
    }
  }
  return rows;
}
