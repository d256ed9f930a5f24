// Form fields of a lab's controls box. Each returns a reader of its current value, and carries
// data-testid "<lab id>-<name>" so tests and screenshots can set it like a reader would.
import { el } from './page';

function field(form: HTMLElement, labId: string, name: string, text: string, input: HTMLInputElement | HTMLSelectElement, className?: string): void {
  const label = form.appendChild(el('label', className));
  label.append(text, input);
  input.name = name;
  input.dataset.testid = `${labId}-${name}`;
}

/** A drop-down of [value, label] options. */
export function select<T extends string>(form: HTMLElement, labId: string, name: string, text: string, options: readonly (readonly [T, string])[], value: T): () => T {
  const input = el('select');
  for (const [v, label] of options) input.add(new Option(label, v, v === value, v === value));
  field(form, labId, name, text, input);
  return () => input.value as T;
}

/**
 * A number; a value outside [min, max], or not a whole number when `step` is a whole number
 * (a count), is refused when read (the run stops with the message).
 */
export function numberInput(form: HTMLElement, labId: string, name: string, text: string, value: number, range: { min: number; max: number; step?: number }): () => number {
  const input = el('input');
  input.type = 'number';
  input.value = String(value);
  input.min = String(range.min);
  input.max = String(range.max);
  input.step = String(range.step ?? 'any');
  field(form, labId, name, text, input);
  return () => {
    const v = Number(input.value);
    if (input.value.trim() === '' || !(v >= range.min && v <= range.max)) throw new RangeError(`${text} must be between ${range.min} and ${range.max}, got "${input.value}"`);
    if (Number.isInteger(range.step) && !Number.isInteger(v)) throw new RangeError(`${text} must be a whole number, got "${input.value}"`);
    return v;
  };
}

/** A checkbox. */
export function checkbox(form: HTMLElement, labId: string, name: string, text: string, checked: boolean): () => boolean {
  const input = el('input');
  input.type = 'checkbox';
  input.checked = checked;
  field(form, labId, name, text, input, 'check');
  return () => input.checked;
}
