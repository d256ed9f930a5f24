// The stores of the matmul kernels (after an operand file, shaders/matmul_operands.wgsl or
// shaders/conv.wgsl): C = act(result + bias) as row-major [batch, M, N], the bias running
// along the columns (a Linear layer's [N, out] output) or along the rows (a convolution's
// [N, C_out, H·W] output, one bias per output channel). Also the GEMM's shape, which every
// file of the family reads.

// C is M×N per batch item, the reduction K long: the launch parameters (group 1), not
// override constants, so that every shape of one kind of GEMM shares a pipeline. The strides
// are the stored operands' words between batch items (0: shared), for matmul_operands.wgsl.
struct GemmDims {
  m: u32,
  n: u32,
  k: u32,
  a_stride: u32,
  b_stride: u32,
}
@group(1) @binding(0) var<uniform> dims: GemmDims;

// The bias belongs to rows instead of columns; with BIAS_GROUPS > 1, batch item z uses the
// bias rows of group z % BIAS_GROUPS (a grouped convolution's batch items are (n, group)).
override BIAS_ROWS: bool = false;
override BIAS_GROUPS: u32 = 1u;

@group(0) @binding(2) var<storage, read_write> c: array<vec4f>;    // entry point main
@group(0) @binding(2) var<storage, read> bias: array<vec4f>;       // entry point main_bias
@group(0) @binding(3) var<storage, read_write> c_b: array<vec4f>;  // entry point main_bias

fn bias_at(i: u32) -> f32 { return bias[i >> 2u][i & 3u]; }

// Stores act(v + bias) for row `row`, columns col .. col+3 of batch item z (only the columns
// below N; rows of N not divisible by 4 are written one value at a time). `put` writes C of
// entry points without bias, `put_bias` C of those with one.
fn put(z: u32, row: u32, col: u32, v: vec4f) {
  let out = activate(v);
  let at = (z * dims.m + row) * dims.n + col;
  if (dims.n % 4u == 0u) { c[at >> 2u] = out; return; }
  for (var e = 0u; e < min(4u, dims.n - col); e++) { c[(at + e) >> 2u][(at + e) & 3u] = out[e]; }
}

fn put_bias(z: u32, row: u32, col: u32, v: vec4f) {
  var shift: vec4f;
  if (BIAS_ROWS) {
    shift = vec4f(bias_at((z % BIAS_GROUPS) * dims.m + row));
  } else {
    let last = dims.n - 1u;
    shift = vec4f(bias_at(col), bias_at(min(col + 1u, last)), bias_at(min(col + 2u, last)), bias_at(min(col + 3u, last)));
  }
  let out = activate(v + shift);
  let at = (z * dims.m + row) * dims.n + col;
  if (dims.n % 4u == 0u) { c_b[at >> 2u] = out; return; }
  for (var e = 0u; e < min(4u, dims.n - col); e++) { c_b[(at + e) >> 2u][(at + e) & 3u] = out[e]; }
}
