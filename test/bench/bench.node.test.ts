// Keeps the benchmark suite working: each suite's smallest size runs once through the CLI
// (correctness check against the CPU reference first), and every --json line carries the
// documented fields; jax-js's jit'ed matmul and MLP step run once beside the engine's, with
// submit and dispatch counts. Timings are not asserted.
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
    expect(parseBenchArgs(['--no-jaxjs'])).toMatchObject({ jaxjs: false, tfjs: true, dawnEvents: undefined });
    expect(parseBenchArgs(['--dawn-events', 'spin']).dawnEvents).toBe('spin');
    expect(() => parseBenchArgs(['--dawn-events', 'fast'])).toThrow(/^--dawn-events must be paced or spin, got "fast"$/);
  });

  it('says under what load it measured: the table ends with the host line, the markdown carries it too', { timeout: 120_000 }, async () => {
    const { io, out, err } = capture();
    expect(await runBenchCli(['--quick', '--no-tfjs', '--no-jaxjs', '--suite', 'elementwise'], io), err.join('')).toBe(0);
    // On Linux (this machine, CI) /proc/stat gives the busy and stolen shares of the run.
    expect(out.join('')).toMatch(/\nhost: load average [\d.]+, [\d.]+, [\d.]+ at the end; over the run the \d+ cores were \d+% busy and \d+% stolen by the hypervisor\n$/);
    const { io: io2, out: out2 } = capture();
    expect(await runBenchCli(['--quick', '--markdown', '--no-tfjs', '--no-jaxjs', '--suite', 'elementwise'], io2)).toBe(0);
    expect(out2.join('')).toMatch(/same process and adapter, Dawn's event polling paced \(src\/gpu\/dawn-events\.ts\) for all three; load average [\d.]+, [\d.]+, [\d.]+ at the end; over the run the \d+ cores were \d+% busy and \d+% stolen by the hypervisor\. Median/);
  });

  it('runs the smallest size of every suite, checked, with the JSON fields', { timeout: 180_000 }, async () => {
    const { io, out, err } = capture();
    // jax-js has a test of its own below (its MLP step's first compile takes about a minute on lavapipe).
    const code = await runBenchCli(['--quick', '--json', '--no-jaxjs'], io);
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
    for (const row of rows.filter((r) => r.suite === 'train' && !r.error)) {
      expect(row.submits, row.name).toBeGreaterThan(0);
      expect(row.dispatches, row.name).toBeGreaterThan(0);
    }
    expect(rows.filter((r) => r.engine === 'shadergrad' && !r.error).length).toBe(SUITES.reduce((n, s) => n + s.cases(true).filter((c) => c.engine === 'shadergrad').length, 0));
  });

  it('runs jax-js (jit matmul, jit(valueAndGrad) + Adam MLP step) on the same adapter, checked and counted', { timeout: 300_000 }, async () => {
    const { io, out, err } = capture();
    // Two runs: the quick matmul size, then the MLP step alone (not the CNN).
    const code = await runBenchCli(['--quick', '--json', '--no-tfjs', '--suite', 'matmul,train', '--filter', '128×128×128'], io);
    expect(code, err.join('')).toBe(0);
    const mm = out.map((line) => JSON.parse(line));
    const { io: io2, out: out2, err: err2 } = capture();
    expect(await runBenchCli(['--quick', '--json', '--no-tfjs', '--suite', 'train', '--filter', 'MLP'], io2), err2.join('')).toBe(0);
    const rows = [...mm, ...out2.map((line) => JSON.parse(line))];
    expect(err.join('')).toMatch(/jax-js 0\.1\.25 WebGPU on /);
    const jax = rows.filter((r) => r.engine === 'jaxjs');
    expect(jax.map((r) => `${r.suite} ${r.name.split(' ')[0]}`)).toEqual(['matmul matmul', 'train MLP']);
    for (const row of jax) expect(row.error, row.error).toBeUndefined();
    expect(jax[0].gflops).toBeGreaterThan(0);
    expect(jax[0].check).toMatch(/entries vs float64/);
    expect(jax[1].samplesPerSec).toBeGreaterThan(0);
    expect(jax[1].check).toMatch(/^first-step loss .* = CPU float64 forward/);
    // Both engines' training steps carry per-step counts; jax-js submits once per kernel.
    for (const row of rows.filter((r) => r.suite === 'train')) {
      expect(row.submits, row.engine).toBeGreaterThan(0);
      expect(row.dispatches, row.engine).toBeGreaterThan(0);
    }
    expect(jax[1].submits).toBeGreaterThanOrEqual(jax[1].dispatches);
  });
});
