// safetensors: bit-exact round trips, the reference writer's layout, dtype conversions from
// hand-built files, and a table of corrupt or hostile files that must each fail clearly.
import { describe, expect, it } from 'vitest';
import { DataFormatError } from '../../src/data/idx';
import { loadSafetensors, MAX_HEADER_BYTES, readSafetensors, saveSafetensors } from '../../src/io/safetensors';
import type { StateDict, StateTensor } from '../../src/io/state-dict';

// ---- building files by hand ------------------------------------------------------------------

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The 8-byte little-endian length prefix followed by `rest`; the length may lie. */
function withLength(length: bigint, rest: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + rest.length);
  new DataView(out.buffer).setBigUint64(0, length, true);
  out.set(rest, 8);
  return out;
}

/** A file from a header (an object, raw JSON text or raw bytes) and data (bytes, or a zero-filled size). No padding. */
function file(header: unknown, data: Uint8Array | number = 0): Uint8Array {
  const json =
    header instanceof Uint8Array
      ? header
      : new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  return withLength(BigInt(json.length), concat(json, typeof data === 'number' ? new Uint8Array(data) : data));
}

/** A file whose tensors are laid out back to back, in the order given. */
function tiled(parts: [name: string, dtype: string, shape: number[], data: Uint8Array][]): Uint8Array {
  let offset = 0;
  const header = Object.fromEntries(
    parts.map(([name, dtype, shape, data]) => [name, { dtype, shape, data_offsets: [offset, (offset += data.length)] }]),
  );
  return file(header, concat(...parts.map((p) => p[3])));
}

function littleEndian(size: number, values: readonly number[], write: (v: DataView, at: number, x: number) => void) {
  const out = new Uint8Array(size * values.length);
  const view = new DataView(out.buffer);
  values.forEach((x, i) => write(view, i * size, x));
  return out;
}
const u8 = (...v: number[]) => Uint8Array.from(v);
const i8 = (...v: number[]) => littleEndian(1, v, (d, at, x) => d.setInt8(at, x));
const u16 = (...v: number[]) => littleEndian(2, v, (d, at, x) => d.setUint16(at, x, true));
const i16 = (...v: number[]) => littleEndian(2, v, (d, at, x) => d.setInt16(at, x, true));
const u32 = (...v: number[]) => littleEndian(4, v, (d, at, x) => d.setUint32(at, x, true));
const i32 = (...v: number[]) => littleEndian(4, v, (d, at, x) => d.setInt32(at, x, true));
const f32 = (...v: number[]) => littleEndian(4, v, (d, at, x) => d.setFloat32(at, x, true));
const f64 = (...v: number[]) => littleEndian(8, v, (d, at, x) => d.setFloat64(at, x, true));

function hex(text: string): Uint8Array {
  return Uint8Array.from(text.match(/../g)!, (byte) => parseInt(byte, 16));
}

/** The raw bit patterns of float data, so NaN payloads and -0 compare exactly. */
function bits(data: Float32Array | BigInt64Array): number[] {
  return [...new Uint32Array(data.buffer, data.byteOffset, data.byteLength / 4)];
}

function floatsOf(bitPatterns: number[]): Float32Array {
  return new Float32Array(Uint32Array.from(bitPatterns).buffer);
}

function headerOf(bytes: Uint8Array): string {
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return new TextDecoder().decode(bytes.subarray(8, 8 + length));
}

function expectSameTensors(actual: StateDict, expected: StateDict): void {
  expect([...actual.keys()]).toEqual([...expected.keys()]);
  for (const [name, want] of expected) {
    const got = actual.get(name)!;
    expect(got.shape, name).toEqual(want.shape);
    expect(got.data.constructor, name).toBe(want.data.constructor);
    expect(bits(got.data), name).toEqual(bits(want.data));
  }
}

// ---- round trips -----------------------------------------------------------------------------

