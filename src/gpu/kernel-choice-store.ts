// Where kernel trial results persist between runs (src/gpu/kernel-choice.ts): localStorage
// on a page, a JSON file in Node (under the OS cache folder unless a path is given),
// nowhere else. Entries map "adapter | shape class | shader hashes" to a candidate name.

/** A place to keep kernel choices. Both methods may reject; the chooser then carries on without. */
export interface ChoiceStore {
  load(): Promise<Record<string, string>>;
  save(entries: Record<string, string>): Promise<void>;
}

const STORAGE_KEY = 'shadergrad.kernel-choice';
/** The file format's version: files of another version are ignored and rewritten. */
const VERSION = 1;

// Variable specifiers keep browser bundlers from resolving Node's modules.
const FS = 'node:fs/promises';
const OS = 'node:os';
const PATH = 'node:path';

function parse(text: string | null): Record<string, string> {
  if (!text) return {};
  const data = JSON.parse(text) as { version?: unknown; choices?: unknown };
  if (data.version !== VERSION || typeof data.choices !== 'object' || data.choices === null) return {};
  return Object.fromEntries(Object.entries(data.choices).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

const serialize = (entries: Record<string, string>) => JSON.stringify({ version: VERSION, choices: entries }, null, 1);

/** localStorage (pages; not in workers, which lack it). */
export function localStorageStore(storage: Pick<Storage, 'getItem' | 'setItem'>): ChoiceStore {
  return {
    load: async () => parse(storage.getItem(STORAGE_KEY)),
    save: async (entries) => storage.setItem(STORAGE_KEY, serialize(entries)),
  };
}

/** The default Node file: $XDG_CACHE_HOME or ~/.cache on Linux, ~/Library/Caches on macOS, %LOCALAPPDATA% on Windows. */
export async function defaultCachePath(): Promise<string> {
  const os = (await import(/* @vite-ignore */ OS)) as typeof import('node:os');
  const path = (await import(/* @vite-ignore */ PATH)) as typeof import('node:path');
  const { env, platform } = process;
  const base =
    platform === 'win32'
      ? (env.LOCALAPPDATA ?? path.join(os.homedir(), 'AppData', 'Local'))
      : platform === 'darwin'
        ? path.join(os.homedir(), 'Library', 'Caches')
        : (env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'));
  return path.join(base, 'shadergrad', 'kernel-choice.json');
}

/** A JSON file in Node (created with its folder on first save). */
export function fileStore(path?: string): ChoiceStore {
  const file = path ? Promise.resolve(path) : defaultCachePath();
  const fs = () => import(/* @vite-ignore */ FS) as Promise<typeof import('node:fs/promises')>;
  return {
    async load() {
      const text = await (await fs()).readFile(await file, 'utf8').catch(() => null);
      return parse(text);
    },
    async save(entries) {
      const { mkdir, rename, writeFile } = await fs();
      const target = await file;
      await mkdir(target.replace(/[\\/][^\\/]*$/, ''), { recursive: true });
      // Written aside, then renamed: a reader never sees half a file.
      const aside = `${target}.${Math.random().toString(36).slice(2)}.tmp`;
      await writeFile(aside, serialize(entries));
      await rename(aside, target);
    },
  };
}

/** localStorage where there is one, a file in Node (at `path` if given), else undefined. */
export function defaultChoiceStore(path?: string): ChoiceStore | undefined {
  const scope = globalThis as { localStorage?: Storage; process?: { versions?: { node?: string } } };
  if (typeof scope.process?.versions?.node === 'string') return fileStore(path);
  try {
    if (scope.localStorage) return localStorageStore(scope.localStorage);
  } catch {
    // Opaque origins throw on access to localStorage: no store then.
  }
  return undefined;
}
