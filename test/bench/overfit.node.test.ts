// The overfitting experiment CLI (`npm run overfit`): its arguments, and a two-epoch run of two
// variants whose JSON line carries the curves and summary the README quotes.
import { describe, expect, it } from 'vitest';
import { deepMlp, VARIANTS } from '../../bench/overfit';
import { parseOverfitArgs, runOverfitCli } from '../../src/cli/overfit-main';
import { GraphBuilder } from '../../src/graph/ir';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t) } }, out, err };
}

describe('overfit CLI', () => {
  it('parses --epochs, --only and --json; rejects the rest', () => {
    expect(parseOverfitArgs([])).toEqual({ epochs: 200, only: ['none', 'weight-decay', 'dropout', 'augment', 'batchnorm'], testSamples: 10_000, json: false });
    expect(parseOverfitArgs(['--epochs', '3', '--only', 'none,dropout', '--test-samples', '500', '--json'])).toEqual({ epochs: 3, only: ['none', 'dropout'], testSamples: 500, json: true });
    expect(() => parseOverfitArgs(['--test-samples', '10001'])).toThrow(/--test-samples must be an integer in \[1, 10000\], got "10001"/);
    expect(() => parseOverfitArgs(['--only', 'none,magic'])).toThrow(/--only: unknown variant "magic"/);
    expect(() => parseOverfitArgs(['--epochs', '0'])).toThrow(/--epochs must be a positive integer, got "0"/);
  });

  it('the network is the book\'s 784-100×6-10 (7 Linear layers), with the variant\'s extra layers', () => {
    const kinds = (name: string) => {
      const graph = new GraphBuilder();
      deepMlp(VARIANTS.find((v) => v.name === name)!).build(graph, graph.tensor([2, 1, 28, 28], 'input', 'input'), '');
      return graph.ops.map((op) => op.kind);
    };
    expect(kinds('none').filter((k) => k === 'linear')).toHaveLength(7);
    expect(kinds('dropout').filter((k) => k === 'dropout')).toHaveLength(6);
    expect(kinds('batchnorm').filter((k) => k === 'batchnorm')).toHaveLength(6);
  });

  it('a two-epoch run prints the table and a JSON line with every curve', { timeout: 300_000 }, async () => {
    const { io, out, err } = capture();
    expect(await runOverfitCli(['--epochs', '2', '--only', 'none,augment', '--test-samples', '1000', '--json'], io), err.join('')).toBe(0);
    const result = JSON.parse(out.at(-1)!);
    expect(result.settings).toMatchObject({ trainSamples: 300, epochs: 2, batch: 100, lr: 0.01 });
    expect(result.results.map((r: { variant: { name: string } }) => r.variant.name)).toEqual(['none', 'augment']);
    for (const r of result.results) {
      expect(r.curve.map((p: { epoch: number }) => p.epoch)).toEqual([1, 2]);
      expect(r.final.trainAccuracy).toBeGreaterThan(0.1); // 6 SGD steps of a He-initialized net: above chance
      expect(r.gap).toBeCloseTo(100 * (r.final.trainAccuracy - r.final.testAccuracy), 6);
    }
    expect(err.join('')).toMatch(/variant +train % +test % +gap/);
  });
});
