// Small matmul (after shaders/matmul_operands.wgsl and shaders/matmul_store.wgsl): each
// invocation computes 4 rows × 4 columns of C one k at a time, 64 invocations per workgroup
// along the columns. It is for shapes whose operands cannot be read as vec4s (a row length not
// a multiple of 4, such as a 10-class output layer's): those need a pipeline of their own, and
// lavapipe compiles this kernel in under half the time of the block kernels (2026-12-03: 0.7–0.9 s
// of CPU against 1.6–1.9 s for the subgroup kernel) and runs it as fast on such small shapes.
// src/kernels/matmul-choice.ts says when the table picks it.

// Columns col .. col+3 of row k of op(B) for batch item base (columns clamped to the last).
fn small_b(base: u32, k: u32, col: u32) -> vec4f {
  let last = dims.n - 1u;
  let c1 = min(col + 1u, last);
  let c2 = min(col + 2u, last);
  let c3 = min(col + 3u, last);
  if (TRANS_B) {
    return vec4f(b_at(base + col * dims.k + k), b_at(base + c1 * dims.k + k), b_at(base + c2 * dims.k + k), b_at(base + c3 * dims.k + k));
  }
  let row = base + k * dims.n;
  if (VEC_B) { return b[(row + col) >> 2u]; }
  return vec4f(b_at(row + col), b_at(row + c1), b_at(row + c2), b_at(row + c3));
}

// Rows r0 .. r0+3 of column k of op(A) for batch item base (rows clamped to the last).
fn small_a(base: u32, k: u32, r0: u32) -> vec4f {
  let last = dims.m - 1u;
  let r1 = min(r0 + 1u, last);
  let r2 = min(r0 + 2u, last);
  let r3 = min(r0 + 3u, last);
  if (TRANS_A) {
    let row = base + k * dims.m;
    return vec4f(a_at(row + r0), a_at(row + r1), a_at(row + r2), a_at(row + r3));
  }
  return vec4f(a_at(base + r0 * dims.k + k), a_at(base + r1 * dims.k + k), a_at(base + r2 * dims.k + k), a_at(base + r3 * dims.k + k));
}

// op(A)·op(B) for rows r0 .. r0+3 (column i of the result is row r0 + i) and columns col .. col+3.
fn small_tile(z: u32, r0: u32, col: u32) -> mat4x4f {
  let a_base = z * dims.a_stride;
  let b_base = z * dims.b_stride;
  var t: mat4x4f;
  for (var k = 0u; k < dims.k; k++) {
    let av = small_a(a_base, k, r0);
    let bv = small_b(b_base, k, col);
    t += mat4x4f(av.x * bv, av.y * bv, av.z * bv, av.w * bv);
  }
  return t;
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let col = gid.x * 4u;
  let r0 = gid.y * 4u;
  if (col >= dims.n) { return; }
  let t = small_tile(gid.z, r0, col);
  for (var i = 0u; i < min(4u, dims.m - r0); i++) { put(gid.z, r0 + i, col, t[i]); }
}

@compute @workgroup_size(64)
fn main_bias(@builtin(global_invocation_id) gid: vec3u) {
  let col = gid.x * 4u;
  let r0 = gid.y * 4u;
  if (col >= dims.n) { return; }
  let t = small_tile(gid.z, r0, col);
  for (var i = 0u; i < min(4u, dims.m - r0); i++) { put_bias(gid.z, r0 + i, col, t[i]); }
}
