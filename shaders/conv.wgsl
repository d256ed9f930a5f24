// The operands of a 2-D convolution as a GEMM over an implicit im2col matrix (no im2col
// buffer): src/kernels/conv.ts puts shaders/activation.wgsl, this file and
// shaders/matmul_store.wgsl in front of a matmul kernel body (shaders/matmul.wgsl or
// shaders/matmul_subgroup.wgsl), which multiplies the 4×4 blocks a_block and b_block return,
// exactly as it does for stored matrices (shaders/matmul_operands.wgsl).
//
// NCHW activations, weights [C_out, C_in/G, KH, KW] (PyTorch's layout), G groups. With
// ci, co the channels within a group and (kh, kw) a kernel tap, MODE selects the GEMM:
//   0 forward:        y[n,g] [CO, OH·OW]    = W[g] [CO, CI·KH·KW] · im2col(x[n,g]) [CI·KH·KW, OH·OW]
//   1 input gradient: dx[n,g] [CI, H·W]     = W[g]ᵀ' [CI, CO·KH·KW] · gather(dy[n,g]) [CO·KH·KW, H·W]
//   2 weight grad.:   dW[g] [CO, CI·KH·KW]  = Σ_n dy[n,g] [CO, OH·OW] · im2col(x[n,g])ᵀ [OH·OW, CI·KH·KW]
// Batch item z of the kernel is (n, g) = (z / G, z % G) for modes 0 and 1, and for mode 2
// (split s, group g) = (z / G, z % G): split s sums the reduction terms s·K .. s·K + K − 1
// of the N·OH·OW terms, and the splits are summed afterwards (reduce.sumRows).
// Out-of-range taps (padding), k past the reduction and, in mode 1, the taps that no
// output position reaches through the stride read as 0. Rows and columns past the edges
// are clamped: the kernels compute them and never store them.

override M: u32;
override N: u32;
override K: u32;
override MODE: u32 = 0u;
override G: u32 = 1u;
override CI: u32;      // input channels per group
override CO: u32;      // output channels per group
override H: u32;
override W: u32;
override OH: u32;
override OW: u32;
override KH: u32;
override KW: u32;
override SH: u32 = 1u;
override SW: u32 = 1u;
override PH: u32 = 0u;
override PW: u32 = 0u;
override DH: u32 = 1u;
override DW: u32 = 1u;
override BATCH: u32;   // N of the activations (mode 2: the reduction runs over BATCH·OH·OW)

// Binding 0 is the tensor read through the im2col view (op(B)): x in modes 0 and 2, dy in
// mode 1. Binding 1 is op(A): the weights in modes 0 and 1, dy in mode 2.
@group(0) @binding(0) var<storage, read> image: array<f32>;
@group(0) @binding(1) var<storage, read> other: array<f32>;

// Kernel taps per channel.
fn taps() -> u32 { return KH * KW; }

// x[n, c, ih, iw] with ih = oh·SH − PH + kh·DH, iw likewise; 0 in the padding. `plane` is
// the offset of x[n, c, 0, 0].
fn tap(plane: u32, oh: u32, ow: u32, kh: u32, kw: u32) -> f32 {
  let ih = i32(oh * SH + kh * DH) - i32(PH);
  let iw = i32(ow * SW + kw * DW) - i32(PW);
  if (ih < 0 || iw < 0 || ih >= i32(H) || iw >= i32(W)) { return 0.0; }
  return image[plane + u32(ih) * W + u32(iw)];
}

// dy[n, co, oh, ow] with oh·SH = ih + PH − kh·DH: the output position whose window puts tap
// (kh, kw) on input (ih, iw); 0 when there is none. `plane` is the offset of dy[n, co, 0, 0].
fn tap_back(plane: u32, ih: u32, iw: u32, kh: u32, kw: u32) -> f32 {
  let th = i32(ih + PH) - i32(kh * DH);
  let tw = i32(iw + PW) - i32(kw * DW);
  if (th < 0 || tw < 0) { return 0.0; }
  let oh = u32(th) / SH;
  let ow = u32(tw) / SW;
  if (oh * SH != u32(th) || ow * SW != u32(tw) || oh >= OH || ow >= OW) { return 0.0; }
  return image[plane + oh * OW + ow];
}

