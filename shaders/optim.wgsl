// Fused optimizer update (torch.optim formulas) over the whole parameter arena in one
// dispatch: every invocation updates PER consecutive parameters and their state slots. The optimizer is
// the override constant OPT and the fixed hyperparameters are override constants, so the
// other branches fold away; lr, gradient scale, step and bias corrections come from a
// uniform written each step; each segment's param group brings its weight decay and lr scale.
// Codes and state-slot layouts are listed in src/kernels/optim.ts.

override WG: u32 = 256;
override PER: u32 = 8u;  // consecutive elements per invocation
override N: u32;         // arena size in floats; state slot s of element i is state[s * N + i]
override SEGMENTS: u32;  // rows of the segment table
override OPT: u32;
override WEIGHT_DECAY: f32 = 0.0; // of segments whose group does not set its own
override EPS: f32 = 1e-8;
override MOMENTUM: f32 = 0.0;
override ONE_MINUS_DAMPENING: f32 = 1.0;
override NESTEROV: bool = false;
override INITIAL_ACCUMULATOR: f32 = 0.0;
override RHO: f32 = 0.9;
override ONE_MINUS_RHO: f32 = 0.1;
override ALPHA: f32 = 0.99;
override ONE_MINUS_ALPHA: f32 = 0.01;
override CENTERED: bool = false;
override BETA1: f32 = 0.9;
override ONE_MINUS_BETA1: f32 = 0.1;
override BETA2: f32 = 0.999;
override ONE_MINUS_BETA2: f32 = 0.001;
override DECOUPLED: bool = false; // AdamW: decay the parameter, not the gradient

const SGD: u32 = 0u;
const ADAGRAD: u32 = 1u;
const ADADELTA: u32 = 2u;
const RMSPROP: u32 = 3u;
const ADAM: u32 = 4u;

const ROW: u32 = 4u;             // segment table words per segment
const INHERIT: u32 = 0xffffffffu; // weight-decay word: use WEIGHT_DECAY
const BLOCK: u32 = 256u;          // arena elements per entry of the block index (SEGMENT_BLOCK in TS)

