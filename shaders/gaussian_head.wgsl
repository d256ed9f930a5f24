// torch.nn.GaussianNLLLoss as a training head: the model output packs each row's means and
// variances side by side, [N, 2D] = [mean | var], against f32 targets [N, D]. One dispatch
// writes the loss terms (already divided by DIVISOR, so their plain sum is the loss) and the
// gradient of that loss with respect to the whole output (dL/dloss = 1: the graph's root).
// The elementwise gaussian_nll_* entry points of losses.wgsl take mean and variance as two
// separate tensors instead.

override WG: u32 = 256;
override N: u32;              // rows
override D: u32;              // targets per row; the output has 2·D columns
override DIVISOR: f32 = 1.0;  // N·D for 'mean'
override VAR_EPS: f32 = 1e-6; // the variance is clamped from below
override CONSTANT: f32 = 0.0; // ½·log(2π) with full=true, else 0

@group(0) @binding(0) var<storage, read> packed: array<f32>;         // [N, 2D]
@group(0) @binding(1) var<storage, read> targets: array<f32>;        // [N, D]
@group(0) @binding(2) var<storage, read_write> terms: array<f32>;    // [N, D]
@group(0) @binding(3) var<storage, read_write> doutput: array<f32>;  // [N, 2D], fully written

// A quiet NaN made at run time (a NaN constant-expression is a shader-creation error).
fn nan() -> f32 {
  let bits = 0x7fc00000u;
  return bitcast<f32>(bits);
}

// ½(log v + (x − t)²/v) + CONSTANT with v = max(var, eps). PyTorch clamps a clone of var under
// no_grad, so the clamp passes the gradient through unchanged: d/dvar = ½(1/v − (x − t)²/v²)
// taken at v, also where var < eps. A negative variance, which PyTorch rejects with a
// ValueError, makes the element's loss and both gradients NaN (the non-finite guard sees it).
@compute @workgroup_size(WG)
fn forward_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * WG;
  if (i >= N * D) { return; }
  let at = (i / D) * 2u * D + i % D; // the mean's index in the output; the variance is D further
  let variance = packed[at + D];
  let v = max(variance, VAR_EPS);
  let d = packed[at] - targets[i];
  let z = d / v;
  let bad = variance < 0.0;
  terms[i] = select((0.5 * (log(v) + d * z) + CONSTANT) / DIVISOR, nan(), bad);
  doutput[at] = select(z / DIVISOR, nan(), bad);
  doutput[at + D] = select(0.5 * (1.0 / v - z * z) / DIVISOR, nan(), bad);
}
