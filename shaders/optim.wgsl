// Fused optimizer update (torch.optim formulas) over the whole parameter arena in one
// dispatch: every invocation updates VECS runs of 4 consecutive parameters and their state
// slots (neighbouring invocations take neighbouring runs), the maths on vec4s. How the arena is read and written comes from the file the
// descriptor puts in front of this one: shaders/optim_vec4.wgsl (arena size a multiple of 4:
// one vec4 load or store per 4 elements) or shaders/optim_scalar.wgsl (any size). The
// optimizer is the override constant OPT and the fixed hyperparameters are override
// constants, so the other branches fold away; lr, gradient scale, step and bias corrections
// come from a uniform written each step; each segment's param group brings its weight decay
// and lr scale. OPT codes are listed in src/kernels/optim.ts, state-slot layouts in
// src/kernels/optim-config.ts.

override WG: u32 = 256;
override VECS: u32 = 2u;  // runs of 4 elements per invocation
override N: u32;          // arena size in floats; state slot s of element i is element s·N + i
override SLOTS: u32;      // state slots the optimizer keeps (0–3)
override SEGMENTS: u32;   // rows of the segment table
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

// Four consecutive elements' learning rates and weight decays (their segments' groups), and
// which of them lie in a segment: the others are left as they are.
struct Settings {
  lr: vec4f,
  decay: vec4f,
  live: vec4<bool>,
}

// lr and weight decay of one segment.
fn segment_settings(segment: u32) -> vec2f {
  let own = table[ROW * segment + 2u];
  let decay = select(bitcast<f32>(own), WEIGHT_DECAY, own == INHERIT);
  return vec2f(per_step.lr * bitcast<f32>(table[ROW * segment + 3u]), decay); // scale 1 outside groups: exact
}

// Settings of elements i .. i+3: those of `segment` when all four lie in it, else looked up
// one by one (segment ends, gaps, the arena's end).
fn lane_settings(i: u32, segment: u32, whole: bool) -> Settings {
  if (whole) {
    let s = segment_settings(segment);
    return Settings(vec4f(s.x), vec4f(s.y), vec4<bool>(true));
  }
  var out = Settings(vec4f(0.0), vec4f(0.0), vec4<bool>(false));
  for (var e = 0u; e < 4u; e++) {
    let holder = find_segment(i + e);
    if (i + e < N && holder != SEGMENTS) {
      let s = segment_settings(holder);
      out.lr[e] = s.x;
      out.decay[e] = s.y;
      out.live[e] = true;
    }
  }
  return out;
}

// A parameter vec4 and its state slots (slots past SLOTS stay unused).
struct Lanes {
  p: vec4f,
  s: array<vec4f, 3>,
}

// A slot's value before this step: at step 1 it starts from its initial value as in torch
// (0, or Adagrad's initial accumulator), whatever the buffer holds.
fn before(slot: u32, stored: vec4f) -> vec4f {
  let initial = select(0.0, INITIAL_ACCUMULATOR, OPT == ADAGRAD && slot == 0u);
  return select(stored, vec4f(initial), per_step.t == 1u);
}

fn sgd(u: Lanes, g: vec4f, lr: vec4f) -> Lanes {
  var r = u;
  var d = g;
  if (MOMENTUM != 0.0) {
    // The first step copies the gradient into the buffer, undampened (torch).
    r.s[0] = select(MOMENTUM * u.s[0] + ONE_MINUS_DAMPENING * g, g, per_step.t == 1u);
    d = select(r.s[0], g + MOMENTUM * r.s[0], NESTEROV);
  }
  r.p = u.p - lr * d;
  return r;
}

fn adagrad(u: Lanes, g: vec4f, lr: vec4f) -> Lanes {
  var r = u;
  r.s[0] = u.s[0] + g * g;
  r.p = u.p - lr * g / (sqrt(r.s[0]) + EPS);
  return r;
}

// Slots: 0 square_avg, 1 acc_delta.
fn adadelta(u: Lanes, g: vec4f, lr: vec4f) -> Lanes {
  var r = u;
  let v = RHO * u.s[0] + ONE_MINUS_RHO * g * g;
  let delta = sqrt(u.s[1] + EPS) / sqrt(v + EPS) * g;
  r.s[0] = v;
  r.s[1] = RHO * u.s[1] + ONE_MINUS_RHO * delta * delta;
  r.p = u.p - lr * delta;
  return r;
}

