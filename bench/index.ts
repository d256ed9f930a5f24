// Every benchmark suite, in the order `npm run bench` runs them.
import type { Suite } from './core';
import { batchnormSuite } from './batchnorm';
import { convSuite } from './conv';
import { elementwiseSuite } from './elementwise';
import { matmulSuite } from './matmul';
import { optimSuite } from './optim';
import { replicasSuite } from './replicas';
import { softmaxSuite } from './softmax';
import { trainSuite } from './train';

export * from './core';
export { TfjsUnavailableError, type TfModules } from './tfjs';
export { JaxjsUnavailableError, jaxjsAdapter, type JaxModules } from './jaxjs';
export { callCounter, type CallCounts } from './count';

export const SUITES: readonly Suite[] = [matmulSuite, convSuite, elementwiseSuite, softmaxSuite, batchnormSuite, optimSuite, trainSuite, replicasSuite];
