// State dicts: named tensors as PyTorch's `model.state_dict()` holds them (parameters and
// buffers, row-major, PyTorch names and shapes). Float tensors are Float32Array; integer
// buffers (BatchNorm's num_batches_tracked, int64 in PyTorch) are BigInt64Array.

/** One tensor of a state dict: its shape and its row-major values. */
export interface StateTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array | BigInt64Array;
}

/** Tensors by PyTorch state-dict name ("0.weight", "1.running_mean", ...), in PyTorch order. */
export type StateDict = Map<string, StateTensor>;

/** A state dict as a Map, or as a plain object keyed by name. */
export type StateDictLike = StateDict | Readonly<Record<string, StateTensor>>;

export function toStateDict(dict: StateDictLike): StateDict {
  return dict instanceof Map ? dict : new Map(Object.entries(dict));
}

/** 'float32' or 'int64', as PyTorch names the dtype. */
export function dtypeOf(tensor: StateTensor): 'float32' | 'int64' {
  return tensor.data instanceof BigInt64Array ? 'int64' : 'float32';
}
