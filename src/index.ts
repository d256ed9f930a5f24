// shadergrad public API.

// Errors (every error thrown on purpose is a ShadergradError)
export { ConfigError, ResourceLimitError } from './errors';

// GPU layer
export { requestGpuDevice, type DeviceOptions, type GpuDevice } from './gpu/device';
export {
  DeviceLostError,
  GpuError,
  ShadergradError,
  WebGPUUnavailableError,
  type GpuEnvironment,
  type UnavailableReason,
} from './gpu/errors';
export { PassTimer, type PassTiming } from './gpu/pass-timer';
export { GpuRuntime, type BufferCopy, type BufferResource, type GpuStats, type Launch } from './gpu/runtime';
export type { AdapterFacts } from './gpu/adapter-kind';
export { KernelChooser, type KernelAlternatives, type KernelChoice, type KernelChoiceOptions } from './gpu/kernel-choice';
export type { ChoiceStore } from './gpu/kernel-choice-store';
export { grid1d, type BindingKind, type ComputeProgram } from './gpu/program';

// Kernels (one module per family; each function returns a specialized ComputeProgram)
export * as kernels from './kernels/all';
export type { Activation } from './kernels/elementwise';
export type { OptimizerConfig } from './kernels/optim-config';

// Models
export { Sequential, type Module } from './nn/module';
export { functional, SymbolicTensor } from './nn/functional';
export { ActivationLayer, Dropout, ELU, Flatten, GELU, LeakyReLU, Linear, LogSoftmax, ReLU, Sigmoid, Softmax, SoftmaxLayer, Softplus, Tanh } from './nn/layers';
export { BatchNorm, BatchNorm1d, BatchNorm2d, GroupNorm, InstanceNorm2d, LayerNorm } from './nn/norm';
export { AdaptiveAvgPool2d, AvgPool2d, Conv2d, MaxPool2d, type Conv2dOptions } from './nn/conv';
export type { Pair } from './kernels/conv';
export { initialize, type Initializer } from './nn/init';
export { ShapeError } from './graph/ir';

// Training
export { compile } from './graph/compile';
export { Trainer, type TrainerStats } from './graph/trainer';
export type { CompileOptions } from './graph/options';
export type { EpochRecord, FitData, FitOptions, History, Monitor } from './graph/fit';
export { CompiledModel, type Evaluation, type EvaluationData } from './graph/compiled-model';
export type { LayerOutput, PredictOptions, PredictOutputs } from './graph/layer-outputs';
export { compileInference, InferenceModel, type InferenceOptions } from './graph/inference';
export { StateDictError } from './graph/state';
export type { LossConfig } from './graph/loss';
export type { AugmentOptions } from './graph/augment';
export type { ReplicaOptions, ReplicaSpec } from './graph/replicas';
export {
  bagging, BaggingEnsemble, choice, crossValidate, logUniform, randomSearch, uniform,
  type CrossValidation, type Distribution, type EnsembleCompileOptions, type SearchSpace, type Trial,
} from './graph/ensembles';
export { trainReplicas, type ReplicaEpochs } from './graph/replica-training';
export type { TrainingMetrics } from './graph/metrics';
export { adadelta, adagrad, adam, adamw, momentum, nesterov, noDecayOnBiasAndNorm, rmsprop, sgd, OPTIMIZER_FACTORIES } from './optim/optimizers';
export type { ParamGroup, ParamSelector } from './kernels/optim-groups';
export type { ParamTag } from './graph/ir';
export { constantLr, cosineDecay, exponentialDecay, linearWarmup, stepDecay, type LrSchedule } from './optim/schedules';

// Saving and loading
export type { StateDict, StateDictLike, StateTensor } from './io/state-dict';
export { loadSafetensors, readSafetensors, saveSafetensors } from './io/safetensors';
export { deleteFromIndexedDB, downloadBytes, loadFromIndexedDB, readFileBytes, saveToIndexedDB, StorageError, type StorageOperation, type StorageOptions } from './io/browser';

// Data
export { Batcher, seededRandom, shuffleInPlace, takeFirst, type LabeledData } from './data/dataset';
export { dataset, kFold, splitDataset, type ArrayDataset } from './data/arrays';
export { DataFormatError, parseIdx } from './data/idx';
export { fetchMnistFiles } from './data/mnist-fetch';
export { MNIST_FILE_NAMES, MNIST_MEAN, MNIST_STD, parseMnist, type Mnist, type MnistFiles, type MnistNormalization } from './data/mnist';
