// The host's load over a benchmark run, for the line that says under what load it was
// measured: the load average at the end and, on Linux, the busy and stolen shares of CPU
// time between the start and the end (bench/host-load.ts reads /proc/stat's text).
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { cpuShares, describeHostLoad, parseCpuTimes, type CpuTimes } from '../../bench/host-load';

function cpuTimes(): CpuTimes | undefined {
  try {
    return parseCpuTimes(readFileSync('/proc/stat', 'utf8'));
  } catch {
    return undefined; // not Linux: the load average alone
  }
}

/** Starts measuring; each call of the returned function describes the load since the start. */
export function startHostLoad(): () => string {
  const start = cpuTimes();
  return () => {
    const end = cpuTimes();
    return describeHostLoad(loadavg(), cpus().length, start && end ? cpuShares(start, end) : undefined);
  };
}
