// Launch parameters: values a kernel reads from a small uniform at group 1 instead of having
// them baked into its pipeline as override constants (a matmul's shape), so programs that
// differ only there share a pipeline. Here: their words, group 1's bind group, the runtime's
// uniforms for direct launches, and the one buffer a compiled schedule packs them all into.
import type { Pipeline } from './pipelines';
import type { ComputeProgram } from './program';

/** The most u32 words of a program's launch parameters (one 32-byte uniform). */
export const PARAMS_WORDS = 8;

/** The launch parameters as the uniform's words, zero-padded to PARAMS_WORDS. */
export function paramsWords(program: ComputeProgram): Uint32Array<ArrayBuffer> {
  const params = program.params ?? [];
  if (params.length > PARAMS_WORDS || !params.every((v) => Number.isInteger(v) && v >= 0 && v < 2 ** 32)) {
    throw new Error(`${program.label}: launch parameters must be at most ${PARAMS_WORDS} u32 words, got [${params.join(', ')}]`);
  }
  const words = new Uint32Array(PARAMS_WORDS);
  words.set(params);
  return words;
}

/** Group 1 of a launch of `pipeline`: the uniform at `resource` (PARAMS_WORDS words). */
export function paramsGroup(device: GPUDevice, pipeline: Pipeline, resource: GPUBufferBinding): GPUBindGroup {
  if (!pipeline.paramsLayout) throw new Error(`${pipeline.program.label}: the program has no launch parameters`);
  return device.createBindGroup({ label: `${pipeline.program.label} params`, layout: pipeline.paramsLayout, entries: [{ binding: 0, resource }] });
}

/**
 * Every program's launch parameters in one buffer's words, each at its own offset (the
 * device's minUniformBufferOffsetAlignment apart; undefined for programs without any), for a
 * schedule that writes them once. Undefined when no program has parameters.
 */
export function packParams(programs: readonly ComputeProgram[], alignment: number): { words: Uint32Array<ArrayBuffer>; offsets: (number | undefined)[] } | undefined {
  const offsets: (number | undefined)[] = [];
  let count = 0;
  for (const program of programs) offsets.push(program.params ? alignment * count++ : undefined);
  if (count === 0) return undefined;
  const words = new Uint32Array((alignment / 4) * count);
  programs.forEach((program, i) => {
    if (offsets[i] !== undefined) words.set(paramsWords(program), offsets[i]! / 4);
  });
  return { words, offsets };
}
