// Every lab of the Labs page, in page order. Adding a lab: one new module in this folder that
// exports a `Lab` (see lab.ts), and one line here.
import type { Lab } from './lab';
import { initLab } from './init-lab';
import { perceptronLab } from './perceptron-lab';
import { gradcheckLab } from './gradcheck-lab';

export const LABS: readonly Lab[] = [
  initLab, // 1. initialization and activation distributions
  perceptronLab, // 5. perceptron and XOR
  gradcheckLab, // 9. gradient check
];
