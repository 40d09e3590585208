#!/usr/bin/python3
"""Measure LeNet-5-half students together on the Fashion-MNIST test split (measures only; chooses nothing).

    /usr/bin/python3 scripts/student_ensemble.py STUDENT.safetensors [STUDENT ...] [--soup] [--confusion]

Prints each student's accuracy alone, the accuracy of the average of their logits (an ensemble), with --soup the
accuracy of the average of their weights (one LeNet-5-half), and with --confusion where the ensemble's class differs
from the teacher's (teacher class -> ensemble class, counts over 15) and both classes' shares of the test images.
"""
import argparse
import os
import sys

import torch
from safetensors.torch import load_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dafl_torch as D  # noqa: E402

NAMES = ["T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Boot"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("students", nargs="+")
    ap.add_argument("--soup", action="store_true")
    ap.add_argument("--confusion", action="store_true")
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    x, y = D.load_fashion(split="test")
    models = []
    for f in a.students:
        if not os.path.exists(f):
            sys.exit(f"{f}: no such file")
        models.append(D.load_lenet5(f, half=True).eval())
    with torch.no_grad():
        logits = [m(x) for m in models]
    for f, l in zip(a.students, logits):
        print(f"{f}: {(l.argmax(1) == y).float().mean().item() * 100:.2f} %")
    ensemble = sum(logits).argmax(1)
    print(f"average of logits: {(ensemble == y).float().mean().item() * 100:.2f} %")
    if a.soup:
        states = [load_file(f) for f in a.students]
        soup = D.load_lenet5(a.students[0], half=True).eval()
        soup.load_state_dict({k: sum(s[k] for s in states) / len(states) for k in states[0]})
        with torch.no_grad():
            print(f"average of weights: {(soup(x).argmax(1) == y).float().mean().item() * 100:.2f} %")
    if a.confusion:
        teacher = D.load_lenet5(D.SHIPPED_TEACHER).eval()
        with torch.no_grad():
            tl = teacher(x)
        tp = tl.argmax(1)
        differ = ensemble != tp
        print(f"the ensemble differs from the teacher on {int(differ.sum())} images; the teacher's top probability there: "
              f"median {tl.softmax(1).max(1).values[differ].median().item():.2f}")
        counts = torch.zeros(10, 10, dtype=torch.long)
        for t, s in zip(tp.tolist(), ensemble.tolist()):
            counts[t, s] += 1
        pairs = sorted(((int(counts[t, s]), NAMES[t], NAMES[s]) for t in range(10) for s in range(10) if t != s and counts[t, s] > 15), reverse=True)
        for n, t, s in pairs:
            print(f"  teacher {t}, students {s}: {n}")
        share = lambda p: ", ".join(f"{NAMES[c]} {v * 100:.1f}" for c, v in enumerate((torch.bincount(p, minlength=10).float() / len(p)).tolist()))
        print("teacher's classes (%): " + share(tp))
        print("ensemble's classes (%): " + share(ensemble))


if __name__ == "__main__":
    main()
