// Workgroup-memory tiled matmul (after an operand file and shaders/matmul_store.wgsl), the
// usual design for discrete GPUs: a workgroup computes a 4·BR·WG_Y × 4·BC·WG_X block of C.
// Per stage of BK k's, its invocations copy that block's op(A) and op(B) slices into
// workgroup memory (4×4 blocks from a_block / b_block, vec4 reads where the operand file
// can), then each multiplies its BR × BC blocks of 4×4 outputs out of workgroup memory.
// Two stage buffers: stage s+1 is loaded while stage s is multiplied, one barrier per stage.
// Invocation (x, y) owns row blocks y + i·WG_Y and column blocks x + j·WG_X, so neighbouring
// invocations read neighbouring vec4s of the B stage and store neighbouring vec4s of C.

override BR: u32 = 1u;
override BC: u32 = 1u;
override WG_X: u32 = 16u;
override WG_Y: u32 = 16u;
// k's per stage, a multiple of 4.
override BK: u32 = 16u;
// Load order of the stage copies: consecutive invocations take consecutive row blocks of
// op(A) (A_ROWS_FIRST) or k blocks, and consecutive k blocks of op(B) (B_K_FIRST) or column
// blocks, whichever is contiguous in the stored operand.
override A_ROWS_FIRST: bool = false;
override B_K_FIRST: bool = false;

override ROW_BLOCKS: u32 = BR * WG_Y;
override COL_BLOCKS: u32 = BC * WG_X;
// vec4s per stage: op(A) as [BK/4][4·ROW_BLOCKS] (4 k's of one row), op(B) as [BK][COL_BLOCKS].
override A_STAGE: u32 = BK * ROW_BLOCKS;
override B_STAGE: u32 = BK * COL_BLOCKS;

var<workgroup> sa: array<vec4f, 2u * A_STAGE>;
var<workgroup> sb: array<vec4f, 2u * B_STAGE>;

// Copies stage k0 .. k0+BK-1 of the workgroup's rows r0.. and columns c0.. into buffer s.
// Blocks past K are zeros (a_block and b_block clamp k; they zero only the k's past K of a
// partial 4-block).
fn load(s: u32, z: u32, r0: u32, c0: u32, k0: u32, me: u32) {
  let kbs = BK / 4u;
  for (var i = me; i < kbs * ROW_BLOCKS; i += WG_X * WG_Y) {
    let rb = select(i / kbs, i % ROW_BLOCKS, A_ROWS_FIRST);
    let kb = select(i % kbs, i / ROW_BLOCKS, A_ROWS_FIRST);
    let k = k0 + 4u * kb;
    var blk: mat4x4f;
    if (k < dims.k) { blk = a_block(z, r0 + 4u * rb, k); }
    let at = s * A_STAGE + kb * 4u * ROW_BLOCKS + 4u * rb;
    sa[at] = blk[0]; sa[at + 1u] = blk[1]; sa[at + 2u] = blk[2]; sa[at + 3u] = blk[3];
  }
  for (var i = me; i < kbs * COL_BLOCKS; i += WG_X * WG_Y) {
    let cb = select(i % COL_BLOCKS, i / kbs, B_K_FIRST);
    let kb = select(i / COL_BLOCKS, i % kbs, B_K_FIRST);
    let k = k0 + 4u * kb;
    var blk: mat4x4f;
    if (k < dims.k) { blk = b_block(z, c0 + 4u * cb, k); }
    let at = s * B_STAGE + 4u * kb * COL_BLOCKS + cb;
    sb[at] = blk[0]; sb[at + COL_BLOCKS] = blk[1]; sb[at + 2u * COL_BLOCKS] = blk[2]; sb[at + 3u * COL_BLOCKS] = blk[3];
  }
}

// Rows 4·rb .. 4·rb+3 of op(A) at k block kb of buffer s, row i in column i (as a_block).
fn a_tile(s: u32, kb: u32, rb: u32) -> mat4x4f {
  let at = s * A_STAGE + kb * 4u * ROW_BLOCKS + 4u * rb;
  return mat4x4f(sa[at], sa[at + 1u], sa[at + 2u], sa[at + 3u]);
}

