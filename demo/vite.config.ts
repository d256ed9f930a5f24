// The demo app (Vite root: demo/). It imports the library from ../src directly.
import { defineConfig } from 'vite';

export default defineConfig({
  build: { outDir: '../dist/demo', emptyOutDir: true, target: 'es2022' },
});
