// The rule for the learning-rate and weight-decay fields when another optimizer is picked
// (demo/optimizer-defaults.ts): an untouched field takes the new optimizer's default and the
// note says so; a value the user typed stays and the note names the default it kept it over.
import { describe, expect, it } from 'vitest';
import { DEFAULT_LR, defaultWeightDecay, optimizerFields } from '../../demo/optimizer-defaults';

const untouched = (value: string) => ({ value, edited: false });
const typed = (value: string) => ({ value, edited: true });

describe('optimizer defaults', () => {
  it('gives an untouched learning rate the new default and says so', () => {
    expect(optimizerFields('momentum', 'Momentum', untouched('0.001'), untouched('0'))).toEqual({
      lr: '0.01',
      weightDecay: '0',
      note: "lr set to 0.01, Momentum's default",
    });
  });

  it("keeps the user's learning rate and names the default it differs from", () => {
    expect(optimizerFields('momentum', 'Momentum', typed('0.002'), untouched('0'))).toEqual({
      lr: '0.002',
      weightDecay: '0',
      note: "lr kept at your 0.002 (Momentum's default: 0.01)",
    });
  });

  it('says nothing when no value changes and no kept value differs from the default', () => {
    expect(optimizerFields('nesterov', 'Nesterov', untouched('0.01'), untouched('0')).note).toBe('');
    expect(optimizerFields('nesterov', 'Nesterov', typed('0.01'), typed('0')).note).toBe('');
  });

  it("applies the same rule to AdamW's weight decay, both ways", () => {
    expect(optimizerFields('adamw', 'AdamW', untouched('0.001'), untouched('0'))).toEqual({
      lr: '0.001',
      weightDecay: '0.01',
      note: "weight decay set to 0.01, AdamW's default",
    });
    expect(optimizerFields('sgd', 'SGD', untouched('0.001'), typed('0.05'))).toEqual({
      lr: '0.05',
      weightDecay: '0.05',
      note: "lr set to 0.05, SGD's default; weight decay kept at your 0.05 (SGD's default: 0)",
    });
  });

  it('has a default learning rate for every optimizer, decay only for AdamW', () => {
    for (const [name, lr] of Object.entries(DEFAULT_LR)) {
      expect(lr).toBeGreaterThan(0);
      expect(defaultWeightDecay(name as keyof typeof DEFAULT_LR)).toBe(name === 'adamw' ? 0.01 : 0);
    }
  });
});
