// What both matmul kernels share (src/kernels/matmul.ts puts shaders/activation.wgsl and
// this file in front of shaders/matmul.wgsl or shaders/matmul_subgroup.wgsl): the settings,
// the operands, reading 4×4 blocks of op(A) and op(B), and the stores with the epilogue.
// C = act(op(A)·op(B) + bias) per batch item, op ∈ {identity, transpose} per operand,
// row-major f32. Settings are override constants described in src/kernels/matmul.ts.
//
// The code is written out rather than looped over arrays: SwiftShader neither unrolls
// loops nor keeps indexed arrays in registers. Branches on override constants fold away.

override M: u32;
override N: u32;
override K: u32;
// Words between consecutive batch items of A / B; 0 when the operand is shared.
override A_STRIDE: u32 = 0u;
override B_STRIDE: u32 = 0u;
override TRANS_A: bool = false;
override TRANS_B: bool = false;
// Whether the stored rows of A / B have a length divisible by 4, so that 4 consecutive
// words of a row are one aligned vec4 read.
override VEC_A: bool = false;
override VEC_B: bool = false;

// All operands are vec4 arrays; a scalar access picks a component (buffers are padded to
// 16 bytes, so the last partial vec4 exists).
@group(0) @binding(0) var<storage, read> a: array<vec4f>;
@group(0) @binding(1) var<storage, read> b: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> c: array<vec4f>;    // entry point main
@group(0) @binding(2) var<storage, read> bias: array<vec4f>;       // entry point main_bias
@group(0) @binding(3) var<storage, read_write> c_b: array<vec4f>;  // entry point main_bias

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

// op(A)[r0 .. r0+3, k .. k+3] with row i of op(A) in column i.
fn a_block(base: u32, r0: u32, k: u32) -> mat4x4f {
  var blk: mat4x4f;
  let kl = K - 1u;
  if (TRANS_A) {
    // Stored A is K×M: a stored row holds one k for consecutive rows of op(A).
    let r = min(r0, M - select(1u, 4u, VEC_A));
    blk = transpose(mat4x4f(a_run(base, min(k, kl), M, r), a_run(base, min(k + 1u, kl), M, r),
                            a_run(base, min(k + 2u, kl), M, r), a_run(base, min(k + 3u, kl), M, r)));
  } else {
    let ml = M - 1u;
    blk = mat4x4f(a_run(base, min(r0, ml), K, k), a_run(base, min(r0 + 1u, ml), K, k),
                  a_run(base, min(r0 + 2u, ml), K, k), a_run(base, min(r0 + 3u, ml), K, k));
  }
  if (K % 4u != 0u) {
    // Zero the k's past K (only the last step has any).
    let keep = vec4u(k) + vec4u(0u, 1u, 2u, 3u) < vec4u(K);
    let zero = vec4f(0.0);
    blk = mat4x4f(select(zero, blk[0], keep), select(zero, blk[1], keep),
                  select(zero, blk[2], keep), select(zero, blk[3], keep));
  }
  return blk;
}

// op(B)[k .. k+3, c0 .. c0+3] with row kk of op(B) in column kk.
fn b_block(base: u32, c0: u32, k: u32) -> mat4x4f {
  if (TRANS_B) {
    // Stored B is N×K: a stored row holds consecutive k's for one column of op(B).
    let nl = N - 1u;
    return transpose(mat4x4f(b_run(base, min(c0, nl), K, k), b_run(base, min(c0 + 1u, nl), K, k),
                             b_run(base, min(c0 + 2u, nl), K, k), b_run(base, min(c0 + 3u, nl), K, k)));
  }
  let c = min(c0, N - select(1u, 4u, VEC_B));
  let kl = K - 1u;
  return mat4x4f(b_run(base, min(k, kl), N, c), b_run(base, min(k + 1u, kl), N, c),
                 b_run(base, min(k + 2u, kl), N, c), b_run(base, min(k + 3u, kl), N, c));
}

fn bias_at(i: u32) -> f32 { return bias[i >> 2u][i & 3u]; }

// Stores act(v + bias) for row `row`, columns col .. col+3 of batch item z (only the columns
// below N; rows of N not divisible by 4 are written one value at a time). `put` writes C of
// entry points without bias, `put_bias` C of those with one.
fn put(z: u32, row: u32, col: u32, v: vec4f) {
  let out = activate(v);
  let at = (z * M + row) * N + col;
  if (N % 4u == 0u) { c[at >> 2u] = out; return; }
  for (var e = 0u; e < min(4u, N - col); e++) { c[(at + e) >> 2u][(at + e) & 3u] = out[e]; }
}

fn put_bias(z: u32, row: u32, col: u32, v: vec4f) {
  let last = N - 1u;
  let shift = vec4f(bias_at(col), bias_at(min(col + 1u, last)), bias_at(min(col + 2u, last)), bias_at(min(col + 3u, last)));
  let out = activate(v + shift);
  let at = (z * M + row) * N + col;
  if (N % 4u == 0u) { c_b[at >> 2u] = out; return; }
  for (var e = 0u; e < min(4u, N - col); e++) { c_b[(at + e) >> 2u][(at + e) & 3u] = out[e]; }
}
