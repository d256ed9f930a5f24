// Activation functions and their derivatives on 4 values at once, shared by the
// elementwise and matmul kernels (their descriptors put this file in front of theirs).
// The activation is the override constant ACT, so each pipeline is specialized and the
// selection folds away. Codes are ACTIVATIONS in src/kernels/elementwise.ts.

override ACT: u32 = 0u;
override ALPHA: f32 = 0.0; // LeakyReLU slope / ELU scale / Softplus β
override THRESHOLD: f32 = 20.0; // Softplus: the identity where β·x exceeds it

const STEP: u32 = 1u;
const SIGMOID: u32 = 2u;
const TANH: u32 = 3u;
const RELU: u32 = 4u;
const LEAKY_RELU: u32 = 5u;
const ELU: u32 = 6u;
const GELU: u32 = 7u;
const SOFTPLUS: u32 = 8u;

const INV_SQRT2: f32 = 0.70710678118654752;
const INV_SQRT_2PI: f32 = 0.39894228040143268;

// exp(-|v|) never overflows, so both branches are stable.
fn sigmoid(v: vec4f) -> vec4f {
  let e = exp(-abs(v));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), v >= vec4f(0.0));
}

// Some drivers return NaN from tanh() for large |v|; tanh(±10) is ±1 in f32. clamp() may turn
// a NaN input into a bound, so the select keeps it NaN: both comparisons fail only for NaN.
fn safe_tanh(v: vec4f) -> vec4f {
  let ordered = (v >= vec4f(-10.0)) | (v <= vec4f(10.0));
  return select(v, tanh(clamp(v, vec4f(-10.0), vec4f(10.0))), ordered);
}

// erf by Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7), for the exact GELU.
fn erf_approx(v: vec4f) -> vec4f {
  let t = 1.0 / (1.0 + 0.3275911 * abs(v));
  let poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return sign(v) * (1.0 - poly * exp(-v * v));
}

// log(1 + e) for e in [0, 1] as 2·atanh(s), s = e/(2 + e) ≤ 1/3: the odd series to s¹⁵ is
// within 2e-9 relative and needs no log(), which WGSL bounds only to 2⁻²¹ absolute near 1
// (log(1 + e) would be 0 for e < 6e-8, where log1p(e) = e). It is evaluated on t = 2s, never
// on s: SwiftShader flushes e/2 to 0 while e is still a normal float.
fn log1p_unit(e: vec4f) -> vec4f {
  let t = e / (1.0 + 0.5 * e);
  let s2 = 0.25 * t * t;
  let odd = 1.0 / 3.0 + s2 * (1.0 / 5.0 + s2 * (1.0 / 7.0 + s2 * (1.0 / 9.0 + s2 * (1.0 / 11.0 + s2 * (1.0 / 13.0 + s2 / 15.0)))));
  return t * (1.0 + s2 * odd);
}

// torch.nn.Softplus: x where β·x > THRESHOLD, else log(1 + exp(β·x))/β, here as
// (max(βx, 0) + log1p(exp(−|βx|)))/β: exp never overflows (torch's f32 exp(βx) does above
// 88.7, giving inf when THRESHOLD is larger), and a very negative βx keeps exp(βx)/β down to
// f32's normal range. NaN fails the comparison and comes back as x.
fn softplus(v: vec4f) -> vec4f {
  let b = ALPHA * v;
  let r = (max(b, vec4f(0.0)) + log1p_unit(exp(-abs(b)))) / ALPHA;
  return select(v, r, b <= vec4f(THRESHOLD));
}

fn activate(v: vec4f) -> vec4f {
  let positive = v > vec4f(0.0);
  if (ACT == STEP) { return select(vec4f(0.0), vec4f(1.0), positive); }
  if (ACT == SIGMOID) { return sigmoid(v); }
  if (ACT == TANH) { return safe_tanh(v); }
  // Written as selects on v ≤ 0, which is false for NaN: NaN passes through, as in torch
  // (max(v, 0) may return 0 for a NaN and hide it).
  if (ACT == RELU) { return select(v, vec4f(0.0), v <= vec4f(0.0)); }
  if (ACT == LEAKY_RELU) { return select(ALPHA * v, v, positive); }
  if (ACT == ELU) { return select(v, ALPHA * (exp(min(v, vec4f(0.0))) - 1.0), v <= vec4f(0.0)); }
  if (ACT == GELU) { return 0.5 * v * (1.0 + erf_approx(v * INV_SQRT2)); }
  if (ACT == SOFTPLUS) { return softplus(v); }
  return v;
}

// f'(v). STEP has derivative 0 almost everywhere (the perceptron is not trained by gradients).
fn derivative(v: vec4f) -> vec4f {
  let positive = v > vec4f(0.0);
  if (ACT == STEP) { return vec4f(0.0); }
  if (ACT == SIGMOID) { let s = sigmoid(v); return s * (1.0 - s); }
  if (ACT == TANH) { let t = safe_tanh(v); return 1.0 - t * t; }
  if (ACT == RELU) { return select(vec4f(0.0), vec4f(1.0), positive); }
  if (ACT == LEAKY_RELU) { return select(vec4f(ALPHA), vec4f(1.0), positive); }
  if (ACT == ELU) { return select(ALPHA * exp(min(v, vec4f(0.0))), vec4f(1.0), positive); }
  if (ACT == GELU) {
    return 0.5 * (1.0 + erf_approx(v * INV_SQRT2)) + v * INV_SQRT_2PI * exp(-0.5 * v * v);
  }
  // sigmoid(βx), 1 past the threshold as torch; NaN gives sigmoid(NaN) = NaN.
  if (ACT == SOFTPLUS) { let b = ALPHA * v; return select(sigmoid(b), vec4f(1.0), b > vec4f(THRESHOLD)); }
  return vec4f(1.0);
}
