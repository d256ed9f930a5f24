// One GPU runtime per test file (per Vitest worker / browser iframe), plus helpers that run
// a single program on uploaded inputs and read its outputs back.
import { GpuRuntime } from '../../src/gpu/runtime';
import type { ComputeProgram } from '../../src/gpu/program';

let shared: Promise<GpuRuntime> | undefined;

export function testRuntime(): Promise<GpuRuntime> {
  return (shared ??= GpuRuntime.create());
}

type Data = Float32Array | Int32Array | Uint32Array;

/**
 * Runs `program` with `inputs` bound first (in order) and fresh zeroed outputs of the given
 * float counts after them; returns the outputs as Float32Arrays.
 */
export async function runProgram(
  program: ComputeProgram,
  inputs: readonly Data[],
  outputLengths: readonly number[],
): Promise<Float32Array[]> {
  const runtime = await testRuntime();
  const pipeline = await runtime.prepare(program);
  const inBuffers = inputs.map((data, i) => runtime.upload(data, `${program.label} in${i}`));
  const outBuffers = outputLengths.map((n, i) => runtime.createBuffer(n * 4, `${program.label} out${i}`));
  runtime.submit([{ pipeline, bindGroup: runtime.bindGroup(pipeline, [...inBuffers, ...outBuffers]) }]);
  const outputs = await Promise.all(outBuffers.map((b, i) => runtime.readFloat32(b, outputLengths[i]!)));
  for (const b of [...inBuffers, ...outBuffers]) runtime.destroyBuffer(b);
  return outputs;
}
