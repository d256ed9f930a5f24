// Kernel descriptors for the materialized im2col path of 2-D convolution (shaders/im2col.wgsl):
// im2col writes the [N, C_in·KH·KW, OH·OW] matrix that the stored-matrix matmul kernels then
// multiply, col2im folds its gradient back onto the input; conv2dPath says when this path
// runs instead of the implicit GEMM of src/kernels/conv.ts, and what was measured.
import { ConfigError } from '../errors';
import source from '../../shaders/im2col.wgsl?raw';
import { grid1d, type ComputeProgram } from '../gpu/program';
import { conv2dDims, convGeometry, describeConv, type Conv2dDims, type Conv2dShape } from './conv';

/**
 * How a convolution runs. 'implicit': the GEMMs above read x and dy through im2col index
 * maps. 'im2col': the im2col matrix is written once per step (and kept for the weight
 * gradient), then the matmul kernels run on stored matrices and col2im folds the input
 * gradient back. conv2dPath chooses.
 */
export type ConvPath = 'implicit' | 'im2col';

/** The im2col matrix is kept only up to this size (it lives from the forward to the backward pass). */
export const IM2COL_MAX_BYTES = 64 * 2 ** 20;

/**
 * The path for a shape: 'implicit', unless `shape.path` asks for im2col (groups = 1 only).
 * Measured on lavapipe (2 cores, batch 128, ms per pass, implicit vs im2col + matmul):
 * Conv2d(1→16, 3×3, pad 1) on 28×28: forward 27.1 vs 49.2, input grad 78.3 vs 28.3 (not
 * needed for a first layer), weight grad 34.6 vs 26.2; Conv2d(16→32, 3×3, pad 1) on 14×14:
 * forward 64.7 vs 77.3, input grad 48.4 vs 79.7, weight grad 50.7 vs 51.1. Writing and
 * reading the im2col matrix costs more than the index maps save on these drivers.
 */
export function conv2dPath(shape: Conv2dShape): ConvPath {
  const d = conv2dDims(shape);
  if (shape.path !== 'im2col') return 'implicit';
  if (d.groups !== 1) throw new ConfigError(`conv2d: the im2col path needs groups = 1, got ${d.groups}`);
  if (im2colFloats(d) * 4 > IM2COL_MAX_BYTES) {
    throw new ConfigError(`conv2d: the im2col matrix of ${describeConv(d)} needs ${im2colFloats(d) * 4} bytes, over ${IM2COL_MAX_BYTES}`);
  }
  return 'im2col';
}

/** Floats of the im2col matrix [N, C_in·KH·KW, OH·OW]. */
export function im2colFloats(d: Conv2dDims): number {
  return d.n * d.cin * d.kh * d.kw * d.oh * d.ow;
}

function im2colProgram(shape: Conv2dShape, entryPoint: 'im2col' | 'col2im'): ComputeProgram {
  const d = conv2dDims(shape);
  if (d.groups !== 1) throw new ConfigError(`conv2d: ${entryPoint} handles groups = 1, got ${d.groups}`);
  const count = entryPoint === 'im2col' ? im2colFloats(d) : d.n * d.cin * d.h * d.w;
  if (count >= 2 ** 32) throw new ConfigError(`conv2d: ${describeConv(d)} needs ${count} ${entryPoint} values, over 2^32 − 1`);
  const wg = 256;
  return {
    label: `conv2d.${entryPoint}`,
    shader: source,
    entryPoint,
    bindings: ['read', 'write'],
    constants: { WG: wg, ...convGeometry(d) },
    workgroups: grid1d(count, wg),
  };
}

/**
 * The im2col matrix (groups = 1). Bindings: x (read, f32 [N, C_in, H, W]), col (write, f32
 * [N, C_in·KH·KW, OH·OW], 0 in the padding).
 */
export function im2col(shape: Conv2dShape): ComputeProgram {
  return im2colProgram(shape, 'im2col');
}

/**
 * The adjoint of im2col: dx[n, c, ih, iw] sums the entries of dcol copied from (ih, iw).
 * Bindings: dcol (read, f32 [N, C_in·KH·KW, OH·OW]), dx (write, f32 [N, C_in, H, W], overwritten).
 */
export function col2im(shape: Conv2dShape): ComputeProgram {
  return im2colProgram(shape, 'col2im');
}
