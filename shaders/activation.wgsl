// Activation functions and their derivatives on 4 values at once, shared by the
// elementwise and matmul kernels (their descriptors put this file in front of theirs).
// The activation is the override constant ACT, so each pipeline is specialized and the
// selection folds away. Codes are ACTIVATIONS in src/kernels/elementwise.ts.

override ACT: u32 = 0u;
override ALPHA: f32 = 0.0; // LeakyReLU slope / ELU scale

const STEP: u32 = 1u;
const SIGMOID: u32 = 2u;
const TANH: u32 = 3u;
const RELU: u32 = 4u;
const LEAKY_RELU: u32 = 5u;
const ELU: u32 = 6u;
const GELU: u32 = 7u;

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
  return vec4f(1.0);
}
