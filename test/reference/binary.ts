// Float64 CPU reference of the flat binary/linear elementwise ops and bias add.

type Values = ArrayLike<number>;

export const add = (a: Values, b: Values): number[] => Array.from(a, (v, i) => v + b[i]!);

export const multiply = (a: Values, b: Values): number[] => Array.from(a, (v, i) => v * b[i]!);

export const scale = (x: Values, alpha: number): number[] => Array.from(x, (v) => alpha * v);

/** The value of y after y += α·x. */
export const accumulate = (y: Values, x: Values, alpha: number): number[] => Array.from(y, (v, i) => v + alpha * x[i]!);

/** y[o, c, s] = x[o, c, s] + b[c] for x of shape [outer, channels, inner] (row-major). */
export function biasAdd(x: Values, b: Values, channels: number, inner: number): number[] {
  return Array.from(x, (v, i) => v + b[Math.floor(i / inner) % channels]!);
}