describe('saveSafetensors / readSafetensors round trip', () => {
  const special = floatsOf([
    0x7fc00001, // quiet NaN with a payload
    0xffbfffff, // negative signalling NaN, full payload
    0x80000000, // -0
    0x7f800000, // +inf
    0x00000001, // smallest subnormal
    0x3fc00000, // 1.5
  ]);
  const dict: StateDict = new Map<string, StateTensor>([
    ['0.weight', { shape: [2, 3], data: special }],
    ['1.num_batches_tracked', { shape: [], data: BigInt64Array.of(12345678901234n) }],
    ['big', { shape: [4], data: BigInt64Array.of(-(2n ** 63n), 2n ** 63n - 1n, 0n, -1n) }],
    ['scalar', { shape: [], data: Float32Array.of(3.5) }],
    ['empty.f32', { shape: [0, 3], data: new Float32Array(0) }],
    ['empty.i64', { shape: [2, 0], data: new BigInt64Array(0) }],
    ['wéight.层.😀', { shape: [1], data: Float32Array.of(-0) }],
    ['a"b\\c', { shape: [1], data: Float32Array.of(7) }],
    ['7', { shape: [1], data: Float32Array.of(8) }], // integer-like: JSON.parse would list it first
    ['__proto__', { shape: [1], data: Float32Array.of(9) }],
  ]);

  it('is bit-identical, NaN payloads and -0 included, and keeps the caller order', () => {
    const { tensors, metadata } = readSafetensors(saveSafetensors(dict));
    expectSameTensors(tensors, dict);
    expect(metadata).toEqual({});
  });

  it('returns copies, not views on the file', () => {
    const bytes = saveSafetensors(dict);
    const loaded = loadSafetensors(bytes);
    expect(loaded.get('0.weight')!.data.buffer).not.toBe(bytes.buffer);
    bytes.fill(0);
    expect(bits(loaded.get('0.weight')!.data)).toEqual(bits(special));
  });

  it('keeps metadata, including unicode and a "__proto__" key', () => {
    // Parsed, not an object literal: a literal's "__proto__" would set the prototype.
    const metadata = JSON.parse('{"format":"pt","ключ":"значение \\"quoted\\"","__proto__":"x","":""}');
    const read = readSafetensors(saveSafetensors(dict, metadata));
    expect(Object.entries(read.metadata)).toEqual(Object.entries(metadata));
    expect(Object.keys(read.metadata)).toContain('__proto__');
    expect(read.metadata['ключ']).toBe('значение "quoted"');
  });

  it('writes an empty dict as an 8-byte padded "{}"', () => {
    const bytes = saveSafetensors(new Map());
    expect([...bytes.subarray(0, 8)]).toEqual([8, 0, 0, 0, 0, 0, 0, 0]);
    expect(headerOf(bytes)).toBe('{}      ');
    expect(bytes.length).toBe(16);
    const read = readSafetensors(bytes);
    expect(read.tensors.size).toBe(0);
    expect(read.metadata).toEqual({});
  });

  it('accepts a plain object as the state dict', () => {
    const tensors = loadSafetensors(saveSafetensors({ w: { shape: [2], data: Float32Array.of(1, 2) } }));
    expect([...tensors.get('w')!.data]).toEqual([1, 2]);
  });

  it('pads the header with spaces so the data starts 8-byte aligned', () => {
    for (const names of [['a'], ['ab'], ['abc', 'de'], ['a', 'bb', 'ccc', 'dddd']]) {
      const bytes = saveSafetensors(new Map(names.map((n) => [n, { shape: [1], data: Float32Array.of(1) }])));
      const header = headerOf(bytes);
      expect(header.length % 8).toBe(0);
      expect(header.trimEnd().endsWith('}')).toBe(true);
      expect(header.slice(header.trimEnd().length)).toMatch(/^ *$/);
      expect(header.length - header.trimEnd().length).toBeLessThan(8);
    }
  });

  it('lays out data as the reference writer does: widest dtype first, then by name', () => {
    const bytes = saveSafetensors(
      new Map<string, StateTensor>([
        ['b', { shape: [1], data: Float32Array.of(1) }],
        ['c', { shape: [1], data: BigInt64Array.of(2n) }],
        ['a', { shape: [2], data: Float32Array.of(3, 4) }],
        ['\u{1F600}', { shape: [1], data: Float32Array.of(5) }], // after U+FFFD by code point, before it by UTF-16 unit
        ['\uFFFD', { shape: [1], data: Float32Array.of(6) }],
      ]),
    );
    const header = JSON.parse(headerOf(bytes));
    expect(Object.keys(header)).toEqual(['b', 'c', 'a', '\u{1F600}', '\uFFFD']); // caller order
    expect(header.c.data_offsets).toEqual([0, 8]);
    expect(header.a.data_offsets).toEqual([8, 16]);
    expect(header.b.data_offsets).toEqual([16, 20]);
    expect(header['\uFFFD'].data_offsets).toEqual([20, 24]);
    expect(header['\u{1F600}'].data_offsets).toEqual([24, 28]);
  });

  it('writes the same bytes as the reference writer (safetensors 0.8.0) for the same order', () => {
    // safetensors.numpy.save({"step": int64 [7], "a.bias": float32 [1.5, -2], "b": float32 [[0.25]]},
    //                        metadata={"format": "pt"})
    const reference = hex(
      'd0000000000000007b225f5f6d657461646174615f5f223a7b22666f726d6174223a227074227d2c2273746570223a7b2264' +
        '74797065223a22493634222c227368617065223a5b315d2c22646174615f6f666673657473223a5b302c385d7d2c22612e62' +
        '696173223a7b226474797065223a22463332222c227368617065223a5b325d2c22646174615f6f666673657473223a5b382c' +
        '31365d7d2c2262223a7b226474797065223a22463332222c227368617065223a5b312c315d2c22646174615f6f6666736574' +
        '73223a5b31362c32305d7d7d2020202007000000000000000000c03f000000c00000803e',
    );
    const dict = new Map<string, StateTensor>([
      ['step', { shape: [1], data: BigInt64Array.of(7n) }],
      ['a.bias', { shape: [2], data: Float32Array.of(1.5, -2) }],
      ['b', { shape: [1, 1], data: Float32Array.of(0.25) }],
    ]);
    expect(saveSafetensors(dict, { format: 'pt' })).toEqual(reference);
    const read = readSafetensors(reference);
    expectSameTensors(read.tensors, dict);
    expect(read.metadata).toEqual({ format: 'pt' });
  });
});

