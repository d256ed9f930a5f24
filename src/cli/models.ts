// The models the CLI and the demo can train by name.
import type { Initializer } from '../nn/init';
import { Flatten, Linear, ReLU } from '../nn/layers';
import { BatchNorm1d } from '../nn/norm';
import { Sequential } from '../nn/module';
import type { ModelName } from './args';

/** He initialization for layers followed by ReLU (the notes' recommendation), zero biases. */
const HE: { weightInit: Initializer; biasInit: Initializer } = { weightInit: { kind: 'heNormal' }, biasInit: { kind: 'zeros' } };

/** MNIST models: the MLP 784-256-128-10 (ReLU, He init), the same with batch norm, and softmax regression. */
export function mnistModel(name: ModelName): Sequential {
  switch (name) {
    case 'mlp':
      return new Sequential([
        new Flatten(),
        new Linear(784, 256, HE),
        ReLU(),
        new Linear(256, 128, HE),
        ReLU(),
        new Linear(128, 10),
      ]);
    case 'mlp-bn':
      return new Sequential([
        new Flatten(),
        new Linear(784, 256, HE),
        BatchNorm1d(256),
        ReLU(),
        new Linear(256, 128, HE),
        BatchNorm1d(128),
        ReLU(),
        new Linear(128, 10),
      ]);
    case 'linear':
      return new Sequential([new Flatten(), new Linear(784, 10)]);
  }
}
