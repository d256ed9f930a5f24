// The bench CLI's --device-report flags: --peak takes a positive number of TFLOP/s, --out a
// folder, both only with --device-report; bad values fail with one line and exit code 2
// before any GPU work.
import { describe, expect, it } from 'vitest';
import { BenchUsageError, parseBenchArgs, runBenchCli } from '../../src/cli/bench-main';

describe('bench --device-report arguments', () => {
  it('parses --device-report with and without --peak, --out and the peer flags', () => {
    expect(parseBenchArgs([])).toMatchObject({ deviceReport: false, peak: undefined, out: undefined });
    expect(parseBenchArgs(['--device-report'])).toMatchObject({ deviceReport: true, peak: undefined, out: undefined, quick: false, tfjs: true, jaxjs: true });
    expect(parseBenchArgs(['--device-report', '--peak', '67', '--out', '/tmp/report', '--quick', '--no-jaxjs'])).toMatchObject({
      deviceReport: true,
      peak: 67,
      out: '/tmp/report',
      quick: true,
      tfjs: true,
      jaxjs: false,
    });
    expect(parseBenchArgs(['--peak', '19.5', '--device-report']).peak).toBe(19.5);
  });

  it.each([
    [['--device-report', '--peak', 'fast'], /^--peak must be a positive number of TFLOP\/s, got "fast"$/],
    [['--device-report', '--peak', '0'], /got "0"/],
    [['--device-report', '--peak', '-3'], /got "-3"/],
    [['--device-report', '--peak', 'Infinity'], /got "Infinity"/],
    [['--device-report', '--peak'], /^--peak needs a value/],
    [['--device-report', '--out'], /^--out needs a value/],
    [['--peak', '67'], /^--peak and --out go with --device-report/],
    [['--out', 'dir'], /^--peak and --out go with --device-report/],
  ])('rejects %j', (argv, message) => {
    expect(() => parseBenchArgs(argv)).toThrow(BenchUsageError);
    expect(() => parseBenchArgs(argv)).toThrow(message);
  });

  it('exits with 2 and one line for a bad --peak, before opening a device', async () => {
    const err: string[] = [];
    const io = { stdout: { write: () => true }, stderr: { write: (t: string) => err.push(t) } };
    expect(await runBenchCli(['--device-report', '--peak', 'x'], io)).toBe(2);
    expect(err).toEqual(['bench: --peak must be a positive number of TFLOP/s, got "x"\n']);
  });
});
