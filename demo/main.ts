// Demo entry: acquires a WebGPU device, names the adapter, and runs one real kernel
// (ReLU forward over 10,000 values) checked against the CPU.
import { GpuRuntime, WebGPUUnavailableError, kernels } from '../src/index';

const adapterEl = document.querySelector<HTMLElement>('#adapter')!;
const checkEl = document.querySelector<HTMLElement>('#check')!;

async function main(): Promise<void> {
  const runtime = await GpuRuntime.create();
  adapterEl.textContent = `Adapter: ${runtime.gpu.adapterName}`;
  const n = 10_000;
  const x = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898) * 4);
  const program = kernels.activationForward('relu', n);
  const pipeline = await runtime.prepare(program);
  const input = runtime.upload(x, 'x');
  const output = runtime.createBuffer(n * 4, 'y');
  runtime.submit([{ pipeline, bindGroup: runtime.bindGroup(pipeline, [input, output]) }]);
  const y = await runtime.readFloat32(output, n);
  const mismatches = y.filter((v, i) => v !== Math.max(x[i]!, 0)).length;
  checkEl.textContent =
    mismatches === 0 ? `ReLU kernel on ${n} values: matches the CPU.` : `ReLU kernel: ${mismatches} mismatches!`;
  checkEl.className = mismatches === 0 ? 'ok' : 'fail';
}

main().catch((error: unknown) => {
  adapterEl.className = 'fail';
  adapterEl.textContent =
    error instanceof WebGPUUnavailableError ? error.message : `WebGPU failed: ${String(error)}`;
});
