// `npm run bench -- --device-report`: loads the peers, runs bench/device-report.ts on the Dawn
// adapter, and writes report.json and report.md into --out after every section (so a run cut
// short by a timeout still leaves what it measured), then prints the markdown.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { reportFailures, runDeviceReport, type DeviceReport } from '../../bench/device-report';
import { reportMarkdown } from '../../bench/device-report-markdown';
import type { BenchContext } from '../../bench/index';
import { dawnPacing } from '../gpu/dawn-events';
import { GpuRuntime } from '../gpu/runtime';
import { loadJaxjs } from './bench-jaxjs';
import { loadTfjs } from './bench-tfjs';
import type { BenchArgs } from './bench-main';
import type { CliIo } from './train-main';

/** Where the report goes without --out: under the repository's git-ignored .tmp/. */
export const DEFAULT_REPORT_DIR = '.tmp/device-report';

/** What the bench CLI hands over: its runtime, the Dawn GPU object and its progress printer. */
export interface DeviceReportCli {
  runtime: GpuRuntime;
  gpu: GPU;
  progress: (text: string) => void;
  /** The host's load since the bench started (src/cli/host-load.ts). */
  hostLoad: () => string;
}

/** Runs the device report; returns the exit code (0 ok, 1 a failed check or case). */
export async function runDeviceReportCli(args: BenchArgs, cli: DeviceReportCli, io: CliIo): Promise<number> {
  const tfjs = args.tfjs ? await loadTfjs(cli.gpu) : { unavailable: 'not requested (--no-tfjs)' };
  const jaxjs = args.jaxjs ? await loadJaxjs(cli.gpu) : { unavailable: 'not requested (--no-jaxjs)' };
  for (const [name, peer] of [['TF.js', tfjs], ['jax-js', jaxjs]] as const) {
    io.stderr.write(`bench: ${name}: ${'unavailable' in peer ? peer.unavailable : `on ${peer.adapter}`}\n`);
  }
  const ctx: BenchContext = { runtime: cli.runtime, tfjs, jaxjs };
  const out = args.out ?? DEFAULT_REPORT_DIR;
  mkdirSync(out, { recursive: true });
  const write = (report: DeviceReport) => {
    report.host = cli.hostLoad();
    writeFileSync(join(out, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(join(out, 'report.md'), reportMarkdown(report));
  };
  const driver = process.env.VK_DRIVER_FILES ? `, VK_DRIVER_FILES=${process.env.VK_DRIVER_FILES}` : '';
  const report = await runDeviceReport(ctx, {
    quick: args.quick,
    peakTflops: args.peak,
    peers: [...(args.tfjs ? (['tfjs'] as const) : []), ...(args.jaxjs ? (['jaxjs'] as const) : [])],
    newRuntime: () => GpuRuntime.create({ gpu: cli.gpu, dawnEvents: args.dawnEvents }),
    environment: `Node ${process.version} (Dawn${dawnPacing().holds > 0 ? ', its event polling paced' : ''}) on ${process.platform} ${process.arch}${driver}`,
    onProgress: cli.progress,
    onUpdate: write,
  });
  write(report); // the host's load over the whole run
  if ('isTTY' in io.stderr && io.stderr.isTTY) io.stderr.write('\n');
  io.stdout.write(reportMarkdown(report));
  io.stderr.write(`bench: wrote ${join(out, 'report.json')} and report.md\n`);
  const failures = reportFailures(report);
  for (const f of failures) io.stderr.write(`bench: ${f}\n`);
  return failures.length ? 1 : 0;
}
