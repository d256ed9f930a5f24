// Register-tiled matmul (after an operand file and shaders/matmul_store.wgsl), without workgroup memory or
// barriers (CPU Vulkan drivers and SwiftShader pay for every barrier): each invocation owns
// BR × BC blocks of 4×4 outputs and walks K four at a time, so one step per block is a
// single 4×4 matrix product.

// 4×4 blocks per invocation along rows / columns (1 or 2).
override BR: u32 = 2u;
override BC: u32 = 2u;
override WG_X: u32 = 8u;
override WG_Y: u32 = 8u;

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
  var t: Tile;
  for (var k = 0u; k < dims.k; k += 4u) {
    let a0 = a_block(gid.z, r0, k);
    let b0 = b_block(gid.z, c0, k);
    t.c00 += b0 * a0;
    if (BR > 1u) {
      let a1 = a_block(gid.z, r0 + 4u, k);
      t.c10 += b0 * a1;
      if (BC > 1u) {
        let b1 = b_block(gid.z, c0 + 4u, k);
        t.c01 += b1 * a0;
        t.c11 += b1 * a1;
      }
    } else if (BC > 1u) {
      t.c01 += b_block(gid.z, c0 + 4u, k) * a0;
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

// Stores loop over the rows actually in range (a trip count the compiler cannot unroll),
// which keeps the shader short: CPU drivers spend their compile time per memory access.

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let r0 = gid.y * 4u * BR;
  let c0 = gid.x * 4u * BC;
  if (r0 >= dims.m || c0 >= dims.n) { return; }
  var rows = tile_rows(multiply(gid));
  for (var i = 0u; i < min(4u * BR, dims.m - r0); i++) {
    for (var j = 0u; j < min(BC, (dims.n - c0 + 3u) / 4u); j++) { put(gid.z, r0 + i, c0 + 4u * j, rows[2u * i + j]); }
  }
}

@compute @workgroup_size(WG_X, WG_Y)
fn main_bias(@builtin(global_invocation_id) gid: vec3u) {
  let r0 = gid.y * 4u * BR;
  let c0 = gid.x * 4u * BC;
  if (r0 >= dims.m || c0 >= dims.n) { return; }
  var rows = tile_rows(multiply(gid));
  for (var i = 0u; i < min(4u * BR, dims.m - r0); i++) {
    for (var j = 0u; j < min(BC, (dims.n - c0 + 3u) / 4u); j++) { put_bias(gid.z, r0 + i, c0 + 4u * j, rows[2u * i + j]); }
  }
}
