// Batch normalization (torch.nn.BatchNorm1d/2d with affine γ, β) on an input viewed as
// [N, C, S] row-major. Training passes run one workgroup per channel: a strided loop over
// the channel's M = N·S values, then the workgroup sum (a tree in workgroup memory,
// shaders/workgroup_sum.wgsl, or one subgroupAdd, shaders/subgroup_sum.wgsl; put in front by
// the descriptor). Eval is elementwise with the running statistics.

override WG: u32 = 256;   // power of two (tree sum), or the subgroup size
override N: u32;
override C: u32;
override S: u32;
override EPS: f32 = 1e-5;
override MOMENTUM: f32 = 0.1;

// Entry points may share binding numbers as long as one entry point uses only one of them.
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> gamma: array<f32>;
@group(0) @binding(2) var<storage, read> beta: array<f32>;             // forward
@group(0) @binding(3) var<storage, read_write> y: array<f32>;          // forward
@group(0) @binding(4) var<storage, read_write> running_mean: array<f32>; // forward_train
@group(0) @binding(5) var<storage, read_write> running_var: array<f32>;  // forward_train
@group(0) @binding(6) var<storage, read_write> saved: array<f32>;      // forward_train: [mean; invstd]
@group(0) @binding(4) var<storage, read> eval_mean: array<f32>;        // forward_eval
@group(0) @binding(5) var<storage, read> eval_var: array<f32>;         // forward_eval
@group(0) @binding(2) var<storage, read> saved_in: array<f32>;         // backward: [mean; invstd]
@group(0) @binding(3) var<storage, read> dy: array<f32>;               // backward
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;         // backward
@group(0) @binding(5) var<storage, read_write> dgamma: array<f32>;     // backward
@group(0) @binding(6) var<storage, read_write> dbeta: array<f32>;      // backward

// Flat offset of the i-th of the M values of channel c.
fn at(c: u32, i: u32) -> u32 {
  return (i / S) * C * S + c * S + i % S;
}

// Two passes (mean, then squared deviations) keep the variance accurate when |mean| ≫ std.
@compute @workgroup_size(WG)
fn forward_train(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let c = wid.x;
  let m = N * S;
  var sum = 0.0;
  for (var b = lid; b < m; b += WG * SUM_BLOCK) {
    var part = 0.0;
    for (var i = b; i < b + min(m - b, WG * SUM_BLOCK); i += WG) { part += x[at(c, i)]; }
    sum += part;
  }
  let mean = workgroup_sum(lid, vec2f(sum, 0.0)).x / f32(m);
  var squares = 0.0;
  for (var b = lid; b < m; b += WG * SUM_BLOCK) {
    var part = 0.0;
    for (var i = b; i < b + min(m - b, WG * SUM_BLOCK); i += WG) {
      let d = x[at(c, i)] - mean;
      part += d * d;
    }
    squares += part;
  }
  let variance = workgroup_sum(lid, vec2f(squares, 0.0)).x / f32(m);
  let invstd = inverseSqrt(variance + EPS);
  let scale = gamma[c] * invstd;
  for (var i = lid; i < m; i += WG) {
    let k = at(c, i);
    y[k] = (x[k] - mean) * scale + beta[c];
  }
  if (lid == 0u) {
    saved[c] = mean;
    saved[C + c] = invstd;
    // The running variance is the unbiased estimate, as in PyTorch (M ≥ 2 is checked on the CPU).
    running_mean[c] = (1.0 - MOMENTUM) * running_mean[c] + MOMENTUM * mean;
    running_var[c] = (1.0 - MOMENTUM) * running_var[c] + MOMENTUM * variance * (f32(m) / f32(m - 1u));
  }
}

@compute @workgroup_size(WG)
fn forward_eval(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let k = gid.x + gid.y * groups.x * WG;
  if (k >= N * C * S) { return; }
  let c = (k / S) % C;
  y[k] = (x[k] - eval_mean[c]) * (gamma[c] * inverseSqrt(eval_var[c] + EPS)) + beta[c];
}

// dβ = Σ dy, dγ = Σ dy·x̂, dx = γ·invstd·(dy − dβ/M − x̂·dγ/M).
@compute @workgroup_size(WG)
fn backward(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let c = wid.x;
  let m = N * S;
  let mean = saved_in[c];
  let invstd = saved_in[C + c];
  var sums = vec2f(0.0);
  for (var b = lid; b < m; b += WG * SUM_BLOCK) {
    var part = vec2f(0.0);
    for (var i = b; i < b + min(m - b, WG * SUM_BLOCK); i += WG) {
      let k = at(c, i);
      part += dy[k] * vec2f(1.0, (x[k] - mean) * invstd);
    }
    sums += part;
  }
  let total = workgroup_sum(lid, sums);
  let scale = gamma[c] * invstd;
  let mean_dy = total.x / f32(m);
  let mean_dy_xhat = total.y / f32(m);
  for (var i = lid; i < m; i += WG) {
    let k = at(c, i);
    dx[k] = scale * (dy[k] - mean_dy - (x[k] - mean) * invstd * mean_dy_xhat);
  }
  if (lid == 0u) {
    dbeta[c] = total.x;
    dgamma[c] = total.y;
  }
}
