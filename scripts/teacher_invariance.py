#!/usr/bin/python3
"""How far the teacher's answers hold under the replay augmentations: its per-class test recall on
test images mirrored, and shifted the way `--augment shift` / `shiftN` shifts them (each axis by
−N…N pixels, the edge pixels filling the gap), beside the plain images.

    /usr/bin/python3 scripts/teacher_invariance.py [--teacher T.safetensors] [--max-shift 2]
    /usr/bin/python3 scripts/teacher_invariance.py --squeeze 0.85,0.7,0.5
    /usr/bin/python3 scripts/teacher_invariance.py --line-columns 14,15,16

`--squeeze F,…`: the teacher's accuracy on test images narrowed about their vertical centre line by each factor (as
`--augment squeeze` narrows replayed images), and its share of answers per class. `--line-columns C,…`: how many of
its answers change when one column of every test image is set to black (as `--augment lines` draws), and the
commonest changes.

Measures only (the Fashion-MNIST test split). The student learns the teacher's answers on augmented
replay images, so where those answers fall apart the student is taught something the test set never asks.
"""
import argparse
import os
import sys
from collections import Counter

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


def squeezed(x, factor):
    """Output column x reads input column c + (x − c) / factor (bilinear, edges repeated), as StudentAugmentation.warp."""
    n = x.shape[-1]
    c = (n - 1) / 2
    source = ((torch.arange(n, dtype=torch.float32) - c) / factor + c).clamp(0, n - 1)
    x0 = source.floor().long().clamp(max=n - 2)
    fx = source - x0
    return x[..., x0] * (1 - fx) + x[..., x0 + 1] * fx


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--teacher", default=D.SHIPPED_TEACHER)
    ap.add_argument("--max-shift", type=int, default=2)
    ap.add_argument("--squeeze", help="comma-separated narrowing factors in (0, 1]")
    ap.add_argument("--line-columns", help="comma-separated columns (0-31) to set to black")
    a = ap.parse_args()
    torch.set_num_threads(1)
    x, y = D.load_fashion(split="test")
    teacher = D.load_lenet5(a.teacher)
    if a.squeeze or a.line_columns:
        with torch.no_grad():
            plain = teacher(x).argmax(1)
            for f in [float(v) for v in a.squeeze.split(",")] if a.squeeze else []:
                pred = teacher(squeezed(x, f)).argmax(1)
                shares = torch.bincount(pred, minlength=10).float() / len(pred) * 100
                print(f"squeezed by {f}: accuracy {(pred == y).float().mean().item() * 100:.1f} %; answers: "
                      + ", ".join(f"{NAMES[k]} {shares[k]:.0f} %" for k in range(10)))
            black = x.min().item()
            for col in [int(v) for v in a.line_columns.split(",")] if a.line_columns else []:
                lined = x.clone()
                lined[..., :, col] = black
                pred = teacher(lined).argmax(1)
                changed = pred != plain
                common = Counter(zip(plain[changed].tolist(), pred[changed].tolist())).most_common(6)
                print(f"black column {col}: {changed.sum().item()} answers change; "
                      + ", ".join(f"{NAMES[t]}->{NAMES[p]} {n}" for (t, p), n in common))
        return

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
