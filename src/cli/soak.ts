// `npm run soak` entry point: runs the soak benchmark CLI and exits with its code.
import { runSoakCli } from './soak-main';

process.exit(await runSoakCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }));
