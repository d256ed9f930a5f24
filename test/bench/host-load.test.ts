// The benchmark's host-load line: /proc/stat's aggregate line parsed into busy, stolen and
// total ticks (the per-core lines and older kernels' shorter lines too), shares between two
// samples, and the clause the bench and the device report print.
import { describe, expect, it } from 'vitest';
import { cpuShares, describeHostLoad, parseCpuTimes } from '../../bench/host-load';

// Two samples taken 10 s apart on this 2-core VM during a matmul bench (2026-12-03).
const BEFORE = 'cpu  298433 749 26603 8918672 1341 0 911 23744 0 0\ncpu0 149000 300 13000 4459000 600 0 400 11800 0 0\nintr 1 2 3\n';
const AFTER = 'cpu  300005 749 26634 8918720 1341 0 911 24096 0 0\ncpu0 149800 300 13010 4459020 600 0 400 11980 0 0\n';

describe('host load', () => {
  it('reads the aggregate cpu line: busy = user + nice + system + irq + softirq, total adds idle, iowait and steal', () => {
    expect(parseCpuTimes(BEFORE)).toEqual({ busy: 298433 + 749 + 26603 + 0 + 911, steal: 23744, total: 298433 + 749 + 26603 + 8918672 + 1341 + 0 + 911 + 23744 });
  });

  it('takes a line without steal (kernels before 2.6.11) as no steal, and refuses text without a cpu line', () => {
    expect(parseCpuTimes('cpu 10 0 5 80 5 0 0\n')).toEqual({ busy: 15, steal: 0, total: 100 });
    expect(parseCpuTimes('cpu0 10 0 5 80 5 0 0 0\n')).toBeUndefined();
    expect(parseCpuTimes('cpu 10 x 5 80 5 0 0 0\n')).toBeUndefined();
    expect(parseCpuTimes('')).toBeUndefined();
  });

  it('gives the shares between two samples: 2003 ticks, 1603 busy, 352 stolen', () => {
    const shares = cpuShares(parseCpuTimes(BEFORE)!, parseCpuTimes(AFTER)!)!;
    expect(shares.busy).toBeCloseTo(1603 / 2003, 12);
    expect(shares.steal).toBeCloseTo(352 / 2003, 12);
    expect(cpuShares(parseCpuTimes(BEFORE)!, parseCpuTimes(BEFORE)!)).toBeUndefined();
  });

  it('describes the load for the "measured under" line, without shares where /proc/stat is missing', () => {
    const shares = cpuShares(parseCpuTimes(BEFORE)!, parseCpuTimes(AFTER)!);
    expect(describeHostLoad([1.5, 0.804, 0.2], 2, shares)).toBe(
      'load average 1.50, 0.80, 0.20 at the end; over the run the 2 cores were 80% busy and 18% stolen by the hypervisor',
    );
    expect(describeHostLoad([3, 2, 1], 16, undefined)).toBe('load average 3.00, 2.00, 1.00 at the end');
  });
});
