// Subgroup-broadcast matmul (after `enable subgroups;`, an operand file and
// shaders/matmul_store.wgsl; needs the `subgroups` feature). A workgroup is exactly one
// subgroup of SG lanes and computes 4·RB rows × 4·SG columns: lane l owns columns
// 4l .. 4l+3 of every row. Per step of 4 k's each lane reads its own 4×4 block of op(B), and
// lane p < RB reads the 4×4 block of op(A) for row block p, which subgroupBroadcast hands to
// every lane. So op(A) is read once per workgroup instead of once per lane: CPU drivers
// (lavapipe, SwiftShader) run a subgroup as one SIMD vector, where a broadcast is a register
// move but every storage read is a bounds-checked access per lane.
//
// Every lane must reach every broadcast, so lanes past the edges of C compute on clamped
// indices (a_block and b_block clamp) and only the stores are guarded.

// Lanes per subgroup = invocations per workgroup.
override SG: u32 = 8u;
// 4-row blocks per workgroup, 1 ..= min(8, SG).
override RB: u32 = 6u;

// Row blocks 0 .. 7 of the lane's 4 columns, row r of a block in column r.
struct Blocks {
  b0: mat4x4f,
  b1: mat4x4f,
  b2: mat4x4f,
  b3: mat4x4f,
  b4: mat4x4f,
  b5: mat4x4f,
  b6: mat4x4f,
  b7: mat4x4f,
}

// Lane `from`'s block, for every lane (`from` must be a constant, hence one line per lane).
fn lane0(m: mat4x4f) -> mat4x4f {
  return mat4x4f(subgroupBroadcast(m[0], 0u), subgroupBroadcast(m[1], 0u), subgroupBroadcast(m[2], 0u), subgroupBroadcast(m[3], 0u));
}
fn lane1(m: mat4x4f) -> mat4x4f {
  return mat4x4f(subgroupBroadcast(m[0], 1u), subgroupBroadcast(m[1], 1u), subgroupBroadcast(m[2], 1u), subgroupBroadcast(m[3], 1u));
}
fn lane2(m: mat4x4f) -> mat4x4f {
  return mat4x4f(subgroupBroadcast(m[0], 2u), subgroupBroadcast(m[1], 2u), subgroupBroadcast(m[2], 2u), subgroupBroadcast(m[3], 2u));
}
fn lane3(m: mat4x4f) -> mat4x4f {
  return mat4x4f(subgroupBroadcast(m[0], 3u), subgroupBroadcast(m[1], 3u), subgroupBroadcast(m[2], 3u), subgroupBroadcast(m[3], 3u));
}
fn lane4(m: mat4x4f) -> mat4x4f {
  return mat4x4f(subgroupBroadcast(m[0], 4u), subgroupBroadcast(m[1], 4u), subgroupBroadcast(m[2], 4u), subgroupBroadcast(m[3], 4u));
}
fn lane5(m: mat4x4f) -> mat4x4f {
  return mat4x4f(subgroupBroadcast(m[0], 5u), subgroupBroadcast(m[1], 5u), subgroupBroadcast(m[2], 5u), subgroupBroadcast(m[3], 5u));
}
fn lane6(m: mat4x4f) -> mat4x4f {
  return mat4x4f(subgroupBroadcast(m[0], 6u), subgroupBroadcast(m[1], 6u), subgroupBroadcast(m[2], 6u), subgroupBroadcast(m[3], 6u));
}
fn lane7(m: mat4x4f) -> mat4x4f {
  return mat4x4f(subgroupBroadcast(m[0], 7u), subgroupBroadcast(m[1], 7u), subgroupBroadcast(m[2], 7u), subgroupBroadcast(m[3], 7u));
}

fn multiply(wid: vec3u, lane: u32) -> Blocks {
  let r0 = wid.y * 4u * RB;
  let c0 = (wid.x * SG + lane) * 4u;
  // The row block this lane reads for everyone (lanes ≥ RB repeat the last one).
  let mine = r0 + 4u * min(lane, RB - 1u);
  var t: Blocks;
  for (var k = 0u; k < dims.k; k += 4u) {
    let a = a_block(wid.z, mine, k);
    let b = b_block(wid.z, c0, k);
    t.b0 += b * lane0(a);
    if (RB > 1u) { t.b1 += b * lane1(a); }
    if (RB > 2u) { t.b2 += b * lane2(a); }
    if (RB > 3u) { t.b3 += b * lane3(a); }
    if (RB > 4u) { t.b4 += b * lane4(a); }
    if (RB > 5u) { t.b5 += b * lane5(a); }
    if (RB > 6u) { t.b6 += b * lane6(a); }
    if (RB > 7u) { t.b7 += b * lane7(a); }
  }
  return t;
}

// Output row i (0 .. 4·RB-1) of the lane's columns.
fn row_of(t: Blocks, i: u32) -> vec4f {
  let blocks = array<mat4x4f, 8>(t.b0, t.b1, t.b2, t.b3, t.b4, t.b5, t.b6, t.b7);
  return blocks[i / 4u][i % 4u];
}

@compute @workgroup_size(SG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(subgroup_invocation_id) lane: u32) {
  let t = multiply(wid, lane);
  let r0 = wid.y * 4u * RB;
  let col = (wid.x * SG + lane) * 4u;
  if (col >= dims.n) { return; }
  for (var i = 0u; i < min(4u * RB, dims.m - r0); i++) { put(wid.z, r0 + i, col, row_of(t, i)); }
}

@compute @workgroup_size(SG)
fn main_bias(@builtin(workgroup_id) wid: vec3u, @builtin(subgroup_invocation_id) lane: u32) {
  let t = multiply(wid, lane);
  let r0 = wid.y * 4u * RB;
  let col = (wid.x * SG + lane) * 4u;
  if (col >= dims.n) { return; }
  for (var i = 0u; i < min(4u * RB, dims.m - r0); i++) { put_bias(wid.z, r0 + i, col, row_of(t, i)); }
}
