// Normalization over the rows of a [R, D] row-major tensor: torch.nn.LayerNorm over the
// last D features (γ, β per feature), and torch.nn.GroupNorm / InstanceNorm2d, where a row
// is one group of one sample, [N·G, (C/G)·S] with S = H·W, and γ, β are per channel. Row
// passes run one workgroup per row (a strided loop over the row, then the workgroup sum the
// descriptor puts in front: shaders/workgroup_sum.wgsl or subgroup_sum.wgsl); dγ, dβ sum over rows in their own pass,
// one invocation per LayerNorm feature or one workgroup per GroupNorm channel, so no
// atomics are needed.

override WG: u32 = 64;   // power of two (tree sum), or the subgroup size
override R: u32;
override D: u32;
override EPS: f32 = 1e-5;
// GroupNorm: groups per sample and values per channel (1 and 1 for LayerNorm).
override G: u32 = 1u;
override S: u32 = 1u;

// The γ/β index of value j of row `row`: its channel (its feature for LayerNorm).
fn channel(row: u32, j: u32) -> u32 {
  return (row % G) * (D / S) + j / S;
}

// Entry points may share binding numbers as long as one entry point uses only one of them.
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> gamma: array<f32>;            // forward, backward
@group(0) @binding(2) var<storage, read> beta: array<f32>;             // forward
@group(0) @binding(3) var<storage, read_write> y: array<f32>;          // forward
@group(0) @binding(4) var<storage, read_write> saved: array<f32>;      // forward: [mean; invstd]
@group(0) @binding(2) var<storage, read> saved_in: array<f32>;         // backward
@group(0) @binding(3) var<storage, read> dy: array<f32>;               // backward
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;         // backward
@group(0) @binding(1) var<storage, read> params_saved: array<f32>;     // backward_params
@group(0) @binding(2) var<storage, read> params_dy: array<f32>;        // backward_params
@group(0) @binding(3) var<storage, read_write> dgamma: array<f32>;     // backward_params
@group(0) @binding(4) var<storage, read_write> dbeta: array<f32>;      // backward_params

// Rows are spread over (x, y) workgroups when R exceeds the per-dimension limit.
fn row_of(wid: vec3u, groups: vec3u) -> u32 {
  return wid.x + wid.y * groups.x;
}

// Two passes (mean, then squared deviations) keep the variance accurate when |mean| ≫ std.
@compute @workgroup_size(WG)
fn forward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u,
           @builtin(local_invocation_index) lid: u32) {
  let row = row_of(wid, groups);
  if (row >= R) { return; } // the whole workgroup leaves together
  let base = row * D;
  var sum = 0.0;
  for (var b = lid; b < D; b += WG * SUM_BLOCK) {
    var part = 0.0;
    for (var j = b; j < b + min(D - b, WG * SUM_BLOCK); j += WG) { part += x[base + j]; }
    sum += part;
  }
  let mean = workgroup_sum(lid, vec2f(sum, 0.0)).x / f32(D);
  var squares = 0.0;
  for (var b = lid; b < D; b += WG * SUM_BLOCK) {
    var part = 0.0;
    for (var j = b; j < b + min(D - b, WG * SUM_BLOCK); j += WG) {
      let d = x[base + j] - mean;
      part += d * d;
    }
    squares += part;
  }
  let invstd = inverseSqrt(workgroup_sum(lid, vec2f(squares, 0.0)).x / f32(D) + EPS);
  for (var j = lid; j < D; j += WG) {
    let c = channel(row, j);
    y[base + j] = (x[base + j] - mean) * invstd * gamma[c] + beta[c];
  }
  if (lid == 0u) {
    saved[row] = mean;
    saved[R + row] = invstd;
  }
}

// With g = dy·γ: dx = invstd·(g − mean(g) − x̂·mean(g·x̂)).
@compute @workgroup_size(WG)
fn backward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u,
            @builtin(local_invocation_index) lid: u32) {
  let row = row_of(wid, groups);
  if (row >= R) { return; }
  let base = row * D;
  let mean = saved_in[row];
  let invstd = saved_in[R + row];
  var sums = vec2f(0.0);
  for (var b = lid; b < D; b += WG * SUM_BLOCK) {
    var part = vec2f(0.0);
    for (var j = b; j < b + min(D - b, WG * SUM_BLOCK); j += WG) {
      let g = dy[base + j] * gamma[channel(row, j)];
      part += g * vec2f(1.0, (x[base + j] - mean) * invstd);
    }
    sums += part;
  }
  let means = workgroup_sum(lid, sums) / f32(D);
  for (var j = lid; j < D; j += WG) {
    let xhat = (x[base + j] - mean) * invstd;
    dx[base + j] = invstd * (dy[base + j] * gamma[channel(row, j)] - means.x - xhat * means.y);
  }
}

// dγ_j = Σ_r dy·x̂, dβ_j = Σ_r dy: one invocation per feature j; neighbours read
// neighbouring addresses of each row.
@compute @workgroup_size(WG)
fn backward_params(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let j = gid.x + gid.y * groups.x * WG;
  if (j >= D) { return; }
  var sums = vec2f(0.0);
  for (var r = 0u; r < R; r++) {
    let g = params_dy[r * D + j];
    sums += g * vec2f(1.0, (x[r * D + j] - params_saved[r]) * params_saved[R + r]);
  }
  dbeta[j] = sums.x;
  dgamma[j] = sums.y;
}

// GroupNorm's dγ_c = Σ dy·x̂, dβ_c = Σ dy over the N samples and S positions of channel c:
// one workgroup per channel (R/G·S terms, too many for one invocation).
@compute @workgroup_size(WG)
fn backward_channels(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u,
                     @builtin(local_invocation_index) lid: u32) {
  let c = row_of(wid, groups);
  let per_group = D / S; // channels per group
  if (c >= G * per_group) { return; }
  let terms = (R / G) * S;
  var sums = vec2f(0.0);
  for (var b = lid; b < terms; b += WG * SUM_BLOCK) {
    var part = vec2f(0.0);
    for (var t = b; t < b + min(terms - b, WG * SUM_BLOCK); t += WG) {
      let row = (t / S) * G + c / per_group;
      let k = row * D + (c % per_group) * S + t % S;
      let g = params_dy[k];
      part += g * vec2f(1.0, (x[k] - params_saved[row]) * params_saved[R + row]);
    }
    sums += part;
  }
  let total = workgroup_sum(lid, sums);
  if (lid == 0u) {
    dbeta[c] = total.x;
    dgamma[c] = total.y;
  }
}
