// MNIST for the labs that train on it (4 and 8): the four IDX files the demo's Vite config
// serves at the site root, fetched once per page (47 MB) and shared; each run parses the
// subset it needs, standardized as the trainer page does.
import { fetchMnistFiles, parseMnist, type Mnist, type MnistFiles } from '../../src/index';

let files: Promise<MnistFiles> | undefined;

/** The first `trainCount` training and `testCount` test images; `status` hears the download's progress. */
export async function mnistSubset(trainCount: number, testCount: number, status: (text: string) => void): Promise<Mnist> {
  files ??= fetchMnistFiles(import.meta.env.BASE_URL, (loaded, total) => status(`loading MNIST… ${(loaded / 1e6).toFixed(0)} of ${(total / 1e6).toFixed(0)} MB`));
  // A failed download is not kept: the next Run tries again.
  const loaded = await files.catch((error: unknown) => {
    files = undefined;
    throw error;
  });
  return parseMnist(loaded, { trainCount, testCount, normalization: 'standardize' });
}
