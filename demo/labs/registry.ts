// Every lab of the Labs page, in page order. Adding a lab: one new module in this folder that
// exports a `Lab` (see lab.ts), and one line here.
import type { Lab } from './lab';
import { initLab } from './init-lab';
import { batchnormLab } from './batchnorm-lab';
import { perceptronLab } from './perceptron-lab';
import { searchLab } from './search-lab';
import { gradcheckLab } from './gradcheck-lab';

export const LABS: readonly Lab[] = [
  initLab, // 1. initialization and activation distributions
  batchnormLab, // 4. batch normalization on and off
  perceptronLab, // 5. perceptron and XOR
  searchLab, // 8. hyperparameter search, random vs grid
  gradcheckLab, // 9. gradient check
];
