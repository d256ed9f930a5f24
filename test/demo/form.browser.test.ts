// The setup form of demo/index.html as the page has it: its defaults read as settings with
// augmentation off (no augment option for compile), the augmentation fields read into
// compile's augment option, a field out of range is refused by name, and locking the form
// (while a model exists) covers the augmentation fields too.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import page from '../../demo/index.html?raw';
import type { GpuRuntime } from '../../src/gpu/runtime';
import { compileOptions, NO_AUGMENT, readSettings, setLocked } from '../../demo/controls';

let host: HTMLElement;
beforeEach(() => {
  host = document.createElement('div');
  host.append(new DOMParser().parseFromString(page, 'text/html').querySelector('#settings')!);
  document.body.append(host);
});
afterEach(() => host.remove());

const field = (testId: string) => host.querySelector<HTMLInputElement>(`[data-testid="${testId}"]`)!;
const runtime = {} as GpuRuntime; // only passed through

describe('demo setup form', () => {
  it('reads its defaults with augmentation off: compile gets no augment option', () => {
    const settings = readSettings();
    expect(settings.augment).toEqual(NO_AUGMENT);
    expect('augment' in compileOptions(settings, runtime)).toBe(false);
  });

  it('maps the augmentation fields to compile’s augment option', () => {
    field('aug-shift').value = '2';
    field('aug-rotate').value = '15';
    field('aug-scale').value = '0.1';
    field('aug-mixup').value = '0.2';
    expect(compileOptions(readSettings(), runtime).augment).toEqual({ imageShape: [1, 28, 28], shift: 2, rotate: 15, scale: [0.9, 1.1], mixup: 0.2 });
    field('aug-rotate').value = '90';
    expect(() => readSettings()).toThrow('Rotate must be between 0 and 45');
  });

  it('locks the augmentation fields with the rest of the form', () => {
    setLocked(true);
    expect(field('aug-noise').matches(':disabled')).toBe(true);
    setLocked(false);
    expect(field('aug-noise').matches(':disabled')).toBe(false);
  });
});
