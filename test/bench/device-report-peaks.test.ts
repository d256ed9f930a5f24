// The device report's FP32 peak table: adapter names as Dawn and browsers report them
// (vendor, architecture, device and description joined; device names sometimes sanitized to
// lower case and hyphens) map to the right entry, near-misses do not, and --peak overrides.
import { describe, expect, it } from 'vitest';
import { fp32Peak, lookupFp32Peak } from '../../bench/device-report-peaks';

describe('device report FP32 peak table', () => {
  it.each([
    ['nvidia hopper NVIDIA H200', 67],
    ['nvidia hopper nvidia-h200 NVIDIA: 580.159.03', 67],
    ['nvidia hopper NVIDIA H200 NVL', 60],
    ['nvidia hopper NVIDIA H100 80GB HBM3', 67],
    ['nvidia hopper NVIDIA H100 PCIe', 51],
    ['nvidia hopper nvidia-h100-pcie', 51],
    ['nvidia ampere NVIDIA A100-SXM4-80GB', 19.5],
    ['nvidia ampere NVIDIA A10', 31.2],
    ['nvidia lovelace NVIDIA L4', 30.3],
    ['nvidia lovelace NVIDIA L40S', 91.6],
    ['nvidia turing Tesla T4', 8.1],
    ['nvidia lovelace NVIDIA GeForce RTX 4090', 82.6],
    ['apple metal-3 Apple M2', 3.6],
  ])('%s → %s TFLOP/s', (name, tflops) => {
    const peak = lookupFp32Peak(name);
    expect(peak?.tflops).toBe(tflops);
    expect(peak?.source).toMatch(/datasheet|whitepaper|announcement/);
  });

  it('knows nothing of CPU drivers, other Apple chips or an A10 that is not NVIDIA’s', () => {
    for (const name of [
      'mesa software llvmpipe-llvm-15-0-6-256-bits- llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)',
      'google swiftshader SwiftShader Device (Subzero)',
      'apple metal-3 Apple M2 Pro',
      'apple common-3 Apple A10 GPU',
      'unknown adapter',
    ]) {
      expect(lookupFp32Peak(name), name).toBeUndefined();
    }
  });

  it('takes --peak over the table, and the table otherwise', () => {
    expect(fp32Peak('nvidia hopper NVIDIA H200', 60)).toEqual({ name: 'nvidia hopper NVIDIA H200', tflops: 60, source: '--peak' });
    expect(fp32Peak('nvidia hopper NVIDIA H200')).toMatchObject({ name: 'NVIDIA H200 SXM', tflops: 67 });
    expect(fp32Peak('mesa software llvmpipe', 0.5)).toMatchObject({ tflops: 0.5, source: '--peak' });
    expect(fp32Peak('mesa software llvmpipe')).toBeUndefined();
  });
});
