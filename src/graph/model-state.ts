// A compiled model's state dict on the device: parameters (views of the arena), f32 buffers
// on the GPU (running statistics) and int64 counters on the CPU (num_batches_tracked), read
// and written by PyTorch name, whole or one replica at a time.
import { integer } from '../validate';
import type { GpuRuntime } from '../gpu/runtime';
import type { StateDict, StateDictLike, StateTensor } from '../io/state-dict';
import type { ArenaLayout } from './arena';
import { sizeOf, type GraphBuilder } from './ir';
import { replicaName } from './replicas';
import type { SharedBuffers } from './schedule';
import { counterValue, matchStateDict, stateEntries, type StateEntry } from './state';

export class ModelState {
  private readonly entries: readonly StateEntry[];
  /** CPU-side int64 buffers (BatchNorm's num_batches_tracked): train-mode forward passes. */
  private readonly counters = new Map<string, bigint>();

  constructor(
    private readonly runtime: GpuRuntime,
    private readonly shared: SharedBuffers,
    private readonly layout: ArenaLayout,
    graph: GraphBuilder,
    private readonly replicas: number,
  ) {
    this.entries = stateEntries(graph, layout);
    for (const e of this.entries) if (e.source.kind === 'counter') this.counters.set(e.name, 0n);
  }

  /** Every BatchNorm counts one more train-mode forward pass. */
  countTrainForward(): void {
    for (const [name, n] of this.counters) this.counters.set(name, n + 1n);
  }

  /** The state dict (see CompiledModel.stateDict); one readback per GPU buffer. */
  async read(options: { replica?: number }): Promise<StateDict> {
    const entries = this.select('stateDict', options);
    const arena = await this.runtime.readFloat32(this.shared.params, this.layout.size);
    const dict: StateDict = new Map();
    for (const [name, e] of entries) {
      const length = sizeOf(e.shape);
      let data: Float32Array | BigInt64Array;
      if (e.source.kind === 'param') data = arena.slice(e.source.offset, e.source.offset + length);
      else if (e.source.kind === 'buffer') data = await this.runtime.readFloat32(this.shared.byKey.get(e.name)!, length);
      else data = BigInt64Array.of(this.counters.get(e.name)!);
      dict.set(name, { shape: [...e.shape], data });
    }
    return dict;
  }

  /** Checks everything, then writes (see CompiledModel.loadStateDict). */
  load(dict: StateDictLike, options: { strict: boolean; replica?: number }): { missing: string[]; unexpected: string[] } {
    const original = new Map([...this.select('loadStateDict', options)].map(([name, e]) => [{ ...e, name }, e]));
    const { load, missing, unexpected } = matchStateDict([...original.keys()], dict, { strict: options.strict, what: 'loadStateDict' });
    for (const [entry, tensor] of load) this.write(original.get(entry)!, tensor);
    return { missing, unexpected };
  }

  /**
   * The entries by the names a caller sees: all of them, or (`replica` given) replica r's
   * without its prefix, each with the entry it reads and writes.
   */
  private select(what: string, options: { replica?: number }): Map<string, StateEntry> {
    const { replica } = options;
    if (replica === undefined) return new Map(this.entries.map((e) => [e.name, e]));
    integer(`${what}: replica`, replica, 0, this.replicas - 1);
    const entries = new Map<string, StateEntry>();
    for (const e of this.entries) {
      const name = replicaName(this.replicas, replica, e.name);
      if (name !== undefined) entries.set(name, e);
    }
    return entries;
  }

  private write(entry: StateEntry, tensor: StateTensor): void {
    const source = entry.source;
    if (source.kind === 'counter') this.counters.set(entry.name, counterValue(tensor));
    else if (source.kind === 'param') this.runtime.write(this.shared.params, tensor.data as Float32Array, source.offset * 4);
    else this.runtime.write(this.shared.byKey.get(entry.name)!, tensor.data as Float32Array);
  }
}
