// What the engine knows about an adapter from GPUAdapterInfo's strings, and whether it is a
// CPU rasterizer or a GPU: the kernel-choice tables and Node's Dawn event pacing decide by it.

/** What a choice table knows about an adapter (GPUAdapterInfo's strings, '' where unknown). */
export interface AdapterFacts {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
}

/** The facts of an adapter. */
export function adapterFacts(adapter: GPUAdapter): AdapterFacts {
  const info = adapter.info as Partial<GPUAdapterInfo> | undefined;
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  return { vendor: text(info?.vendor), architecture: text(info?.architecture), device: text(info?.device), description: text(info?.description) };
}

/** CPU rasterizers: lavapipe, SwiftShader, WARP. */
const CPU_ADAPTER = /llvmpipe|lavapipe|swiftshader|warp|software|\bcpu\b/i;
/** Discrete and integrated GPU vendors, which have fast workgroup memory. */
const GPU_VENDOR = /nvidia|amd|\bati\b|radeon|intel|apple|qualcomm|adreno|\barm\b|mali|imagination/i;

/** What kind of adapter the choice tables see: a CPU rasterizer, a GPU vendor's, or unknown. */
export function adapterKind(adapter: AdapterFacts): 'cpu' | 'gpu' | 'unknown' {
  const text = `${adapter.vendor} ${adapter.architecture} ${adapter.device} ${adapter.description}`;
  return CPU_ADAPTER.test(text) ? 'cpu' : GPU_VENDOR.test(text) ? 'gpu' : 'unknown';
}
