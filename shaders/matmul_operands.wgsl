// The operands of the matmul kernels, stored matrices (src/kernels/gemm.ts puts
// shaders/activation.wgsl, this file and shaders/matmul_store.wgsl in front of one of the
// kernels, for src/kernels/matmul.ts): the settings, the operand bindings
// and the 4×4 blocks of op(A) and op(B) that the kernels multiply. shaders/conv.wgsl is the
// other operand file: the same blocks read through an implicit im2col view.
// C = act(op(A)·op(B) + bias) per batch item, op ∈ {identity, transpose} per operand,
// row-major f32. The shape is the launch's `dims` (declared in shaders/matmul_store.wgsl;
// dims.a_stride / dims.b_stride are the words between consecutive batch items of A / B, 0
// when the operand is shared); settings are override constants described in
// src/kernels/matmul.ts.
//
// The code is written out rather than looped over arrays: SwiftShader neither unrolls
// loops nor keeps indexed arrays in registers. Branches on override constants fold away.

override TRANS_A: bool = false;
override TRANS_B: bool = false;
// Whether the stored rows of A / B have a length divisible by 4, so that 4 consecutive
// words of a row are one aligned vec4 read. Constants rather than launch parameters: with
// both read paths in one pipeline, lavapipe takes 2.3× as long to compile a matmul.
override VEC_A: bool = false;
override VEC_B: bool = false;

// Both operands are vec4 arrays; a scalar access picks a component (buffers are padded to
// 16 bytes, so the last partial vec4 exists).
@group(0) @binding(0) var<storage, read> a: array<vec4f>;
@group(0) @binding(1) var<storage, read> b: array<vec4f>;

fn a_at(i: u32) -> f32 { return a[i >> 2u][i & 3u]; }
fn b_at(i: u32) -> f32 { return b[i >> 2u][i & 3u]; }

// Indices are clamped into range, so edge tiles never branch in the K loop: clamped rows
// and columns compute duplicates that are never stored, clamped k's are zeroed in a_block.

// Words col .. col+3 of stored row `row` (of length `len`) of A, clamped to the row.
fn a_run(base: u32, row: u32, len: u32, col: u32) -> vec4f {
  let i = base + row * len + col;
  if (VEC_A) { return a[i >> 2u]; }
  let end = base + row * len + len - 1u;
  return vec4f(a_at(i), a_at(min(i + 1u, end)), a_at(min(i + 2u, end)), a_at(min(i + 3u, end)));
}

fn b_run(base: u32, row: u32, len: u32, col: u32) -> vec4f {
  let i = base + row * len + col;
  if (VEC_B) { return b[i >> 2u]; }
  let end = base + row * len + len - 1u;
  return vec4f(b_at(i), b_at(min(i + 1u, end)), b_at(min(i + 2u, end)), b_at(min(i + 3u, end)));
}

// op(A)[r0 .. r0+3, k .. k+3] of batch item z, with row i of op(A) in column i.
fn a_block(z: u32, r0: u32, k: u32) -> mat4x4f {
  let base = z * dims.a_stride;
  var blk: mat4x4f;
  let kl = dims.k - 1u;
  if (TRANS_A) {
    // Stored A is K×M: a stored row holds one k for consecutive rows of op(A).
    let r = min(r0, dims.m - select(1u, 4u, VEC_A));
    blk = transpose(mat4x4f(a_run(base, min(k, kl), dims.m, r), a_run(base, min(k + 1u, kl), dims.m, r),
                            a_run(base, min(k + 2u, kl), dims.m, r), a_run(base, min(k + 3u, kl), dims.m, r)));
  } else {
    let ml = dims.m - 1u;
    blk = mat4x4f(a_run(base, min(r0, ml), dims.k, k), a_run(base, min(r0 + 1u, ml), dims.k, k),
                  a_run(base, min(r0 + 2u, ml), dims.k, k), a_run(base, min(r0 + 3u, ml), dims.k, k));
  }
  if (dims.k % 4u != 0u) {
    // Zero the k's past K (only the last step has any).
    let keep = vec4u(k) + vec4u(0u, 1u, 2u, 3u) < vec4u(dims.k);
    let zero = vec4f(0.0);
    blk = mat4x4f(select(zero, blk[0], keep), select(zero, blk[1], keep),
                  select(zero, blk[2], keep), select(zero, blk[3], keep));
  }
  return blk;
}

// op(B)[k .. k+3, c0 .. c0+3] of batch item z, with row kk of op(B) in column kk.
fn b_block(z: u32, c0: u32, k: u32) -> mat4x4f {
  let base = z * dims.b_stride;
  if (TRANS_B) {
    // Stored B is N×K: a stored row holds consecutive k's for one column of op(B).
    let nl = dims.n - 1u;
    return transpose(mat4x4f(b_run(base, min(c0, nl), dims.k, k), b_run(base, min(c0 + 1u, nl), dims.k, k),
                             b_run(base, min(c0 + 2u, nl), dims.k, k), b_run(base, min(c0 + 3u, nl), dims.k, k)));
  }
  let c = min(c0, dims.n - select(1u, 4u, VEC_B));
  let kl = dims.k - 1u;
  return mat4x4f(b_run(base, min(k, kl), dims.n, c), b_run(base, min(k + 1u, kl), dims.n, c),
                 b_run(base, min(k + 2u, kl), dims.n, c), b_run(base, min(k + 3u, kl), dims.n, c));
}
