// The --augment flag of `npm run train`: "shift=2,rotate=10,scale=0.9:1.1,noise=0.1,cutout=8,
// mixup=0.2,cutmix=1" to compile()'s `augment` option (the engine checks the values' ranges).
import { UsageError } from './args';

/** What --augment sets: compile's augment option without imageShape (the CLI knows MNIST's). */
export interface AugmentFlag {
  shift?: number;
  rotate?: number;
  scale?: [number, number];
  noise?: number;
  cutout?: number;
  mixup?: number;
  cutmix?: number;
}

const NUMBER_KEYS = ['shift', 'rotate', 'noise', 'cutout', 'mixup', 'cutmix'] as const;
export const AUGMENT_KEYS = [...NUMBER_KEYS, 'scale'] as const;

function number(key: string, text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 0) throw new UsageError(`--augment ${key} must be a number ≥ 0, got "${text}"`);
  return n;
}

/** Parses "key=value,…" (scale as min:max); throws UsageError naming the part that is wrong. */
export function parseAugmentFlag(spec: string): AugmentFlag {
  const out: AugmentFlag = {};
  const parts = spec.split(',').map((p) => p.trim());
  if (parts.some((p) => p === '')) throw new UsageError(`--augment needs key=value pairs separated by commas (keys ${AUGMENT_KEYS.join(', ')}), got "${spec}"`);
  for (const part of parts) {
    const [key, value, ...rest] = part.split('=');
    if (value === undefined || rest.length > 0) throw new UsageError(`--augment: "${part}" is not key=value (keys ${AUGMENT_KEYS.join(', ')})`);
    if (key! in out) throw new UsageError(`--augment: ${key} is given twice`);
    if (key === 'scale') {
      const range = value.split(':');
      if (range.length !== 2) throw new UsageError(`--augment scale must be min:max, e.g. 0.9:1.1, got "${value}"`);
      out.scale = [number('scale min', range[0]!), number('scale max', range[1]!)];
    } else if ((NUMBER_KEYS as readonly string[]).includes(key!)) {
      out[key as (typeof NUMBER_KEYS)[number]] = number(key!, value);
    } else {
      throw new UsageError(`--augment: unknown key "${key}" (choose ${AUGMENT_KEYS.join(', ')})`);
    }
  }
  return out;
}