struct Step {
  lr: f32,          // the default group's; already divided by (1 + (t − 1)·lr_decay) for Adagrad
  grad_scale: f32,  // multiplies the raw gradient (clipping factor, 1 / loss scale)
  bias1: f32,       // 1 − β1^t, computed in float64 on the CPU (Adam)
  bias2: f32,       // 1 − β2^t
  t: u32,           // step count from 1; at t = 1 the old state is ignored (no zeroing needed)
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<uniform> per_step: Step;
// SEGMENTS rows [start, length, weight decay (f32 bits or INHERIT), lr scale (f32 bits)], then
// per BLOCK arena elements the last segment starting at or before the block's first element
// (0 if none), one extra at the end.
@group(0) @binding(1) var<storage, read> table: array<u32>;
@group(0) @binding(2) var<storage, read> grads: array<f32>;
@group(0) @binding(3) var<storage, read_write> params: array<f32>;
@group(0) @binding(4) var<storage, read_write> state: array<f32>;

// Index of the segment holding element i, or SEGMENTS when i lies in a gap between
// segments (alignment padding: left untouched). The block index narrows the binary
// search to the segments that meet i's block: usually one, so no search at all.
fn find_segment(i: u32) -> u32 {
  let block = ROW * SEGMENTS + i / BLOCK;
  var lo = table[block];
  var hi = table[block + 1u] + 1u;
  while (hi - lo > 1u) {
    let mid = (lo + hi) / 2u;
    if (table[ROW * mid] <= i) { lo = mid; } else { hi = mid; }
  }
  let start = table[ROW * lo];
  return select(SEGMENTS, lo, i >= start && i - start < table[ROW * lo + 1u]);
}

// State slot value before this step; at step 1 the slot starts from `initial` as in torch.
fn load(slot: u32, i: u32, initial: f32) -> f32 {
  if (per_step.t == 1u) { return initial; }
  return state[slot * N + i];
}

fn store(slot: u32, i: u32, value: f32) {
  state[slot * N + i] = value;
}

fn sgd(i: u32, p: f32, grad: f32, lr: f32) -> f32 {
  var g = grad;
  if (MOMENTUM != 0.0) {
    // The first step copies the gradient into the buffer, undampened (torch).
    var b = g;
    if (per_step.t != 1u) { b = MOMENTUM * state[i] + ONE_MINUS_DAMPENING * g; }
    store(0u, i, b);
    g = select(b, g + MOMENTUM * b, NESTEROV);
  }
  return p - lr * g;
}

fn adagrad(i: u32, p: f32, g: f32, lr: f32) -> f32 {
  let sum = load(0u, i, INITIAL_ACCUMULATOR) + g * g;
  store(0u, i, sum);
  return p - lr * g / (sqrt(sum) + EPS);
}

fn adadelta(i: u32, p: f32, g: f32, lr: f32) -> f32 {
  let v = RHO * load(0u, i, 0.0) + ONE_MINUS_RHO * g * g;
  let u = load(1u, i, 0.0);
  let delta = sqrt(u + EPS) / sqrt(v + EPS) * g;
  store(0u, i, v);
  store(1u, i, RHO * u + ONE_MINUS_RHO * delta * delta);
  return p - lr * delta;
}

// Slots: 0 square_avg, then grad_avg if CENTERED, then momentum_buffer if MOMENTUM > 0.
fn rmsprop(i: u32, p: f32, g: f32, lr: f32) -> f32 {
  let v = ALPHA * load(0u, i, 0.0) + ONE_MINUS_ALPHA * g * g;
  store(0u, i, v);
  var centered_v = v;
  if (CENTERED) {
    let g_avg = ALPHA * load(1u, i, 0.0) + ONE_MINUS_ALPHA * g;
    store(1u, i, g_avg);
    centered_v = v - g_avg * g_avg; // ≥ 0 in exact arithmetic (Jensen); torch does not clamp
  }
  let scaled = g / (sqrt(centered_v) + EPS);
  if (MOMENTUM > 0.0) {
    let slot = select(1u, 2u, CENTERED);
    let b = MOMENTUM * load(slot, i, 0.0) + scaled;
    store(slot, i, b);
    return p - lr * b;
  }
  return p - lr * scaled;
}

// Slots: 0 exp_avg (m), 1 exp_avg_sq (v).
fn adam(i: u32, p: f32, g: f32, lr: f32) -> f32 {
  let m = BETA1 * load(0u, i, 0.0) + ONE_MINUS_BETA1 * g;
  let v = BETA2 * load(1u, i, 0.0) + ONE_MINUS_BETA2 * g * g;
  store(0u, i, m);
  store(1u, i, v);
  return p - lr * (m / per_step.bias1) / (sqrt(v / per_step.bias2) + EPS);
}

// Updates element i of segment `segment` with its group's weight decay and lr.
fn update_one(i: u32, segment: u32) {
  let own = table[ROW * segment + 2u];
  let decay = select(bitcast<f32>(own), WEIGHT_DECAY, own == INHERIT);
  let lr = per_step.lr * bitcast<f32>(table[ROW * segment + 3u]); // scale 1 outside groups: exact
  var p = params[i];
  var g = grads[i] * per_step.grad_scale;
  if (DECOUPLED) { p *= 1.0 - lr * decay; } else { g += decay * p; }
  if (OPT == SGD) { p = sgd(i, p, g, lr); }
  if (OPT == ADAGRAD) { p = adagrad(i, p, g, lr); }
  if (OPT == ADADELTA) { p = adadelta(i, p, g, lr); }
  if (OPT == RMSPROP) { p = rmsprop(i, p, g, lr); }
  if (OPT == ADAM) { p = adam(i, p, g, lr); }
  params[i] = p;
}

// Every invocation updates PER consecutive elements: one segment lookup for all of them
// when they lie in one segment (all but the ends of segments).
fn update_run(first: u32) {
  let s = find_segment(first);
  let whole = s != SEGMENTS && first + PER - 1u - table[ROW * s] < table[ROW * s + 1u];
  for (var e = 0u; e < PER; e++) {
    let i = first + e;
    if (i >= N) { return; }
    var segment = s;
    if (!whole) { segment = find_segment(i); }
    if (segment != SEGMENTS) { update_one(i, segment); }
  }
}

@compute @workgroup_size(WG)
fn update(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let first = PER * (gid.x + gid.y * groups.x * WG);
  if (first >= N) { return; }
  update_run(first);
}

// update_flagged also watches the gradients: the first step t with a NaN or ±Inf gradient
// (exponent bits all ones) is stored in word FLAG_WORD of the metrics buffer (0: none yet),
// so the guard travels with the metrics readback and costs no extra pass.
@group(0) @binding(5) var<storage, read_write> flags: array<atomic<u32>>;
override FLAG_WORD: u32 = 2u;

fn non_finite(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7f800000u) == 0x7f800000u;
}

@compute @workgroup_size(WG)
fn update_flagged(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let first = PER * (gid.x + gid.y * groups.x * WG);
  if (first >= N) { return; }
  var bad = false;
  for (var e = 0u; e < PER && first + e < N; e++) { bad = bad || non_finite(grads[first + e]); }
  update_run(first);
  if (bad) {
    loop {
      let r = atomicCompareExchangeWeak(&flags[FLAG_WORD], 0u, per_step.t);
      if (r.exchanged || r.old_value != 0u) { break; }
    }
  }
}
