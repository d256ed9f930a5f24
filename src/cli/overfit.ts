// `npm run overfit` entry point: runs the overfitting experiment CLI and exits with its code.
import { runOverfitCli } from './overfit-main';

process.exit(await runOverfitCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }));
