#!/usr/bin/python3
"""Generate golden test fixtures for the Swift engine (DAFLEngineTests).

Run from the repository root:   /usr/bin/python3 scripts/make_fixtures.py
Writes Tests/DAFLEngineTests/Fixtures/<name>.safetensors (one file per case)
plus Fixtures/README.md (a generated manifest), and the trainer-level fixture
Tests/DAFLTrainerTests/Fixtures/dafl_three_iterations.safetensors (+ README.md).
Idempotent: rerunning writes byte-identical files (fixed per-case seeds,
single-threaded torch, and a deterministic safetensors writer, see
dafl_torch.save_safetensors).

    --only NAME[,NAME...]   generate only these fixtures (e.g.
                            `--only dafl_three_iterations`); other files are not
                            touched, and a directory's README.md is rewritten
                            only when every fixture of that directory was built.
    --list                  print the fixture names and exit.

Conventions inside every file
- float32 unless stated (integer targets/indices/counters are I64); 0-dim
  tensors (shape []) are scalars.
- input `x`, upstream gradient `gout`, output `y`, input gradient `dx`,
  weight `w`/`dw`, bias `b`/`db`, BN affine `gamma`/`dgamma`, `beta`/`dbeta`,
  BN buffers after the step `running_mean`, `running_var` (initial 0 and 1
  unless `running_mean_in`/`running_var_in` are stored).
- Backward passes are seeded with `gout`: loss = (y * gout).sum().
- Random inputs are drawn in float32; the references are computed from those
  exact float32 values in float64 and rounded to float32 on storing.
  Metadata `torch_f32_maxdiff` is the largest |PyTorch-float32 - reference|
  over the stored outputs/gradients (a hint for test tolerances), and
  `torch_f32_maxrel` the largest, over those tensors, of that tensor's max
  |difference| divided by max(1, max |reference| of the tensor). Gradients
  that are mathematically zero (conv biases feeding a training-mode BN)
  come out as ~1e-5 noise in float32: compare with an absolute tolerance
  scaled by the tensor's magnitude, not elementwise relative.
- String `__metadata__` holds the configuration ("1"/"0" for booleans).

PyTorch semantics worth knowing (torch 1.13):
- BatchNorm training normalises with the biased batch variance but updates
  running_var with the unbiased one: rv = (1-m)*rv + m*var*n/(n-1), n = B*H*W.
- abs'(0) = 0 (sign), relu'(0) = 0, leaky_relu'(0) = slope.
- Adam/SGD weight_decay is L2 added to the gradient (g += wd*p), not AdamW.
  Adam: m = b1*m + (1-b1)g; v = b2*v + (1-b2)g^2;
        p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps).
  SGD momentum: buf = g on the first step, then buf = mu*buf + g; p -= lr*buf.
"""

import copy
import os
import sys
import zlib

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dafl_torch as D  # noqa: E402

OUT_DIR = os.path.join("Tests", "DAFLEngineTests", "Fixtures")
REF = torch.float64

CASES = []


def case(fn):
    CASES.append(fn)
    return fn


def seed(name):
    torch.manual_seed(zlib.crc32(name.encode("utf-8")))


def leaf(t, dtype):
    return t.detach().to(dtype).clone().requires_grad_(True)


def backward(y, gout):
    (y * gout.to(y.dtype)).sum().backward()


# ---------------------------------------------------------------------------
# Layer-level cases. Each case(dtype) returns (name, tensors, meta, input_keys)
# where input_keys are the tensors that are drawn (not computed) and excluded
# from the float32 comparison.
# ---------------------------------------------------------------------------

def _unary(name, fn, x, meta, gout_shape=None):
    """y = fn(x); gout random of y's shape; returns dict with x, gout, y, dx."""
    def run(dtype):
        xd = leaf(x, dtype)
        y = fn(xd)
        seed(name + "/gout")
        gout = torch.randn(y.shape) if gout_shape is None else gout_shape
        backward(y, gout)
        return {"x": x, "gout": gout, "y": y, "dx": xd.grad}
    return run, meta, {"x", "gout"}


@case
def linear():
    seed("linear")
    x, w, b = torch.randn(4, 5), torch.randn(3, 5), torch.randn(3)
    gout = torch.randn(4, 3)

    def run(dtype):
        xd, wd, bd = leaf(x, dtype), leaf(w, dtype), leaf(b, dtype)
        y = F.linear(xd, wd, bd)
        backward(y, gout)
        return {"x": x, "w": w, "b": b, "gout": gout, "y": y,
                "dx": xd.grad, "dw": wd.grad, "db": bd.grad}
    return "linear", run, {"op": "linear", "formula": "y = x @ w^T + b"}, {"x", "w", "b", "gout"}


def _conv(name, xs, ws, stride, padding):
    seed(name)
    x, w, b = torch.randn(*xs), torch.randn(*ws), torch.randn(ws[0])

    def run(dtype):
        xd, wd, bd = leaf(x, dtype), leaf(w, dtype), leaf(b, dtype)
        y = F.conv2d(xd, wd, bd, stride=stride, padding=padding)
        seed(name + "/gout")
        gout = torch.randn(y.shape)
        backward(y, gout)
        return {"x": x, "w": w, "b": b, "gout": gout, "y": y,
                "dx": xd.grad, "dw": wd.grad, "db": bd.grad}
    meta = {"op": "conv2d", "kernel": str(ws[2]), "stride": str(stride),
            "padding": str(padding), "dilation": "1", "groups": "1"}
    return name, run, meta, {"x", "w", "b", "gout"}


@case
def conv2d_k3s1p0():
    return _conv("conv2d_k3s1p0", (2, 3, 7, 7), (4, 3, 3, 3), 1, 0)


@case
def conv2d_k3s2p1():
    return _conv("conv2d_k3s2p1", (2, 3, 8, 8), (5, 3, 3, 3), 2, 1)


@case
def conv2d_k5():
    return _conv("conv2d_k5", (3, 1, 12, 12), (6, 1, 5, 5), 1, 0)


@case
def conv2d_k3s1p1():
    return _conv("conv2d_k3s1p1", (2, 4, 6, 6), (3, 4, 3, 3), 1, 1)


@case
def conv2d_k3s1p1_c16():
    """Channels enough for the Winograd path (>= 16 in and out); odd sizes leave partial tiles."""
    return _conv("conv2d_k3s1p1_c16", (2, 16, 7, 9), (24, 16, 3, 3), 1, 1)


@case
def conv2d_k3s1p0_c16():
    return _conv("conv2d_k3s1p0_c16", (3, 20, 6, 5), (16, 20, 3, 3), 1, 0)


def _bn(name, xs, eps, affine, training, momentum=0.1, stored_running=False):
    seed(name)
    c = xs[1]
    x = torch.randn(*xs) * 1.5 + 0.3
    gamma = (1.0 + 0.3 * torch.randn(c)) if affine else None
    beta = 0.2 * torch.randn(c) if affine else None
    if stored_running:
        rm_in = 0.5 * torch.randn(c)
        rv_in = torch.rand(c) + 0.5
    else:
        rm_in, rv_in = torch.zeros(c), torch.ones(c)
    gout = torch.randn(*xs)

    def run(dtype):
        xd = leaf(x, dtype)
        gd = leaf(gamma, dtype) if affine else None
        bd = leaf(beta, dtype) if affine else None
        rm, rv = rm_in.to(dtype).clone(), rv_in.to(dtype).clone()
        y = F.batch_norm(xd, rm, rv, gd, bd, training=training, momentum=momentum, eps=eps)
        backward(y, gout)
        out = {"x": x, "gout": gout, "y": y, "dx": xd.grad,
               "running_mean": rm, "running_var": rv}
        if affine:
            out.update({"gamma": gamma, "beta": beta, "dgamma": gd.grad, "dbeta": bd.grad})
        if stored_running:
            out.update({"running_mean_in": rm_in, "running_var_in": rv_in})
        return out
    meta = {"op": "batchnorm%dd" % (len(xs) - 2), "eps": repr(eps), "momentum": repr(momentum),
            "affine": "1" if affine else "0", "training": "1" if training else "0",
            "running_var_update": "unbiased" if training else "none (eval)"}
    inputs = {"x", "gout", "gamma", "beta", "running_mean_in", "running_var_in"}
    return name, run, meta, inputs


