// What the learning-rate and weight-decay fields do when another optimizer is picked. The rule:
// a value the user typed is theirs and stays; a field they have not touched follows the new
// optimizer's default. Either way a note under the fields says what happened ("lr set to 0.01,
// Momentum's default"), so that switching optimizers never changes a number silently.
import type { OptimizerName } from './controls';

/** Learning rates that train the demo's MLP well in a few epochs (torch's defaults where they do). */
export const DEFAULT_LR: Record<OptimizerName, number> = {
  sgd: 0.05,
  momentum: 0.01,
  nesterov: 0.01,
  adagrad: 0.01,
  adadelta: 1,
  rmsprop: 0.001,
  adam: 0.001,
  adamw: 0.001,
};

/** Decoupled decay is the point of AdamW (torch's default 0.01); the others start without decay. */
export const defaultWeightDecay = (name: OptimizerName): number => (name === 'adamw' ? 0.01 : 0);

/** A field's text and whether the user has typed into it. */
export interface FieldState {
  value: string;
  edited: boolean;
}

/** The fields' new values and the note to show (empty: nothing to say). */
export interface OptimizerFields {
  lr: string;
  weightDecay: string;
  note: string;
}

/**
 * The fields after picking optimizer `name` (shown to the user as `label`, e.g. "Momentum"):
 * an edited field keeps its value, an untouched one takes the default; the note names every
 * field that changed, and every kept value that differs from the new default.
 */
export function optimizerFields(name: OptimizerName, label: string, lr: FieldState, weightDecay: FieldState): OptimizerFields {
  const notes: string[] = [];
  const apply = (field: FieldState, fallback: number, what: string): string => {
    const value = String(fallback);
    if (field.edited) {
      if (Number(field.value) !== fallback) notes.push(`${what} kept at your ${field.value} (${label}'s default: ${value})`);
      return field.value;
    }
    if (Number(field.value) !== fallback) notes.push(`${what} set to ${value}, ${label}'s default`);
    return value;
  };
  return {
    lr: apply(lr, DEFAULT_LR[name], 'lr'),
    weightDecay: apply(weightDecay, defaultWeightDecay(name), 'weight decay'),
    note: notes.join('; '),
  };
}

/**
 * Applies optimizerFields to the form's `lr` and `weightDecay` inputs whenever the optimizer
 * changes, and shows its note in `note`. A field counts as edited from the user's first input
 * event on it (the values set here fire none).
 */
export function wireOptimizerDefaults(form: HTMLFormElement, note: HTMLElement): void {
  const input = (name: string) => form.elements.namedItem(name) as HTMLInputElement;
  const optimizer = form.elements.namedItem('optimizer') as HTMLSelectElement;
  const lr = input('lr');
  const weightDecay = input('weightDecay');
  const edited = new Set<HTMLInputElement>();
  for (const field of [lr, weightDecay]) field.addEventListener('input', () => edited.add(field));
  const state = (field: HTMLInputElement): FieldState => ({ value: field.value, edited: edited.has(field) });
  optimizer.addEventListener('change', () => {
    const next = optimizerFields(optimizer.value as OptimizerName, optimizer.selectedOptions[0]!.text, state(lr), state(weightDecay));
    lr.value = next.lr;
    weightDecay.value = next.weightDecay;
    note.textContent = next.note;
    note.hidden = !next.note;
  });
}