// Rows 4·kb .. 4·kb+3 of op(B) at column block cb of buffer s, row kk in column kk (as b_block).
fn b_tile(s: u32, kb: u32, cb: u32) -> mat4x4f {
  let at = s * B_STAGE + 4u * kb * COL_BLOCKS + cb;
  return mat4x4f(sb[at], sb[at + COL_BLOCKS], sb[at + 2u * COL_BLOCKS], sb[at + 3u * COL_BLOCKS]);
}

// The invocation's blocks: t[2i + j] is row block i, column block j, row r in column r
// (indexed by constants only, so they stay in registers).
// Every invocation reaches every barrier; those past the edges of C compute on clamped
// operands and store nothing.
fn multiply(wid: vec3u, lid: vec3u) -> array<mat4x4f, 4> {
  let r0 = wid.y * 4u * ROW_BLOCKS;
  let c0 = wid.x * 4u * COL_BLOCKS;
  let me = lid.y * WG_X + lid.x;
  let stages = (dims.k + BK - 1u) / BK;
  var t: array<mat4x4f, 4>;
  load(0u, wid.z, r0, c0, 0u, me);
  workgroupBarrier();
  for (var s = 0u; s < stages; s++) {
    if (s + 1u < stages) { load((s + 1u) % 2u, wid.z, r0, c0, (s + 1u) * BK, me); }
    let buf = s % 2u;
    for (var kb = 0u; kb < BK / 4u; kb++) {
      let a0 = a_tile(buf, kb, lid.y);
      let b0 = b_tile(buf, kb, lid.x);
      t[0] += b0 * a0;
      if (BC > 1u) { t[1] += b_tile(buf, kb, lid.x + WG_X) * a0; }
      if (BR > 1u) {
        let a1 = a_tile(buf, kb, lid.y + WG_Y);
        t[2] += b0 * a1;
        if (BC > 1u) { t[3] += b_tile(buf, kb, lid.x + WG_X) * a1; }
      }
    }
    workgroupBarrier();
  }
  return t;
}

// Row block i and column block j of the invocation, as (first row, first column) of C.
fn corner(wid: vec3u, lid: vec3u, i: u32, j: u32) -> vec2u {
  return 4u * vec2u(wid.y * ROW_BLOCKS + lid.y + i * WG_Y, wid.x * COL_BLOCKS + lid.x + j * WG_X);
}

// Stores the rows of block m that lie in C. The loop's trip count is not a constant, so it is
// not unrolled (CPU drivers spend their compile time per memory access), and m stays a value.
fn put_block(z: u32, at: vec2u, m: mat4x4f) {
  if (at.y >= dims.n) { return; }
  for (var r = 0u; r < min(4u, dims.m - min(dims.m, at.x)); r++) { put(z, at.x + r, at.y, m[r]); }
}

fn put_block_bias(z: u32, at: vec2u, m: mat4x4f) {
  if (at.y >= dims.n) { return; }
  for (var r = 0u; r < min(4u, dims.m - min(dims.m, at.x)); r++) { put_bias(z, at.x + r, at.y, m[r]); }
}

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let t = multiply(wid, lid);
  put_block(wid.z, corner(wid, lid, 0u, 0u), t[0]);
  if (BC > 1u) { put_block(wid.z, corner(wid, lid, 0u, 1u), t[1]); }
  if (BR > 1u) { put_block(wid.z, corner(wid, lid, 1u, 0u), t[2]); }
  if (BR > 1u && BC > 1u) { put_block(wid.z, corner(wid, lid, 1u, 1u), t[3]); }
}

@compute @workgroup_size(WG_X, WG_Y)
fn main_bias(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let t = multiply(wid, lid);
  put_block_bias(wid.z, corner(wid, lid, 0u, 0u), t[0]);
  if (BC > 1u) { put_block_bias(wid.z, corner(wid, lid, 0u, 1u), t[1]); }
  if (BR > 1u) { put_block_bias(wid.z, corner(wid, lid, 1u, 0u), t[2]); }
  if (BR > 1u && BC > 1u) { put_block_bias(wid.z, corner(wid, lid, 1u, 1u), t[3]); }
}