def _bn_add_relu(name, xs, with_residual):
    """relu(batch_norm(x) + residual): the fused tail of a ResNet block (residual optional)."""
    seed(name)
    c = xs[1]
    x = torch.randn(*xs) * 1.5 + 0.3
    gamma, beta = 1.0 + 0.3 * torch.randn(c), 0.2 * torch.randn(c)
    residual = torch.randn(*xs)
    gout = torch.randn(*xs)

    def run(dtype):
        xd, gd, bd = leaf(x, dtype), leaf(gamma, dtype), leaf(beta, dtype)
        rd = leaf(residual, dtype)
        rm, rv = torch.zeros(c, dtype=dtype), torch.ones(c, dtype=dtype)
        y = F.batch_norm(xd, rm, rv, gd, bd, training=True, momentum=0.1, eps=1e-5)
        y = F.relu(y + rd) if with_residual else F.relu(y)
        backward(y, gout)
        out = {"x": x, "gamma": gamma, "beta": beta, "gout": gout, "y": y, "dx": xd.grad,
               "dgamma": gd.grad, "dbeta": bd.grad, "running_mean": rm, "running_var": rv}
        if with_residual:
            out.update({"residual": residual, "dresidual": rd.grad})
        return out
    meta = {"op": "relu(batchnorm2d(x) + residual)" if with_residual else "relu(batchnorm2d(x))",
            "eps": "1e-05", "momentum": "0.1", "affine": "1", "training": "1"}
    return name, run, meta, {"x", "gout", "gamma", "beta", "residual"}


@case
def batchnorm2d_add_relu():
    return _bn_add_relu("batchnorm2d_add_relu", (4, 3, 5, 5), True)


@case
def batchnorm2d_relu():
    return _bn_add_relu("batchnorm2d_relu", (3, 4, 4, 6), False)


@case
def batchnorm2d_train():
    return _bn("batchnorm2d_train", (4, 3, 5, 5), 1e-5, True, True)


@case
def batchnorm2d_train_eps08():
    return _bn("batchnorm2d_train_eps08", (4, 3, 5, 5), 0.8, True, True)


@case
def batchnorm2d_noaffine():
    return _bn("batchnorm2d_noaffine", (4, 3, 5, 5), 1e-5, False, True)


@case
def batchnorm2d_eval():
    return _bn("batchnorm2d_eval", (4, 3, 5, 5), 1e-5, True, False, stored_running=True)


@case
def batchnorm1d_train():
    return _bn("batchnorm1d_train", (6, 4), 1e-5, True, True)


def _simple(name, fn, x, meta):
    run, meta, inputs = _unary(name, fn, x, meta)
    return name, run, meta, inputs


@case
def relu():
    seed("relu")
    return _simple("relu", F.relu, torch.randn(3, 4, 5), {"op": "relu"})


@case
def leaky_relu():
    seed("leaky_relu")
    return _simple("leaky_relu", lambda x: F.leaky_relu(x, 0.2), torch.randn(3, 4, 5),
                   {"op": "leaky_relu", "slope": "0.2"})


@case
def tanh():
    seed("tanh")
    return _simple("tanh", torch.tanh, torch.randn(3, 4, 5), {"op": "tanh"})


@case
def abs_():
    seed("abs")
    x = torch.randn(3, 4, 5)
    x[0, 0, 0] = 0.0  # torch: d|x|/dx at 0 is sign(0) = 0
    return _simple("abs", torch.abs, x, {"op": "abs", "grad_at_zero": "0", "zero_at": "x[0,0,0]"})


@case
def log():
    seed("log")
    return _simple("log", torch.log, torch.rand(3, 4, 5) + 0.1, {"op": "log"})


@case
def log10():
    seed("log10")
    return _simple("log10", torch.log10, torch.rand(3, 4, 5) + 0.1, {"op": "log10"})


@case
def upsample2x():
    seed("upsample2x")
    return _simple("upsample2x", lambda x: F.interpolate(x, scale_factor=2, mode="nearest"),
                   torch.randn(2, 3, 4, 4), {"op": "upsample_nearest2d", "scale": "2"})


@case
def maxpool2d():
    name = "maxpool2d"
    seed(name)
    n = 2 * 3 * 8 * 8
    x = ((torch.randperm(n).to(torch.float32) - n / 2) / 64.0).reshape(2, 3, 8, 8)  # all distinct

    def run(dtype):
        xd = leaf(x, dtype)
        y, idx = F.max_pool2d(xd, 2, 2, return_indices=True)
        seed(name + "/gout")
        gout = torch.randn(y.shape)
        backward(y, gout)
        return {"x": x, "gout": gout, "y": y, "dx": xd.grad, "indices": idx}
    meta = {"op": "maxpool2d", "kernel": "2", "stride": "2", "padding": "0",
            "indices": "I64, flat index h*W+w within each (n,c) plane of x"}
    return name, run, meta, {"x", "gout", "indices"}


@case
def softmax():
    seed("softmax")
    return _simple("softmax", lambda x: F.softmax(x, 1), torch.randn(4, 10) * 2,
                   {"op": "softmax", "dim": "1"})


@case
def log_softmax():
    seed("log_softmax")
    return _simple("log_softmax", lambda x: F.log_softmax(x, 1), torch.randn(4, 10) * 2,
                   {"op": "log_softmax", "dim": "1"})


@case
def mean_dim0():
    seed("mean_dim0")
    return _simple("mean_dim0", lambda x: x.mean(0), torch.randn(5, 7), {"op": "mean", "dim": "0"})


@case
def sum_():
    seed("sum")
    return _simple("sum", lambda x: x.sum(), torch.randn(3, 4), {"op": "sum", "dim": "all"})


@case
def mean():
    seed("mean")
    return _simple("mean", lambda x: x.mean(), torch.randn(3, 4), {"op": "mean", "dim": "all"})


@case
def sum_rows():
    seed("sum_rows")
    return _simple("sum_rows", lambda x: x.sum(1), torch.randn(4, 6), {"op": "sum", "dim": "1"})


@case
def embedding():
    """F.embedding with repeated indices (their gradients add up), then a projection-discriminator
    term: y = sum(embedding(t, w) * h, dim 1), so dw and dh are both checked."""
    name = "embedding"
    seed(name)
    w, h = torch.randn(5, 4), torch.randn(6, 4)
    t = torch.tensor([3, 0, 3, 4, 1, 3], dtype=torch.int64)
    gout = torch.randn(6)

    def run(dtype):
        wd, hd = leaf(w, dtype), leaf(h, dtype)
        e = F.embedding(t, wd)
        y = (e * hd).sum(1)
        backward(y, gout)
        return {"w": w, "h": h, "t": t, "gout": gout, "e": e, "y": y, "dw": wd.grad, "dh": hd.grad}
    return name, run, {"op": "embedding+projection", "t_dtype": "I64"}, {"w", "h", "t", "gout"}


@case
def hinge():
    """SNGAN's hinge losses: d = mean(relu(1 - real)) + mean(relu(1 + fake)); g = -mean(fake)."""
    name = "hinge"
    seed(name)
    real, fake = torch.randn(7) * 1.5, torch.randn(7) * 1.5

    def run(dtype):
        rd, fd = leaf(real, dtype), leaf(fake, dtype)
        d = F.relu(1 - rd).mean() + F.relu(1 + fd).mean()
        d.backward()
        fg = leaf(fake, dtype)
        g = -fg.mean()
        g.backward()
        return {"real": real, "fake": fake, "d": d, "g": g, "dreal": rd.grad, "dfake": fd.grad, "gfake": fg.grad}
    return name, run, {"op": "hinge"}, {"real", "fake"}


@case
def regression_losses():
    """L1 and MSE between a [N, 1] prediction and [N] targets (cGAN-KD regression): F.l1_loss and
    F.mse_loss on the flattened prediction, mean reduction."""
    name = "regression_losses"
    seed(name)
    pred, target = torch.randn(9, 1), torch.rand(9)
    pred[3, 0] = target[3]  # an exact hit: |x|' at 0 is 0 in PyTorch

    def run(dtype):
        p1, p2 = leaf(pred, dtype), leaf(pred, dtype)
        l1 = F.l1_loss(p1.view(-1), target.to(dtype))
        l1.backward()
        mse = F.mse_loss(p2.view(-1), target.to(dtype))
        mse.backward()
        return {"pred": pred, "target": target, "l1": l1, "mse": mse, "dl1": p1.grad, "dmse": p2.grad}
    return name, run, {"op": "l1_loss, mse_loss", "reduction": "mean"}, {"pred", "target"}


@case
def vicinal_hinge():
    """CcGAN's vicinal discriminator loss in hinge form (cGAN-KD): mean(w_r relu(1 - real)) +
    mean(w_f relu(1 + fake)), with SVDL weights in (0, 1]."""
    name = "vicinal_hinge"
    seed(name)
    real, fake = torch.randn(7) * 1.5, torch.randn(7) * 1.5
    wr, wf = torch.rand(7) * 0.9 + 0.1, torch.rand(7) * 0.9 + 0.1

    def run(dtype):
        rd, fd = leaf(real, dtype), leaf(fake, dtype)
        d = (wr.to(dtype) * F.relu(1 - rd)).mean() + (wf.to(dtype) * F.relu(1 + fd)).mean()
        d.backward()
        return {"real": real, "fake": fake, "wr": wr, "wf": wf, "d": d, "dreal": rd.grad, "dfake": fd.grad}
    return name, run, {"op": "vicinal hinge"}, {"real", "fake", "wr", "wf"}


