// Arena access of the fused optimizer update (shaders/optim.wgsl) for any arena size N: 4
// scalar loads per vec4 (indices past the arena clamped to its last element), and only the
// elements inside a segment stored.

@group(0) @binding(2) var<storage, read> grads: array<f32>;
@group(0) @binding(3) var<storage, read_write> params: array<f32>;
@group(0) @binding(4) var<storage, read_write> state: array<f32>;

// Index of element 4·j + e of slot `slot`'s part of the state (slot 0: the arena itself).
fn at(slot: u32, j: u32, e: u32) -> u32 {
  return slot * N + min(4u * j + e, N - 1u);
}

fn load_grads(j: u32) -> vec4f {
  return vec4f(grads[at(0u, j, 0u)], grads[at(0u, j, 1u)], grads[at(0u, j, 2u)], grads[at(0u, j, 3u)]);
}

fn load_params(j: u32) -> vec4f {
  return vec4f(params[at(0u, j, 0u)], params[at(0u, j, 1u)], params[at(0u, j, 2u)], params[at(0u, j, 3u)]);
}

fn load_slot(slot: u32, j: u32) -> vec4f {
  return vec4f(state[at(slot, j, 0u)], state[at(slot, j, 1u)], state[at(slot, j, 2u)], state[at(slot, j, 3u)]);
}

fn store_params(j: u32, old: vec4f, value: vec4f, live: vec4<bool>) {
  for (var e = 0u; e < 4u; e++) {
    if (live[e]) { params[at(0u, j, e)] = value[e]; }
  }
}

fn store_slot(slot: u32, j: u32, old: vec4f, value: vec4f, live: vec4<bool>) {
  for (var e = 0u; e < 4u; e++) {
    if (live[e]) { state[at(slot, j, e)] = value[e]; }
  }
}
