// One GPU runtime per test file (per Vitest worker / browser iframe), plus a helper that
// runs one program on given bindings and reads back every binding it writes.
import { GpuRuntime } from '../../src/gpu/runtime';
import type { ComputeProgram } from '../../src/gpu/program';
import type { WorkgroupSumOptions } from '../../src/kernels/workgroup-sum';

let shared: Promise<GpuRuntime> | undefined;

export function testRuntime(): Promise<GpuRuntime> {
  return (shared ??= GpuRuntime.create());
}

export type Data = Float32Array | Int32Array | Uint32Array;

/**
 * What to bind at one binding: data to upload (storage), `{ zeros: n }` for n zeroed
 * 32-bit words, or `{ uniform: data }` for a uniform buffer.
 */
export type BindingData = Data | { zeros: number } | { uniform: Data };

/**
 * Runs `program` once with bindings[i] at binding i and returns the contents of every
 * binding the program declares as 'write', in binding order, as Float32Arrays (view an
 * integer result with `new Int32Array(out.buffer)`).
 */
export async function runProgram(program: ComputeProgram, bindings: readonly BindingData[]): Promise<Float32Array[]> {
  const runtime = await testRuntime();
  const pipeline = await runtime.prepare(program);
  const buffers = bindings.map((b, i) => {
    const label = `${program.label} binding ${i}`;
    if ('zeros' in b) return runtime.createBuffer(b.zeros * 4, label);
    if ('uniform' in b) return runtime.uniform(b.uniform, label);
    return runtime.upload(b, label);
  });
  runtime.submit([runtime.launch(pipeline, buffers)]);
  const outputs: Float32Array[] = [];
  for (let i = 0; i < buffers.length; i++) {
    if (program.bindings[i] !== 'write') continue;
    const b = bindings[i]!;
    const words = 'zeros' in b ? b.zeros : 'uniform' in b ? b.uniform.length : b.length;
    outputs.push(await runtime.readFloat32(buffers[i]!, words));
  }
  for (const buffer of buffers) runtime.destroyBuffer(buffer);
  return outputs;
}

/**
 * The workgroup sums the summing kernels (reduce, batchnorm, norm, clip) are tested with on
 * this runtime, as [name, descriptor options]: the tree, and the subgroup sum when the device
 * has fixed-size subgroups (lavapipe and SwiftShader do; test/kernels/workgroup-sum.test.ts
 * says so when it is skipped).
 */
export async function workgroupSums(): Promise<[string, WorkgroupSumOptions][]> {
  const lanes = (await testRuntime()).subgroupSize;
  return [['tree sum', {}], ...(lanes === undefined ? [] : [['subgroup sum', { sum: 'subgroup', subgroupSize: lanes }] as [string, WorkgroupSumOptions]])];
}