@case
def embedded_batchnorm():
    """CcGAN's conditional batch norm on a label embedding h: BatchNorm2d(C, affine=False) in training
    mode, then out + out * (h @ Wg.T) + h @ Wb.T, per sample and channel."""
    name = "embedded_batchnorm"
    seed(name)
    x, h = torch.randn(3, 4, 2, 3) * 2 + 0.5, torch.relu(torch.randn(3, 8))
    wg, wb = torch.randn(4, 8) * 0.3, torch.randn(4, 8) * 0.3
    gout = torch.randn(3, 4, 2, 3)

    def run(dtype):
        xd, hd, gd, bd = leaf(x, dtype), leaf(h, dtype), leaf(wg, dtype), leaf(wb, dtype)
        out = F.batch_norm(xd, None, None, training=True, eps=0.8)
        y = out + out * (hd @ gd.t())[:, :, None, None] + (hd @ bd.t())[:, :, None, None]
        backward(y, gout)
        return {"x": x, "h": h, "wg": wg, "wb": wb, "gout": gout, "y": y, "dx": xd.grad, "dh": hd.grad,
                "dwg": gd.grad, "dwb": bd.grad}
    return name, run, {"op": "embedded batch norm", "eps": "0.8"}, {"x", "h", "wg", "wb", "gout"}


@case
def label_embedding():
    """CcGAN's y2h MLP (the reference's model_y2h at dim_embed 16): y + 1e-8, then four blocks of
    Linear -> GroupNorm(8) -> ReLU (1 -> 16, then 16 -> 16) and Linear(16, 16) -> ReLU. Stores the
    state_dict under its nn.Sequential names and the gradients of every parameter."""
    name = "label_embedding"
    seed(name)
    E = 16
    mods = []
    for i in range(4):
        mods += [torch.nn.Linear(1 if i == 0 else E, E), torch.nn.GroupNorm(8, E), torch.nn.ReLU()]
    mods += [torch.nn.Linear(E, E), torch.nn.ReLU()]
    net = torch.nn.Sequential(*mods)
    with torch.no_grad():
        for m in net:
            if isinstance(m, torch.nn.GroupNorm):
                m.weight.add_(torch.randn(E) * 0.2)
                m.bias.add_(torch.randn(E) * 0.2)
    sd = {k: v.detach().clone() for k, v in net.state_dict().items()}
    y = torch.rand(6)
    gout = torch.randn(6, E)

    def run(dtype):
        m = copy.deepcopy(net).to(dtype)
        m.load_state_dict({k: v.to(dtype) for k, v in sd.items()})
        m.zero_grad()
        yd = leaf(y, dtype)
        h = m(yd.view(-1, 1) + 1e-8)
        backward(h, gout)
        out = {"y": y, "gout": gout, "h": h, "dy": yd.grad}
        for k, v in sd.items():
            out["main." + k] = v
        for k, p in m.named_parameters():
            out["grad.main." + k] = p.grad
        return out
    return name, run, {"op": "label embedding (model_y2h)", "dim_embed": str(E)}, \
        {"y", "gout"} | {"main." + k for k in sd}


@case
def spectral_norm_conv():
    """torch.nn.utils.spectral_norm(Conv2d(3, 4, 3, stride=2, padding=1)) in training mode: one power
    iteration from the stored u0/v0, then the conv with W/sigma. Stores the updated u, v too."""
    name = "spectral_norm_conv"
    seed(name)
    x, w, b = torch.randn(2, 3, 6, 6), torch.randn(4, 3, 3, 3) * 0.5, torch.randn(4)
    u0, v0 = F.normalize(torch.randn(4), dim=0), F.normalize(torch.randn(27), dim=0)
    seed(name + "/gout")
    gout = torch.randn(2, 4, 3, 3)

    def run(dtype):
        conv = torch.nn.Conv2d(3, 4, 3, stride=2, padding=1).to(dtype)
        with torch.no_grad():
            conv.weight.copy_(w.to(dtype))
            conv.bias.copy_(b.to(dtype))
        conv = torch.nn.utils.spectral_norm(conv)
        with torch.no_grad():
            conv.weight_u.copy_(u0.to(dtype))
            conv.weight_v.copy_(v0.to(dtype))
        conv.train()
        xd = leaf(x, dtype)
        y = conv(xd)
        backward(y, gout)
        return {"x": x, "w": w, "b": b, "u0": u0, "v0": v0, "gout": gout, "y": y, "dx": xd.grad,
                "dw": conv.weight_orig.grad, "db": conv.bias.grad, "u": conv.weight_u, "v": conv.weight_v}
    return name, run, {"op": "spectral_norm(conv2d)", "stride": "2", "padding": "1", "power_iterations": "1"}, \
        {"x", "w", "b", "u0", "v0", "gout"}


@case
def channel_affine():
    """x * s[:, :, None, None] + b[:, :, None, None]: the per-sample affine of a conditional batch norm."""
    name = "channel_affine"
    seed(name)
    x, sc, sh = torch.randn(3, 4, 2, 5), torch.randn(3, 4), torch.randn(3, 4)
    gout = torch.randn(3, 4, 2, 5)

    def run(dtype):
        xd, sd, bd = leaf(x, dtype), leaf(sc, dtype), leaf(sh, dtype)
        y = xd * sd[:, :, None, None] + bd[:, :, None, None]
        backward(y, gout)
        return {"x": x, "scale": sc, "shift": sh, "gout": gout, "y": y, "dx": xd.grad, "dscale": sd.grad, "dshift": bd.grad}
    return name, run, {"op": "channel_affine"}, {"x", "scale", "shift", "gout"}


@case
def unit_scale():
    """x * s.view(1, -1, 1, 1) and x * s.view(1, -1) with constant s: a gradually pruned student's faded units."""
    name = "unit_scale"
    seed(name)
    x4, x2 = torch.randn(3, 4, 2, 5), torch.randn(3, 4)
    s = torch.tensor([1.0, 0.25, 0.0, 0.7])
    g4, g2 = torch.randn(3, 4, 2, 5), torch.randn(3, 4)

    def run(dtype):
        a, b = leaf(x4, dtype), leaf(x2, dtype)
        y4, y2 = a * s.to(dtype).view(1, -1, 1, 1), b * s.to(dtype).view(1, -1)
        backward(y4, g4)
        backward(y2, g2)
        return {"x4": x4, "x2": x2, "scales": s, "gout4": g4, "gout2": g2, "y4": y4, "y2": y2, "dx4": a.grad, "dx2": b.grad}
    return name, run, {"op": "unit_scale"}, {"x4", "x2", "scales", "gout4", "gout2"}


@case
def group_norm():
    """F.group_norm on [N, C] features with 4 groups and an affine, as the cDR-RS MLP's GroupNorm."""
    name = "group_norm"
    seed(name)
    x, w, b = torch.randn(3, 8) * 2 + 1, torch.randn(8), torch.randn(8)
    gout = torch.randn(3, 8)

    def run(dtype):
        xd, wd, bd = leaf(x, dtype), leaf(w, dtype), leaf(b, dtype)
        y = F.group_norm(xd, 4, wd, bd, eps=1e-5)
        backward(y, gout)
        return {"x": x, "w": w, "b": b, "gout": gout, "y": y, "dx": xd.grad, "dw": wd.grad, "db": bd.grad}
    return name, run, {"op": "group_norm", "groups": "4", "eps": "1e-05"}, {"x", "w", "b", "gout"}


@case
def sigmoid():
    seed("sigmoid")
    return _simple("sigmoid", torch.sigmoid, torch.randn(3, 5) * 4, {"op": "sigmoid"})


@case
def softplus():
    seed("softplus")
    return _simple("softplus", F.softplus, torch.randn(3, 5) * 6, {"op": "softplus"})


@case
def concat_columns():
    name = "concat_columns"
    seed(name)
    a, b = torch.randn(3, 4), torch.randn(3, 2)
    gout = torch.randn(3, 6)

    def run(dtype):
        ad, bd = leaf(a, dtype), leaf(b, dtype)
        y = torch.cat([ad, bd], dim=1)
        backward(y, gout)
        return {"a": a, "b": b, "gout": gout, "y": y, "da": ad.grad, "db": bd.grad}
    return name, run, {"op": "cat", "dim": "1"}, {"a", "b", "gout"}


@case
def cross_entropy():
    name = "cross_entropy"
    seed(name)
    x = torch.randn(6, 10) * 2
    t = torch.randint(0, 10, (6,), dtype=torch.int64)
    gout = torch.tensor(1.0)

    def run(dtype):
        xd = leaf(x, dtype)
        y = F.cross_entropy(xd, t)
        backward(y, gout)
        return {"x": x, "t": t, "gout": gout, "y": y, "dx": xd.grad}
    return name, run, {"op": "cross_entropy", "reduction": "mean", "t_dtype": "I64"}, {"x", "t", "gout"}