describe('reading from a view into a larger buffer', () => {
  // A bug found: F32/I64 were copied with bytes.slice(), which on a Node Buffer (readFileSync's,
  // a view into a shared pool) is a view, so the data came from the start of the pool (that
  // case: test/io/node-storage.node.test.ts). Any view with a byteOffset must read its own bytes.
  it.each([1, 3, 8])('reads F32 and I64 at byteOffset %i', (offset) => {
    const file = saveSafetensors(new Map<string, StateTensor>([
      ['w', { shape: [3], data: Float32Array.of(1, -2, 3.5) }],
      ['n', { shape: [], data: BigInt64Array.of(7n) }],
    ]));
    const pool = new Uint8Array(file.length + 16).fill(0xee);
    pool.set(file, offset);
    const loaded = loadSafetensors(pool.subarray(offset, offset + file.length));
    expect([...loaded.get('w')!.data]).toEqual([1, -2, 3.5]);
    expect([...loaded.get('n')!.data]).toEqual([7n]);
    expect(loaded.get('w')!.data.byteOffset).toBe(0);
  });
});

describe('saveSafetensors rejects what it cannot write', () => {
  const f = (shape: unknown, data: unknown = Float32Array.of(1, 2)) => ({ shape, data }) as unknown as StateTensor;
  it.each<[string, () => unknown, RegExp]>([
    ['shape product ≠ data length', () => saveSafetensors({ w: f([3]) }), /tensor "w": shape \[3\] has 3 elements but the data has 2/],
    ['negative dimension', () => saveSafetensors({ w: f([-2]) }), /tensor "w": shape must be an array of non-negative integers/],
    ['fractional dimension', () => saveSafetensors({ w: f([0.5, 4]) }), /tensor "w": shape must be/],
    ['shape not an array', () => saveSafetensors({ w: f(2) }), /tensor "w": shape must be/],
    ['data not a typed array', () => saveSafetensors({ w: f([2], [1, 2]) }), /tensor "w": data must be a Float32Array or a BigInt64Array/],
    ['data of another typed array', () => saveSafetensors({ w: f([2], Int32Array.of(1, 2)) }), /tensor "w": data must be/],
    ['empty name', () => saveSafetensors({ '': f([2]) }), /empty name/],
    ['the reserved name', () => saveSafetensors({ __metadata__: f([2]) }), /__metadata__ is reserved/],
    ['a non-string metadata value', () => saveSafetensors({}, { epoch: 3 } as never), /__metadata__ "epoch": value must be a string, got number/],
    ['a header over MAX_HEADER_BYTES', () => saveSafetensors({ ['n'.repeat(MAX_HEADER_BYTES)]: f([2]) }), /header would be \d+ bytes, over MAX_HEADER_BYTES \(16777216\)/],
  ])('%s', (_, write, message) => {
    expect(write).toThrow(DataFormatError);
    expect(write).toThrow(message);
  });
});

