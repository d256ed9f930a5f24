// The setup form of demo/index.html as the page has it: its defaults read as settings with
// augmentation off (no augment option for compile), the augmentation fields read into
// compile's augment option, a field out of range is refused by name, and locking the form
// (while a model exists) covers the augmentation fields too; picking another optimizer sets an
// untouched learning rate to its default and says so, and keeps one the user typed.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import page from '../../demo/index.html?raw';
import type { GpuRuntime } from '../../src/gpu/runtime';
import { compileOptions, NO_AUGMENT, readSettings, setLocked } from '../../demo/controls';
import { wireOptimizerDefaults } from '../../demo/optimizer-defaults';

let host: HTMLElement;
beforeEach(() => {
  host = document.createElement('div');
  const parsed = new DOMParser().parseFromString(page, 'text/html');
  host.append(parsed.querySelector('#settings')!);
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

  it('sets an untouched learning rate to the new optimizer’s default and says so; keeps a typed one', () => {
    const form = host.querySelector<HTMLFormElement>('#settings')!;
    const note = host.querySelector<HTMLElement>('[data-testid="optimizer-note"]')!;
    wireOptimizerDefaults(form, note);
    const optimizer = host.querySelector<HTMLSelectElement>('[data-testid="optimizer"]')!;
    const pick = (value: string) => {
      optimizer.value = value;
      optimizer.dispatchEvent(new Event('change'));
    };
    expect(note.hidden).toBe(true);
    pick('momentum');
    expect(field('lr').value).toBe('0.01');
    expect(note.hidden).toBe(false);
    expect(note.textContent).toBe("lr set to 0.01, Momentum's default");

    field('lr').value = '0.02';
    field('lr').dispatchEvent(new Event('input')); // the user typed it
    pick('sgd');
    expect(field('lr').value).toBe('0.02');
    expect(note.textContent).toBe("lr kept at your 0.02 (SGD's default: 0.05)");
    expect(readSettings()).toMatchObject({ optimizer: 'sgd', lr: 0.02 });
  });
});
