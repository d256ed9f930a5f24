// Argument checks shared by every public entry point: each throws a ConfigError that names
// the option or argument (`what`), shows the value given and says what is allowed.
import { ConfigError } from './errors';

/** A short, safe rendering of any value for an error message. */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint' || value == null) return String(value);
  if (typeof value === 'function') return 'a function';
  if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${(value as unknown as ArrayLike<unknown>).length ?? value.byteLength})`;
  if (Array.isArray(value)) return value.length <= 8 ? `[${value.map(show).join(', ')}]` : `an array of ${value.length}`;
  return `an object (${Object.keys(value as object).slice(0, 6).join(', ') || 'no keys'})`;
}

export function fail(what: string, value: unknown, allowed: string): never {
  throw new ConfigError(`${what} must be ${allowed}, got ${show(value)}`);
}

/** The largest finite float32. */
export const F32_MAX = 3.4028234663852886e38;

/** A finite number that stays finite in float32, within [min, max]. */
export function finiteNumber(what: string, value: unknown, min = -F32_MAX, max = F32_MAX): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    const range = min === -F32_MAX && max === F32_MAX ? 'a finite number (float32 range)' : `a finite number in [${min}, ${max}]`;
    fail(what, value, range);
  }
  return value;
}

/** An integer within [min, max]. */
export function integer(what: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(what, value, max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer in [${min}, ${max}]`);
  }
  return value;
}

export function boolean(what: string, value: unknown): boolean {
  if (typeof value !== 'boolean') fail(what, value, 'true or false');
  return value;
}

/** A plain options object (or undefined when optional). */
export function optionsObject(what: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || ArrayBuffer.isView(value)) fail(what, value, 'an options object');
  return value as Record<string, unknown>;
}

/** Rejects keys the caller did not mean (a typo like `batch` for `batchSize` must not pass silently). */
export function knownKeys(what: string, value: Record<string, unknown>, allowed: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key) && value[key] !== undefined) {
      throw new ConfigError(`${what}: unknown option ${JSON.stringify(key)} (allowed: ${allowed.join(', ')})`);
    }
  }
}

/** A non-empty array of positive integers (a shape). */
export function shape(what: string, value: unknown): readonly number[] {
  if (!Array.isArray(value) || value.length === 0 || value.some((d) => typeof d !== 'number' || !Number.isInteger(d) || d < 1)) {
    fail(what, value, 'a non-empty array of positive integers');
  }
  return value as number[];
}
