// Node only: the CLI's model and checkpoint files (safetensors) on disk, with one-line errors.
import { readFileSync, writeFileSync } from 'node:fs';
import { ShadergradError } from '../gpu/errors';

/** A model or checkpoint file could not be read or written. */
export class ModelFileError extends ShadergradError {
  override name = 'ModelFileError';
}

export function readModelFile(flag: string, path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (error) {
    throw new ModelFileError(`${flag} ${path}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

export function writeModelFile(flag: string, path: string, bytes: Uint8Array): void {
  try {
    writeFileSync(path, bytes);
  } catch (error) {
    throw new ModelFileError(`${flag} ${path}: cannot write the file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}
