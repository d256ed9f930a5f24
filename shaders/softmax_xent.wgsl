// Row-wise softmax family over [N, C] row-major f32 rows: softmax and log-softmax forward and
// backward, and cross-entropy fused with its gradient (from integer labels or soft targets).
// T threads share a row (T = 1: one thread per row, the fast case for MNIST's C = 10; larger T
// for wide rows), WG / T rows per workgroup. Every invocation takes part in the row reductions,
// so invocations past the last row work on row N − 1 and only skip their writes.
// Row loops run over flat indices from base to end, not over 0..C: lavapipe then does not unroll
// them fully, which made a pipeline compile 3–10× slower (C = 33: ~3 s) for no run-time gain.

override C: u32;
override WG: u32 = 64;
override T: u32 = 1u;              // threads per row: a power of two dividing WG
override SMOOTHING: f32 = 0.0;     // label smoothing ε (cross-entropy)

// The rows: launch parameters (group 1), so that every batch size shares a pipeline. n is N;
// divisor is what cross-entropy divides by, N for 'mean' and 1 for 'sum' (0 elsewhere).
struct Rows {
  n: u32,
  divisor: u32,
}
@group(1) @binding(0) var<uniform> rows: Rows;

// Entry points may share binding numbers as long as one entry point uses only one of them.
@group(0) @binding(0) var<storage, read> logits: array<f32>;          // forward, cross-entropy
@group(0) @binding(0) var<storage, read> y_in: array<f32>;            // backward: the forward's output
@group(0) @binding(1) var<storage, read_write> y_out: array<f32>;     // forward
@group(0) @binding(1) var<storage, read> dy: array<f32>;              // backward
@group(0) @binding(1) var<storage, read> labels: array<u32>;          // cross-entropy from labels
@group(0) @binding(1) var<storage, read> targets: array<f32>;         // cross-entropy from soft targets
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;        // backward
@group(0) @binding(2) var<storage, read_write> loss: array<f32>;      // cross-entropy, [N]
@group(0) @binding(3) var<storage, read_write> dlogits: array<f32>;   // cross-entropy, [N, C]

var<workgroup> scratch: array<vec4f, WG>;

const LOWEST: f32 = -0x1.fffffep+127f; // start of a max; WGSL has no constant −∞

struct Row {
  index: u32,  // row this invocation reads (clamped to N − 1)
  base: u32,   // index * C, the row's first element
  end: u32,    // base + C, one past its last
  lane: u32,   // 0..T−1 within the row
  lid: u32,    // local invocation index
  valid: bool, // false past the last row: compute, but write nothing
}

fn locate(lid: u32, wid: vec3u, groups: vec3u) -> Row {
  let row = (wid.x + wid.y * groups.x) * (WG / T) + lid / T;
  let index = min(row, rows.n - 1u);
  return Row(index, index * C, index * C + C, lid % T, lid, row < rows.n);
}

// Sum (or max, in .x) of v over the T lanes of a row: a tree in workgroup memory. Must be
// called in uniform control flow by every invocation of the workgroup. (On lavapipe a tree
// compiles in about half the time of a serial loop over the T partials, which gets unrolled.)
fn row_reduce(v: vec4f, take_max: bool, r: Row) -> vec4f {
  if (T == 1u) { return v; }
  scratch[r.lid] = v;
  for (var s = T / 2u; s > 0u; s = s / 2u) {
    workgroupBarrier();
    if (r.lane < s) {
      let a = scratch[r.lid];
      let b = scratch[r.lid + s];
      scratch[r.lid] = select(a + b, max(a, b), take_max);
    }
  }
  workgroupBarrier();
  let total = scratch[r.lid - r.lane];
  workgroupBarrier(); // all lanes have read before scratch is reused
  return total;
}

fn row_max(r: Row) -> f32 {
  var m = LOWEST;
  for (var i = r.base + r.lane; i < r.end; i += T) { m = max(m, logits[i]); }
  return row_reduce(vec4f(m), true, r).x;
}

// Σ exp(x − m): every exponent is ≤ 0, so logits of any size (±80 and beyond) never overflow.
fn row_exp_sum(m: f32, r: Row) -> f32 {
  var s = 0.0;
  for (var i = r.base + r.lane; i < r.end; i += T) { s += exp(logits[i] - m); }
  return row_reduce(vec4f(s, 0.0, 0.0, 0.0), false, r).x;
}

// A quiet NaN made at run time (a NaN constant-expression is a shader-creation error).
fn nan() -> f32 {
  let bits = 0x7fc00000u;
  return bitcast<f32>(bits);
}

@compute @workgroup_size(WG)
fn softmax(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u,
           @builtin(num_workgroups) groups: vec3u) {
  let r = locate(lid, wid, groups);
  let m = row_max(r);
  let s = row_exp_sum(m, r);
  if (!r.valid) { return; }
  for (var i = r.base + r.lane; i < r.end; i += T) { y_out[i] = exp(logits[i] - m) / s; }
}

