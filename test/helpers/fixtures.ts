// Committed fixture files by repository path: Node reads them from disk, the browser fetches
// them from the Vite server, which serves the project root.
export async function readFixture(path: string): Promise<Uint8Array> {
  if (typeof window === 'undefined') {
    const fs = 'node:fs/promises'; // a variable, so the browser bundle never resolves it
    const { readFile } = (await import(/* @vite-ignore */ fs)) as typeof import('node:fs/promises');
    return new Uint8Array(await readFile(path));
  }
  const response = await fetch(`/${path}`);
  if (!response.ok) throw new Error(`fixture ${path}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}
