// Batched C = act(op(A)·op(B) + bias), op ∈ {identity, transpose} per operand, row-major
// f32. Register-tiled without workgroup memory or barriers (CPU Vulkan drivers and
// SwiftShader pay for every barrier): each invocation owns BR × BC blocks of 4×4 outputs
// and walks K four at a time, so one step per block is a single 4×4 matrix product.
// Settings are override constants described in src/kernels/matmul.ts.
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
override ACT: u32 = 0u;
override ALPHA: f32 = 0.0;
// 4×4 blocks per invocation along rows / columns (1 or 2).
override BR: u32 = 2u;
override BC: u32 = 2u;
override WG_X: u32 = 8u;
override WG_Y: u32 = 8u;

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

// Block (i, j) of the invocation's tile, row r of the block in column r.
struct Tile {
  c00: mat4x4f,
  c01: mat4x4f,
  c10: mat4x4f,
  c11: mat4x4f,
}

// (B block) · (A block) in WGSL's column-major terms is column r += Σ_kk b[kk] · a[r][kk]:
// exactly row r of op(A)·op(B) for this block.
fn multiply(gid: vec3u) -> Tile {
  let r0 = gid.y * 4u * BR;
  let c0 = gid.x * 4u * BC;
  let a_base = gid.z * A_STRIDE;
  let b_base = gid.z * B_STRIDE;
  var t: Tile;
  for (var k = 0u; k < K; k += 4u) {
    let a0 = a_block(a_base, r0, k);
    let b0 = b_block(b_base, c0, k);
    t.c00 += b0 * a0;
    if (BR > 1u) {
      let a1 = a_block(a_base, r0 + 4u, k);
      t.c10 += b0 * a1;
      if (BC > 1u) {
        let b1 = b_block(b_base, c0 + 4u, k);
        t.c01 += b1 * a0;
        t.c11 += b1 * a1;
      }
    } else if (BC > 1u) {
      t.c01 += b_block(b_base, c0 + 4u, k) * a0;
    }
  }
  return t;
}

// The tile as rows of 4 outputs: row i of block row bi, block column bj is
// rows[(4·bi + i) · 2 + bj].
fn tile_rows(t: Tile) -> array<vec4f, 16> {
  return array<vec4f, 16>(
    t.c00[0], t.c01[0], t.c00[1], t.c01[1], t.c00[2], t.c01[2], t.c00[3], t.c01[3],
    t.c10[0], t.c11[0], t.c10[1], t.c11[1], t.c10[2], t.c11[2], t.c10[3], t.c11[3]);
}

// Activation codes as in shaders/elementwise.wgsl (ACTIVATIONS in src/kernels/elementwise.ts),
// applied to 4 values at once.
const STEP: u32 = 1u;
const SIGMOID: u32 = 2u;
const TANH: u32 = 3u;
const RELU: u32 = 4u;
const LEAKY_RELU: u32 = 5u;
const ELU: u32 = 6u;
const GELU: u32 = 7u;

const INV_SQRT2: f32 = 0.70710678118654752;

// exp(-|v|) never overflows, so both branches are stable.
fn sigmoid(v: vec4f) -> vec4f {
  let e = exp(-abs(v));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), v >= vec4f(0.0));
}

// erf by Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7), for the exact GELU.
fn erf_approx(v: vec4f) -> vec4f {
  let t = 1.0 / (1.0 + 0.3275911 * abs(v));
  let poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return sign(v) * (1.0 - poly * exp(-v * v));
}

fn activate(v: vec4f) -> vec4f {
  let positive = v > vec4f(0.0);
  if (ACT == STEP) { return select(vec4f(0.0), vec4f(1.0), positive); }
  if (ACT == SIGMOID) { return sigmoid(v); }
  // Some drivers return NaN from tanh() for large |v|; tanh(±10) is ±1 in f32.
  if (ACT == TANH) { return tanh(clamp(v, vec4f(-10.0), vec4f(10.0))); }
  if (ACT == RELU) { return max(v, vec4f(0.0)); }
  if (ACT == LEAKY_RELU) { return select(ALPHA * v, v, positive); }
  if (ACT == ELU) { return select(ALPHA * (exp(min(v, vec4f(0.0))) - 1.0), v, positive); }
  if (ACT == GELU) { return 0.5 * v * (1.0 + erf_approx(v * INV_SQRT2)); }
  return v;
}

fn bias_at(i: u32) -> f32 { return bias[i >> 2u][i & 3u]; }

// Stores loop over the rows actually in range (a trip count the compiler cannot unroll),
// which keeps the shader short: CPU drivers spend their compile time per memory access.
// Rows of N not divisible by 4 are written one value at a time.

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let r0 = gid.y * 4u * BR;
  let c0 = gid.x * 4u * BC;
  if (r0 >= M || c0 >= N) { return; }
  var rows = tile_rows(multiply(gid));
  for (var i = 0u; i < min(4u * BR, M - r0); i++) {
    for (var j = 0u; j < min(BC, (N - c0 + 3u) / 4u); j++) {
      let col = c0 + 4u * j;
      let v = activate(rows[2u * i + j]);
      let at = (gid.z * M + r0 + i) * N + col;
      if (N % 4u == 0u) {
        c[at >> 2u] = v;
      } else {
        for (var e = 0u; e < min(4u, N - col); e++) { c[(at + e) >> 2u][(at + e) & 3u] = v[e]; }
      }
    }
  }
}

@compute @workgroup_size(WG_X, WG_Y)
fn main_bias(@builtin(global_invocation_id) gid: vec3u) {
  let r0 = gid.y * 4u * BR;
  let c0 = gid.x * 4u * BC;
  if (r0 >= M || c0 >= N) { return; }
  var rows = tile_rows(multiply(gid));
  for (var i = 0u; i < min(4u * BR, M - r0); i++) {
    for (var j = 0u; j < min(BC, (N - c0 + 3u) / 4u); j++) {
      let col = c0 + 4u * j;
      let last = N - 1u;
      let shift = vec4f(bias_at(col), bias_at(min(col + 1u, last)),
                        bias_at(min(col + 2u, last)), bias_at(min(col + 3u, last)));
      let v = activate(rows[2u * i + j] + shift);
      let at = (gid.z * M + r0 + i) * N + col;
      if (N % 4u == 0u) {
        c_b[at >> 2u] = v;
      } else {
        for (var e = 0u; e < min(4u, N - col); e++) { c_b[(at + e) >> 2u][(at + e) & 3u] = v[e]; }
      }
    }
  }
}
