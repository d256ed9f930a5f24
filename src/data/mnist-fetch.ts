// Browser (or any fetch-capable runtime): downloads the four MNIST IDX files from a base URL
// where the app serves them (the demo bundles them as assets; nothing comes from the internet).
import { DataFormatError } from './idx';
import { MNIST_FILE_NAMES, type MnistFiles } from './mnist';

/** Fetches the IDX files from `${baseUrl}/${name}`; `onProgress` receives bytes loaded so far. */
export async function fetchMnistFiles(baseUrl: string, onProgress?: (loaded: number, total: number) => void): Promise<MnistFiles> {
  const keys = Object.keys(MNIST_FILE_NAMES) as (keyof MnistFiles)[];
  const TOTAL = 47_040_016 + 60_008 + 7_840_016 + 10_008; // sizes of the four files
  let loaded = 0;
  const parts = await Promise.all(
    keys.map(async (key) => {
      const url = `${baseUrl.replace(/\/$/, '')}/${MNIST_FILE_NAMES[key]}`;
      const response = await fetch(url);
      if (!response.ok || !response.body) throw new DataFormatError(`MNIST: ${url} answered ${response.status}`);
      const chunks: Uint8Array[] = [];
      const reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        loaded += value.byteLength;
        onProgress?.(loaded, TOTAL);
      }
      const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
      let offset = 0;
      for (const chunk of chunks) {
        bytes.set(chunk, offset);
        offset += chunk.byteLength;
      }
      return [key, bytes] as const;
    }),
  );
  return Object.fromEntries(parts) as unknown as MnistFiles;
}
