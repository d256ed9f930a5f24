// Reading and validating a safetensors header: the length prefix, the JSON and its key order,
// each tensor's dtype, shape and byte range, and the __metadata__ strings. Also holds the checks
// and DataFormatError helpers that the writer in ./safetensors shares.
import { DataFormatError } from '../data/idx';
import { DECODERS, type Decoder } from './safetensors-dtypes';

/**
 * The largest JSON header read or written, in bytes. The reference caps headers at 100 MB;
 * 16 MiB still holds ~150,000 tensor entries (~100 bytes each), far more than any real
 * checkpoint has, and bounds how much text a hostile length makes us decode and parse.
 */
export const MAX_HEADER_BYTES = 16 * 1024 * 1024;

export const METADATA_KEY = '__metadata__';
export const LENGTH_BYTES = 8;

/**
 * Reads and validates everything but the tensor data: where the data buffer starts, each
 * tensor's layout in it (in the header's key order), and the `__metadata__` strings.
 */
export function readHeader(bytes: Uint8Array): {
  dataStart: number;
  layouts: Layout[];
  metadata: Record<string, string>;
} {
  const { text, dataStart } = headerText(bytes);
  const { entries, metadata } = parseHeader(text);
  const dataLength = bytes.length - dataStart;
  const layouts = entries.map(([name, entry]) => tensorLayout(name, entry, dataLength));
  checkTiling(layouts, dataLength);
  return { dataStart, layouts, metadata: metadataStrings(metadata) };
}

/** Checks the length prefix and decodes the header; nothing past the file is read. */
function headerText(bytes: Uint8Array): { text: string; dataStart: number } {
  if (bytes.length < LENGTH_BYTES) fail(`${bytes.length} bytes is too short for the 8-byte header length`);
  // Read as BigInt: a hostile u64 may exceed 2^53 and would round as a Number.
  const claimed = new DataView(bytes.buffer, bytes.byteOffset, LENGTH_BYTES).getBigUint64(0, true);
  if (claimed > BigInt(MAX_HEADER_BYTES)) fail(`header length ${claimed} is over MAX_HEADER_BYTES (${MAX_HEADER_BYTES})`);
  const length = Number(claimed);
  if (LENGTH_BYTES + length > bytes.length) {
    fail(`header length ${length} runs past the end of the ${bytes.length}-byte file`);
  }
  let text: string;
  try {
    // ignoreBOM keeps a byte-order mark in the text for JSON.parse to reject, as the reference
    // does, rather than silently dropping it.
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(LENGTH_BYTES, LENGTH_BYTES + length));
  } catch {
    fail('header is not valid UTF-8');
  }
  return { text, dataStart: LENGTH_BYTES + length };
}

/** Parses the header JSON into its tensor entries (in text order) and its metadata value. */
function parseHeader(text: string): { entries: [string, unknown][]; metadata: unknown } {
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (error) {
    fail(`header is not valid JSON (${(error as Error).message})`);
  }
  // Leading whitespace is accepted: the spec says '{' comes first, but the reference reader
  // does not check it (as of safetensors 0.8.0), so files it loads should load here too.
  if (kindOf(header) !== 'object') fail(`header must be a JSON object, got ${kindOf(header)}`);

  const fields = header as Record<string, unknown>;
  const seen = new Set<string>();
  const entries: [string, unknown][] = [];
  for (const key of topLevelKeys(text)) {
    if (seen.has(key)) {
      if (key === METADATA_KEY) fail(`${METADATA_KEY} appears twice in the header`);
      tensorFail(key, 'appears twice in the header');
    }
    seen.add(key);
    if (key === '') fail('a tensor has an empty name');
    if (key !== METADATA_KEY) entries.push([key, fields[key]]);
  }
  return { entries, metadata: fields[METADATA_KEY] };
}

/**
 * The top-level keys of a JSON object text, in the order written and with duplicates, which
 * JSON.parse drops (it keeps the last) and reorders (integer-like keys first). Only called on
 * text JSON.parse accepted, so tracking string escapes and bracket depth is enough.
 */
function topLevelKeys(text: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  let keyNext = false; // the next string at depth 1 is a key: just after '{' or ','
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      const start = i;
      for (i++; text[i] !== '"'; i++) if (text[i] === '\\') i++;
      if (depth === 1 && keyNext) keys.push(JSON.parse(text.slice(start, i + 1)) as string);
      keyNext = false;
    } else if (c === '{' || c === '[') {
      keyNext = ++depth === 1;
    } else if (c === '}' || c === ']') {
      depth--;
    } else if (c === ',' && depth === 1) {
      keyNext = true;
    }
  }
  return keys;
}

