// Regenerates the README's lab images, docs/labs/<lab id>.png (1280×800 window, each lab's
// section after its end-to-end run), by running the Labs e2e tests with LAB_IMAGES set.
// Usage: node scripts/lab-screenshots.mjs [folder]   (default docs/labs)
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

const folder = process.argv[2] ?? 'docs/labs';
// Every Labs e2e file: test/demo/labs.node.test.ts and test/demo/labs-*.node.test.ts.
const files = readdirSync('test/demo').filter((f) => /^labs(-.+)?\.node\.test\.ts$/.test(f)).map((f) => `test/demo/${f}`);
const result = spawnSync('npx', ['vitest', 'run', '--project', 'node', ...files], {
  stdio: 'inherit',
  env: { ...process.env, LAB_IMAGES: folder },
});
process.exit(result.status ?? 1);
