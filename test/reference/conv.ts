// Float64 CPU reference of 2-D convolution (torch.nn.functional.conv2d semantics: NCHW,
// weights [C_out, C_in/groups, KH, KW], zero padding, stride, dilation, groups) and its
// input and weight gradients, written as the direct sums of their definitions.
import type { Conv2dDims } from '../../src/kernels/conv';

export type ConvGeometry = Pick<Conv2dDims, 'n' | 'cin' | 'cout' | 'groups' | 'h' | 'w' | 'kh' | 'kw' | 'sh' | 'sw' | 'ph' | 'pw' | 'dh' | 'dw' | 'oh' | 'ow'>;

/** Calls visit(n, co, oh, ow, ci, kh, kw, xIndex, wIndex) for every in-range term of the conv sum. */
function forEachTerm(
  d: ConvGeometry,
  visit: (yIndex: number, xIndex: number, wIndex: number) => void,
): void {
  const ci = d.cin / d.groups;
  const co = d.cout / d.groups;
  for (let n = 0; n < d.n; n++) {
    for (let o = 0; o < d.cout; o++) {
      const g = Math.floor(o / co);
      for (let y = 0; y < d.oh; y++) {
        for (let x = 0; x < d.ow; x++) {
          const yIndex = ((n * d.cout + o) * d.oh + y) * d.ow + x;
          for (let c = 0; c < ci; c++) {
            for (let i = 0; i < d.kh; i++) {
              const ih = y * d.sh - d.ph + i * d.dh;
              if (ih < 0 || ih >= d.h) continue;
              for (let j = 0; j < d.kw; j++) {
                const iw = x * d.sw - d.pw + j * d.dw;
                if (iw < 0 || iw >= d.w) continue;
                const xIndex = ((n * d.cin + g * ci + c) * d.h + ih) * d.w + iw;
                const wIndex = ((o * ci + c) * d.kh + i) * d.kw + j;
                visit(yIndex, xIndex, wIndex);
              }
            }
          }
        }
      }
    }
  }
}

/** y [N, C_out, OH, OW] = conv2d(x, w) + b. */
export function conv2dReference(d: ConvGeometry, x: ArrayLike<number>, w: ArrayLike<number>, b?: ArrayLike<number>): Float64Array {
  const y = new Float64Array(d.n * d.cout * d.oh * d.ow);
  if (b) for (let i = 0; i < y.length; i++) y[i] = b[Math.floor(i / (d.oh * d.ow)) % d.cout]!;
  forEachTerm(d, (yi, xi, wi) => {
    y[yi] = y[yi]! + x[xi]! * w[wi]!;
  });
  return y;
}

/** dx, dW and db of Σ dy ⊙ conv2d(x, w) + b. */
export function conv2dGradients(d: ConvGeometry, x: ArrayLike<number>, w: ArrayLike<number>, dy: ArrayLike<number>) {
  const dx = new Float64Array(d.n * d.cin * d.h * d.w);
  const dw = new Float64Array(d.cout * (d.cin / d.groups) * d.kh * d.kw);
  const db = new Float64Array(d.cout);
  forEachTerm(d, (yi, xi, wi) => {
    dx[xi] = dx[xi]! + dy[yi]! * w[wi]!;
    dw[wi] = dw[wi]! + dy[yi]! * x[xi]!;
  });
  for (let i = 0; i < dy.length; i++) {
    const c = Math.floor(i / (d.oh * d.ow)) % d.cout;
    db[c] = db[c]! + dy[i]!;
  }
  return { dx, dw, db };
}
