"""Shared PyTorch reference definitions for the dafl project.

This module is the Python side of the Swift engine's reference: the networks,
the DAFL loss terms, the Fashion-MNIST loader and the safetensors helpers used
by make_fixtures.py, bench_torch.py, teacher_torch.py and eval_torch.py.

Run with Debian's Python (`/usr/bin/python3`, torch 1.13 CPU, safetensors).

Module attribute names follow the DAFL reference implementation
(github.com/huawei-noah/Data-Efficient-Model-Compression, DAFL/), so that
state_dict keys (`conv1.weight`, `l1.0.weight`, `conv_blocks1.1.running_mean`,
...) are the names used in checkpoints and fixtures.
"""

import gzip
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

__all__ = [
    "LeNet5", "Generator",
    "loss_oh", "loss_a", "loss_ie", "loss_kd",
    "load_idx", "load_fashion", "preprocess",
    "save_safetensors", "load_safetensors",
    "FASHION_DIR", "FASHION_MEAN", "FASHION_STD",
]

FASHION_DIR = "/usr/share/datasets/fashion-mnist"
FASHION_MEAN = 0.2860
FASHION_STD = 0.3530
# The teacher the repository ships (models/), the default of the scripts that measure students against it.
SHIPPED_TEACHER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models", "teacher-fashion-lenet5.safetensors")


# ---------------------------------------------------------------------------
# Networks
# ---------------------------------------------------------------------------

class LeNet5(nn.Module):
    """LeNet-5 for 1x32x32 inputs (61,706 parameters; half: 15,738).

    conv1 Conv2d(1,c1,5) -> ReLU -> MaxPool2d(2) -> conv2 Conv2d(c1,c2,5) -> ReLU
    -> MaxPool2d(2) -> conv3 Conv2d(c2,c3,5) -> ReLU -> feature (B,c3)
    -> fc1 Linear(c3,f) -> ReLU -> fc2 Linear(f,10)
    with (c1,c2,c3,f) = (6,16,120,84), or (3,8,60,42) when half=True.
    """

    def __init__(self, half=False, num_classes=10):
        super().__init__()
        c1, c2, c3, f = (3, 8, 60, 42) if half else (6, 16, 120, 84)
        self.half = half
        self.conv1 = nn.Conv2d(1, c1, 5)
        self.conv2 = nn.Conv2d(c1, c2, 5)
        self.conv3 = nn.Conv2d(c2, c3, 5)
        self.fc1 = nn.Linear(c3, f)
        self.fc2 = nn.Linear(f, num_classes)

    def forward(self, x, out_feature=False):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        feature = F.relu(self.conv3(x)).view(x.shape[0], -1)
        logits = self.fc2(F.relu(self.fc1(feature)))
        if out_feature:
            return logits, feature
        return logits


