// The operands of a 2-D convolution as a GEMM over an implicit im2col matrix (no im2col
// buffer): src/kernels/conv.ts puts shaders/activation.wgsl, this file and
// shaders/matmul_store.wgsl in front of a matmul kernel body (shaders/matmul.wgsl or
// shaders/matmul_subgroup.wgsl), which multiplies the 4×4 blocks a_block and b_block return,
// exactly as it does for stored matrices (shaders/matmul_operands.wgsl).
//
// NCHW activations, weights [C_out, C_in/G, KH, KW] (PyTorch's layout), G groups. With
// ci, co the channels within a group and (kh, kw) a kernel tap, MODE selects the GEMM:
//   0 forward:        y[n,g] [CO, OH·OW]    = W[g] [CO, CI·KH·KW] · im2col(x[n,g]) [CI·KH·KW, OH·OW]
//   1 input gradient: dx[n,g] [CI, H·W]     = W[g]ᵀ' [CI, CO·KH·KW] · gather(dy[n,g]) [CO·KH·KW, H·W]
//   2 weight grad.:   dW[g] [CO, CI·KH·KW]  = Σ_n dy[n,g] [CO, OH·OW] · im2col(x[n,g])ᵀ [OH·OW, CI·KH·KW]
// Batch item z of the kernel is (n, g) = (z / G, z % G) for modes 0 and 1, and for mode 2
// (split s, group g) = (z / G, z % G): split s sums the reduction terms s·K .. s·K + K − 1
// (M, N and K are the launch's dims, declared in shaders/matmul_store.wgsl)
// of the N·OH·OW terms, and the splits are summed afterwards (reduce.sumRows).
// Out-of-range taps (padding), k past the reduction and, in mode 1, the taps that no
// output position reaches through the stride read as 0. Rows and columns past the edges
// are clamped: the kernels compute them and never store them.

override MODE: u32 = 0u;
override G: u32 = 1u;
override CI: u32;      // input channels per group
override CO: u32;      // output channels per group
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
override BATCH: u32;   // N of the activations (mode 2: the reduction runs over BATCH·OH·OW)

// Binding 0 is the tensor read through the im2col view (op(B)): x in modes 0 and 2, dy in
// mode 1. Binding 1 is op(A): the weights in modes 0 and 1, dy in mode 2.
@group(0) @binding(0) var<storage, read> image: array<f32>;
@group(0) @binding(1) var<storage, read> other: array<f32>;

// Kernel taps per channel.
fn taps() -> u32 { return KH * KW; }

// Whether input positions (ih, iw) lie inside the image (not in the padding).
fn inside(ih: vec4i, iw: vec4i) -> vec4<bool> {
  return (ih >= vec4i(0)) & (iw >= vec4i(0)) & (ih < vec4i(i32(H))) & (iw < vec4i(i32(W)));
}

// Reads image[i] where `valid`, else 0 (the index is zeroed first: never out of range).
fn gather(i: vec4i, valid: vec4<bool>) -> vec4f {
  let at = vec4u(select(vec4i(0), i, valid));
  let v = vec4f(image[at.x], image[at.y], image[at.z], image[at.w]);
  return select(vec4f(0.0), v, valid);
}

// x[plane + ih·W + iw] at 4 output positions (oh, ow) for tap (kh, kw), with
// ih = oh·SH − PH + kh·DH and iw likewise; 0 in the padding.
fn taps4(plane: u32, oh: vec4u, ow: vec4u, kh: u32, kw: u32, ok: bool) -> vec4f {
  let ih = vec4i(oh * SH + kh * DH) - i32(PH);
  let iw = vec4i(ow * SW + kw * DW) - i32(PW);
  return gather(i32(plane) + ih * i32(W) + iw, inside(ih, iw) & vec4<bool>(ok));
}

// dy[plane + oh·OW + ow] at 4 input positions (ih, iw) for tap (kh, kw), where oh·SH =
// ih + PH − kh·DH is the output position whose window puts the tap there; 0 where none does.
fn taps4_back(plane: u32, ih: vec4u, iw: vec4u, kh: u32, kw: u32, ok: bool) -> vec4f {
  let th = vec4i(ih + PH) - i32(kh * DH);
  let tw = vec4i(iw + PW) - i32(kw * DW);
  let oh = vec4u(max(th, vec4i(0))) / SH;
  let ow = vec4u(max(tw, vec4i(0))) / SW;
  let hit = (th >= vec4i(0)) & (tw >= vec4i(0)) & (vec4i(oh * SH) == th) & (vec4i(ow * SW) == tw);
  let valid = hit & (oh < vec4u(OH)) & (ow < vec4u(OW)) & vec4<bool>(ok);
  return gather(vec4i(plane + oh * OW + ow), valid);
}

