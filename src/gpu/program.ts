// What a kernel descriptor hands the GPU layer: WGSL text, entry point, binding kinds,
// override constants (settings baked into the pipeline), launch parameters (values that vary
// between launches of one pipeline, such as a matmul's shape) and the dispatch size.

/** How a kernel sees one binding: read-only storage, read-write storage, or uniform. */
export type BindingKind = 'read' | 'write' | 'uniform';

/** A fully specialized compute kernel launch description. */
export interface ComputeProgram {
  /** Family/name used in cache keys and labels, e.g. "elementwise.relu.forward". */
  readonly label: string;
  /** The WGSL module text (one file per kernel family, from shaders/). */
  readonly shader: string;
  readonly entryPoint: string;
  /** Binding i of group 0 is bindings[i]. */
  readonly bindings: readonly BindingKind[];
  /** WGSL `override` constants: shapes and settings baked into the pipeline. */
  readonly constants: Readonly<Record<string, number>>;
  /**
   * Launch parameters: u32 words the kernel reads from a uniform at group 1, binding 0 (at
   * most PARAMS_WORDS, src/gpu/launch-params.ts). Not part of the pipeline key, so programs that differ only here (a
   * matmul's shape) share one pipeline: fewer pipelines to compile on a cold start.
   */
  readonly params?: readonly number[];
  /** Workgroup counts to dispatch. */
  readonly workgroups: readonly [number, number, number];
}

/** The most workgroups one dispatch dimension may have (WebGPU default limit). */
export const MAX_WORKGROUPS_PER_DIM = 65535;

/**
 * Workgroup counts covering `invocations` threads of a 1-D kernel with `workgroupSize`
 * threads each, folded into (x, y) when x alone would exceed the per-dimension limit.
 * Kernels recover the flat index as gid.x + gid.y * num_workgroups.x * WG.
 */
export function grid1d(invocations: number, workgroupSize: number): [number, number, number] {
  const groups = Math.max(1, Math.ceil(invocations / workgroupSize));
  if (groups <= MAX_WORKGROUPS_PER_DIM) return [groups, 1, 1];
  const y = Math.ceil(groups / MAX_WORKGROUPS_PER_DIM);
  return [Math.ceil(groups / y), y, 1];
}

/** Deterministic cache key of a program's pipeline (dispatch size is not part of it). */
export function pipelineKey(program: ComputeProgram): string {
  const constants = Object.keys(program.constants)
    .sort()
    .map((k) => `${k}=${program.constants[k]}`)
    .join(',');
  const bindings = program.bindings.join('') + (program.params ? '+params' : '');
  return `${program.label}|${program.entryPoint}|${bindings}|${constants}|${hashText(program.shader)}`;
}

function hashText(text: string): string {
  // FNV-1a: distinguishes shader texts in the key without storing them twice.
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16);
}
