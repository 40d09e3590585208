#!/usr/bin/python3
"""How far the teacher's answers hold under the replay augmentations: its per-class test recall on
test images mirrored, and shifted the way `--augment shift` / `shiftN` shifts them (each axis by
−N…N pixels, the edge pixels filling the gap), beside the plain images.

    /usr/bin/python3 scripts/teacher_invariance.py [--teacher T.safetensors] [--max-shift 2]

Measures only (the Fashion-MNIST test split). The student learns the teacher's answers on augmented
replay images, so where those answers fall apart the student is taught something the test set never asks.
"""
import argparse
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dafl_torch as D  # noqa: E402

NAMES = ["T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Boot"]


def shifted(x, dy, dx):
    """Output (y, x) reads input (y − dy, x − dx), clamped to the border (as StudentAugmentation)."""
    n = max(abs(dy), abs(dx))
    if n == 0:
        return x
    p = F.pad(x, (n, n, n, n), mode="replicate")
    h, w = x.shape[-2:]
    return p[..., n - dy:n - dy + h, n - dx:n - dx + w]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--teacher", default=D.SHIPPED_TEACHER)
    ap.add_argument("--max-shift", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(1)
    x, y = D.load_fashion(split="test")
    teacher = D.load_lenet5(a.teacher)

    def recall(images):
        with torch.no_grad():
            pred = torch.cat([teacher(images[i:i + 2000]).argmax(1) for i in range(0, len(images), 2000)])
        return [((pred == y) & (y == k)).sum().item() / (y == k).sum().item() * 100 for k in range(10)] + \
               [(pred == y).float().mean().item() * 100]

    columns = [("plain", recall(x)), ("mirrored", recall(x.flip(3)))]
    for n in range(1, a.max_shift + 1):
        # Every offset whose larger coordinate is n, as `shiftN` draws them (uniform per axis).
        offsets = [(dy, dx) for dy in range(-n, n + 1) for dx in range(-n, n + 1) if max(abs(dy), abs(dx)) == n]
        runs = [recall(shifted(x, dy, dx)) for dy, dx in offsets]
        columns.append((f"shifted by {n}", [sum(r[i] for r in runs) / len(runs) for i in range(11)]))
    print("| class | " + " | ".join(c for c, _ in columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for i, name in enumerate(NAMES + ["all"]):
        print(f"| {name} | " + " | ".join(f"{v[i]:.1f}" for _, v in columns) + " |")


if __name__ == "__main__":
    main()