// op(A)[row, k] of batch item z.
fn a_value(z: u32, row: u32, k: u32) -> f32 {
  if (k >= K) { return 0.0; }
  let g = z % G;
  if (MODE == 0u) {
    // W[g·CO + row, k] with k = (ci, kh, kw): a stored row of the weights.
    return other[(g * CO + row) * K + k];
  }
  if (MODE == 1u) {
    // W[g·CO + co, row, kh, kw] with k = (co, kh, kw).
    let co = k / taps();
    return other[((g * CO + co) * CI + row) * taps() + k % taps()];
  }
  // dy[n, g·CO + row, p] for the reduction term j = s·K + k = (n, p).
  let j = (z / G) * K + k;
  if (j >= BATCH * OH * OW) { return 0.0; }
  let n = j / (OH * OW);
  return other[(n * G * CO + g * CO + row) * OH * OW + j % (OH * OW)];
}

// op(B)[k, col] of batch item z.
fn b_value(z: u32, k: u32, col: u32) -> f32 {
  if (k >= K) { return 0.0; }
  if (MODE == 0u) {
    // im2col(x[n, g])[(ci, kh, kw), (oh, ow)]; image offset of x[n, g·CI] is z·CI·H·W.
    let ci = k / taps();
    let t = k % taps();
    return tap((z * CI + ci) * H * W, col / OW, col % OW, t / KW, t % KW);
  }
  if (MODE == 1u) {
    // dy[n, g·CO + co] gathered at the output position of tap (kh, kw) on input col = (ih, iw).
    let co = k / taps();
    let t = k % taps();
    return tap_back((z * CO + co) * OH * OW, col / W, col % W, t / KW, t % KW);
  }
  // im2col(x)ᵀ[(n, p), (ci, kh, kw)] for the reduction term j = s·K + k = (n, p).
  let j = (z / G) * K + k;
  if (j >= BATCH * OH * OW) { return 0.0; }
  let n = j / (OH * OW);
  let p = j % (OH * OW);
  let ci = col / taps();
  let t = col % taps();
  return tap(((n * G + z % G) * CI + ci) * H * W, p / OW, p % OW, t / KW, t % KW);
}

// Row `row` of op(A), columns k .. k+3.
fn a_run(z: u32, row: u32, k: u32) -> vec4f {
  return vec4f(a_value(z, row, k), a_value(z, row, k + 1u), a_value(z, row, k + 2u), a_value(z, row, k + 3u));
}

// Row k of op(B) at the columns c.
fn b_run(z: u32, k: u32, c: vec4u) -> vec4f {
  return vec4f(b_value(z, k, c.x), b_value(z, k, c.y), b_value(z, k, c.z), b_value(z, k, c.w));
}

// op(A)[r0 .. r0+3, k .. k+3] of batch item z, row i of op(A) in column i (rows clamped).
fn a_block(z: u32, r0: u32, k: u32) -> mat4x4f {
  let last = M - 1u;
  return mat4x4f(a_run(z, min(r0, last), k), a_run(z, min(r0 + 1u, last), k),
                 a_run(z, min(r0 + 2u, last), k), a_run(z, min(r0 + 3u, last), k));
}

// op(B)[k .. k+3, c0 .. c0+3] of batch item z, row kk of op(B) in column kk (columns clamped).
fn b_block(z: u32, c0: u32, k: u32) -> mat4x4f {
  let last = N - 1u;
  let c = vec4u(min(c0, last), min(c0 + 1u, last), min(c0 + 2u, last), min(c0 + 3u, last));
  return mat4x4f(b_run(z, k, c), b_run(z, k + 1u, c), b_run(z, k + 2u, c), b_run(z, k + 3u, c));
}
