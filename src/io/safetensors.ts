// Reader and writer of the safetensors format (https://github.com/huggingface/safetensors):
// an 8-byte little-endian u64 N, N bytes of UTF-8 JSON naming each tensor's dtype, shape and
// [begin, end) byte range in the data buffer that follows, then that buffer. The reader trusts
// nothing: every size is checked against the file before anything is allocated, and every
// problem is a DataFormatError naming the tensor and what is wrong with it.
//
// Order: the writer lays the data out as the reference writer does (by dtype alignment,
// descending, then by name) but writes the header's keys in the caller's order; the reader
// returns tensors in the header's key order. So a round trip keeps the state dict's order
// (PyTorch's), while files from other writers come back in the order their header lists them.
import { type StateDict, type StateDictLike, type StateTensor, toStateDict } from './state-dict';
import { LITTLE_ENDIAN_HOST, swapBytes } from './safetensors-dtypes';
import {
  elementCount,
  fail,
  isNaturals,
  kindOf,
  LENGTH_BYTES,
  MAX_HEADER_BYTES,
  METADATA_KEY,
  preview,
  readHeader,
  tensorFail,
} from './safetensors-header';

// Defined beside the header reader, which enforces it; part of this module's public API.
export { MAX_HEADER_BYTES };

/** The data buffer starts 8-byte aligned, so an offset aligned to a dtype stays aligned in memory. */
const DATA_ALIGNMENT = 8;
const SPACE = 0x20;

// ---------------------------------------------------------------------------------------------
// Writing

/**
 * Serializes a state dict: Float32Array tensors as F32, BigInt64Array tensors as I64, all
 * little-endian. `metadata` becomes the header's `__metadata__` (omitted when empty).
 */
export function saveSafetensors(dict: StateDictLike, metadata: Record<string, string> = {}): Uint8Array {
  const tensors = [...toStateDict(dict)].map(([name, tensor]) => writableTensor(name, tensor));
  // As the reference does: widest dtype first, so every tensor starts aligned to its element size.
  const layout = [...tensors].sort(
    (a, b) => b.data.BYTES_PER_ELEMENT - a.data.BYTES_PER_ELEMENT || compareCodePoints(a.name, b.name),
  );
  const begins = new Map<string, number>();
  let dataLength = 0;
  for (const { name, data } of layout) {
    begins.set(name, dataLength);
    dataLength += data.byteLength;
  }

  const entries = Object.entries(metadata);
  for (const [key, value] of entries) {
    if (typeof value !== 'string') fail(`${METADATA_KEY} ${preview(key)}: value must be a string, got ${kindOf(value)}`);
  }
  // Built by hand, not by JSON.stringify of an object, which would move integer-like names first.
  const fields = entries.length ? [`${JSON.stringify(METADATA_KEY)}:${jsonObject(entries)}`] : [];
  for (const { name, dtype, shape, data } of tensors) {
    const begin = begins.get(name)!;
    const info = { dtype, shape, data_offsets: [begin, begin + data.byteLength] };
    fields.push(`${JSON.stringify(name)}:${JSON.stringify(info)}`);
  }
  const json = new TextEncoder().encode(`{${fields.join(',')}}`);
  const headerLength = Math.ceil(json.length / DATA_ALIGNMENT) * DATA_ALIGNMENT;
  if (headerLength > MAX_HEADER_BYTES) fail(`header would be ${headerLength} bytes, over MAX_HEADER_BYTES (${MAX_HEADER_BYTES})`);

  const file = new Uint8Array(LENGTH_BYTES + headerLength + dataLength);
  new DataView(file.buffer).setBigUint64(0, BigInt(headerLength), true);
  file.set(json, LENGTH_BYTES);
  file.fill(SPACE, LENGTH_BYTES + json.length, LENGTH_BYTES + headerLength);
  for (const { name, data } of layout) {
    const at = LENGTH_BYTES + headerLength + begins.get(name)!;
    file.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
    if (!LITTLE_ENDIAN_HOST) swapBytes(file.subarray(at, at + data.byteLength), data.BYTES_PER_ELEMENT);
  }
  return file;
}

interface WritableTensor {
  readonly name: string;
  readonly dtype: 'F32' | 'I64';
  readonly shape: readonly number[];
  readonly data: Float32Array | BigInt64Array;
}

function writableTensor(name: string, { shape, data }: StateTensor): WritableTensor {
  if (name === '') fail('a tensor has an empty name');
  if (name === METADATA_KEY) fail(`${METADATA_KEY} is reserved for metadata and cannot name a tensor`);
  const dtype = data instanceof Float32Array ? 'F32' : data instanceof BigInt64Array ? 'I64' : undefined;
  if (!dtype) tensorFail(name, `data must be a Float32Array or a BigInt64Array, got ${kindOf(data)}`);
  if (!isNaturals(shape)) tensorFail(name, `shape must be an array of non-negative integers, got ${preview(shape)}`);
  const count = elementCount(shape);
  if (count !== data.length) {
    tensorFail(name, `shape ${preview(shape)} has ${count ?? 'over 2^53'} elements but the data has ${data.length}`);
  }
  return { name, dtype, shape, data };
}

function jsonObject(entries: readonly (readonly [string, string])[]): string {
  return `{${entries.map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value)}`).join(',')}}`;
}

/** Orders strings as Rust orders them (by UTF-8 bytes, i.e. by code point), not by UTF-16 unit. */
function compareCodePoints(a: string, b: string): number {
  for (let i = 0; i < a.length && i < b.length; ) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    i += x > 0xffff ? 2 : 1;
  }
  return a.length - b.length;
}

// ---------------------------------------------------------------------------------------------
// Reading

/** Parses a safetensors file into its tensors (see readSafetensors). */
export function loadSafetensors(bytes: Uint8Array): StateDict {
  return readSafetensors(bytes).tensors;
}

/**
 * Parses a safetensors file: tensors in the header's key order and the `__metadata__` strings
 * ({} when absent). F32, F16, BF16 and F64 become Float32Array; I64, I32, I16, I8, U8, U16 and
 * U32 become BigInt64Array. The data is always copied, never a view on `bytes`. Throws
 * DataFormatError for anything the reference reader rejects, and for duplicate names.
 */
export function readSafetensors(bytes: Uint8Array): { tensors: StateDict; metadata: Record<string, string> } {
  const { dataStart, layouts, metadata } = readHeader(bytes);
  const tensors: StateDict = new Map();
  for (const { name, shape, begin, end, decoder } of layouts) {
    const slice = bytes.subarray(dataStart + begin, dataStart + end);
    tensors.set(name, { shape, data: decoder.decode(slice) });
  }
  return { tensors, metadata };
}