class Generator(nn.Module):
    """DAFL generator (width=128 is exactly the reference generator).

    l1 Linear(latent, width*8*8) -> view (B,width,8,8) -> BatchNorm2d(width)
    -> nearest x2 -> Conv2d(width,width,3,1,1) -> BatchNorm2d(width, eps=0.8) -> LeakyReLU(0.2)
    -> nearest x2 -> Conv2d(width,width//2,3,1,1) -> BatchNorm2d(width//2, eps=0.8) -> LeakyReLU(0.2)
    -> Conv2d(width//2,channels,3,1,1) -> Tanh -> BatchNorm2d(channels, affine=False)

    Note the reference quirk: `nn.BatchNorm2d(w, 0.8)` passes 0.8 as *eps*.
    The generator is always used in train mode (batch statistics).
    """

    def __init__(self, latent=100, width=128, channels=1, img_size=32):
        super().__init__()
        assert img_size % 4 == 0
        self.latent = latent
        self.width = width
        self.channels = channels
        self.init_size = img_size // 4
        s = self.init_size
        self.l1 = nn.Sequential(nn.Linear(latent, width * s * s))
        self.conv_blocks0 = nn.Sequential(nn.BatchNorm2d(width))
        self.conv_blocks1 = nn.Sequential(
            nn.Conv2d(width, width, 3, stride=1, padding=1),
            nn.BatchNorm2d(width, 0.8),
            nn.LeakyReLU(0.2),
        )
        self.conv_blocks2 = nn.Sequential(
            nn.Conv2d(width, width // 2, 3, stride=1, padding=1),
            nn.BatchNorm2d(width // 2, 0.8),
            nn.LeakyReLU(0.2),
            nn.Conv2d(width // 2, channels, 3, stride=1, padding=1),
            nn.Tanh(),
            nn.BatchNorm2d(channels, affine=False),
        )

    def forward(self, z):
        out = self.l1(z)
        img = out.view(out.shape[0], self.width, self.init_size, self.init_size)
        img = self.conv_blocks0(img)
        img = F.interpolate(img, scale_factor=2)  # nearest
        img = self.conv_blocks1(img)
        img = F.interpolate(img, scale_factor=2)  # nearest
        img = self.conv_blocks2(img)
        return img


# ---------------------------------------------------------------------------
# DAFL loss terms
# ---------------------------------------------------------------------------

class BasicBlock(nn.Module):
    """CIFAR ResNet basic block: 3x3 conv (stride s) - BN - ReLU - 3x3 conv - BN, plus the shortcut
    (identity, or 1x1 conv stride s - BN when the shape changes), then ReLU. No conv has a bias."""
    expansion = 1

    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != planes:
            self.shortcut = nn.Sequential(nn.Conv2d(in_planes, planes, 1, stride=stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNet(nn.Module):
    """The CIFAR ResNet of the DAFL reference (kuangliu style): 3x3 stem, no max-pool, four stages of
    basic blocks at widths w, 2w, 4w, 8w (w = 64: the 512-d feature), average pool 4, linear.
    blocks [2,2,2,2] is ResNet-18, [3,4,6,3] ResNet-34; `width` below 64 makes small test models."""

    def __init__(self, blocks, num_classes=10, width=64, in_channels=3):
        super().__init__()
        self.in_planes = width
        self.conv1 = nn.Conv2d(in_channels, width, 3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.layer1 = self._make_layer(width, blocks[0], 1)
        self.layer2 = self._make_layer(2 * width, blocks[1], 2)
        self.layer3 = self._make_layer(4 * width, blocks[2], 2)
        self.layer4 = self._make_layer(8 * width, blocks[3], 2)
        self.linear = nn.Linear(8 * width, num_classes)

    def _make_layer(self, planes, n, stride):
        layers = []
        for s in [stride] + [1] * (n - 1):
            layers.append(BasicBlock(self.in_planes, planes, s))
            self.in_planes = planes
        return nn.Sequential(*layers)

    def forward(self, x, out_feature=False):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer4(self.layer3(self.layer2(self.layer1(out))))
        feature = F.avg_pool2d(out, 4).view(out.size(0), -1)
        logits = self.linear(feature)
        return (logits, feature) if out_feature else logits


def resnet18(num_classes=10, width=64):
    return ResNet([2, 2, 2, 2], num_classes, width)


def resnet34(num_classes=10, width=64):
    return ResNet([3, 4, 6, 3], num_classes, width)


def loss_oh(logits):
    """One-hot loss: cross entropy against the logits' own argmax (batch mean)."""
    return F.cross_entropy(logits, logits.argmax(1))


def loss_a(features):
    """Activation loss: -mean(|f|) over batch and feature dims."""
    return -features.abs().mean()


def loss_ie(logits):
    """Information entropy loss: p = batch-mean softmax; sum_k p_k log10 p_k."""
    p = F.softmax(logits, dim=1).mean(dim=0)
    return (p * torch.log10(p)).sum()


def loss_kd(student_logits, teacher_logits):
    """KL(softmax(t) || softmax(s)) summed over classes and batch, divided by B."""
    return F.kl_div(F.log_softmax(student_logits, dim=1),
                    F.softmax(teacher_logits, dim=1),
                    reduction="sum") / student_logits.shape[0]


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------

def load_idx(path):
    """Read an IDX file (gzip'd if it starts with the gzip magic, else raw).

    Supports magic 0x00000801 (uint8 labels, shape (N,)) and 0x00000803
    (uint8 images, shape (N,rows,cols)). Returns a numpy uint8 array.
    """
    with open(path, "rb") as fh:
        raw = fh.read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    magic, = struct.unpack(">I", raw[:4])
    if magic == 0x801:
        n, = struct.unpack(">I", raw[4:8])
        data = np.frombuffer(raw, dtype=np.uint8, count=n, offset=8)
        return data.copy()
    if magic == 0x803:
        n, rows, cols = struct.unpack(">III", raw[4:16])
        data = np.frombuffer(raw, dtype=np.uint8, count=n * rows * cols, offset=16)
        return data.reshape(n, rows, cols).copy()
    raise ValueError(f"{path}: unsupported IDX magic 0x{magic:08x}")


def _idx_path(directory, stem):
    for name in (stem + ".gz", stem):
        p = os.path.join(directory, name)
        if os.path.exists(p):
            return p
    raise FileNotFoundError(os.path.join(directory, stem + "[.gz]"))


def preprocess(images_u8, mean=FASHION_MEAN, std=FASHION_STD, size=32):
    """uint8 (N,28,28) -> float32 (N,1,size,size), exactly:

        x = float32(u8) / 255                        (float32 true division)
        x = F.interpolate(x, size=(size,size), mode='bilinear', align_corners=False)
        x = (x - mean) / std                         (float32; mean, std rounded to float32;
                                                      true division, not * 1/std)

    The Swift engine performs the same arithmetic.

    Bilinear details (no antialias, half-pixel centres), per axis with scale
    = in/out = 28/32 = 0.875:  src = max(0, (dst + 0.5) * 0.875 - 0.5);
    i0 = floor(src); i1 = min(i0 + 1, 27); l1 = src - i0; l0 = 1 - l1.
    All weights are exact multiples of 1/16 (row weights l0h*l0w etc. of 1/256).
    Verified on all 70,000 Fashion-MNIST images: torch 1.13's float32 result is
    bit-identical to  float32( sum_{a,b in {0,1}} lh_a * lw_b * x[ih_a, iw_b] )
    evaluated exactly (e.g. in Float64, which is exact here) and rounded ONCE
    to float32. Evaluating it in float32 with intermediate roundings differs
    in the last bit for ~15% of pixels.
    """
    x = torch.from_numpy(np.ascontiguousarray(images_u8)).to(torch.float32).div_(255.0)
    x = x.unsqueeze(1)
    if x.shape[-1] != size or x.shape[-2] != size:
        x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
    x = (x - mean) / std
    return x.contiguous()


def load_fashion(dir=FASHION_DIR, split="train", mean=FASHION_MEAN, std=FASHION_STD):
    """Load Fashion-MNIST (or any MNIST-layout IDX set) as (images, labels).

    split: "train" (train-*-ubyte[.gz]) or "test" (t10k-*-ubyte[.gz]).
    images: float32 tensor (N,1,32,32); labels: int64 tensor (N,).
    Preprocessing (must match the Swift side bit-for-bit in spirit):
    uint8 28x28 -> float32 / 255 -> F.interpolate(size=(32,32), mode='bilinear',
    align_corners=False) (no antialias) -> (x - mean) / std.
    """
    prefix = {"train": "train", "test": "t10k", "t10k": "t10k"}[split]
    imgs = load_idx(_idx_path(dir, f"{prefix}-images-idx3-ubyte"))
    labels = load_idx(_idx_path(dir, f"{prefix}-labels-idx1-ubyte"))
    assert imgs.shape[0] == labels.shape[0]
    x = preprocess(imgs, mean=mean, std=std)
    y = torch.from_numpy(labels.astype(np.int64))
    return x, y


# ---------------------------------------------------------------------------
# safetensors
# ---------------------------------------------------------------------------

_ST_DTYPES = {
    torch.float32: "F32", torch.float64: "F64", torch.float16: "F16", torch.bfloat16: "BF16",
    torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8",
    torch.uint8: "U8", torch.bool: "BOOL",
}


def save_safetensors(path, tensors, metadata=None, deterministic=True):
    """Save a dict of tensors (detached, CPU, contiguous) with string metadata.

    deterministic=True (default) writes the safetensors layout directly so that
    the bytes are reproducible: the Rust writer behind safetensors.torch.save_file
    emits `__metadata__` keys in random (HashMap) order, so two identical saves
    differ. Layout written here, as the format specifies: u64 LE header length N,
    N bytes of JSON ({"__metadata__": {sorted}, name: {dtype, shape, data_offsets}}),
    padded with spaces to a multiple of 8, then the raw little-endian row-major
    data; tensors ordered by descending element size, then name (as safetensors
    does), so every tensor is aligned to its element size. 0-dim tensors have
    shape []. Files load with safetensors.torch.load_file.
    deterministic=False uses safetensors.torch.save_file.
    """
    import json
    clean = {str(k): v.detach().cpu().contiguous() for k, v in tensors.items()}
    meta = None if metadata is None else {str(k): str(v) for k, v in metadata.items()}
    d = os.path.dirname(path)
    if d:
        os.makedirs(d, exist_ok=True)
    if not deterministic:
        from safetensors.torch import save_file
        save_file(clean, path, metadata=meta)
        return
    if sys.byteorder != "little":
        raise RuntimeError("little-endian host required")
    names = sorted(clean, key=lambda k: (-clean[k].element_size(), k))
    header = {}
    if meta:
        header["__metadata__"] = dict(sorted(meta.items()))
    blobs, off = [], 0
    for k in names:
        t = clean[k]
        if t.dtype not in _ST_DTYPES:
            raise TypeError(f"{k}: unsupported dtype {t.dtype}")
        b = t.numpy().tobytes() if t.dtype != torch.bfloat16 else t.view(torch.int16).numpy().tobytes()
        header[k] = {"dtype": _ST_DTYPES[t.dtype], "shape": list(t.shape),
                     "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    hb = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hb += b" " * ((-len(hb)) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as fh:
        fh.write(struct.pack("<Q", len(hb)))
        fh.write(hb)
        for b in blobs:
            fh.write(b)
    os.replace(tmp, path)


def load_safetensors(path):
    """Return (dict of tensors, metadata dict) from a safetensors file."""
    from safetensors import safe_open
    from safetensors.torch import load_file
    tensors = load_file(path)
    with safe_open(path, framework="pt") as fh:
        meta = fh.metadata() or {}
    return tensors, dict(sorted(meta.items()))


def load_lenet5(path, half=False):
    """A LeNet-5 (half: LeNet-5-half) with the weights of a safetensors file, in eval mode."""
    model = LeNet5(half=half)
    model.load_state_dict(load_safetensors(path)[0])
    return model.eval()


def param_count(model):
    return sum(p.numel() for p in model.parameters())


if __name__ == "__main__":
    t, s, g = LeNet5(), LeNet5(half=True), Generator()
    print("LeNet5", param_count(t), "LeNet5-half", param_count(s), "Generator", param_count(g))
