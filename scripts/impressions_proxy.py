#!/usr/bin/python3
"""How much a student learns from class impressions, beside or instead of a run's replay memory (a screen; measures only).

    /usr/bin/python3 scripts/impressions_proxy.py --checkpoint RUN/checkpoint-00001000.safetensors --share 0.25

A class impression is `dafl distill --impressions`'s (`Sources/DAFLTrainer/ClassImpressions.swift`): a procedural picture
(`scripts/procedural_proxy.py`: one smooth shape with grey levels on black) walked --walk signed-gradient steps of --eps
down the teacher's cross-entropy for a class, the classes in turn (image i toward class i mod 10), pixels held between
black and white after each step. --count of them are built once; --source memory walks images of the run's memory
instead of procedural pictures, --mask walks only the pixels inside each procedural shape (its background stays black), and
--symmetric starts from shapes mirrored left to right.

The student is the seventh session's screen (`scripts/replay_proxy.py`): a LeNet-5-half from the teacher pruned to half width,
--steps Adam steps at batch 256, cosine rate from 2e-3; each batch is a share --share of impressions and the rest the
run's memory, shifted (±2 px, wrapped), mirrored and mixed, then labelled by the teacher (KL of the softmaxes).
--share 1 uses no generated image at all; --walk 0 uses the procedural pictures as drawn. The test split only measures.
"""
import argparse
import os
import sys

import torch
import torch.nn.functional as F
from safetensors import safe_open

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import dafl_torch as D  # noqa: E402
import procedural_proxy as PP  # noqa: E402

RP = PP.RP


def impressions(teacher, start, walk, eps, black, white, mask=False, clamp=True):
    """Walks `start` toward class i mod 10 (image i), `walk` steps of `eps`; returns the images and their targets."""
    bank, targets = start.clone(), torch.arange(len(start)) % 10
    for i in range(0, len(bank), 512):
        x, t = bank[i:i + 512].clone(), targets[i:i + 512]
        inside = (x > black + 1e-6).float() if mask else 1.0
        for _ in range(walk):
            x.requires_grad_(True)
            g, = torch.autograd.grad(F.cross_entropy(teacher(x), t), x)
            x = x.detach() - eps * g.sign() * inside
            if clamp:
                x = x.clamp(black, white)
        bank[i:i + 512] = x.detach()
    return bank, targets


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--checkpoint", required=True, help="a dafl distill checkpoint holding a replay memory")
    ap.add_argument("--share", type=float, default=0.25, help="share of each batch that is impressions (0…1)")
    ap.add_argument("--count", type=int, default=8192, help="impressions built")
    ap.add_argument("--walk", type=int, default=40, help="signed-gradient steps per impression")
    ap.add_argument("--eps", type=float, default=0.02, help="step size, in the teacher's input units")
    ap.add_argument("--source", choices=["procedural", "memory"], default="procedural")
    ap.add_argument("--mask", action="store_true", help="walk only the pixels inside each procedural shape")
    ap.add_argument("--symmetric", action="store_true", help="procedural shapes mirrored left to right (procedural_proxy.py)")
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    teacher = D.load_lenet5(D.SHIPPED_TEACHER)
    with safe_open(a.checkpoint, "pt") as f:
        memory = torch.cat([f.get_tensor(k) for k in f.keys() if k.startswith("replay.images.")]).view(-1, 1, 32, 32)
    black, white = (0 - D.FASHION_MEAN) / D.FASHION_STD, (1 - D.FASHION_MEAN) / D.FASHION_STD
    start = PP.procedural(a.count, symmetric=a.symmetric) if a.source == "procedural" else memory[torch.randint(0, len(memory), (a.count,))].clone()
    bank, targets = impressions(teacher, start, a.walk, a.eps, black, white, a.mask, clamp=a.source == "procedural")
    with torch.no_grad():
        p = teacher(bank).softmax(1)
    print("impressions: %d, on target %.1f %%, the teacher's top probability median %.3f"
          % (len(bank), (p.argmax(1) == targets).float().mean() * 100, p.max(1).values.median()))
    acc = PP.screen(teacher, bank, memory, a.share, a.steps)
    print("share %.2f, walk %d: test accuracy %.2f %%" % (a.share, a.walk, acc))


if __name__ == "__main__":
    main()
