// `npm run bench` entry point: runs the benchmark CLI and exits with its code.
import { runBenchCli } from './bench-main';

process.exit(await runBenchCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }));