@compute @workgroup_size(WG)
fn log_softmax(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u,
               @builtin(num_workgroups) groups: vec3u) {
  let r = locate(lid, wid, groups);
  let m = row_max(r);
  let log_s = log(row_exp_sum(m, r));
  if (!r.valid) { return; }
  for (var i = r.base + r.lane; i < r.end; i += T) { y_out[i] = (logits[i] - m) - log_s; }
}

// y = softmax(x): dx = y ⊙ (dy − Σ y⊙dy).
@compute @workgroup_size(WG)
fn softmax_backward(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u,
                    @builtin(num_workgroups) groups: vec3u) {
  let r = locate(lid, wid, groups);
  var part = 0.0;
  for (var i = r.base + r.lane; i < r.end; i += T) { part += y_in[i] * dy[i]; }
  let dot = row_reduce(vec4f(part, 0.0, 0.0, 0.0), false, r).x;
  if (!r.valid) { return; }
  for (var i = r.base + r.lane; i < r.end; i += T) { dx[i] = y_in[i] * (dy[i] - dot); }
}

// y = log_softmax(x): dx = dy − exp(y) Σ dy.
@compute @workgroup_size(WG)
fn log_softmax_backward(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u,
                        @builtin(num_workgroups) groups: vec3u) {
  let r = locate(lid, wid, groups);
  var part = 0.0;
  for (var i = r.base + r.lane; i < r.end; i += T) { part += dy[i]; }
  let total = row_reduce(vec4f(part, 0.0, 0.0, 0.0), false, r).x;
  if (!r.valid) { return; }
  for (var i = r.base + r.lane; i < r.end; i += T) { dx[i] = dy[i] - exp(y_in[i]) * total; }
}

// Target t = (1 − ε)·onehot(label) + ε/C, never materialized. With lse = m + log s,
// loss = (1 − ε)(lse − x_label) + ε(lse − Σx / C) and dlogits = (softmax − t) / rows.divisor.
// A label ≥ C (e.g. a negative Int32 label) makes the row's loss and gradient NaN: loud,
// where PyTorch would raise.
@compute @workgroup_size(WG)
fn cross_entropy_labels(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u,
                        @builtin(num_workgroups) groups: vec3u) {
  let r = locate(lid, wid, groups);
  let m = row_max(r);
  var part = vec4f(0.0);
  for (var i = r.base + r.lane; i < r.end; i += T) {
    let x = logits[i];
    part += vec4f(exp(x - m), x - m, 0.0, 0.0);
  }
  let sums = row_reduce(part, false, r);
  if (!r.valid) { return; }
  let label = labels[r.index];
  let bad = label >= C;
  let log_s = log(sums.x);
  let x_label = logits[r.base + min(label, C - 1u)] - m;
  let on = 1.0 - SMOOTHING;
  let off = SMOOTHING / f32(C);
  if (r.lane == 0u) {
    let value = on * (log_s - x_label) + SMOOTHING * (log_s - sums.y / f32(C));
    loss[r.index] = select(value, nan(), bad) / f32(rows.divisor);
  }
  for (var i = r.base + r.lane; i < r.end; i += T) {
    let p = exp(logits[i] - m) / sums.x;
    let t = select(off, on + off, i - r.base == label);
    dlogits[i] = select(p - t, nan(), bad) / f32(rows.divisor);
  }
}

// Soft targets t (rows of probabilities), smoothed as PyTorch does: t' = (1 − ε)t + ε/C.
// loss = Σ t'(lse − x) = Σt'·log s − Σ t'(x − m); dlogits = (softmax·Σt' − t') / rows.divisor,
// the exact gradient even when a target row does not sum to 1.
@compute @workgroup_size(WG)
fn cross_entropy_soft(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u,
                      @builtin(num_workgroups) groups: vec3u) {
  let r = locate(lid, wid, groups);
  let m = row_max(r);
  let off = SMOOTHING / f32(C);
  var part = vec4f(0.0);
  for (var i = r.base + r.lane; i < r.end; i += T) {
    let x = logits[i] - m;
    let t = (1.0 - SMOOTHING) * targets[i] + off;
    part += vec4f(exp(x), t, t * x, 0.0);
  }
  let sums = row_reduce(part, false, r);
  if (!r.valid) { return; }
  if (r.lane == 0u) { loss[r.index] = (sums.y * log(sums.x) - sums.z) / f32(rows.divisor); }
  for (var i = r.base + r.lane; i < r.end; i += T) {
    let p = exp(logits[i] - m) / sums.x;
    let t = (1.0 - SMOOTHING) * targets[i] + off;
    dlogits[i] = (p * sums.y - t) / f32(rows.divisor);
  }
}