@case
def dafl_losses():
    name = "dafl_losses"
    seed(name)
    logits = torch.randn(8, 10) * 2
    features = F.relu(torch.randn(8, 12))  # exact zeros included, like post-ReLU features

    def run(dtype):
        l1 = leaf(logits, dtype)
        l_oh = D.loss_oh(l1)
        l_oh.backward()
        f = leaf(features, dtype)
        l_a = D.loss_a(f)
        l_a.backward()
        l2 = leaf(logits, dtype)
        l_ie = D.loss_ie(l2)
        l_ie.backward()
        return {"logits": logits, "features": features, "l_oh": l_oh, "l_a": l_a, "l_ie": l_ie,
                "dlogits_oh": l1.grad, "dfeatures_a": f.grad, "dlogits_ie": l2.grad}
    meta = {"op": "dafl_losses",
            "l_oh": "cross_entropy(logits, argmax(logits,1)), batch mean",
            "l_a": "-mean(|features|) over all elements; d|x|/dx(0)=0",
            "l_ie": "p = mean_0 softmax(logits,1); sum p*log10(p)",
            "gout": "1 (each loss differentiated on its own)"}
    return name, run, meta, {"logits", "features"}


@case
def kd():
    name = "kd"
    seed(name)
    s, t = torch.randn(6, 10) * 2, torch.randn(6, 10) * 2

    def run(dtype):
        sd = leaf(s, dtype)
        y = D.loss_kd(sd, t.to(dtype))
        y.backward()
        return {"s": s, "t": t, "y": y, "ds": sd.grad}
    meta = {"op": "loss_kd",
            "formula": "kl_div(log_softmax(s,1), softmax(t,1), reduction=sum) / B",
            "gout": "1", "teacher": "detached (no dt)"}
    return name, run, meta, {"s", "t"}


@case
def total_variation():
    name = "total_variation"
    seed(name)
    x = torch.randn(3, 2, 5, 4)

    def run(dtype):
        xd = leaf(x, dtype)
        y = torch.diff(xd, dim=2).pow(2).mean() + torch.diff(xd, dim=3).pow(2).mean()
        y.backward()
        return {"x": x, "y": y, "dx": xd.grad}
    meta = {"op": "total_variation", "formula": "diff(x,2).pow(2).mean() + diff(x,3).pow(2).mean() (squared TV prior)",
            "gout": "1"}
    return name, run, meta, {"x"}


@case
def border_prior():
    name = "border_prior"
    seed(name)
    x = torch.randn(3, 2, 6, 5)
    level = -0.8102  # Fashion-MNIST's black, (0 - 0.2860) / 0.3530, rounded

    def run(dtype):
        xd = leaf(x, dtype)
        mask = torch.ones(6, 5, dtype=dtype)
        mask[2:4, 2:3] = 0  # a band of 2 pixels: only the inner 2x1 block is off the band
        y = ((xd - level).pow(2) * mask).sum() / (mask.sum() * 3 * 2)
        y.backward()
        return {"x": x, "y": y, "dx": xd.grad}
    meta = {"op": "border_prior", "formula": "((x - level)^2 * band).sum() / (band.sum() * N * C), band = outer 2 rows and columns",
            "level": str(level), "band": "2", "gout": "1"}
    return name, run, meta, {"x"}


@case
def symmetry_prior():
    name = "symmetry_prior"
    seed(name)
    x = torch.randn(3, 2, 5, 6)

    def run(dtype):
        xd = leaf(x, dtype)
        y = (xd - xd.flip(3)).pow(2).mean()
        y.backward()
        return {"x": x, "y": y, "dx": xd.grad}
    meta = {"op": "symmetry_prior", "formula": "(x - x.flip(3)).pow(2).mean() (mirror-symmetry prior)", "gout": "1"}
    return name, run, meta, {"x"}


@case
def jitter():
    name = "jitter"
    seed(name)
    x, gout = torch.randn(2, 2, 5, 6), torch.randn(2, 2, 5, 6)

    def run(dtype):
        xd = leaf(x, dtype)
        y = torch.roll(xd, shifts=(1, -2), dims=(2, 3)).flip(3)
        backward(y, gout)
        return {"x": x, "gout": gout, "y": y, "dx": xd.grad}
    meta = {"op": "jitter", "formula": "roll(x, shifts=(1, -2), dims=(2, 3)).flip(3)", "dy": "1", "dx": "-2", "mirrored": "1"}
    return name, run, meta, {"x", "gout"}


@case
def project_planes():
    name = "project_planes"
    seed(name)
    x, gout = torch.randn(2, 1, 32, 32), torch.randn(2, 1, 32, 32)
    # U's columns: each 28-pixel basis vector resized to 32 as the data loader does (bilinear, align_corners=False).
    basis = torch.eye(28, dtype=torch.float64).reshape(28, 1, 1, 28)
    u = F.interpolate(basis.expand(28, 1, 1, 28).reshape(28, 1, 1, 28), size=(1, 32), mode="bilinear",
                      align_corners=False).reshape(28, 32).t()
    proj = u @ torch.linalg.inv(u.t() @ u) @ u.t()

    def run(dtype):
        xd = leaf(x, dtype)
        pd = proj.to(dtype)
        y = pd @ xd @ pd
        backward(y, gout)
        return {"x": x, "gout": gout, "y": y, "dx": xd.grad}
    meta = {"op": "project_planes", "formula": "P @ x @ P per plane, P = U (U^T U)^-1 U^T, U = bilinear resize 28 -> 32 "
                                                "(F.interpolate, align_corners=False) of the identity"}
    return name, run, meta, {"x", "gout"}


@case
def kd_t4():
    name = "kd_t4"
    seed(name)
    s, t = torch.randn(6, 10) * 2, torch.randn(6, 10) * 2

    def run(dtype):
        sd = leaf(s, dtype)
        y = F.kl_div(F.log_softmax(sd / 4, 1), F.softmax(t.to(dtype) / 4, 1), reduction="batchmean") * 16
        y.backward()
        return {"s": s, "t": t, "y": y, "ds": sd.grad}
    meta = {"op": "loss_kd_temperature",
            "formula": "T^2 * kl_div(log_softmax(s/T,1), softmax(t/T,1), batchmean), T = 4 (Hinton)",
            "gout": "1", "teacher": "detached (no dt)"}
    return name, run, meta, {"s", "t"}


def zscore(x):
    """Sun et al. 2024's logit standardisation: (x - mean) / (1e-7 + unbiased std), per row."""
    return (x - x.mean(1, keepdim=True)) / (1e-7 + x.std(1, keepdim=True))


@case
def standardize_rows():
    name = "standardize_rows"
    seed(name)
    x, gout = torch.randn(5, 10) * 3 + 1, torch.randn(5, 10)

    def run(dtype):
        xd = leaf(x, dtype)
        y = zscore(xd)
        backward(y, gout)
        return {"x": x, "gout": gout, "y": y, "dx": xd.grad}
    meta = {"op": "standardize_rows", "formula": "(x - x.mean(1)) / (1e-7 + x.std(1)), unbiased std"}
    return name, run, meta, {"x", "gout"}


@case
def kd_standardized():
    name = "kd_standardized"
    seed(name)
    s, t = torch.randn(6, 10) * 2, torch.randn(6, 10) * 4

    def run(dtype):
        sd = leaf(s, dtype)
        y = F.kl_div(F.log_softmax(zscore(sd) / 2, 1), F.softmax(zscore(t.to(dtype)) / 2, 1), reduction="batchmean") * 4
        y.backward()
        return {"s": s, "t": t, "y": y, "ds": sd.grad}
    meta = {"op": "loss_kd_standardized",
            "formula": "T^2 * kl_div(log_softmax(z(s)/T,1), softmax(z(t)/T,1), batchmean), z = zscore per row, T = 2",
            "gout": "1", "teacher": "detached (no dt)"}
    return name, run, meta, {"s", "t"}


