// 2-D pooling over the NC planes of an NCHW tensor (torch.nn.MaxPool2d, AvgPool2d,
// AdaptiveAvgPool2d): one invocation per output value forward, one per input value backward.
// The backward passes gather, for their input position, the outputs whose windows hold it,
// so overlapping windows need no atomics. Descriptors: src/kernels/pool.ts.

override WG: u32 = 256;
override NC: u32;        // planes: batch × channels
override H: u32;
override W: u32;
override OH: u32;
override OW: u32;
override KH: u32 = 1u;
override KW: u32 = 1u;
override SH: u32 = 1u;
override SW: u32 = 1u;
override PH: u32 = 0u;
override PW: u32 = 0u;
// Average pooling: windows from AdaptiveAvgPool2d's formula instead of kernel/stride/padding.
override ADAPTIVE: bool = false;
// Average pooling: divide by the window including its padding (torch's count_include_pad).
override COUNT_PAD: bool = true;

// Entry points may share binding numbers as long as one entry point uses only one of them.
@group(0) @binding(0) var<storage, read> x: array<f32>;                 // forward
@group(0) @binding(1) var<storage, read_write> y: array<f32>;           // forward
@group(0) @binding(2) var<storage, read_write> indices: array<u32>;     // max_forward
@group(0) @binding(0) var<storage, read> dy: array<f32>;                // backward
@group(0) @binding(1) var<storage, read> argmax: array<u32>;            // max_backward
@group(0) @binding(2) var<storage, read_write> dx_max: array<f32>;      // max_backward
@group(0) @binding(1) var<storage, read_write> dx: array<f32>;          // avg_backward

fn flat(gid: vec3u, groups: vec3u) -> u32 {
  return gid.x + gid.y * groups.x * WG;
}

// [start, end) of output o's window along a dimension of `size` inputs, in input
// coordinates: padded windows may start below 0 or end past the input.
fn window(o: u32, size: u32, out: u32, k: u32, s: u32, p: u32) -> vec2i {
  if (ADAPTIVE) { return vec2i(i32((o * size) / out), i32(((o + 1u) * size + out - 1u) / out)); }
  let start = i32(o * s) - i32(p);
  return vec2i(start, start + i32(k));
}

// [first, last) of the outputs whose windows hold input i along a dimension.
fn outputs_of(i: u32, size: u32, out: u32, k: u32, s: u32, p: u32) -> vec2u {
  if (ADAPTIVE) { return vec2u((i * out) / size, min(out, ((i + 1u) * out + size - 1u) / size)); }
  // o·s − p ≤ i < o·s − p + k  ⇔  (i + p − k + 1)/s ≤ o ≤ (i + p)/s
  let hi = (i + p) / s + 1u;
  let lo = select(0u, (i + p - k + 1u + s - 1u) / s, i + p + 1u > k);
  return vec2u(lo, min(hi, out));
}

// The divisor of an average window: its size within the padded input (count_include_pad),
// or the inputs it really covers.
fn divisor(wh: vec2i, ww: vec2i) -> f32 {
  if (COUNT_PAD && !ADAPTIVE) {
    let h = min(wh.y, i32(H + PH)) - wh.x;
    let w = min(ww.y, i32(W + PW)) - ww.x;
    return f32(h * w);
  }
  let h = min(wh.y, i32(H)) - max(wh.x, 0);
  let w = min(ww.y, i32(W)) - max(ww.x, 0);
  return f32(h * w);
}

// NaN by its bits: WGSL lets compilers assume floats are never NaN, and `v != v` or
// `v > best` with a NaN then gave arbitrary answers (lavapipe and SwiftShader skipped
// every NaN but a window's first value).
fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

// Maximum of each window and its position h·W + w in the plane (torch's indices). The
// first maximum wins ties; a NaN wins over numbers and a later NaN over an earlier one,
// as torch's `val > maxval || isnan(val)`, so numbers are compared only while no NaN is held.
@compute @workgroup_size(WG)
fn max_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let o = flat(gid, groups);
  if (o >= NC * OH * OW) { return; }
  let plane = o / (OH * OW);
  let wh = window((o / OW) % OH, H, OH, KH, SH, PH);
  let ww = window(o % OW, W, OW, KW, SW, PW);
  let h0 = max(wh.x, 0);
  let w0 = max(ww.x, 0);
  // torch starts from -inf; starting from the window's first value chooses the same.
  var at = u32(h0) * W + u32(w0);
  var best = x[plane * H * W + at];
  var nan = false;
  for (var ih = h0; ih < min(wh.y, i32(H)); ih++) {
    for (var iw = w0; iw < min(ww.y, i32(W)); iw++) {
      let i = u32(ih) * W + u32(iw);
      let v = x[plane * H * W + i];
      let v_nan = is_nan(v);
      if (v_nan || (!nan && v > best)) { best = v; at = i; nan = nan || v_nan; }
    }
  }
  y[o] = best;
  indices[o] = at;
}

// dx[i] = Σ dy[o] over the outputs o whose window holds i and chose it as the maximum.
@compute @workgroup_size(WG)
fn max_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat(gid, groups);
  if (i >= NC * H * W) { return; }
  let plane = i / (H * W);
  let at = i % (H * W);
  let rows = outputs_of(at / W, H, OH, KH, SH, PH);
  let cols = outputs_of(at % W, W, OW, KW, SW, PW);
  var total = 0.0;
  for (var oh = rows.x; oh < rows.y; oh++) {
    for (var ow = cols.x; ow < cols.y; ow++) {
      let o = (plane * OH + oh) * OW + ow;
      if (argmax[o] == at) { total += dy[o]; }
    }
  }
  dx_max[i] = total;
}

@compute @workgroup_size(WG)
fn avg_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let o = flat(gid, groups);
  if (o >= NC * OH * OW) { return; }
  let plane = o / (OH * OW);
  let wh = window((o / OW) % OH, H, OH, KH, SH, PH);
  let ww = window(o % OW, W, OW, KW, SW, PW);
  var total = 0.0;
  for (var ih = max(wh.x, 0); ih < min(wh.y, i32(H)); ih++) {
    for (var iw = max(ww.x, 0); iw < min(ww.y, i32(W)); iw++) {
      total += x[(plane * H + u32(ih)) * W + u32(iw)];
    }
  }
  y[o] = total / divisor(wh, ww);
}

// dx[i] = Σ dy[o] / divisor(o) over the outputs o whose window holds i.
@compute @workgroup_size(WG)
fn avg_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat(gid, groups);
  if (i >= NC * H * W) { return; }
  let plane = i / (H * W);
  let ih = (i / W) % H;
  let iw = i % W;
  let rows = outputs_of(ih, H, OH, KH, SH, PH);
  let cols = outputs_of(iw, W, OW, KW, SW, PW);
  var total = 0.0;
  for (var oh = rows.x; oh < rows.y; oh++) {
    let wh = window(oh, H, OH, KH, SH, PH);
    for (var ow = cols.x; ow < cols.y; ow++) {
      total += dy[(plane * OH + oh) * OW + ow] / divisor(wh, window(ow, W, OW, KW, SW, PW));
    }
  }
  dx[i] = total;
}
