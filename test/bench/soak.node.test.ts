// Keeps `npm run soak` working: argument parsing, and a tiny run of its whole code path (10
// steps, one compile cycle per runtime kind) whose --json line carries the documented fields
// and no GPU growth. RSS is not asserted: Vitest runs without --expose-gc, and 10 steps say
// nothing about drift.
import { describe, expect, it } from 'vitest';
import { parseSoakArgs, runSoakCli } from '../../src/cli/soak-main';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t) } }, out, err };
}

describe('soak CLI', () => {
  it('parses --quick, --steps, --cycles and --sizes, and rejects the rest with exit code 2', async () => {
    expect(parseSoakArgs([])).toEqual({ steps: 10_000, cycles: 40, sizes: 40, json: false });
    expect(parseSoakArgs(['--quick', '--cycles', '0', '--json'])).toEqual({ steps: 1000, cycles: 0, sizes: 40, json: true });
    expect(parseSoakArgs(['--sizes', '2'])).toMatchObject({ sizes: 2 });
    expect(() => parseSoakArgs(['--sizes', '0'])).toThrow(/--sizes must be an integer ≥ 1, got "0"/);
    const { io, err } = capture();
    expect(await runSoakCli(['--steps', '-3'], io)).toBe(2);
    expect(err).toEqual([expect.stringMatching(/^soak: --steps must be an integer ≥ 0, got "-3"/)]);
  });

  it('runs a tiny soak with the JSON fields and no GPU growth', { timeout: 180_000 }, async () => {
    const { io, out, err } = capture();
    const code = await runSoakCli(['--steps', '10', '--cycles', '1', '--json'], io);
    expect(out).toHaveLength(1);
    const result = JSON.parse(out[0]!);
    expect(code, err.join('')).toBe(result.pass ? 0 : 1);
    expect(result.adapter).toEqual(expect.any(String));
    expect(result.longRun).toMatchObject({ steps: 10, batch: 128, sampleEvery: 2, maxGpuBytesDrift: 0, allocationsAfterWarmup: 0, pipelinesCreatedAfterWarmup: 0 });
    expect(result.longRun.samples).toHaveLength(5);
    expect(result.longRun.samples[0]).toMatchObject({ step: 2, rss: expect.any(Number), gpuBytes: expect.any(Number), predictCount: 300 });
    for (const runtime of ['own', 'shared']) {
      expect(result.cycles[runtime].samples).toEqual([expect.objectContaining({ cycle: 1, batch: 16, bytesHeld: expect.any(Number) })]);
    }
    // Only RSS may fail a run this short (no --expose-gc here); GPU counters may not.
    expect(result.failures.filter((f: string) => !f.includes('RSS'))).toEqual([]);
  });
});
