// Model files in the browser: download bytes as a file, read a file the user picked, and a
// small IndexedDB store of bytes by key (database 'shadergrad', object store 'models') that
// keeps a model across page loads. In Node, write files with node:fs instead.
import { ShadergradError } from '../gpu/errors';

/** Which IndexedDB helper failed. */
export type StorageOperation = 'save' | 'load' | 'delete';

/** An IndexedDB request failed, or there is no IndexedDB here (Node, some private windows). */
export class StorageError extends ShadergradError {
  override name = 'StorageError';
  constructor(
    message: string,
    readonly operation: StorageOperation,
    readonly key: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface StorageOptions {
  /** IndexedDB database name. Default 'shadergrad'. */
  database?: string;
}

const STORE = 'models';

/**
 * Saves `bytes` as a file named `fileName` through a temporary <a download> on a Blob URL.
 * Browser only.
 */
export function downloadBytes(bytes: Uint8Array, fileName: string, mimeType = 'application/octet-stream'): void {
  const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: mimeType }));
  const anchor = document.createElement('a');
  anchor.href = url;
  anchor.download = fileName;
  anchor.hidden = true;
  document.body.append(anchor);
  try {
    anchor.click();
  } finally {
    anchor.remove();
    // NOTE: revoking right after click() can cancel the download in some browsers (the URL is
    // resolved when the download starts, asynchronously); a few seconds later it is safe.
    setTimeout(() => URL.revokeObjectURL(url), 5000);
  }
}

/** The bytes of a File from <input type=file> or a drop (any Blob). */
export async function readFileBytes(file: Blob): Promise<Uint8Array> {
  return new Uint8Array(await file.arrayBuffer());
}

/** Waits for the database to open, creating the object store on first use. */
function openDatabase(name: string): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(name, 1);
    open.onupgradeneeded = () => open.result.createObjectStore(STORE);
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
}

/**
 * Runs one request in a transaction and resolves with its result once the transaction has
 * committed, so a saved model is there for the next page load; a failed request aborts the
 * transaction, which rejects. Every failure becomes a StorageError naming key and operation.
 */
async function withStore<T>(
  operation: StorageOperation,
  key: string,
  options: StorageOptions,
  mode: IDBTransactionMode,
  request: (store: IDBObjectStore) => IDBRequest<T>,
): Promise<T> {
  const database = options.database ?? 'shadergrad';
  const where = `IndexedDB ${operation} of "${key}" (database "${database}")`;
  if (typeof indexedDB === 'undefined') {
    throw new StorageError(`${where}: IndexedDB is not available here (in Node, write files with node:fs)`, operation, key);
  }
  let db: IDBDatabase | undefined;
  try {
    db = await openDatabase(database);
    const tx = db.transaction(STORE, mode);
    const req = request(tx.objectStore(STORE));
    await new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onabort = () => reject(req.error ?? tx.error ?? new Error('transaction aborted'));
    });
    return req.result;
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw new StorageError(`${where} failed: ${reason}`, operation, key, { cause: error });
  } finally {
    db?.close();
  }
}

/** Stores a copy of `bytes` under `key`, replacing what was there. */
export async function saveToIndexedDB(key: string, bytes: Uint8Array, options: StorageOptions = {}): Promise<void> {
  // A view of part of a larger buffer would store the whole buffer: store exactly the bytes.
  // (new Uint8Array, not slice(): a Node Buffer's slice() is a view.)
  const value = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : new Uint8Array(bytes);
  await withStore('save', key, options, 'readwrite', (store) => store.put(value, key));
}

/** The bytes stored under `key`, or undefined when there are none. */
export async function loadFromIndexedDB(key: string, options: StorageOptions = {}): Promise<Uint8Array | undefined> {
  const value: unknown = await withStore('load', key, options, 'readonly', (store) => store.get(key));
  if (value === undefined || value instanceof Uint8Array) return value;
  throw new StorageError(`IndexedDB load of "${key}": the stored value is not bytes`, 'load', key);
}

/** Removes what is stored under `key` (nothing happens when there is nothing). */
export async function deleteFromIndexedDB(key: string, options: StorageOptions = {}): Promise<void> {
  await withStore('delete', key, options, 'readwrite', (store) => store.delete(key));
}
