// `npm run ensembles` entry point: runs the replica experiments CLI and exits with its code.
import { runEnsemblesCli } from './ensembles-main';

process.exit(await runEnsemblesCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }));
