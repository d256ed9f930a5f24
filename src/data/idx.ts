// Parser of the IDX format used by MNIST: big-endian header (magic, dimension sizes) then
// unsigned bytes. Headers are validated so a truncated or wrong file fails clearly.
import { ShadergradError } from '../gpu/errors';
import { fail } from '../validate';

/** A file is not valid IDX, or not what the caller expected. */
export class DataFormatError extends ShadergradError {
  override name = 'DataFormatError';
}

/** An IDX tensor of unsigned bytes. */
export interface IdxTensor {
  readonly shape: readonly number[];
  readonly data: Uint8Array;
}

const UNSIGNED_BYTE = 0x08;

/** Parses an IDX file of unsigned bytes (type code 0x08), checking that the sizes add up. */
export function parseIdx(bytes: ArrayBuffer | Uint8Array, what = 'IDX file'): IdxTensor {
  // Anything else would be converted silently: a Float32Array value by value, null to 0 bytes.
  const isArrayBuffer = Object.prototype.toString.call(bytes) === '[object ArrayBuffer]';
  if (!(bytes instanceof Uint8Array) && !isArrayBuffer) fail(what, bytes, 'an ArrayBuffer or a Uint8Array of the file bytes');
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  if (view.byteLength < 4) throw new DataFormatError(`${what}: ${view.byteLength} bytes is too short for an IDX header`);
  const header = new DataView(view.buffer, view.byteOffset, view.byteLength);
  if (header.getUint16(0) !== 0 || view[2] !== UNSIGNED_BYTE) {
    const magic = header.getUint32(0).toString(16).padStart(8, '0');
    throw new DataFormatError(`${what}: magic 0x${magic} is not an unsigned-byte IDX file (expected 0x000008NN)`);
  }
  const rank = view[3]!;
  const headerBytes = 4 + 4 * rank;
  if (rank < 1 || view.byteLength < headerBytes) throw new DataFormatError(`${what}: bad IDX rank ${rank}`);
  const shape = Array.from({ length: rank }, (_, i) => header.getUint32(4 + 4 * i));
  const count = shape.reduce((a, b) => a * b, 1);
  if (view.byteLength !== headerBytes + count) {
    throw new DataFormatError(
      `${what}: header says shape [${shape.join(', ')}] (${count} bytes of data) but the file has ` +
        `${view.byteLength - headerBytes} bytes after the header`,
    );
  }
  return { shape, data: view.subarray(headerBytes) };
}