// op(A)[row, k .. k+3] of batch item z (0 past K).
fn a_run(z: u32, row: u32, k: u32) -> vec4f {
  let g = z % G;
  let kk = vec4u(k) + vec4u(0u, 1u, 2u, 3u);
  let ok = kk < vec4u(dims.k);
  var at: vec4u;
  if (MODE == 0u) {
    // W[g·CO + row, k] with k = (ci, kh, kw): a stored row of the weights.
    at = (g * CO + row) * dims.k + kk;
  } else if (MODE == 1u) {
    // W[g·CO + co, row, kh, kw] with k = (co, kh, kw).
    at = ((g * CO + kk / taps()) * CI + row) * taps() + kk % taps();
  } else {
    // dy[n, g·CO + row, p] for the reduction terms j = s·K + k = (n, p).
    let j = (z / G) * dims.k + kk;
    at = ((j / (OH * OW)) * G * CO + g * CO + row) * OH * OW + j % (OH * OW);
    return select(vec4f(0.0), vec4f(other[at.x], other[at.y], other[at.z], other[at.w]), ok & (j < vec4u(BATCH * OH * OW)));
  }
  return select(vec4f(0.0), vec4f(other[at.x], other[at.y], other[at.z], other[at.w]), ok);
}

// op(A)[r0 .. r0+3, k .. k+3] of batch item z, row i of op(A) in column i (rows clamped).
fn a_block(z: u32, r0: u32, k: u32) -> mat4x4f {
  let last = dims.m - 1u;
  return mat4x4f(a_run(z, min(r0, last), k), a_run(z, min(r0 + 1u, last), k),
                 a_run(z, min(r0 + 2u, last), k), a_run(z, min(r0 + 3u, last), k));
}

// Row k of op(B) at the 4 columns c of batch item z (0 past K). Column and tap
// decompositions are per call; the row index k is the same in every lane.
fn b_run(z: u32, k: u32, c: vec4u) -> vec4f {
  let ok = k < dims.k;
  if (MODE == 0u) {
    // im2col(x[n, g])[(ci, kh, kw), (oh, ow)]; x[n, g·CI] starts at z·CI·H·W.
    let t = k % taps();
    return taps4((z * CI + k / taps()) * H * W, c / OW, c % OW, t / KW, t % KW, ok);
  }
  if (MODE == 1u) {
    // dy[n, g·CO + co] gathered for tap (kh, kw) of k = (co, kh, kw) at inputs c = (ih, iw).
    let t = k % taps();
    return taps4_back((z * CO + k / taps()) * OH * OW, c / W, c % W, t / KW, t % KW, ok);
  }
  // im2col(x)ᵀ[(n, p), (ci, kh, kw)] for the reduction term j = s·K + k = (n, p).
  let j = (z / G) * dims.k + k;
  let n = j / (OH * OW);
  let p = j % (OH * OW);
  let t = c % taps();
  let plane = ((n * G + z % G) * CI + c / taps()) * H * W;
  let ih = vec4i(vec4u(p / OW * SH) + t / KW * DH) - i32(PH);
  let iw = vec4i(vec4u(p % OW * SW) + t % KW * DW) - i32(PW);
  return gather(vec4i(plane) + ih * i32(W) + iw, inside(ih, iw) & vec4<bool>(ok && j < BATCH * OH * OW));
}

// op(B)[k .. k+3, c0 .. c0+3] of batch item z, row kk of op(B) in column kk (columns clamped).
fn b_block(z: u32, c0: u32, k: u32) -> mat4x4f {
  let c = min(vec4u(c0) + vec4u(0u, 1u, 2u, 3u), vec4u(dims.n - 1u));
  return mat4x4f(b_run(z, k, c), b_run(z, k + 1u, c), b_run(z, k + 2u, c), b_run(z, k + 3u, c));
}
