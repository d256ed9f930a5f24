// What else the host's CPUs did while a benchmark ran. On these shared CPU-only machines
// lavapipe's figures move with the load, and on a virtual machine also with the time the
// hypervisor gives to other guests ("steal"), which the load average does not show. Linux's
// /proc/stat counts both; two samples of its first line, at the start and the end of a run,
// give the shares over the run. Pure functions of the file's text, so they run anywhere.

/** CPU time of all cores so far, in the kernel's ticks. */
export interface CpuTimes {
  /** user, nice, system, irq and softirq. */
  readonly busy: number;
  /** Time the hypervisor ran something else while this guest wanted to run. */
  readonly steal: number;
  /** All eight counters, idle and iowait included. */
  readonly total: number;
}

/** The aggregate "cpu" line of /proc/stat's text, or undefined when it has none. */
export function parseCpuTimes(procStat: string): CpuTimes | undefined {
  const line = procStat.split('\n').find((l) => /^cpu\s/.test(l));
  if (!line) return undefined;
  // cpu user nice system idle iowait irq softirq steal [guest guest_nice] (guest is inside user)
  const values = line.trim().split(/\s+/).slice(1, 9).map(Number);
  if (values.length < 7 || values.some((v) => !Number.isFinite(v))) return undefined;
  const [user, nice, system, idle, iowait, irq, softirq, steal = 0] = values as [number, number, number, number, number, number, number, number?];
  const busy = user + nice + system + irq + softirq;
  return { busy, steal, total: busy + idle + iowait + steal };
}

/** Shares of the CPU time between two samples (0 .. 1), or undefined when no time passed. */
export function cpuShares(start: CpuTimes, end: CpuTimes): { busy: number; steal: number } | undefined {
  const total = end.total - start.total;
  if (!(total > 0)) return undefined;
  return { busy: (end.busy - start.busy) / total, steal: (end.steal - start.steal) / total };
}

/**
 * One clause for a benchmark's "measured under" line, e.g. "load average 1.02, 0.80, 0.51 at
 * the end; over the run the 2 cores were 81% busy and 18% stolen by the hypervisor".
 */
export function describeHostLoad(load: readonly number[], cores: number, shares: { busy: number; steal: number } | undefined): string {
  const average = `load average ${load.map((l) => l.toFixed(2)).join(', ')} at the end`;
  if (!shares) return average;
  const percent = (v: number) => `${Math.round(100 * v)}%`;
  return `${average}; over the run the ${cores} cores were ${percent(shares.busy)} busy and ${percent(shares.steal)} stolen by the hypervisor`;
}
