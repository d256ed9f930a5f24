// Reductions over row-major f32 tensors viewed as [OUTER, AXIS, INNER] (sums, means, the
// bias gradient and sum's broadcast backward) and over [ROWS, COLS] (argmax, correct count),
// plus whole-array sums into a slot of a metrics buffer. Descriptors: src/kernels/reduce.ts,
// which put a workgroup sum in front (shaders/workgroup_sum.wgsl or subgroup_sum.wgsl).

override WG: u32 = 256;       // a power of two (the tree sum halves it), or the subgroup size
override SCALE: f32 = 1.0;
override SLOT: u32 = 0u;
override ACCUMULATE: bool = false;
// A padded batch: the metrics word ROWS_SLOT holds (as f32) how many leading rows are real,
// and only their terms count (TERMS_PER_ROW terms per row). NO_SLOT: every row counts.
const NO_SLOT: u32 = 0xffffffffu;
override ROWS_SLOT: u32 = NO_SLOT;
override TERMS_PER_ROW: u32 = 1u;

// The shape: launch parameters (group 1), so that every shape of one kernel and settings
// shares a pipeline. Each kernel reads the fields it names (the others are 0).
struct ReduceDims {
  outer: u32,
  axis: u32,
  inner: u32,
  rows: u32,
  cols: u32,
  n: u32,
}
@group(1) @binding(0) var<uniform> dims: ReduceDims;

// Entry points may share binding numbers as long as one entry point uses only one of them.
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;      // sums, broadcast
@group(0) @binding(1) var<storage, read_write> indices: array<u32>;  // argmax
@group(0) @binding(1) var<storage, read> labels: array<u32>;         // count_correct
@group(0) @binding(2) var<storage, read_write> metrics: array<f32>;  // count_correct

// This thread's share of Σ x[base + (t / run) * jump + (t % run) * step] over terms
// t = lid, lid + WG, … < count: the (run, jump, step) triple describes every layout here.
// The quotient and remainder of t advance by those of WG instead of being divided out per
// term: run is a launch parameter, and a division by a runtime value is slow on CPU drivers.
fn thread_sum(lid: u32, count: u32, base: u32, run: u32, jump: u32, step: u32) -> f32 {
  var total = 0.0;
  var t = lid;
  var q = lid / run;
  var r = lid % run;
  let dq = WG / run;
  let dr = WG % run;
  while (t < count) {
    var block = 0.0;
    for (var j = 0u; j < SUM_BLOCK && t < count; j++) {
      block += x[base + q * jump + r * step];
      t += WG;
      q += dq;
      r += dr;
      if (r >= run) { r -= run; q += 1u; }
    }
    total += block;
  }
  return total;
}

// The workgroup's total of one value per thread.
fn workgroup_total(lid: u32, value: f32) -> f32 {
  return workgroup_sum(lid, vec2f(value, 0.0)).x;
}

// One workgroup per output; the grid may be folded into (x, y) past 65535 workgroups.
fn output_index(wid: vec3u, groups: vec3u) -> u32 {
  return wid.x + wid.y * groups.x;
}

// out[o, s] = SCALE · Σ_a x[o, a, s]  (SCALE = 1/AXIS for the mean).
@compute @workgroup_size(WG)
fn sum_axis(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u,
            @builtin(local_invocation_index) lid: u32) {
  let k = output_index(wid, groups);
  if (k >= dims.outer * dims.inner) { return; }
  let base = (k / dims.inner) * dims.axis * dims.inner + k % dims.inner;
  let total = workgroup_total(lid, thread_sum(lid, dims.axis, base, dims.axis, 0u, dims.inner));
  if (lid == 0u) { out[k] = SCALE * total; }
}

// out[c] = Σ_{o,s} x[o, c, s]: the bias gradient (column sum when INNER = 1).
@compute @workgroup_size(WG)
fn sum_channels(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u,
                @builtin(local_invocation_index) lid: u32) {
  let c = output_index(wid, groups);
  if (c >= dims.axis) { return; }
  let total = workgroup_total(lid, thread_sum(lid, dims.outer * dims.inner, c * dims.inner, dims.inner, dims.axis * dims.inner, 1u));
  if (lid == 0u) { out[c] = total; }
}

// out[o, a, s] = SCALE · x[o, s]: the gradient of sum_axis (x holds dy, out holds dx).
@compute @workgroup_size(WG)
fn broadcast_axis(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * WG;
  if (i >= dims.outer * dims.axis * dims.inner) { return; }
  out[i] = SCALE * x[(i / (dims.axis * dims.inner)) * dims.inner + i % dims.inner];
}

// out[j] = Σ_r x[r, j] over the AXIS rows of [AXIS, INNER]: one invocation per column, so
// neighbours read neighbouring words (the partial weight gradients of a convolution).
@compute @workgroup_size(WG)
fn sum_rows(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let j = gid.x + gid.y * groups.x * WG;
  if (j >= dims.inner) { return; }
  var total = 0.0;
  for (var r = 0u; r < dims.axis; r++) { total += x[r * dims.inner + j]; }
  out[j] = total;
}

// out[SLOT] = (ACCUMULATE ? out[SLOT] : 0) + SCALE · Σ x[0..N): one workgroup strides over x.
@compute @workgroup_size(WG)
fn sum_to_slot(@builtin(local_invocation_index) lid: u32) {
  var count = dims.n;
  if (ROWS_SLOT != NO_SLOT) { count = min(dims.n, u32(out[ROWS_SLOT]) * TERMS_PER_ROW); }
  let total = workgroup_total(lid, thread_sum(lid, count, 0u, count, 0u, 1u));
  if (lid == 0u) { out[SLOT] = select(0.0, out[SLOT], ACCUMULATE) + SCALE * total; }
}

// Index of the first maximum of row r (torch.argmax picks the first on ties).
fn row_argmax(r: u32) -> u32 {
  var best = 0u;
  var best_value = x[r * dims.cols];
  for (var j = 1u; j < dims.cols; j++) {
    let v = x[r * dims.cols + j];
    if (v > best_value) { best = j; best_value = v; }
  }
  return best;
}

// indices[r] = argmax_j x[r, j], one thread per row.
@compute @workgroup_size(WG)
fn argmax(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let r = gid.x + gid.y * groups.x * WG;
  if (r >= dims.rows) { return; }
  indices[r] = row_argmax(r);
}

// metrics[SLOT] = (ACCUMULATE ? metrics[SLOT] : 0) + #{r : argmax_j x[r, j] == labels[r]}.
// One workgroup; counts travel as f32, exact below 2^24 rows.
@compute @workgroup_size(WG)
fn count_correct(@builtin(local_invocation_index) lid: u32) {
  var rows = dims.rows;
  if (ROWS_SLOT != NO_SLOT) { rows = min(dims.rows, u32(metrics[ROWS_SLOT])); }
  var hits = 0u;
  for (var r = lid; r < rows; r += WG) {
    hits += select(0u, 1u, row_argmax(r) == labels[r]);
  }
  let total = workgroup_total(lid, f32(hits));
  if (lid == 0u) { metrics[SLOT] = select(0.0, metrics[SLOT], ACCUMULATE) + total; }
}
