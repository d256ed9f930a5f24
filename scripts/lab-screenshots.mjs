// Regenerates the README's lab images, docs/labs/<lab id>.png (1280×800 window, each lab's
// section after its end-to-end run), by running the Labs e2e tests with LAB_IMAGES set.
// Usage: node scripts/lab-screenshots.mjs [folder]   (default docs/labs)
import { spawnSync } from 'node:child_process';

const folder = process.argv[2] ?? 'docs/labs';
const result = spawnSync('npx', ['vitest', 'run', '--project', 'node', 'test/demo/labs.node.test.ts', 'test/demo/labs-training.node.test.ts'], {
  stdio: 'inherit',
  env: { ...process.env, LAB_IMAGES: folder },
});
process.exit(result.status ?? 1);
