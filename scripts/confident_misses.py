#!/usr/bin/python3
"""Where students differ from the teacher on the test images the teacher is sure of (measures only; chooses nothing).

    /usr/bin/python3 scripts/confident_misses.py RUN_DIR [RUN_DIR ...] [--bins 0.95,0.8] [--show Trouser,Dress]

For each run's student (RUN_DIR/student.safetensors, a LeNet-5-half) and each band of the teacher's top softmax
probability (from each threshold up to the one above it; the first up to 1), prints how many test images of the band the
student gives another class, and the commonest changes (teacher's class -> student's, with counts). On images the
teacher is 95 % sure of it is right 98.9 % of the time, so a change there is nearly always a student's mistake.
`--show T,S` draws (in characters) five images of the first band that the teacher calls T and the student S, beside five
it calls T where the student agrees.
"""
import argparse
import os
import sys
from collections import Counter

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dafl_torch as D  # noqa: E402

NAMES = ["T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Boot"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("runs", nargs="+")
    ap.add_argument("--bins", default="0.95,0.8", help="descending lower bounds of the bands of the teacher's top probability")
    ap.add_argument("--top", type=int, default=6)
    ap.add_argument("--show", help="teacher class,student class: draw five such images of the first band")
    a = ap.parse_args()
    torch.set_num_threads(1)
    lows = [float(b) for b in a.bins.split(",")]
    x, _ = D.load_fashion(split="test")
    teacher = D.load_lenet5(D.SHIPPED_TEACHER).eval()
    with torch.no_grad():
        confidence, answer = teacher(x).softmax(1).max(1)
    for run in a.runs:
        path = os.path.join(run, "student.safetensors")
        if not os.path.exists(path):
            sys.exit(f"{path}: no such file (a finished run directory holds student.safetensors)")
        student = D.load_lenet5(path, half=True).eval()
        with torch.no_grad():
            theirs = student(x).argmax(1)
        high = 1.01
        for low in lows:
            band = (confidence >= low) & (confidence < high)
            changed = band & (theirs != answer)
            pairs = Counter(zip(answer[changed].tolist(), theirs[changed].tolist()))
            common = ", ".join(f"{NAMES[t]}->{NAMES[s]} {n}" for (t, s), n in pairs.most_common(a.top))
            print(f"{run} | {low:.2f}-{min(high, 1):.2f} | {band.sum().item()} images | {changed.sum().item()} changed | {common}")
            high = low
        if a.show:
            t, s = (NAMES.index(n) for n in a.show.split(","))
            band = confidence >= lows[0]
            for title, pick in [(f"teacher {NAMES[t]}, student {NAMES[s]}", band & (answer == t) & (theirs == s)),
                                (f"teacher {NAMES[t]}, student agrees", band & (answer == t) & (theirs == t))]:
                print(title)
                draw([x[i, 0] for i in pick.nonzero().flatten()[:5].tolist()])


def draw(images):
    """Images side by side, every other row, in ten grey levels."""
    ramp = " .:-=+*#%@"
    for row in range(0, images[0].shape[0] if images else 0, 2):
        print("  ".join("".join(ramp[max(0, min(9, int((im[row, c] - im.min()) / (im.max() - im.min() + 1e-6) * 9.99)))]
                                for c in range(im.shape[1])) for im in images))


if __name__ == "__main__":
    main()