// ---- reading other writers' files ------------------------------------------------------------

describe('readSafetensors conversions', () => {
  it('decodes F16, BF16, F64 and integer dtypes to exact values', () => {
    const bytes = tiled([
      ['f64', 'F64', [5], f64(0.1, 1e300, -1.5, 2 ** -149, -0)],
      ['i32', 'I32', [3], i32(-2147483648, 2147483647, -1)],
      ['u32', 'U32', [2], u32(4294967295, 1)],
      ['f16', 'F16', [11], u16(0x3c00, 0xc000, 0x0001, 0x03ff, 0x0400, 0x7bff, 0x7c00, 0xfc00, 0x7e00, 0x8000, 0x3555)],
      ['bf16', 'BF16', [6], u16(0x3f80, 0xc049, 0x7f80, 0x0001, 0xff80, 0x7fc1)],
      ['i16', 'I16', [2], i16(-32768, 32767)],
      ['u16', 'U16', [1], u16(65535)],
      ['i8', 'I8', [2], i8(-128, 127)],
      ['u8', 'U8', [2, 2], u8(0, 255, 128, 1)],
    ]);
    const t = loadSafetensors(bytes);
    expect([...t.get('f16')!.data]).toEqual([
      1, -2, 5.960464477539063e-8, 6.097555160522461e-5, 6.103515625e-5, 65504, Infinity, -Infinity, NaN, -0,
      0.333251953125,
    ]);
    const bf16 = t.get('bf16')!;
    expect([...bf16.data].slice(0, 5)).toEqual([1, -3.140625, Infinity, 9.183549615799121e-41, -Infinity]);
    expect(bits(bf16.data)[5]).toBe(0x7fc10000); // NaN payload kept
    expect([...t.get('f64')!.data]).toEqual([0.10000000149011612, Infinity, -1.5, 1.401298464324817e-45, -0]);
    expect([...t.get('i32')!.data]).toEqual([-2147483648n, 2147483647n, -1n]);
    expect([...t.get('u32')!.data]).toEqual([4294967295n, 1n]);
    expect([...t.get('i16')!.data]).toEqual([-32768n, 32767n]);
    expect([...t.get('u16')!.data]).toEqual([65535n]);
    expect([...t.get('i8')!.data]).toEqual([-128n, 127n]);
    expect(t.get('u8')!.shape).toEqual([2, 2]);
    expect([...t.get('u8')!.data]).toEqual([0n, 255n, 128n, 1n]);
    for (const name of ['f16', 'bf16', 'f64']) expect(t.get(name)!.data).toBeInstanceOf(Float32Array);
    for (const name of ['i32', 'u32', 'i16', 'u16', 'i8', 'u8']) expect(t.get(name)!.data).toBeInstanceOf(BigInt64Array);
  });

  it('reads data that starts unaligned, from a buffer at an odd offset', () => {
    const inner = tiled([
      ['x', 'F32', [2], f32(1.25, -3)],
      ['n', 'I64', [1], hex('feffffffffffffff')],
    ]);
    const headerLength = Number(new DataView(inner.buffer).getBigUint64(0, true));
    expect(headerLength % 8).not.toBe(0);
    const outer = new Uint8Array(inner.length + 3);
    outer.set(inner, 3);
    const t = loadSafetensors(outer.subarray(3));
    expect([...t.get('x')!.data]).toEqual([1.25, -3]);
    expect([...t.get('n')!.data]).toEqual([-2n]);
  });

  it("reads the reference's documented example and keeps the header's key order", () => {
    const example = file('{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}', 16);
    expect([...loadSafetensors(example).get('test')!.data]).toEqual([0n, 0n, 0n, 0n]);
    const reversed = file(
      '{"z":{"dtype":"U8","shape":[1],"data_offsets":[1,2]},"3":{"dtype":"U8","shape":[],"data_offsets":[0,1]}}',
      u8(5, 6),
    );
    const t = loadSafetensors(reversed);
    expect([...t.keys()]).toEqual(['z', '3']);
    expect(t.get('3')!.shape).toEqual([]);
    expect([...t.get('3')!.data]).toEqual([5n]);
  });

  it('accepts a header of exactly MAX_HEADER_BYTES', () => {
    expect(readSafetensors(file(`{}${' '.repeat(MAX_HEADER_BYTES - 2)}`)).tensors.size).toBe(0);
  });

  it('accepts what the reference reader accepts: leading whitespace, null metadata', () => {
    const { tensors, metadata } = readSafetensors(file(' \n{"__metadata__":null,"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', u8(3)));
    expect([...tensors.get('w')!.data]).toEqual([3n]);
    expect(metadata).toEqual({});
  });

  it('accepts zero-size tensors anywhere, extra entry fields, and keys that only look alike', () => {
    const bytes = file(
      '{"e0":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},' +
        '"a\\"":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"note":"ignored"},' +
        '"a":{"dtype":"I64","shape":[3,0],"data_offsets":[4,4]},' +
        '"__metadata__":{"a":"same name as a tensor","e0":"x"}}  \n',
      4,
    );
    const { tensors, metadata } = readSafetensors(bytes);
    expect([...tensors.keys()]).toEqual(['e0', 'a"', 'a']);
    expect(tensors.get('a')!.data).toEqual(new BigInt64Array(0));
    expect(metadata).toEqual({ a: 'same name as a tensor', e0: 'x' });
  });
});