@case
def kd_intra_class():
    name = "kd_intra_class"
    seed(name)
    s, t = torch.randn(8, 10) * 2, torch.randn(8, 10) * 4

    def intra(a, b):
        def z(x):
            x = x.t()
            return (x - x.mean(1, keepdim=True)) / (0.1 + x.std(1, keepdim=True))
        n, k = a.shape
        return (z(a) - z(b)).square().sum() / (2 * (n - 1) * k)

    def run(dtype):
        sd = leaf(s, dtype)
        y = intra(sd, t.to(dtype))
        y.backward()
        # With --kd-standardize: KL of the z-scored logits, plus 0.5 x the relation of their softmaxes.
        sd2 = leaf(s, dtype)
        zs, zt = zscore(sd2), zscore(t.to(dtype))
        y2 = F.kl_div(F.log_softmax(zs, 1), F.softmax(zt, 1), reduction="batchmean") + 0.5 * intra(zs, zt)
        y2.backward()
        return {"s": s, "t": t, "y": y, "ds": sd.grad, "y_std": y2, "ds_std": sd2.grad}
    meta = {"op": "loss_kd_intra_class",
            "formula": "y = sum((c(s.T) - c(t.T))^2) / (2 (N-1) K), c(x) = (x - mean(1)) / (0.1 + std(1)), unbiased (DIST intra-class, on logits); "
                       "y_std = kl_div(log_softmax(z(s)), softmax(z(t)), batchmean) + 0.5 * intra(z(s), z(t)), z = zscore per row",
            "gout": "1", "teacher": "detached (no dt)"}
    return name, run, meta, {"s", "t"}


@case
def saturation_prior():
    name = "saturation_prior"
    seed(name)
    h = torch.randn(2, 1, 6, 6) * 4

    def run(dtype):
        hd = leaf(h, dtype)
        y = torch.log(torch.cosh(hd)).mean()
        y.backward()
        return {"h": h, "y": y, "dh": hd.grad}
    meta = {"op": "loss_saturation", "formula": "y = mean(log(cosh(h))) (h: the generator's drive, before its tanh)", "gout": "1"}
    return name, run, meta, {"h"}


@case
def ie_temperature():
    name = "ie_temperature"
    seed(name)
    logits = torch.randn(16, 10) * 3

    def run(dtype):
        ld = leaf(logits, dtype)
        y = D.loss_ie(ld / 0.5)
        y.backward()
        return {"logits": logits, "y": y, "dlogits": ld.grad}
    meta = {"op": "loss_ie_temperature", "formula": "p = mean_0 softmax(logits / 0.5, 1); sum p*log10(p)", "gout": "1"}
    return name, run, meta, {"logits"}


@case
def ie_memory():
    name = "ie_memory"
    seed(name)
    logits = torch.randn(16, 10) * 3
    # A lopsided memory mix, as a run's end holds: one class a third, some almost absent.
    memory = torch.softmax(torch.randn(10) * 2, 0)

    def run(dtype):
        ld = leaf(logits, dtype)
        q = 0.25 * F.softmax(ld, 1).mean(0) + 0.75 * memory.to(dtype)
        y = (q * torch.log10(q)).sum()
        y.backward()
        return {"logits": logits, "memory": memory, "y": y, "dlogits": ld.grad}
    meta = {"op": "loss_ie_memory", "formula": "q = 0.25 * mean_0 softmax(logits, 1) + 0.75 * memory; sum q*log10(q)", "gout": "1",
            "memory": "constant (no gradient)"}
    return name, run, meta, {"logits"}


@case
def kd_decoupled():
    name = "kd_decoupled"
    seed(name)
    # Teacher rows from unsure (small logits) to sure (large), as DKD's paper contrasts them.
    s, t = torch.randn(8, 10) * 2, torch.randn(8, 10) * torch.linspace(0.5, 6, 8).unsqueeze(1)

    def dkd(s, t, alpha, beta, temperature=1.0):
        # As the DKD authors' reference (mdistiller's dkd_loss), with the teacher's argmax for the label.
        g = t.argmax(1)
        m = F.one_hot(g, t.shape[1]).to(t.dtype)
        ps, pt = F.softmax(s / temperature, 1), F.softmax(t / temperature, 1)
        bs = torch.stack([(ps * m).sum(1), (ps * (1 - m)).sum(1)], 1)
        bt = torch.stack([(pt * m).sum(1), (pt * (1 - m)).sum(1)], 1)
        tckd = F.kl_div(bs.log(), bt, reduction="sum") * temperature ** 2 / s.shape[0]
        nckd = F.kl_div(F.log_softmax(s / temperature - 1000.0 * m, 1), F.softmax(t / temperature - 1000.0 * m, 1),
                        reduction="sum") * temperature ** 2 / s.shape[0]
        return alpha * tckd + beta * nckd

    def run(dtype):
        sd = leaf(s, dtype)
        y = dkd(sd, t.to(dtype), 1.0, 8.0)
        y.backward()
        # With --kd-standardize --kd-temperature 2: the same on the z-scored logits, at T = 2.
        sd2 = leaf(s, dtype)
        y2 = dkd(zscore(sd2), zscore(t.to(dtype)), 1.0, 4.0, temperature=2.0)
        y2.backward()
        return {"s": s, "t": t, "y": y, "ds": sd.grad, "y_std": y2, "ds_std": sd2.grad}
    meta = {"op": "loss_kd_decoupled",
            "formula": "DKD (Zhao et al. 2022), target = teacher argmax: alpha * KL([p_g, 1-p_g]) + beta * KL(softmax over the other classes), "
                       "sum / N, times T^2; y: alpha 1, beta 8, T 1; y_std: z-scored logits, alpha 1, beta 4, T 2",
            "gout": "1", "teacher": "detached (no dt)"}
    return name, run, meta, {"s", "t"}


@case
def kd_hard():
    name = "kd_hard"
    seed(name)
    s, t = torch.randn(8, 10) * 2, torch.randn(8, 10) * 3

    def run(dtype):
        # --kd-standardize --kd-hard 0.5: the KL of the z-scored logits plus 0.5 x the cross-entropy of the raw
        # student logits against the teacher's argmax.
        sd = leaf(s, dtype)
        td = t.to(dtype)
        y = F.kl_div(F.log_softmax(zscore(sd), 1), F.softmax(zscore(td), 1), reduction="batchmean") \
            + 0.5 * F.cross_entropy(sd, td.argmax(1))
        y.backward()
        return {"s": s, "t": t, "y": y, "ds": sd.grad}
    meta = {"op": "loss_kd_hard",
            "formula": "kl_div(log_softmax(z(s)), softmax(z(t)), batchmean) + 0.5 * cross_entropy(s, t.argmax(1)), z = zscore per row",
            "gout": "1", "teacher": "detached (no dt)"}
    return name, run, meta, {"s", "t"}


