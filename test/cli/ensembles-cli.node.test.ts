// `npm run ensembles`: argument validation (exit 2 with one line) and a tiny real run on
// MNIST whose --json line and markdown table carry every experiment's numbers.
import { describe, expect, it } from 'vitest';
import { parseEnsemblesArgs, runEnsemblesCli } from '../../src/cli/ensembles-main';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t) } }, out, err };
}

describe('ensembles CLI', () => {
  it('parses its options and rejects bad ones', async () => {
    expect(parseEnsemblesArgs([])).toMatchObject({ members: 5, folds: 5, trials: 16, subset: 5000, baggingSamples: 10_000, epochs: 3, json: false });
    expect(parseEnsemblesArgs(['--members', '3', '--trials', '8', '--json'])).toMatchObject({ members: 3, trials: 8, json: true });
    for (const [argv, message] of [
      [['--members', '1'], /--members must be an integer in \[2, 256\], got "1"/],
      [['--folds', 'x'], /--folds must be an integer/],
      [['--bogus'], /unknown option "--bogus"/],
    ] as const) {
      const { io, err } = capture();
      expect(await runEnsemblesCli(argv, io)).toBe(2);
      expect(err.join('')).toMatch(message);
    }
  });

  it('runs the three experiments on replicas and prints their table', async () => {
    const { io, out, err } = capture();
    const code = await runEnsemblesCli(['--epochs', '1', '--members', '2', '--folds', '2', '--trials', '3', '--subset', '400', '--bagging-samples', '400', '--json'], io);
    expect(code, err.join('')).toBe(0);
    const { report } = JSON.parse(out.join(''));
    expect(report.bagging.members).toHaveLength(2);
    expect(report.crossValidation.folds).toHaveLength(2);
    expect(report.search.best).toHaveLength(3);
    for (const accuracy of [report.bagging.ensemble, report.crossValidation.mean, report.search.best[0].validation.accuracy]) {
      expect(accuracy).toBeGreaterThan(0.2); // one epoch on 400 samples: well above chance (10%)
    }
    expect(err.join('')).toMatch(/\| bagging, 2 MLPs on bootstrap samples of 400 \| ensemble \*\*[\d.]+%\*\*/);
  }, 120_000);
});
