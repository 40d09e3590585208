#!/usr/bin/python3
"""Where a distilled student differs from its teacher on the Fashion-MNIST test split: per class, the
teacher's and the student's accuracy and the student's agreement with the teacher (on the images the
teacher puts in that class), then the most frequent teacher→student confusions.

    /usr/bin/python3 scripts/agreement_by_class.py STUDENT.safetensors [--teacher FILE] [--data DIR]

Test labels are only measured here, never used to choose anything.
"""
import argparse
import collections
import os
import sys

import torch
from safetensors.torch import load_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dafl_torch as D  # noqa: E402

NAMES = ["T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Boot"]


def load(path, half):
    m = D.LeNet5(half=half)
    m.load_state_dict(load_file(path), strict=True)
    return m.eval()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("student")
    ap.add_argument("--teacher", default=os.path.join(os.path.dirname(__file__), "..", "models", "teacher-fashion-lenet5.safetensors"))
    ap.add_argument("--data", default=D.FASHION_DIR)
    args = ap.parse_args()
    torch.set_num_threads(1)
    teacher, student = load(args.teacher, False), load(args.student, True)
    x, y = D.load_fashion(args.data, "test", D.FASHION_MEAN, D.FASHION_STD)
    with torch.no_grad():
        tp, sp = teacher(x).argmax(1), student(x).argmax(1)
    print("%-9s %8s %8s %10s" % ("class", "teacher", "student", "agreement"))
    for c in range(10):
        real, said = y == c, tp == c
        print("%-9s %7.1f%% %7.1f%% %9.1f%%" % (NAMES[c], 100 * (tp[real] == c).float().mean(), 100 * (sp[real] == c).float().mean(),
                                                100 * (sp[said] == c).float().mean()))
    print("overall   %7.2f%% %7.2f%% %9.2f%%" % (100 * (tp == y).float().mean(), 100 * (sp == y).float().mean(), 100 * (sp == tp).float().mean()))
    pairs = collections.Counter((int(a), int(b)) for a, b in zip(tp, sp) if a != b)
    print("teacher → student, most frequent:", ", ".join("%s→%s %d" % (NAMES[a], NAMES[b], n) for (a, b), n in pairs.most_common(8)))


if __name__ == "__main__":
    main()
