// Every lab of the Labs page, in page order. Adding a lab: one new module in this folder that
// exports a `Lab` (see lab.ts), and one line here.
import type { Lab } from './lab';
import { initLab } from './init-lab';
import { optimizersLab } from './optimizers-lab';
import { overfittingLab } from './overfitting-lab';
import { batchnormLab } from './batchnorm-lab';
import { perceptronLab } from './perceptron-lab';
import { cnnLab } from './cnn-lab';
import { schedulesLab } from './schedules-lab';
import { searchLab } from './search-lab';
import { gradcheckLab } from './gradcheck-lab';

export const LABS: readonly Lab[] = [
  initLab, // 1. initialization and activation distributions
  optimizersLab, // 2. optimizer race
  overfittingLab, // 3. overfitting and regularization
  batchnormLab, // 4. batch normalization on and off
  perceptronLab, // 5. perceptron and XOR
  cnnLab, // 6. MLP vs CNN
  schedulesLab, // 7. learning-rate schedules and batch size
  searchLab, // 8. hyperparameter search, random vs grid
  gradcheckLab, // 9. gradient check
];