// ---- corrupt and hostile files ---------------------------------------------------------------

const w = (entry: unknown) => ({ w: entry });
const f32At = (begin: number, end: number, shape = [(end - begin) / 4]) => ({ dtype: 'F32', shape, data_offsets: [begin, end] });
const ok = f32At(0, 8);

describe('readSafetensors rejects corrupt or hostile files', () => {
  const cases: [string, Uint8Array, RegExp][] = [
    ['an empty file', new Uint8Array(0), /0 bytes is too short for the 8-byte header length/],
    ['a 7-byte file', new Uint8Array(7), /7 bytes is too short/],
    ['a header length past the end of the file', withLength(100n, new Uint8Array(10)), /header length 100 runs past the end of the 18-byte file/],
    ['a header length one past the end', withLength(3n, new TextEncoder().encode('{}')), /header length 3 runs past the end/],
    ['a header length over MAX_HEADER_BYTES', withLength(BigInt(MAX_HEADER_BYTES) + 1n, new Uint8Array(8)), /header length 16777217 is over MAX_HEADER_BYTES \(16777216\)/],
    ['a header length of 2^64 - 1', withLength(2n ** 64n - 1n, new Uint8Array(8)), /header length 18446744073709551615 is over MAX_HEADER_BYTES/],
    ['a header length of 2^53 + 1 (not a safe Number)', withLength(2n ** 53n + 1n, new Uint8Array(8)), /header length 9007199254740993 is over/],
    ['an invalid UTF-8 byte', file(u8(0x7b, 0xff, 0x7d)), /header is not valid UTF-8/],
    ['a UTF-8-encoded surrogate', file(u8(0x7b, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x3a, 0x31, 0x7d)), /not valid UTF-8/],
    ['a truncated UTF-8 sequence', file(u8(0x7b, 0x7d, 0xe2, 0x82)), /not valid UTF-8/],
    ['a byte-order mark before "{"', file(u8(0xef, 0xbb, 0xbf, 0x7b, 0x7d)), /header is not valid JSON/],
    ['an empty header', file(''), /header is not valid JSON/],
    ['truncated JSON', file('{"w": {"dtype": "F32",', 8), /header is not valid JSON/],
    ['text after the object', file('{} x'), /header is not valid JSON/],
    ['a JSON array', file('[]'), /header must be a JSON object, got array/],
    ['deeply nested JSON', file(`{"w":${'['.repeat(100_000)}${']'.repeat(100_000)}}`), /tensor "w": entry must be an object, got array/],
    ['JSON null', file('null'), /header must be a JSON object, got null/],
    ['a JSON number', file('42'), /header must be a JSON object, got number/],
    ['a JSON string', file('"{}"'), /header must be a JSON object, got string/],
    ['an entry that is a number', file(w(5), 8), /tensor "w": entry must be an object, got number/],
    ['an entry that is an array', file(w([ok]), 8), /tensor "w": entry must be an object, got array/],
    ['an entry that is null', file(w(null), 8), /tensor "w": entry must be an object, got null/],
    ['a missing dtype', file(w({ shape: [2], data_offsets: [0, 8] }), 8), /tensor "w": dtype must be a string, got undefined/],
    ['a numeric dtype', file(w({ ...ok, dtype: 4 }), 8), /tensor "w": dtype must be a string, got number/],
    ['dtype BOOL', file(w({ ...ok, dtype: 'BOOL', shape: [8] }), 8), /tensor "w": unsupported dtype "BOOL"/],
    ['dtype U64', file(w({ ...ok, dtype: 'U64', shape: [1] }), 8), /tensor "w": unsupported dtype "U64"/],
    ['dtype F8_E4M3', file(w({ ...ok, dtype: 'F8_E4M3', shape: [8] }), 8), /tensor "w": unsupported dtype "F8_E4M3"/],
    ['dtype F8_E5M2', file(w({ ...ok, dtype: 'F8_E5M2', shape: [8] }), 8), /tensor "w": unsupported dtype "F8_E5M2"/],
    ['an unknown dtype', file(w({ ...ok, dtype: 'F128' }), 8), /tensor "w": unsupported dtype "F128"/],
    ['a lower-case dtype', file(w({ ...ok, dtype: 'f32' }), 8), /tensor "w": unsupported dtype "f32"/],
    ['a dtype named like an Object.prototype member', file(w({ ...ok, dtype: 'constructor' }), 8), /tensor "w": unsupported dtype "constructor"/],
    ['a missing shape', file(w({ dtype: 'F32', data_offsets: [0, 8] }), 8), /tensor "w": shape must be an array of non-negative integers, got undefined/],
    ['a shape that is a number', file(w({ ...ok, shape: 2 }), 8), /tensor "w": shape must be an array .* got 2/],
    ['a negative dimension', file(w({ ...ok, shape: [-2] }), 8), /tensor "w": shape must be an array .* got \[-2\]/],
    ['a fractional dimension', file(w({ ...ok, shape: [1.5] }), 8), /tensor "w": shape must be/],
    ['a string dimension', file(w({ ...ok, shape: ['2'] }), 8), /tensor "w": shape must be/],
    ['a deeply nested shape', file(`{"w":{"dtype":"F32","shape":${'['.repeat(200_000)}${']'.repeat(200_000)},"data_offsets":[0,8]}}`, 8), /tensor "w": shape must be an array of non-negative integers, got (a deeply nested array|\[\[\[)/],
    ['a dimension past 2^53', file(w({ ...ok, shape: [2 ** 60] }), 8), /tensor "w": shape must be/],
    ['an element count past 2^53', file(w({ ...ok, shape: [2 ** 27, 2 ** 27, 2 ** 27] }), 8), /tensor "w": shape \[.*\] has more than 2\^53 elements/],
    ['missing data_offsets', file(w({ dtype: 'F32', shape: [2] }), 8), /tensor "w": data_offsets must be \[begin, end\] with 0 <= begin <= end, got undefined/],
    ['one data offset', file(w({ ...ok, data_offsets: [0] }), 8), /tensor "w": data_offsets must be \[begin, end\]/],
    ['three data offsets', file(w({ ...ok, data_offsets: [0, 4, 8] }), 8), /tensor "w": data_offsets must be/],
    ['a negative begin', file(w({ ...ok, data_offsets: [-4, 4] }), 8), /tensor "w": data_offsets must be/],
    ['begin after end', file(w({ ...ok, data_offsets: [8, 0] }), 8), /tensor "w": data_offsets must be .* got \[8,0\]/],
    ['string offsets', file(w({ ...ok, data_offsets: ['0', '8'] }), 8), /tensor "w": data_offsets must be/],
    ['data_offsets as an object', file(w({ ...ok, data_offsets: { 0: 0, 1: 8 } }), 8), /tensor "w": data_offsets must be/],
    ['an end past the data buffer', file(w(f32At(0, 16)), 8), /tensor "w": data_offsets end 16 is past the 8-byte data buffer/],
    ['an end far past the data buffer', file(w(f32At(0, 2 ** 52)), 8), /tensor "w": data_offsets end 4503599627370496 is past/],
    ['too few bytes for the shape', file(w(f32At(0, 8, [3])), 8), /tensor "w": F32 shape \[3\] needs 12 bytes but data_offsets \[0, 8\] span 8/],
    ['too many bytes for the shape', file(w(f32At(0, 8, [1])), 8), /tensor "w": F32 shape \[1\] needs 4 bytes but .* span 8/],
    ['bytes not a multiple of the dtype size', file(w({ dtype: 'F16', shape: [2], data_offsets: [0, 3] }), 3), /tensor "w": F16 shape \[2\] needs 4 bytes/],
    ['a zero-element shape with bytes', file(w(f32At(0, 8, [0, 2])), 8), /tensor "w": F32 shape \[0,2\] needs 0 bytes/],
    ['overlapping tensors', file({ a: f32At(0, 8), b: f32At(4, 12) }, 12), /tensor "b": data_offsets \[4, 12\] overlap tensor "a" \[0, 8\]/],
    ['two tensors on the same bytes', file({ a: f32At(0, 8), b: f32At(0, 8) }, 8), /tensor "b": data_offsets \[0, 8\] overlap tensor "a"/],
    ['a zero-size tensor inside another', file({ a: f32At(0, 8), z: f32At(4, 4, [0]) }, 8), /tensor "z": data_offsets \[4, 4\] overlap tensor "a"/],
    ['a gap between tensors', file({ a: f32At(0, 8), b: f32At(12, 20) }, 20), /tensor "b": data starts at byte 12 but the tensors before it end at byte 8, leaving a gap/],
    ['a gap before the first tensor', file(w(f32At(4, 12)), 12), /tensor "w": data starts at byte 4 .* end at byte 0/],
    ['trailing bytes no tensor owns', file(w(ok), 12), /tensors end at byte 8 of the 12-byte data buffer, leaving bytes no tensor owns/],
    ['data but no tensors', file({}, 4), /tensors end at byte 0 of the 4-byte data buffer/],
    ['__metadata__ an array', file({ __metadata__: ['a'] }), /__metadata__ must be an object of strings, got array/],
    ['__metadata__ a string', file({ __metadata__: 'a' }), /__metadata__ must be an object of strings, got string/],
    ['a numeric metadata value', file({ __metadata__: { epoch: 1 } }), /__metadata__ "epoch": value must be a string, got number/],
    ['a nested metadata value', file({ __metadata__: { nested: { a: 'b' } } }), /__metadata__ "nested": value must be a string, got object/],
    ['a duplicate tensor name', file(`{"w":${JSON.stringify(ok)},"w":${JSON.stringify(ok)}}`, 8), /tensor "w": appears twice in the header/],
    ['a duplicate name spelled with different escapes', file(`{"a\\"b":${JSON.stringify(f32At(0, 8))},"a\\u0022b":${JSON.stringify(f32At(8, 16))}}`, 16), /tensor "a\\"b": appears twice in the header/],
    ['a duplicate __metadata__', file('{"__metadata__":{},"__metadata__":{"a":"b"}}'), /__metadata__ appears twice in the header/],
    ['an empty tensor name', file({ '': ok }, 8), /a tensor has an empty name/],
  ];

  it.each(cases)('%s', (_, bytes, message) => {
    expect(() => readSafetensors(bytes)).toThrow(DataFormatError);
    expect(() => readSafetensors(bytes)).toThrow(message);
  });

  it('has at least 35 distinct cases', () => {
    expect(new Set(cases.map(([name]) => name)).size).toBe(cases.length);
    expect(cases.length).toBeGreaterThanOrEqual(35);
  });

  it('fails fast, without allocating, on a 1 GB header length and a [2^31, 2^31] shape', () => {
    const hugeHeader = withLength(2n ** 30n, new TextEncoder().encode('{}'));
    const hugeTensor = file(w(f32At(0, 8, [2 ** 31, 2 ** 31])), 8);
    const start = performance.now();
    expect(() => readSafetensors(hugeHeader)).toThrow(DataFormatError);
    expect(() => readSafetensors(hugeTensor)).toThrow(DataFormatError);
    expect(() => readSafetensors(hugeTensor)).toThrow(/more than 2\^53 elements/);
    expect(performance.now() - start).toBeLessThan(100);
  });
});
