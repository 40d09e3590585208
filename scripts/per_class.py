#!/usr/bin/python3
"""Per-class test recall of the teacher and of students, and each student's agreement with the teacher.

    /usr/bin/python3 scripts/per_class.py RUN/student.safetensors [...]

Measures only (the test split of Fashion-MNIST, /usr/share/datasets/fashion-mnist); a LeNet-5-half student
and the shipped LeNet-5 teacher (--teacher to change it). It shows where a student loses to its teacher.
"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dafl_torch as D  # noqa: E402

NAMES = ["T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Boot"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("students", nargs="+")
    ap.add_argument("--teacher", default=D.SHIPPED_TEACHER)
    a = ap.parse_args()
    torch.set_num_threads(1)
    x, y = D.load_fashion(split="test")
    teacher = D.load_lenet5(a.teacher)
    with torch.no_grad():
        pt = teacher(x).argmax(1)
    print(f"teacher accuracy {(pt == y).float().mean().item() * 100:.2f} %")
    for path in a.students:
        s = D.load_lenet5(path, half=True)
        with torch.no_grad():
            ps = s(x).argmax(1)
        print(f"{path}: accuracy {(ps == y).float().mean().item() * 100:.2f} %, agreement with the teacher "
              f"{(ps == pt).float().mean().item() * 100:.2f} %")
        print("  class     teacher  student  agreement")
        for k, name in enumerate(NAMES):
            m = y == k
            print(f"  {name:9s} {(pt[m] == k).float().mean().item() * 100:6.1f}   {(ps[m] == k).float().mean().item() * 100:6.1f}"
                  f"   {(ps[m] == pt[m]).float().mean().item() * 100:6.1f}")


if __name__ == "__main__":
    main()
