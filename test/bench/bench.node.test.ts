// Keeps the benchmark suite working: each suite's smallest size runs once through the CLI
// (correctness check against the CPU reference first), and every --json line carries the
// documented fields. Timings are not asserted.
import { describe, expect, it } from 'vitest';
import { parseBenchArgs, runBenchCli } from '../../src/cli/bench-main';
import { SUITES } from '../../bench/index';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t) } }, out, err };
}

describe('bench CLI', () => {
  it('rejects an unknown suite with one line and exit code 2', async () => {
    const { io, err } = capture();
    expect(await runBenchCli(['--suite', 'conv3d'], io)).toBe(2);
    expect(err).toEqual([expect.stringMatching(/^bench: unknown suite "conv3d"/)]);
    expect(parseBenchArgs(['--suite', 'matmul,conv', '--json']).suites).toEqual(['matmul', 'conv']);
  });

  it('runs the smallest size of every suite, checked, with the JSON fields', { timeout: 180_000 }, async () => {
    const { io, out, err } = capture();
    const code = await runBenchCli(['--quick', '--json'], io);
    expect(code, err.join('')).toBe(0);
    const rows = out.map((line) => JSON.parse(line));
    expect(new Set(rows.map((r) => r.suite))).toEqual(new Set(SUITES.map((s) => s.name)));
    for (const row of rows) {
      expect(row).toMatchObject({ suite: expect.any(String), name: expect.any(String), size: expect.any(String) });
      expect(['shadergrad', 'tfjs']).toContain(row.engine);
      if (row.error) {
        // Only the peer may be missing, and then it says why; a failed check fails the test.
        expect(row.engine).toBe('tfjs');
        expect(row.error).toMatch(/^TF\.js unavailable/);
        continue;
      }
      expect(row.medianMs).toBeGreaterThan(0);
      expect(row.check).toEqual(expect.any(String));
      const rates = ['gflops', 'gbps', 'samplesPerSec'].filter((k) => row[k] !== undefined);
      expect(rates).toHaveLength(1);
      expect(row[rates[0]!]).toBeGreaterThan(0);
      // lavapipe has timestamp queries: every engine case also reports its passes' GPU time.
      if (row.engine === 'shadergrad') expect(row.gpuMs).toBeGreaterThan(0);
      else expect(row.gpuMs).toBeUndefined();
    }
    // conv: forward, input and weight gradient, each on both engines, in GFLOP/s; train: MLP and CNN.
    const conv = rows.filter((r) => r.suite === 'conv');
    expect(conv.map((r) => `${r.name} ${r.engine}`).sort()).toEqual(
      ['forward', 'input grad', 'weight grad'].flatMap((p) => [`conv2d ${p} shadergrad`, `conv2d ${p} tfjs`]).sort(),
    );
    for (const row of conv.filter((r) => !r.error)) expect(row.gflops).toBeGreaterThan(0);
    expect(rows.filter((r) => r.suite === 'train' && r.engine === 'shadergrad').map((r) => r.name)).toEqual([
      expect.stringMatching(/^MLP/),
      expect.stringMatching(/^MNIST CNN/),
    ]);
    expect(rows.filter((r) => r.engine === 'shadergrad' && !r.error).length).toBe(SUITES.reduce((n, s) => n + s.cases(true).filter((c) => c.engine === 'shadergrad').length, 0));
  });
});
