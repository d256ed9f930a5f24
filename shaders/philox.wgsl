// Philox-2x32-10 (Salmon et al. 2011, as in Random123), the counter-based RNG shared by the
// dropout and augmentation kernels: their descriptors put this file in front of theirs.
// Draws are pure functions of (counter, key), so a backward pass or a CPU reference can
// recompute any of them; nothing is stored.

const PHILOX_M: u32 = 0xd256d193u;
const PHILOX_W: u32 = 0x9e3779b9u;

// High 32 bits of a·b from 16-bit halves: WGSL has no 32×32→64 multiply.
fn mulhi(a: u32, b: u32) -> u32 {
  let al = a & 0xffffu;
  let ah = a >> 16u;
  let bl = b & 0xffffu;
  let bh = b >> 16u;
  let lh = al * bh;
  let hl = ah * bl;
  let mid = ((al * bl) >> 16u) + (lh & 0xffffu) + (hl & 0xffffu);
  return ah * bh + (lh >> 16u) + (hl >> 16u) + (mid >> 16u);
}

// Both output words of Philox-2x32-10 for counter (c0, c1) and key k.
fn philox(c0: u32, c1: u32, k: u32) -> vec2u {
  var x = c0;
  var y = c1;
  var key = k;
  for (var round = 0u; round < 10u; round++) {
    let hi = mulhi(PHILOX_M, x);
    let lo = PHILOX_M * x;
    x = hi ^ key ^ y;
    y = lo;
    key += PHILOX_W;
  }
  return vec2u(x, y);
}

// The top 24 bits of a draw as a uniform in [0, 1), exact in f32.
fn unit_float(draw: u32) -> f32 {
  return f32(draw >> 8u) / 16777216.0;
}