// Slots: 0 square_avg, then grad_avg if CENTERED, then momentum_buffer if MOMENTUM > 0.
fn rmsprop(u: Lanes, g: vec4f, lr: vec4f) -> Lanes {
  var r = u;
  let v = ALPHA * u.s[0] + ONE_MINUS_ALPHA * g * g;
  r.s[0] = v;
  var centered_v = v;
  if (CENTERED) {
    let g_avg = ALPHA * u.s[1] + ONE_MINUS_ALPHA * g;
    r.s[1] = g_avg;
    centered_v = v - g_avg * g_avg; // ≥ 0 in exact arithmetic (Jensen); torch does not clamp
  }
  let scaled = g / (sqrt(centered_v) + EPS);
  r.p = u.p - lr * scaled;
  if (MOMENTUM > 0.0) {
    let slot = select(1u, 2u, CENTERED);
    let b = MOMENTUM * u.s[slot] + scaled;
    r.s[slot] = b;
    r.p = u.p - lr * b;
  }
  return r;
}

// Slots: 0 exp_avg (m), 1 exp_avg_sq (v).
fn adam(u: Lanes, g: vec4f, lr: vec4f) -> Lanes {
  var r = u;
  r.s[0] = BETA1 * u.s[0] + ONE_MINUS_BETA1 * g;
  r.s[1] = BETA2 * u.s[1] + ONE_MINUS_BETA2 * g * g;
  r.p = u.p - lr * (r.s[0] / per_step.bias1) / (sqrt(r.s[1] / per_step.bias2) + EPS);
  return r;
}

// One optimizer step of four elements with their groups' weight decay and lr.
fn step(before_step: Lanes, grad: vec4f, settings: Settings) -> Lanes {
  var u = before_step;
  var g = grad * per_step.grad_scale;
  if (DECOUPLED) { u.p *= 1.0 - settings.lr * settings.decay; } else { g += settings.decay * u.p; }
  if (OPT == SGD) { u = sgd(u, g, settings.lr); }
  if (OPT == ADAGRAD) { u = adagrad(u, g, settings.lr); }
  if (OPT == ADADELTA) { u = adadelta(u, g, settings.lr); }
  if (OPT == RMSPROP) { u = rmsprop(u, g, settings.lr); }
  if (OPT == ADAM) { u = adam(u, g, settings.lr); }
  return u;
}

fn non_finite(v: vec4f) -> bool {
  return any((bitcast<vec4u>(v) & vec4u(0x7f800000u)) == vec4u(0x7f800000u)); // exponent bits all ones
}

// Updates the workgroup's WG·VECS runs of 4 elements, run v of invocation lid being the
// workgroup's run v·WG + lid (neighbouring invocations touch neighbouring memory). One segment
// lookup for all of them when the workgroup's elements lie in one segment (all but the ends
// of segments), else one per run. Returns whether a gradient among them is NaN or ±Inf.
fn update_runs(first_run: u32, lid: u32) -> bool {
  let first = 4u * first_run;
  if (first >= N) { return false; } // past the arena (the grid is rounded up)
  let s = find_segment(first);
  let whole = s != SEGMENTS && first + 4u * VECS * WG - 1u - table[ROW * s] < table[ROW * s + 1u];
  var bad = false;
  for (var v = 0u; v < VECS; v++) {
    let j = first_run + v * WG + lid;
    if (4u * j >= N) { break; }
    var settings: Settings;
    if (whole) {
      settings = lane_settings(4u * j, s, true);
    } else {
      let own = find_segment(4u * j);
      settings = lane_settings(4u * j, own, own != SEGMENTS && 4u * j + 3u - table[ROW * own] < table[ROW * own + 1u]);
    }
    var stored: array<vec4f, 3>;
    var u: Lanes;
    u.p = load_params(j);
    for (var k = 0u; k < SLOTS; k++) {
      stored[k] = load_slot(k, j);
      u.s[k] = before(k, stored[k]);
    }
    let g = load_grads(j);
    bad = bad || non_finite(g);
    let r = step(u, g, settings);
    store_params(j, u.p, r.p, settings.live);
    for (var k = 0u; k < SLOTS; k++) { store_slot(k, j, stored[k], r.s[k], settings.live); }
  }
  return bad;
}

// The workgroup's first run of 4 elements.
fn first_run(wid: vec3u, groups: vec3u) -> u32 {
  return VECS * WG * (wid.x + wid.y * groups.x);
}

@compute @workgroup_size(WG)
fn update(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) groups: vec3u) {
  _ = update_runs(first_run(wid, groups), lid);
}

// update_flagged also watches the gradients: the first step t with a NaN or ±Inf gradient
// is stored in word FLAG_WORD of the metrics buffer (0: none yet), so the guard travels
// with the metrics readback and costs no extra pass.
@group(0) @binding(5) var<storage, read_write> flags: array<atomic<u32>>;
override FLAG_WORD: u32 = 2u;

@compute @workgroup_size(WG)
fn update_flagged(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) groups: vec3u) {
  if (update_runs(first_run(wid, groups), lid)) {
    loop {
      let r = atomicCompareExchangeWeak(&flags[FLAG_WORD], 0u, per_step.t);
      if (r.exchanged || r.old_value != 0u) { break; }
    }
  }
}
