// The adapter the command lines report in their first line: a throwaway runtime's, destroyed
// again, so each run's own runtimes start from nothing.
import { GpuRuntime } from '../gpu/runtime';

export async function probeAdapterName(): Promise<string> {
  const probe = await GpuRuntime.create();
  try {
    return probe.gpu.adapterName;
  } finally {
    probe.destroy();
  }
}