@case
def balanced_one_hot():
    name = "balanced_one_hot"
    seed(name)
    # 40 images, 10 classes, class 8 (Bag) favoured as the generator's batches favour it: 4 targets per class at most.
    x = torch.randn(40, 10) * 2
    x[:, 8] += 2.5

    def run(dtype):
        # --balanced-one-hot: greedily, the (row, class) pairs by decreasing log-softmax (ties: lower flat index), each
        # taken when its row has no target and its class has room; then the cross-entropy against those targets.
        xd = leaf(x, dtype)
        logp = F.log_softmax(xd.detach(), 1)
        n, k = logp.shape
        room, targets = [-(-n // k)] * k, [-1] * n
        for flat in sorted(range(n * k), key=lambda i: (-logp.flatten()[i].item(), i)):
            r, c = divmod(flat, k)
            if targets[r] < 0 and room[c] > 0:
                targets[r], room[c] = c, room[c] - 1
        y = F.cross_entropy(xd, torch.tensor(targets))
        y.backward()
        return {"x": x, "y": y, "dx": xd.grad, "targets": torch.tensor(targets, dtype=torch.float32),
                "argmax": x.argmax(1).to(torch.float32)}
    meta = {"op": "loss_balanced_one_hot",
            "formula": "cross_entropy(x, greedy balanced assignment by log_softmax, capacity ceil(N/K))",
            "gout": "1"}
    return name, run, meta, {"x"}


@case
def kd_hint():
    name = "kd_hint"
    seed(name)
    s, t = torch.randn(6, 10) * 2, torch.randn(6, 10) * 3
    fs, ft = torch.relu(torch.randn(6, 5)), torch.relu(torch.randn(6, 9))
    kept = [1, 2, 4, 7, 8]

    def run(dtype):
        # --kd-standardize --kd-hint 0.5: the z-scored KL plus 0.5 x the MSE between the student's features and the
        # teacher's at the kept units.
        sd, fd = leaf(s, dtype), leaf(fs, dtype)
        y = F.kl_div(F.log_softmax(zscore(sd), 1), F.softmax(zscore(t.to(dtype)), 1), reduction="batchmean") \
            + 0.5 * F.mse_loss(fd, ft.to(dtype)[:, kept])
        y.backward()
        return {"s": s, "t": t, "fs": fs, "ft": ft, "y": y, "ds": sd.grad, "dfs": fd.grad}
    meta = {"op": "loss_kd_hint",
            "formula": "kl_div(log_softmax(z(s)), softmax(z(t)), batchmean) + 0.5 * mse_loss(fs, ft[:, [1, 2, 4, 7, 8]]), z = zscore per row",
            "gout": "1", "teacher": "detached (no dt)"}
    return name, run, meta, {"s", "t", "fs", "ft"}


@case
def transpose():
    name = "transpose"
    seed(name)
    x, gout = torch.randn(3, 5), torch.randn(5, 3)

    def run(dtype):
        xd = leaf(x, dtype)
        y = xd.t()
        backward(y, gout)
        return {"x": x, "gout": gout, "y": y, "dx": xd.grad}
    meta = {"op": "transpose", "formula": "x.t()"}
    return name, run, meta, {"x", "gout"}


@case
def discrepancy():
    name = "discrepancy"
    seed(name)
    t, s = torch.randn(6, 10) * 2, torch.randn(6, 10) * 2

    def run(dtype):
        td, sd = leaf(t, dtype), leaf(s, dtype)
        y = (td - sd).abs().mean()
        y.backward()
        return {"t": t, "s": s, "y": y, "dt": td.grad, "ds": sd.grad}
    meta = {"op": "discrepancy", "formula": "mean(|t - s|) (DFAD's L1 between logits)", "gout": "1"}
    return name, run, meta, {"t", "s"}


@case
def discrepancy_zkl():
    name = "discrepancy_zkl"
    seed(name)
    t, s = torch.randn(6, 10) * 3, torch.randn(6, 10) * 2

    def run(dtype):
        td, sd = leaf(t, dtype), leaf(s, dtype)
        y = F.kl_div(F.log_softmax(zscore(sd), 1), F.log_softmax(zscore(td), 1), reduction="batchmean", log_target=True)
        y.backward()
        return {"t": t, "s": s, "y": y, "dt": td.grad, "ds": sd.grad}
    meta = {"op": "discrepancy_zkl",
            "formula": "kl_div(log_softmax(z(s),1), log_softmax(z(t),1), batchmean, log_target), z = zscore per row",
            "gout": "1", "teacher": "differentiable (dt)"}
    return name, run, meta, {"t", "s"}


@case
def discrepancy_kl():
    name = "discrepancy_kl"
    seed(name)
    t, s = torch.randn(6, 10) * 2, torch.randn(6, 10) * 2

    def run(dtype):
        td, sd = leaf(t, dtype), leaf(s, dtype)
        y = F.kl_div(F.log_softmax(sd, 1), F.log_softmax(td, 1), reduction="batchmean", log_target=True)
        y.backward()
        return {"t": t, "s": s, "y": y, "dt": td.grad, "ds": sd.grad}
    meta = {"op": "discrepancy_kl",
            "formula": "kl_div(log_softmax(s,1), log_softmax(t,1), batchmean, log_target) = KL(p_t || p_s) / B (ZSKT)",
            "gout": "1", "teacher": "differentiable (dt)"}
    return name, run, meta, {"t", "s"}


@case
def discrepancy_kl_sure():
    name = "discrepancy_kl_sure"
    seed(name)
    # Teacher logits of mixed sharpness, so that some rows are sure (top probability >= 0.8) and some are not.
    t, s = torch.randn(8, 10) * torch.tensor([0.5, 4, 1, 6, 0.3, 5, 2, 8]).view(8, 1), torch.randn(8, 10) * 2

    def run(dtype):
        # --adversarial-sure 0.8: each row's KL(p_t || p_s) counts when max p_t >= 0.8 (not differentiated); the sum
        # is divided by the whole batch.
        td, sd = leaf(t, dtype), leaf(s, dtype)
        sure = (F.softmax(td.detach(), 1).max(1).values >= 0.8).to(dtype)
        rows = (F.softmax(td, 1) * (F.log_softmax(td, 1) - F.log_softmax(sd, 1))).sum(1)
        y = (rows * sure).sum() / t.shape[0]
        y.backward()
        return {"t": t, "s": s, "y": y, "dt": td.grad, "ds": sd.grad, "sure": sure.float()}
    meta = {"op": "discrepancy_kl_sure",
            "formula": "sum_i [max softmax(t_i) >= 0.8] * KL(p_t_i || p_s_i) / B",
            "gout": "1", "teacher": "differentiable (dt); the row mask is not"}
    return name, run, meta, {"t", "s"}


@case
def feature_similarity():
    """The diversity term: mean cosine similarity of the teacher features over ordered pairs i != j."""
    name = "feature_similarity"
    seed(name)
    features = F.relu(torch.randn(6, 9)) + 0.01 * torch.rand(6, 9)  # post-ReLU-like, no all-zero row

    def run(dtype):
        f = leaf(features, dtype)
        n = f.shape[0]
        u = F.normalize(f, dim=1)
        sim = u @ u.t()
        y = (sim.sum() - sim.diagonal().sum()) / (n * (n - 1))
        y.backward()
        return {"features": features, "y": y, "dfeatures": f.grad}
    meta = {"op": "feature_similarity",
            "formula": "u = F.normalize(f, dim=1); (sum(u u^T) - trace(u u^T)) / (N (N - 1))", "gout": "1"}
    return name, run, meta, {"features"}


def _optim(name, make, meta):
    seed(name)
    p0 = torch.randn(7)
    gs = [torch.randn(7) for _ in range(3)]

    def run(dtype):
        p = torch.nn.Parameter(p0.to(dtype).clone())
        opt = make([p])
        out = {"p0": p0}
        for i, g in enumerate(gs, 1):
            out["g%d" % i] = g
            opt.zero_grad()
            p.grad = g.to(dtype).clone()
            opt.step()
            out["p%d" % i] = p.detach().clone()
        return out
    return name, run, meta, {"p0", "g1", "g2", "g3"}


@case
def adam():
    return _optim("adam", lambda ps: torch.optim.Adam(ps, lr=0.01, betas=(0.9, 0.999), eps=1e-8,
                                                       weight_decay=0.01),
                  {"op": "adam", "lr": "0.01", "beta1": "0.9", "beta2": "0.999", "eps": "1e-08",
                   "weight_decay": "0.01", "weight_decay_mode": "l2 (g += wd*p)", "amsgrad": "0"})


@case
def adam_nowd():
    return _optim("adam_nowd", lambda ps: torch.optim.Adam(ps, lr=0.2, betas=(0.9, 0.999), eps=1e-8,
                                                            weight_decay=0.0),
                  {"op": "adam", "lr": "0.2", "beta1": "0.9", "beta2": "0.999", "eps": "1e-08",
                   "weight_decay": "0", "amsgrad": "0"})


@case
def sgd():
    return _optim("sgd", lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=5e-4),
                  {"op": "sgd", "lr": "0.1", "momentum": "0.9", "dampening": "0", "nesterov": "0",
                   "weight_decay": "0.0005", "weight_decay_mode": "l2 (g += wd*p)"})


@case
def sgd_plain():
    return _optim("sgd_plain", lambda ps: torch.optim.SGD(ps, lr=0.1),
                  {"op": "sgd", "lr": "0.1", "momentum": "0", "dampening": "0", "nesterov": "0",
                   "weight_decay": "0"})


# ---------------------------------------------------------------------------
# Model-level cases
# ---------------------------------------------------------------------------

def _classifier_run(make, sd, x, glogits, gfeatures):
    """A classifier's training-mode forward and backward on shared weights: logits and features against
    glogits/gfeatures, the input's and every parameter's gradient, and running statistics after (if any)."""
    def run(dtype):
        m = make()
        m.load_state_dict(sd)
        m.to(dtype).train()
        xd = leaf(x, dtype)
        logits, feat = m(xd, out_feature=True)
        (logits * glogits.to(dtype)).sum().add((feat * gfeatures.to(dtype)).sum()).backward()
        out = dict(sd)
        out.update({"x": x, "logits": logits, "features": feat, "glogits": glogits, "gfeatures": gfeatures, "dx": xd.grad})
        for k, p in m.named_parameters():
            out["grad." + k] = p.grad
        for k, v in m.state_dict().items():
            if k.endswith("running_mean") or k.endswith("running_var"):
                out["after." + k] = v
        return out
    return run


def _lenet(name, half):
    seed(name)
    model = D.LeNet5(half=half)
    sd = {k: v.detach().clone() for k, v in model.state_dict().items()}
    x = torch.randn(4, 1, 32, 32)
    nfeat = 60 if half else 120
    glogits, gfeatures = torch.randn(4, 10), torch.randn(4, nfeat)
    run = _classifier_run(lambda: D.LeNet5(half=half), sd, x, glogits, gfeatures)
    meta = {"arch": "lenet5-half" if half else "lenet5", "num_classes": "10", "input_size": "32",
            "batch": "4", "init": "torch default (seeded)",
            "loss": "sum(logits*glogits) + sum(features*gfeatures)",
            "features": "relu(conv3) flattened, (B,%d)" % nfeat}
    return name, run, meta, set(sd) | {"x", "glogits", "gfeatures"}


@case
def lenet5():
    return _lenet("lenet5", False)


@case
def lenet5_half():
    return _lenet("lenet5_half", True)


def _resnet(name, depth, width):
    """ResNet-18/34 at a small width, training mode: logits and the pooled feature against
    glogits/gfeatures, gradients of every parameter and the input, running statistics after."""
    seed(name)
    make = D.resnet18 if depth == 18 else D.resnet34
    model = make(10, width)
    with torch.no_grad():
        for mod in model.modules():
            if isinstance(mod, torch.nn.BatchNorm2d):
                mod.weight.copy_(1.0 + 0.3 * torch.randn_like(mod.weight))
                mod.bias.copy_(0.2 * torch.randn_like(mod.bias))
    sd = {k: v.detach().clone() for k, v in model.state_dict().items()}
    x = torch.randn(2, 3, 32, 32)
    glogits, gfeatures = torch.randn(2, 10), torch.randn(2, 8 * width)
    run = _classifier_run(lambda: make(10, width), sd, x, glogits, gfeatures)
    meta = {"arch": "resnet%d" % depth, "width": str(width), "num_classes": "10", "input_size": "32", "batch": "2",
            "init": "torch default (seeded); BN affine randomised", "loss": "sum(logits*glogits) + sum(features*gfeatures)",
            "features": "avg_pool2d(layer4, 4) flattened, (B,%d)" % (8 * width)}
    return name, run, meta, set(sd) | {"x", "glogits", "gfeatures"}


@case
def resnet18_w4():
    return _resnet("resnet18_w4", 18, 4)


@case
def resnet34_w2():
    return _resnet("resnet34_w2", 34, 2)


@case
def generator():
    name = "generator"
    seed(name)
    latent, width, channels = 100, 16, 1
    g = D.Generator(latent=latent, width=width, channels=channels, img_size=32)
    with torch.no_grad():
        for mod in g.modules():
            if isinstance(mod, torch.nn.BatchNorm2d) and mod.affine:
                mod.weight.copy_(1.0 + 0.3 * torch.randn_like(mod.weight))
                mod.bias.copy_(0.2 * torch.randn_like(mod.bias))
    sd = {k: v.detach().clone() for k, v in g.state_dict().items()}
    z = torch.randn(4, latent)
    gimg = torch.randn(4, channels, 32, 32)

    def run(dtype):
        m = D.Generator(latent=latent, width=width, channels=channels, img_size=32)
        m.load_state_dict(sd)
        m.to(dtype).train()
        zd = leaf(z, dtype)
        img = m(zd)
        backward(img, gimg)
        out = dict(sd)
        out.update({"z": z, "img": img, "gimg": gimg, "dz": zd.grad})
        for k, p in m.named_parameters():
            out["grad." + k] = p.grad
        for k, v in m.state_dict().items():
            if k.endswith("running_mean") or k.endswith("running_var"):
                out["after." + k] = v
        return out
    bn_eps = ",".join("%s=%r" % (k, mod.eps) for k, mod in g.named_modules()
                      if isinstance(mod, torch.nn.BatchNorm2d))
    meta = {"arch": "generator", "latent": str(latent), "width": str(width),
            "channels": str(channels), "img_size": "32", "batch": "4", "training": "1",
            "bn_eps": bn_eps, "momentum": "0.1", "slope": "0.2", "upsample": "nearest x2",
            "init": "torch default (seeded), BN affine weight=1+0.3*randn, bias=0.2*randn",
            "buffers": "<key> = state before the forward; after.<key> = running stats after it",
            "loss": "sum(img*gimg)"}
    return name, run, meta, set(sd) | {"z", "gimg"}


# ---------------------------------------------------------------------------
# Trainer-level cases (Tests/DAFLTrainerTests/Fixtures). These store what
# PyTorch computes in float32 (not a float64 reference): the point is to match
# PyTorch's float32 training behaviour. Each case returns (name, tensors, meta).
# ---------------------------------------------------------------------------

TRAINER_OUT_DIR = os.path.join("Tests", "DAFLTrainerTests", "Fixtures")
TRAINER_CASES = []


def trainer_case(fn):
    TRAINER_CASES.append(fn)
    return fn


def dafl_iterations(init_t, init_s, init_g, zs, dtype, cfg):
    """Run len(zs) iterations of the DAFL reference loop in `dtype`.

    Returns (losses, student, generator): losses = list of (oh, a, ie, kd)
    per iteration, and the trained modules."""
    G = D.Generator(latent=cfg["latent"], width=cfg["width"], channels=1, img_size=32)
    T = D.LeNet5()
    S = D.LeNet5(half=True)
    for m, sd in ((T, init_t), (S, init_s), (G, init_g)):
        m.load_state_dict(sd)
        m.to(dtype)
    G.train()
    T.eval()
    for p in T.parameters():
        p.requires_grad_(False)
    S.train()
    opt_g = torch.optim.Adam(G.parameters(), lr=cfg["lr_g"])
    opt_s = torch.optim.Adam(S.parameters(), lr=cfg["lr_s"])
    losses = []
    for z in zs:
        opt_g.zero_grad()
        opt_s.zero_grad()
        x = G(z.to(dtype))
        logits_t, f_t = T(x, out_feature=True)
        l_oh = D.loss_oh(logits_t)
        l_a = D.loss_a(f_t)
        l_ie = D.loss_ie(logits_t)
        l_kd = D.loss_kd(S(x.detach()), logits_t.detach())
        loss = cfg["oh"] * l_oh + cfg["beta"] * l_ie + cfg["alpha"] * l_a + l_kd
        loss.backward()
        opt_g.step()
        opt_s.step()
        losses.append(tuple(v.detach().clone() for v in (l_oh, l_a, l_ie, l_kd)))
    return losses, S, G


def _final_state(S, G):
    out = {}
    for prefix, m in (("final.student.", S), ("final.generator.", G)):
        for k, p in m.named_parameters():
            out[prefix + k] = p.detach().clone()
        for k, b in m.named_buffers():
            if k.endswith("running_mean") or k.endswith("running_var"):
                out[prefix + k] = b.detach().clone()
    return out


# Tensors whose float32 value after the run is not determined by the maths
# (see the README / case docstring): conv biases feeding a training-mode BN,
# and that BN's running_mean (it accumulates 0.1 * batch mean, bias included).
DAFL_ILL_CONDITIONED = ("final.generator.conv_blocks1.0.bias",
                        "final.generator.conv_blocks1.1.running_mean",
                        "final.generator.conv_blocks2.0.bias",
                        "final.generator.conv_blocks2.1.running_mean")


@trainer_case
def dafl_three_iterations():
    """Three iterations of the DAFL loop (batch 8, latent 16, width 16).

    Conv biases right before a training-mode BatchNorm have a true gradient of
    0; in float32 their gradient is rounding noise (~1e-6..1e-5) and Adam's
    normalised step m/sqrt(v) turns it into an O(lr) move in a noise-defined
    direction, so the stored final values of those biases are not reproducible
    by any other implementation (they do not affect G's output at all). The
    running_mean of the BN right after each such bias inherits the noise
    (momentum 0.1 times the batch mean, which contains the bias)."""
    name = "dafl_three_iterations"
    seed(name)
    cfg = {"batch": 8, "latent": 16, "width": 16, "lr_g": 0.2, "lr_s": 0.002,
           "oh": 1.0, "beta": 5.0, "alpha": 0.1, "iterations": 3}
    T = D.LeNet5()
    S = D.LeNet5(half=True)
    G = D.Generator(latent=cfg["latent"], width=cfg["width"], channels=1, img_size=32)
    with torch.no_grad():
        for mod in G.modules():
            if isinstance(mod, torch.nn.BatchNorm2d) and mod.affine:
                mod.weight.copy_(1.0 + 0.3 * torch.randn_like(mod.weight))
                mod.bias.copy_(0.2 * torch.randn_like(mod.bias))
    init_t, init_s, init_g = ({k: v.detach().clone() for k, v in m.state_dict().items()}
                              for m in (T, S, G))
    zs = [torch.randn(cfg["batch"], cfg["latent"]) for _ in range(cfg["iterations"])]

    losses, S32, G32 = dafl_iterations(init_t, init_s, init_g, zs, torch.float32, cfg)
    tensors = {}
    for prefix, sd in (("teacher.", init_t), ("student.", init_s), ("generator.", init_g)):
        tensors.update({prefix + k: v for k, v in sd.items()})
    for i, z in enumerate(zs, 1):
        tensors["z%d" % i] = z
    for i, ls in enumerate(losses, 1):
        for key, v in zip(("oh", "a", "ie", "kd"), ls):
            tensors["%s_%d" % (key, i)] = v.reshape(())
    final32 = _final_state(S32, G32)
    tensors.update(final32)
    tensors = {k: to_store(v) for k, v in tensors.items()}

    # Sensitivity: the same run in float64 from the same float32 initial state.
    _, S64, G64 = dafl_iterations(init_t, init_s, init_g, zs, torch.float64, cfg)
    final64 = _final_state(S64, G64)
    sens = {}
    for k, a in final64.items():
        d = (final32[k].double() - a).abs().max().item()
        sens[k] = d / max(1.0, a.abs().max().item())
    well = max(v for k, v in sens.items() if k not in DAFL_ILL_CONDITIONED)

    meta = {k: (repr(v) if isinstance(v, float) else str(v)) for k, v in cfg.items()}
    meta.update({"lr_g": "0.2", "lr_s": "0.002", "oh": "1", "beta": "5", "alpha": "0.1"})
    meta.update({
        "fixture": name, "generator": "scripts/make_fixtures.py",
        "torch_version": torch.__version__, "compute_dtype": "float32 (torch values, not a reference)",
        "f64_maxrel": "%.3g" % well,
        "f64_maxrel_note": "max over final.* tensors except ill_conditioned of "
                           "max|f32 - f64 run| / max(1, max|f64|)",
        "ill_conditioned": ",".join(DAFL_ILL_CONDITIONED),
    })
    return name, tensors, meta, sens


# ---------------------------------------------------------------------------

def to_store(v):
    if isinstance(v, torch.Tensor):
        v = v.detach()
        if v.is_floating_point():
            return v.to(torch.float32).contiguous()
        return v.to(torch.int64).contiguous()
    raise TypeError(type(v))


def build(fn):
    name, run, meta, inputs = fn()
    ref = run(REF)
    f32 = run(torch.float32)
    maxdiff, maxrel = 0.0, 0.0
    for k, v in ref.items():
        if k in inputs or not v.is_floating_point():
            continue
        a, b = v.detach().double(), f32[k].detach().double()
        d = (a - b).abs()
        maxdiff = max(maxdiff, d.max().item())
        maxrel = max(maxrel, d.max().item() / max(1.0, a.abs().max().item()))
    tensors = {k: to_store(v) for k, v in ref.items()}
    meta = dict(meta)
    meta.update({"fixture": name, "reference_dtype": "float64", "torch_version": torch.__version__,
                 "torch_f32_maxdiff": "%.3g" % maxdiff, "torch_f32_maxrel": "%.3g" % maxrel,
                 "generator": "scripts/make_fixtures.py"})
    return name, tensors, meta


def _manifest_header(title, cmd, lines):
    return ["# " + title, "", "Generated by `%s` (do not edit by hand)." % cmd] + lines + [""]


def _manifest_entry(name, size, tensors, meta):
    mdesc = ", ".join("`%s` %s%s" % (k, list(t.shape), "" if t.dtype == torch.float32 else " I64")
                      for k, t in sorted(tensors.items()))
    return ["## %s (%d bytes)" % (name, size), "",
            "- metadata: " + ", ".join("%s=%s" % kv for kv in sorted(meta.items())
                                     if kv[0] not in ("torch_version", "generator")),
            "- tensors: " + mdesc, ""]


def _save_checked(path, name, tensors, meta):
    D.save_safetensors(path, tensors, meta)
    # verify the file loads with the official reader and round-trips exactly
    back, bmeta = D.load_safetensors(path)
    assert set(back) == set(tensors) and bmeta == dict(sorted(meta.items()))
    for k in tensors:
        assert back[k].dtype == tensors[k].dtype and torch.equal(back[k], tensors[k]), (name, k)
    return os.path.getsize(path)


def _case_name(fn):
    return {"abs_": "abs", "sum_": "sum"}.get(fn.__name__, fn.__name__)


def main(argv=None):
    import argparse
    ap = argparse.ArgumentParser(description="Generate the Swift test fixtures.")
    ap.add_argument("--only", default=None,
                    help="comma-separated fixture names to generate (default: all)")
    ap.add_argument("--list", action="store_true", help="list fixture names and exit")
    args = ap.parse_args(argv)
    all_names = [_case_name(fn) for fn in CASES] + [_case_name(fn) for fn in TRAINER_CASES]
    if args.list:
        print("\n".join(all_names))
        return
    only = None
    if args.only:
        only = {n.strip() for n in args.only.split(",") if n.strip()}
        unknown = only - set(all_names)
        if unknown:
            ap.error("unknown fixture(s): %s (see --list)" % ", ".join(sorted(unknown)))

    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    engine = [fn for fn in CASES if only is None or _case_name(fn) in only]
    trainer = [fn for fn in TRAINER_CASES if only is None or _case_name(fn) in only]
    if engine:
        _main_engine(engine, len(engine) == len(CASES))
    if trainer:
        _main_trainer(trainer, len(trainer) == len(TRAINER_CASES))


def _main_trainer(cases, write_readme):
    os.makedirs(TRAINER_OUT_DIR, exist_ok=True)
    keep = os.path.join(TRAINER_OUT_DIR, ".keep")
    if os.path.exists(keep):
        os.remove(keep)
    manifest = _manifest_header(
        "Trainer test fixtures", "/usr/bin/python3 scripts/make_fixtures.py", [
            "(or `--only <name>`). Conventions: see scripts/make_fixtures.py. These files store",
            "what PyTorch 1.13 computes in float32 (CPU, one thread), not a float64 reference.",
            "Shapes `[]` are scalars; dtype F32 unless marked I64.",
            "",
            "`dafl_three_iterations`: initial `teacher.*` (LeNet5, eval, frozen), `student.*`",
            "(LeNet5 half, train) and `generator.*` (Generator(latent 16, width 16, 1 channel),",
            "train; BN affine weight=1+0.3*randn, bias=0.2*randn) state_dicts, latents `z1..z3`,",
            "the loss terms `oh_i, a_i, ie_i, kd_i` of iteration i, and after the 3rd iteration",
            "`final.student.*` / `final.generator.*` (parameters + BN running stats). Loop:",
            "x=G(z); (logits_T,f_T)=T(x); loss = oh*CE(logits_T,argmax) + beta*IE + alpha*(-mean|f_T|)",
            "+ KD(S(x.detach()), logits_T.detach()); backward; Adam(G, lr_g).step; Adam(S, lr_s).step.",
            "`f64_maxrel` = max over final tensors of |f32 - f64 run| / max(1, max|f64|), excluding",
            "`ill_conditioned`: the generator conv biases feeding a training-mode BN have true",
            "gradient 0, so Adam's normalised step follows float32 rounding noise, and the",
            "running_mean of the BN right after each of them (it averages in the bias); do not",
            "compare those four tensors (they do not affect any output or loss).",
        ])
    total = 0
    print("%-24s %8s  %s" % ("fixture", "bytes", "tensors"))
    for fn in cases:
        name, tensors, meta, sens = fn()
        path = os.path.join(TRAINER_OUT_DIR, name + ".safetensors")
        size = _save_checked(path, name, tensors, meta)
        total += size
        print("%-24s %8d  %d tensors" % (name, size, len(tensors)))
        print("  float32 vs float64 run, max|diff| / max(1, max|f64|) per final tensor:")
        for k in sorted(sens):
            print("    %-48s %.3g" % (k, sens[k]))
        manifest += _manifest_entry(name, size, tensors, meta)
    if write_readme:
        with open(os.path.join(TRAINER_OUT_DIR, "README.md"), "w") as fh:
            fh.write("\n".join(manifest))
    print("%d fixtures, %d bytes total, in %s" % (len(cases), total, TRAINER_OUT_DIR))


def _main_engine(cases, write_readme):
    os.makedirs(OUT_DIR, exist_ok=True)
    total = 0
    manifest = ["# Test fixtures", "",
                "Generated by `/usr/bin/python3 scripts/make_fixtures.py` (do not edit by hand).",
                "Conventions: see the docstring of scripts/make_fixtures.py. Shapes `[]` are scalars;",
                "dtype F32 unless marked I64. References computed in float64 from the stored float32",
                "inputs; `torch_f32_maxdiff` = max |torch float32 - reference| over outputs/gradients,",
                "`torch_f32_maxrel` = max over tensors of maxdiff / max(1, max|reference|).", ""]
    print("%-24s %8s  %s" % ("fixture", "bytes", "tensors"))
    for fn in cases:
        name, tensors, meta = build(fn)
        path = os.path.join(OUT_DIR, name + ".safetensors")
        size = _save_checked(path, name, tensors, meta)
        total += size
        desc = ", ".join("%s%s%s" % (k, list(t.shape), "" if t.dtype == torch.float32 else ":I64")
                         for k, t in sorted(tensors.items()))
        print("%-24s %8d  %s" % (name, size, desc))
        manifest += _manifest_entry(name, size, tensors, meta)
    if write_readme:
        with open(os.path.join(OUT_DIR, "README.md"), "w") as fh:
            fh.write("\n".join(manifest))
    print("%d fixtures, %d bytes total, in %s" % (len(cases), total, OUT_DIR))


if __name__ == "__main__":
    main()