/** A tensor's header entry, validated against the data buffer. */
export interface Layout {
  readonly name: string;
  readonly shape: number[];
  readonly begin: number;
  readonly end: number;
  readonly decoder: Decoder;
}

function tensorLayout(name: string, entry: unknown, dataLength: number): Layout {
  if (kindOf(entry) !== 'object') tensorFail(name, `entry must be an object, got ${kindOf(entry)}`);
  // Extra fields are ignored, as the reference reader ignores them.
  const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
  if (typeof dtype !== 'string') tensorFail(name, `dtype must be a string, got ${kindOf(dtype)}`);
  const decoder = DECODERS.get(dtype);
  if (!decoder) tensorFail(name, `unsupported dtype ${preview(dtype)} (readable: ${[...DECODERS.keys()].join(', ')})`);
  if (!isNaturals(shape)) tensorFail(name, `shape must be an array of non-negative integers, got ${preview(shape)}`);
  if (!isNaturals(offsets) || offsets.length !== 2 || offsets[0]! > offsets[1]!) {
    tensorFail(name, `data_offsets must be [begin, end] with 0 <= begin <= end, got ${preview(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (end > dataLength) tensorFail(name, `data_offsets end ${end} is past the ${dataLength}-byte data buffer`);
  const count = elementCount(shape);
  if (count === undefined) tensorFail(name, `shape ${preview(shape)} has more than 2^53 elements`);
  // Compared as Numbers: count * size may round above 2^53, but then it cannot equal end - begin.
  if (count * decoder.size !== end - begin) {
    tensorFail(
      name,
      `${dtype} shape ${preview(shape)} needs ${count * decoder.size} bytes but data_offsets [${begin}, ${end}] ` +
        `span ${end - begin}`,
    );
  }
  return { name, shape: [...shape], begin, end, decoder };
}

/** Tensors must tile the data buffer exactly, as the reference reader requires: no overlap, no gap. */
function checkTiling(layouts: readonly Layout[], dataLength: number): void {
  const byOffset = [...layouts].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let previous: Layout | undefined;
  for (const t of byOffset) {
    if (t.begin < cursor) {
      tensorFail(t.name, `data_offsets [${t.begin}, ${t.end}] overlap tensor ${preview(previous!.name)} [${previous!.begin}, ${cursor}]`);
    }
    if (t.begin > cursor) {
      tensorFail(t.name, `data starts at byte ${t.begin} but the tensors before it end at byte ${cursor}, leaving a gap`);
    }
    cursor = t.end;
    previous = t;
  }
  if (cursor !== dataLength) fail(`tensors end at byte ${cursor} of the ${dataLength}-byte data buffer, leaving bytes no tensor owns`);
}

function metadataStrings(value: unknown): Record<string, string> {
  // null is no metadata, as the reference reader (an Option in Rust) takes it.
  if (value === undefined || value === null) return {};
  if (kindOf(value) !== 'object') fail(`${METADATA_KEY} must be an object of strings, got ${kindOf(value)}`);
  const entries = Object.entries(value as Record<string, unknown>);
  for (const [key, text] of entries) {
    if (typeof text !== 'string') fail(`${METADATA_KEY} ${preview(key)}: value must be a string, got ${kindOf(text)}`);
  }
  // fromEntries defines own properties, so a "__proto__" key stays a key.
  return Object.fromEntries(entries) as Record<string, string>;
}

// ---------------------------------------------------------------------------------------------
// Validation helpers

/** An array of non-negative safe integers: a shape, or a [begin, end] pair. */
export function isNaturals(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((d) => Number.isSafeInteger(d) && d >= 0);
}

/** The product of the dimensions, or undefined past 2^53 (where Numbers stop being exact). */
export function elementCount(shape: readonly number[]): number | undefined {
  if (shape.includes(0)) return 0;
  let count = 1;
  for (const d of shape) {
    count *= d;
    if (count > Number.MAX_SAFE_INTEGER) return undefined;
  }
  return count;
}

export function kindOf(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
}

/**
 * JSON text of a value for a message, cut short: a hostile header may hold megabyte-long names.
 * A deeply nested value overflows JSON.stringify's stack, so it is then named by its kind.
 */
export function preview(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = `a deeply nested ${kindOf(value)}`;
  }
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

export function fail(message: string): never {
  throw new DataFormatError(`safetensors: ${message}`);
}

export function tensorFail(name: string, message: string): never {
  fail(`tensor ${preview(name)}: ${message}`);
}
