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

// `when_set` if `bit` is set, else `when_clear`, column by column (select takes no matrices).
fn pick(when_clear: mat4x4f, when_set: mat4x4f, bit: bool) -> mat4x4f {
  return mat4x4f(select(when_clear[0], when_set[0], bit), select(when_clear[1], when_set[1], bit),
                 select(when_clear[2], when_set[2], bit), select(when_clear[3], when_set[3], bit));
}

// Output row i (0 .. 4·RB-1) of the lane's columns, picked by the bits of i with selects rather
// than by indexing an array of the blocks (2026-12-02, the MNIST MLP's four matmul kinds, cold,
// medians of 3–5 alternated rounds): lavapipe compiles them in 2.6–2.8 s instead of 3.0–3.2 s,
// and SwiftShader, which keeps an indexed array in memory, runs them in 83 ms instead of 90. The
// whole MLP's cold first step (~4.5 s, five runs each) did not move measurably in that noise.
fn row_of(t: Blocks, i: u32) -> vec4f {
  let q = i / 4u;
  let b0 = (q & 1u) != 0u;
  let b1 = (q & 2u) != 0u;
  let m = pick(pick(pick(t.b0, t.b1, b0), pick(t.b2, t.b3, b0), b1), pick(pick(t.b4, t.b5, b0), pick(t.b6, t.b7, b0), b1), q >= 4u);
  let r = i % 4u;
  return select(select(m[0], m[1], (r & 1u) != 0u), select(m[2], m[3], (r & 1u) != 0u), (r & 2u) != 0u);
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
