#!/usr/bin/python3
"""How much a student learns from procedural pictures, against a run's replay memory (a screen; measures only).

    /usr/bin/python3 scripts/procedural_proxy.py --checkpoint RUN/checkpoint-00001000.safetensors --procedural 0.5

Trains a LeNet-5-half from the teacher pruned to half width (as `dafl distill --student-init teacher`) for --steps
Adam steps at batch 256, cosine rate from 2e-3, as `scripts/replay_proxy.py` does: each batch is shifted (±2 px),
mirrored and mixed, then labelled by the teacher (KL of the softmaxes). A share --procedural of each batch is
procedural pictures (drawn once, --count of them), the rest the run's replay memory; --procedural 1 uses no
generated image at all. The test split only measures.

A procedural picture is `dafl distill --procedural`'s (`Sources/DAFLTrainer/ProceduralImages.swift`): a 6 × 6
grid of normal draws resized bilinearly to 32 × 32, plus −2·(a·x² + b·y²) + c with a ~ U(0.5, 3), b ~ U(0.2, 1.5),
c ~ U(0.5, 2) over x, y in [−1, 1], cut at zero; inside, a grey level ~ U(0.2, 1) plus 0.15 × a 16 × 16 grid of
normal draws resized, clamped to [0, 1]; outside, black. --symmetric mirrors the coarse grid's left half
(left-right symmetric shapes); --interp bicubic resizes the grids bicubically.
"""

import argparse
import importlib.util
import math
import os
import sys

import torch
import torch.nn.functional as F
from safetensors import safe_open
from safetensors.torch import load_file

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import dafl_torch as D  # noqa: E402

spec = importlib.util.spec_from_file_location("replay_proxy", os.path.join(HERE, "replay_proxy.py"))
RP = importlib.util.module_from_spec(spec)
spec.loader.exec_module(RP)


def procedural(n, interp="bilinear", symmetric=False):
    """n procedural pictures, 1×32×32, normalised as the teacher's inputs."""
    if symmetric:
        half = F.interpolate(torch.randn(n, 1, 6, 3), size=(32, 16), mode=interp, align_corners=False)
        g = torch.cat([half, half.flip(3)], 3)
    else:
        g = F.interpolate(torch.randn(n, 1, 6, 6), size=(32, 32), mode=interp, align_corners=False)
    yy, xx = torch.meshgrid(torch.linspace(-1, 1, 32), torch.linspace(-1, 1, 32), indexing="ij")
    a = torch.empty(n, 1, 1, 1).uniform_(0.5, 3)
    b = torch.empty(n, 1, 1, 1).uniform_(0.2, 1.5)
    c = torch.empty(n, 1, 1, 1).uniform_(0.5, 2.0)
    mask = (g - 2 * (a * xx ** 2 + b * yy ** 2) + c > 0).float()
    level = torch.empty(n, 1, 1, 1).uniform_(0.2, 1.0)
    texture = level + 0.15 * F.interpolate(torch.randn(n, 1, 16, 16), size=(32, 32), mode="bilinear", align_corners=False)
    return (mask * texture.clamp(0, 1) - D.FASHION_MEAN) / D.FASHION_STD


def screen(teacher, extra, memory, share, steps):
    """The screen's student: a LeNet-5-half from the teacher pruned to half width, `steps` Adam steps at batch 256 (cosine
    from 2e-3), each batch a share `share` of `extra` and the rest `memory`, shifted, mirrored and mixed, labelled by the
    teacher (KL of the softmaxes). Returns its test accuracy (measured only)."""
    state = teacher.state_dict()
    student = D.LeNet5(half=True)
    student.load_state_dict(RP.pruned_state(state, RP.kept_units(state, "in")))
    opt = torch.optim.Adam(student.parameters(), lr=2e-3)
    x_test, y_test = D.load_fashion(D.FASHION_DIR, "test", D.FASHION_MEAN, D.FASHION_STD)
    k = int(round(256 * share))
    for step in range(steps):
        x = torch.cat([extra[torch.randint(0, len(extra), (k,))], memory[torch.randint(0, len(memory), (256 - k,))]])
        dx, dy = torch.randint(-2, 3, (2,))
        x = torch.roll(x, (int(dy), int(dx)), (2, 3))
        flip = torch.rand(256) < 0.5
        x[flip] = x[flip].flip(3)
        lam = torch.rand(256, 1, 1, 1)
        x = lam * x + (1 - lam) * x[torch.randperm(256)]
        with torch.no_grad():
            target = teacher(x)
        loss = F.kl_div(F.log_softmax(student(x), 1), F.softmax(target, 1), reduction="batchmean")
        opt.zero_grad()
        loss.backward()
        opt.step()
        for g in opt.param_groups:
            g["lr"] = 2e-3 * 0.5 * (1 + math.cos(math.pi * (step + 1) / steps))
    with torch.no_grad():
        return (student(x_test).argmax(1) == y_test).float().mean().item() * 100


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--checkpoint", required=True, help="a dafl distill checkpoint holding a replay memory")
    ap.add_argument("--teacher", default=os.path.join(HERE, "..", "models", "teacher-fashion-lenet5.safetensors"))
    ap.add_argument("--procedural", type=float, default=0.5, help="share of each batch that is procedural (0…1)")
    ap.add_argument("--count", type=int, default=32768, help="procedural pictures drawn")
    ap.add_argument("--symmetric", action="store_true")
    ap.add_argument("--interp", choices=["bilinear", "bicubic"], default="bilinear")
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)

    teacher = D.LeNet5()
    teacher.load_state_dict(load_file(a.teacher))
    teacher.eval()
    shapes = procedural(a.count, a.interp, a.symmetric)
    with torch.no_grad():
        classes = teacher(shapes).argmax(1)
    print("teacher's classes on the procedural pictures (%):", [round((classes == k).float().mean().item() * 100, 1) for k in range(10)])
    with safe_open(a.checkpoint, "pt") as f:
        memory = torch.cat([f.get_tensor(k) for k in f.keys() if k.startswith("replay.images.")]).view(-1, 1, 32, 32)
    acc = screen(teacher, shapes, memory, a.procedural, a.steps)
    print("procedural share %.2f: test accuracy %.2f %%" % (a.procedural, acc))


if __name__ == "__main__":
    main()
