// `npm run train` entry point: runs the CLI and exits with its code.
import { runTrainCli } from './train-main';

process.exit(await runTrainCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }));
