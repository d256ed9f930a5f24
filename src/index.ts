// shadergrad public API.
export { requestGpuDevice, type DeviceOptions, type GpuDevice } from './gpu/device';
export {
  DeviceLostError,
  GpuError,
  ShadergradError,
  WebGPUUnavailableError,
  type GpuEnvironment,
  type UnavailableReason,
} from './gpu/errors';
export { GpuRuntime, type GpuStats, type Launch } from './gpu/runtime';
export { grid1d, type BindingKind, type ComputeProgram } from './gpu/program';
export {
  ACTIVATIONS,
  activationBackward,
  activationForward,
  type Activation,
  type ActivationOptions,
} from './kernels/elementwise';
