// How the kernels that reduce across a workgroup (reduce.wgsl's sums, batch norm, layer and
// group norm, gradient clipping) join their threads' partial sums: a pairwise tree in
// workgroup memory (shaders/workgroup_sum.wgsl, any device) or, on a device with fixed-size
// subgroups, a workgroup of exactly one subgroup and one subgroupAdd
// (shaders/subgroup_sum.wgsl). Both define `workgroup_sum(lid, v: vec2f) -> vec2f`; a
// descriptor puts one in front of its kernel file. Compiled models offer both to the
// runtime's per-adapter choice (family 'reduction'): CPU rasterizers take the subgroup sum
// (barrier-free kernels compile about 4× faster on lavapipe and run no slower), GPUs keep
// the tree, whose 256 threads per workgroup keep a GPU busy on long reductions.
import { ConfigError } from '../errors';
import subgroupSum from '../../shaders/subgroup_sum.wgsl?raw';
import treeSum from '../../shaders/workgroup_sum.wgsl?raw';
import { adapterKind, type AdapterFacts } from '../gpu/adapter-kind';
import type { KernelAlternatives } from '../gpu/kernel-choice';
import type { ComputeProgram } from '../gpu/program';

/** The two ways of summing over a workgroup. */
export type WorkgroupSum = 'tree' | 'subgroup';

/** The options of a descriptor whose kernel sums over a workgroup. */
export interface WorkgroupSumOptions {
  /**
   * The device's fixed subgroup size (GpuRuntime.subgroupSize). Given without `sum`, the
   * program is the tree kernel and offers the subgroup one as an alternative, for the
   * runtime's per-adapter choice.
   */
  subgroupSize?: number;
  /** The sum exactly (default 'tree'). 'subgroup' needs `subgroupSize` and runs that many threads per workgroup. */
  sum?: WorkgroupSum;
}

/**
 * The sum a descriptor builds, validated: the requested one, else the tree. `kernel` names
 * the descriptor in errors.
 */
function chosenSum(kernel: string, options: WorkgroupSumOptions): WorkgroupSum {
  const { sum = 'tree', subgroupSize } = options;
  if (sum !== 'tree' && sum !== 'subgroup') throw new ConfigError(`${kernel}: sum must be 'tree' or 'subgroup', got ${String(sum)}`);
  if (subgroupSize !== undefined && !(Number.isInteger(subgroupSize) && subgroupSize >= 1 && subgroupSize <= 256)) {
    throw new ConfigError(`${kernel}: subgroupSize must be an integer in 1 ..= 256, got ${subgroupSize}`);
  }
  if (sum === 'subgroup' && subgroupSize === undefined) {
    throw new ConfigError(`${kernel}: the subgroup sum needs subgroupSize (GpuRuntime.subgroupSize), got undefined`);
  }
  return sum;
}

/** A kernel file after the tree sum, for its entry points that do not sum (the module must define workgroup_sum). */
export function withTreeSum(source: string): string {
  return `${treeSum}\n${source}`;
}

/** The deterministic choice by adapter: the subgroup sum on CPU rasterizers, the tree elsewhere. */
export function reductionTableChoice(adapter: AdapterFacts): WorkgroupSum {
  return adapterKind(adapter) === 'cpu' ? 'subgroup' : 'tree';
}

/** What a summing kernel's program varies in between the two sums. */
export interface SumParts {
  /** The sum's WGSL, then the kernel file. */
  shader: string;
  /** Threads per workgroup. */
  threads: number;
  /** For the label: '' (tree) or '.subgroup'. */
  suffix: string;
}

/** A descriptor's kernel that sums over a workgroup, for {@link summing}. */
export interface SummingKernel {
  /** The descriptor, for errors (e.g. "batchNormTrainingForward"). */
  kernel: string;
  /** Its WGSL file, which calls workgroup_sum. */
  source: string;
  /** Threads per workgroup with the tree sum. */
  treeThreads: number;
  /** The values one workgroup sums: the choice's shape class is per kernel and power of two of it. */
  terms: number;
  /** f32 words of each binding (trial buffers). */
  bindingFloats: readonly number[];
  /** The program with these parts. */
  build(parts: SumParts): ComputeProgram;
}

/**
 * The program of a summing kernel with the sum the options ask for (see
 * WorkgroupSumOptions): the subgroup sum runs subgroupSize threads per workgroup (a
 * `workgroupSize` option, if given, must equal it). Left open, the program is the tree one
 * and offers both to the runtime's per-adapter choice.
 */
export function summing(options: WorkgroupSumOptions & { workgroupSize?: number }, spec: SummingKernel): ComputeProgram {
  const sum = chosenSum(spec.kernel, options);
  const { subgroupSize, workgroupSize } = options;
  if (sum === 'subgroup' && workgroupSize !== undefined && workgroupSize !== subgroupSize) {
    throw new ConfigError(`${spec.kernel}: the subgroup sum runs subgroupSize (${subgroupSize}) threads per workgroup, got workgroupSize ${workgroupSize}`);
  }
  const make = (choice: WorkgroupSum) =>
    spec.build(
      choice === 'subgroup'
        ? { shader: `${subgroupSum}\n${spec.source}`, threads: subgroupSize!, suffix: '.subgroup' }
        : { shader: withTreeSum(spec.source), threads: spec.treeThreads, suffix: '' },
    );
  const program = make(sum);
  if (subgroupSize === undefined || options.sum !== undefined) return program;
  const alternatives: KernelAlternatives = {
    family: 'reduction',
    shapeClass: `reduction ${program.label} 2^${Math.round(Math.log2(Math.max(1, spec.terms)))}`,
    candidates: ['tree', 'subgroup'],
    make: (name) => make(name as WorkgroupSum),
    table: reductionTableChoice,
    bindingFloats: spec.bindingFloats,
  };
  return { ...program, alternatives } as ComputeProgram;
}
