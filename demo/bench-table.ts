// The benchmark page's results as an HTML table: one column per engine the page runs (its
// adapter under its name), shadergrad's ratio to each peer, one header row per suite with the
// suite's formula. benchTable builds the cells (no DOM, unit-tested); renderBenchTable draws them.
import type { BenchResult, Engine } from '../bench/index';
import { describeRow, formatCount, formatRatio, isResult, paired, PEERS, type Row } from '../bench/table';

/** An engine column: which engine, and the adapter it ran on (or why it did not run). */
export interface EngineColumn {
  engine: Engine;
  adapter: string;
}

/** A header cell: its text, the line under it, and its tooltip. */
export interface HeadCell {
  text: string;
  sub?: string;
  title?: string;
}

/** A body cell: its main text (a rate) and smaller lines under it (times, submits and dispatches per step). */
export interface BodyCell {
  text: string;
  notes?: string[];
}

export interface BenchTableModel {
  head: HeadCell[];
  /** One per suite, in the order of the rows: "[suite] formula" and its rows. */
  sections: { title: string; rows: BodyCell[][] }[];
}

const LABELS: Record<Engine, string> = {
  shadergrad: 'shadergrad',
  ...(Object.fromEntries(PEERS.map((p) => [p.engine, p.label])) as Record<(typeof PEERS)[number]['engine'], string>),
};

const count = (n: number, one: string, many: string) => `${formatCount(n)} ${n === 1 ? one : many}`;

/** "1 submit · 14 dispatches per step" for a result that counted them (training steps). */
function counts(row: BenchResult): string | undefined {
  if (row.samplesPerSec === undefined || row.submits === undefined || row.dispatches === undefined) return undefined;
  return `${count(row.submits, 'submit', 'submits')} · ${count(row.dispatches, 'dispatch', 'dispatches')} per step`;
}

/**
 * The table for `rows` with a column per engine in `engines` (shadergrad first; a peer the page
 * did not run has no column) and a "vs" ratio column per peer: shadergrad's rate over the peer's,
 * above 1 when shadergrad is faster.
 */
export function benchTable(rows: readonly Row[], engines: readonly EngineColumn[]): BenchTableModel {
  const peers = PEERS.map((p, index) => ({ ...p, index })).filter((p) => engines.some((e) => e.engine === p.engine));
  const head: HeadCell[] = [
    { text: 'benchmark' },
    { text: 'size' },
    ...engines.map((e) => ({ text: LABELS[e.engine], sub: e.adapter })),
    ...peers.map((p) => ({ text: `vs ${p.short}`, title: `shadergrad's rate ÷ ${p.label}'s: above 1× shadergrad is faster` })),
  ];
  const sections: (BenchTableModel['sections'][number] & { suite: string })[] = [];
  for (const g of paired(rows)) {
    let section = sections.at(-1);
    if (section?.suite !== g.suite) {
      const formulas = [...new Set(rows.filter((r) => r.suite === g.suite).map((r) => r.formula))];
      section = { suite: g.suite, title: `[${g.suite}] ${formulas.join('; ')}`, rows: [] };
      sections.push(section);
    }
    const cell = (engine: Engine): BodyCell => {
      const row = engine === 'shadergrad' ? g.sg : g.peers[PEERS.findIndex((p) => p.engine === engine)];
      if (!row) return { text: '—' };
      if (!isResult(row)) return { text: row.error };
      // "1.22 GFLOP/s (3.43 ms; GPU 2.92 ms)": the rate on its line, the times under it.
      const text = describeRow(row);
      const cut = text.indexOf(' (');
      const counted = counts(row);
      return { text: text.slice(0, cut), notes: [text.slice(cut + 1), ...(counted ? [counted] : [])] };
    };
    section.rows.push([
      { text: g.name },
      { text: g.size },
      ...engines.map((e) => cell(e.engine)),
      ...peers.map((p) => ({ text: formatRatio(g.ratios[p.index]) || '—' })),
    ]);
  }
  return { head, sections: sections.map(({ title, rows }) => ({ title, rows })) };
}

function cellElement(tag: 'th' | 'td', cell: HeadCell | BodyCell): HTMLTableCellElement {
  const el = document.createElement(tag);
  el.textContent = cell.text;
  const lines = 'notes' in cell ? (cell.notes ?? []) : 'sub' in cell && cell.sub ? [cell.sub] : [];
  for (const line of lines) el.append(Object.assign(document.createElement('small'), { textContent: line }));
  if ('title' in cell && cell.title) el.title = cell.title;
  return el;
}

/** Draws `model` into `table`; with no sections, one row saying `empty`. */
export function renderBenchTable(table: HTMLTableElement, model: BenchTableModel, empty: string): void {
  const headRow = document.createElement('tr');
  headRow.append(...model.head.map((c) => cellElement('th', c)));
  for (const th of headRow.children) th.setAttribute('scope', 'col');
  table.createTHead().replaceChildren(headRow);
  const body = document.createElement('tbody');
  const wide = (tag: 'th' | 'td', text: string, className: string) => {
    const tr = document.createElement('tr');
    const el = cellElement(tag, { text });
    el.colSpan = model.head.length;
    tr.className = className;
    tr.append(el);
    return tr;
  };
  if (model.sections.length === 0) body.append(wide('td', empty, 'empty'));
  for (const section of model.sections) {
    body.append(wide('th', section.title, 'suite'));
    for (const cells of section.rows) {
      const tr = document.createElement('tr');
      tr.append(...cells.map((c) => cellElement('td', c)));
      body.append(tr);
    }
  }
  table.tBodies[0]?.remove();
  table.append(body);
}
