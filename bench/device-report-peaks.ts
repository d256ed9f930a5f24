// FP32 peak throughput by adapter name, for the device report's "fraction of peak": vendors'
// non-tensor FP32 (FMA = 2 FLOPs) numbers at boost clock. WebGPU has no tensor-core path, so
// this, not the TF32 / FP16 tensor numbers, is the ceiling a WGSL matmul can reach.

/** A known adapter's FP32 peak. */
export interface Fp32Peak {
  /** The adapter as the table names it, e.g. "NVIDIA H200 SXM". */
  name: string;
  tflops: number;
  /** Where the number comes from. */
  source: string;
}

interface Entry extends Fp32Peak {
  /** Must match too, so that e.g. Apple's A10 chip is not taken for NVIDIA's A10. */
  vendor: RegExp;
  /**
   * Matched against the adapter's vendor, architecture, device and description, joined. Words
   * may be separated by spaces, '-' or '_': Dawn reports a sanitized device name such as
   * "llvmpipe-llvm-15-0-6-256-bits-" beside the driver's description.
   */
  pattern: RegExp;
}

const NVIDIA = /nvidia/i;
const APPLE = /apple/i;

// More specific patterns come first (H100 PCIe before H100, L40S before L4).
const TABLE: readonly Entry[] = [
  // NVIDIA H200 datasheet: FP32 67 TFLOPS (SXM), 60 TFLOPS (NVL).
  { vendor: NVIDIA, pattern: /\bH200[\s_-]+NVL\b/i, name: 'NVIDIA H200 NVL', tflops: 60, source: 'NVIDIA H200 datasheet' },
  { vendor: NVIDIA, pattern: /\bH200\b/i, name: 'NVIDIA H200 SXM', tflops: 67, source: 'NVIDIA H200 datasheet' },
  // NVIDIA H100 datasheet: FP32 67 TFLOPS (SXM), 51 (PCIe), 60 (NVL).
  { vendor: NVIDIA, pattern: /\bH100[\s_-]+PCIe\b/i, name: 'NVIDIA H100 PCIe', tflops: 51, source: 'NVIDIA H100 datasheet' },
  { vendor: NVIDIA, pattern: /\bH100[\s_-]+NVL\b/i, name: 'NVIDIA H100 NVL', tflops: 60, source: 'NVIDIA H100 datasheet' },
  { vendor: NVIDIA, pattern: /\bH100\b/i, name: 'NVIDIA H100 SXM', tflops: 67, source: 'NVIDIA H100 datasheet' },
  // NVIDIA A100 datasheet: FP32 19.5 TFLOPS (SXM and PCIe).
  { vendor: NVIDIA, pattern: /\bA100\b/i, name: 'NVIDIA A100', tflops: 19.5, source: 'NVIDIA A100 datasheet' },
  // NVIDIA L40S datasheet: FP32 91.6 TFLOPS.
  { vendor: NVIDIA, pattern: /\bL40S\b/i, name: 'NVIDIA L40S', tflops: 91.6, source: 'NVIDIA L40S datasheet' },
  // NVIDIA L4 datasheet: FP32 30.3 TFLOPS.
  { vendor: NVIDIA, pattern: /\bL4\b/i, name: 'NVIDIA L4', tflops: 30.3, source: 'NVIDIA L4 datasheet' },
  // NVIDIA A10 datasheet: FP32 31.2 TFLOPS.
  { vendor: NVIDIA, pattern: /\bA10\b/i, name: 'NVIDIA A10', tflops: 31.2, source: 'NVIDIA A10 datasheet' },
  // NVIDIA T4 datasheet: FP32 8.1 TFLOPS.
  { vendor: NVIDIA, pattern: /\bT4\b/i, name: 'NVIDIA T4', tflops: 8.1, source: 'NVIDIA T4 datasheet' },
  // NVIDIA Ada Lovelace architecture whitepaper: RTX 4090 82.6 TFLOPS FP32 (shader).
  { vendor: NVIDIA, pattern: /\bRTX[\s_-]*4090\b/i, name: 'NVIDIA GeForce RTX 4090', tflops: 82.6, source: 'NVIDIA Ada Lovelace architecture whitepaper' },
  // Apple's M2 announcement (June 2022): 3.6 TFLOPS for the 10-core GPU; Pro / Max / Ultra differ.
  { vendor: APPLE, pattern: /\bApple[\s_-]+M2\b(?![\s_-]+(Pro|Max|Ultra))/i, name: 'Apple M2 (10-core GPU)', tflops: 3.6, source: 'Apple M2 announcement, June 2022' },
];

/** The FP32 peak of the adapter whose joined info fields are `adapterName`, or undefined when the table does not know it. */
export function lookupFp32Peak(adapterName: string): Fp32Peak | undefined {
  const entry = TABLE.find((e) => e.vendor.test(adapterName) && e.pattern.test(adapterName));
  return entry && { name: entry.name, tflops: entry.tflops, source: entry.source };
}

/**
 * The peak the report divides by: `override` (from `--peak`) when given, else the table's
 * entry for the adapter, else undefined ("unknown": CPU drivers such as lavapipe, and GPUs
 * not in the table).
 */
export function fp32Peak(adapterName: string, override?: number): Fp32Peak | undefined {
  if (override !== undefined) return { name: adapterName, tflops: override, source: '--peak' };
  return lookupFp32Peak(adapterName);
}
