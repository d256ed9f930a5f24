// The im2col matrix of a 2-D convolution and its adjoint (col2im), for the convolution path
// that materializes it and then runs the matmul kernels (src/kernels/conv.ts chooses this
// path or the implicit one of shaders/conv.wgsl per shape). NCHW, groups = 1:
//   col[n, (c, kh, kw), (oh, ow)] = x[n, c, oh·SH − PH + kh·DH, ow·SW − PW + kw·DW]  (0 in the padding)
// col2im sums, for each input position, the entries of dcol that im2col copied from it.

override WG: u32 = 256;
override BATCH: u32;
override CI: u32;       // input channels
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

// Entry points may share binding numbers as long as one entry point uses only one of them.
@group(0) @binding(0) var<storage, read> x: array<f32>;               // im2col
@group(0) @binding(1) var<storage, read_write> col: array<f32>;       // im2col
@group(0) @binding(0) var<storage, read> dcol: array<f32>;            // col2im
@group(0) @binding(1) var<storage, read_write> dx: array<f32>;        // col2im

fn flat(gid: vec3u, groups: vec3u) -> u32 {
  return gid.x + gid.y * groups.x * WG;
}

// One invocation per entry of col [BATCH, CI·KH·KW, OH·OW].
@compute @workgroup_size(WG)
fn im2col(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat(gid, groups);
  let p = OH * OW;
  let rows = CI * KH * KW;
  if (i >= BATCH * rows * p) { return; }
  let at = i % p;
  let row = (i / p) % rows;
  let n = i / (p * rows);
  let c = row / (KH * KW);
  let kh = (row / KW) % KH;
  let kw = row % KW;
  let ih = i32((at / OW) * SH + kh * DH) - i32(PH);
  let iw = i32((at % OW) * SW + kw * DW) - i32(PW);
  var v = 0.0;
  if (ih >= 0 && iw >= 0 && ih < i32(H) && iw < i32(W)) {
    v = x[((n * CI + c) * H + u32(ih)) * W + u32(iw)];
  }
  col[i] = v;
}

// dx[n, c, ih, iw] = Σ over taps (kh, kw) whose output position (oh, ow) exists of
// dcol[n, (c, kh, kw), (oh, ow)]: one invocation per input value, so no atomics.
@compute @workgroup_size(WG)
fn col2im(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat(gid, groups);
  if (i >= BATCH * CI * H * W) { return; }
  let iw = i % W;
  let ih = (i / W) % H;
  let nc = i / (H * W); // n·CI + c
  let p = OH * OW;
  var total = 0.0;
  for (var kh = 0u; kh < KH; kh++) {
    let th = i32(ih + PH) - i32(kh * DH);
    if (th < 0 || u32(th) % SH != 0u || u32(th) / SH >= OH) { continue; }
    for (var kw = 0u; kw < KW; kw++) {
      let tw = i32(iw + PW) - i32(kw * DW);
      if (tw < 0 || u32(tw) % SW != 0u || u32(tw) / SW >= OW) { continue; }
      total += dcol[(nc * KH * KW + kh * KW + kw) * p + (u32(th) / SH) * OW + u32(tw) / SW];
    }
  }
  dx[i] = total;
}
