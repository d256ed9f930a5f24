// Lab 3's plots: one small chart per variant of bench/overfit.ts, train accuracy solid and
// test accuracy dashed, so each one's gap is the space between its two lines; and a table of
// the final train, test and gap per variant.
import { el } from './page';
import { LineChart, plotBox } from './plots';

/** Train accuracy's colour (solid) and test accuracy's (dashed); tests look for them. */
export const TRAIN = '#2f6fed';
export const TEST = '#e67e22';

/** One variant's run: what the charts draw and the run resolves to. */
export interface VariantCurve {
  /** bench/overfit.ts's variant name (none, weight-decay, dropout, augment, batchnorm). */
  name: string;
  label: string;
  /** The epochs measured, and the accuracies (0–1) after each. */
  epochs: number[];
  train: number[];
  test: number[];
  trainAccuracy: number;
  testAccuracy: number;
  /** Final train − test accuracy (0–1). */
  gap: number;
  seconds: number;
}

const pct = (x: number) => (100 * x).toFixed(1);

export class OverfittingView {
  private readonly charts = new Map<string, { title: HTMLElement; chart: LineChart }>();
  private readonly body: HTMLTableSectionElement;

  /** `names`: the variants, one chart each, in page order. */
  constructor(plots: HTMLElement, names: readonly string[]) {
    plots.classList.add('overfitting-plots');
    for (const name of names) {
      const box = plotBox(plots, name, `overfitting-${name}`);
      const series = [{ label: 'train', color: TRAIN }, { label: 'test', color: TEST, dash: [6, 4] }];
      this.charts.set(name, { title: box.title, chart: new LineChart(box.body, { x: 'epoch', y: 'accuracy %', yRange: [0, 100] }, series, 150) });
    }
    const box = plotBox(plots, 'after the last epoch (%; gap in points)', 'overfitting-table');
    const table = box.body.appendChild(el('table', 'numbers'));
    const head = table.createTHead().insertRow();
    for (const text of ['variant', 'train', 'test', 'gap']) head.appendChild(el('th')).textContent = text;
    this.body = table.createTBody();
  }

  /** Empties every chart and the table; `titles`: each chart's title for this run. */
  reset(titles: readonly string[]): void {
    [...this.charts.values()].forEach(({ title, chart }, i) => {
      chart.set([], [[], []]);
      title.textContent = titles[i]!;
    });
    this.body.replaceChildren();
  }

  /** Draws a variant's curve so far; `final`: with its final numbers in the title. */
  draw(curve: VariantCurve, final = false): void {
    const { title, chart } = this.charts.get(curve.name)!;
    chart.set(curve.epochs, [curve.train.map((a) => 100 * a), curve.test.map((a) => 100 * a)]);
    if (final) title.textContent = `${curve.label}: train ${pct(curve.trainAccuracy)}, test ${pct(curve.testAccuracy)}`;
  }

  /** The table of the variants run so far. */
  table(curves: readonly VariantCurve[]): void {
    this.body.replaceChildren();
    for (const c of curves) {
      const row = this.body.insertRow();
      for (const text of [c.label, pct(c.trainAccuracy), pct(c.testAccuracy), pct(c.gap)]) row.insertCell().textContent = text;
    }
  }
}
