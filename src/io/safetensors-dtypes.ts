// The safetensors dtypes this reader understands: how each is decoded from the file's
// little-endian bytes into a state dict's Float32Array or BigInt64Array, and the byte swap the
// writer needs to store F32 and I64 little-endian on a big-endian host.

export const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** How a dtype is read: bytes per element and the conversion to a state-dict array. */
export interface Decoder {
  readonly size: number;
  decode(bytes: Uint8Array): Float32Array | BigInt64Array;
}

function dataView(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** F32 and I64 are copied bytewise into a fresh, aligned buffer, which keeps NaN payloads exact. */
function copied(size: number, wrap: (buffer: ArrayBuffer) => Float32Array | BigInt64Array): Decoder {
  return {
    size,
    decode(bytes) {
      // new Uint8Array(view) copies into a fresh ArrayBuffer at offset 0; bytes.slice() would
      // not on a Node Buffer (readFileSync's), whose slice() is a view into a shared pool.
      const copy = new Uint8Array(bytes);
      if (!LITTLE_ENDIAN_HOST) swapBytes(copy, size);
      return wrap(copy.buffer);
    },
  };
}

/** A float dtype read one little-endian element at a time and rounded to float32. */
function floats(size: number, read: (view: DataView, offset: number) => number): Decoder {
  return {
    size,
    decode(bytes) {
      const view = dataView(bytes);
      const out = new Float32Array(bytes.length / size);
      for (let i = 0; i < out.length; i++) out[i] = read(view, i * size);
      return out;
    },
  };
}

/** An integer dtype widened to int64, the one integer type of a state dict. */
function integers(size: number, read: (view: DataView, offset: number) => number): Decoder {
  return {
    size,
    decode(bytes) {
      const view = dataView(bytes);
      const out = new BigInt64Array(bytes.length / size);
      for (let i = 0; i < out.length; i++) out[i] = BigInt(read(view, i * size));
      return out;
    },
  };
}

/** bfloat16 is the upper half of a float32; written as bits so NaN payloads survive. */
const BFLOAT16: Decoder = {
  size: 2,
  decode(bytes) {
    const view = dataView(bytes);
    const out = new Float32Array(bytes.length / 2);
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < bits.length; i++) bits[i] = view.getUint16(2 * i, true) << 16;
    return out;
  },
};

/** A Map, not an object: a dtype named "constructor" must not find Object.prototype's. */
export const DECODERS = new Map<string, Decoder>([
  ['F32', copied(4, (buffer) => new Float32Array(buffer))],
  ['F16', floats(2, (view, at) => halfToFloat(view.getUint16(at, true)))],
  ['BF16', BFLOAT16],
  ['F64', floats(8, (view, at) => Math.fround(view.getFloat64(at, true)))],
  ['I64', copied(8, (buffer) => new BigInt64Array(buffer))],
  ['I32', integers(4, (view, at) => view.getInt32(at, true))],
  ['I16', integers(2, (view, at) => view.getInt16(at, true))],
  ['I8', integers(1, (view, at) => view.getInt8(at))],
  ['U8', integers(1, (view, at) => view.getUint8(at))],
  ['U16', integers(2, (view, at) => view.getUint16(at, true))],
  ['U32', integers(4, (view, at) => view.getUint32(at, true))],
]);

/** IEEE half precision: 1 sign, 5 exponent (bias 15), 10 fraction bits. */
function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24; // zero and subnormals
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * (0x400 + fraction) * 2 ** (exponent - 25);
}

/** Reverses each element's bytes in place: little-endian file <-> big-endian host. */
export function swapBytes(bytes: Uint8Array, size: number): void {
  for (let at = 0; at < bytes.length; at += size) bytes.subarray(at, at + size).reverse();
}
