#!/usr/bin/python3
"""Do label-free signals rank students as the test split does? Across finished runs' students, each student's
agreement with the teacher (argmax) and KL(teacher ‖ student) on generated images of the *other* runs, and on its
own run's memory, against its test accuracy (Spearman's rank correlation).

    /usr/bin/python3 scripts/label_free_signals.py [--batches N] [--threads T] RUN_DIR [RUN_DIR ...]

Each RUN_DIR holds `student.safetensors` and `checkpoint-00001000.safetensors` (whose replay memory gives N of its
batches, 16 by default, drawn with a fixed seed, to the pool). Measures only; test labels never choose anything.
"""
import os
import statistics
import sys

import torch
from safetensors import safe_open

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dafl_torch as D  # noqa: E402


def spearman(a, b):
    rank = lambda v: [sorted(v).index(x) for x in v]  # noqa: E731 (ties: the first place; fine for a screen)
    return statistics.correlation(rank(a), rank(b))


def main():
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("runs", nargs="+")
    ap.add_argument("--batches", type=int, default=16)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    runs = [d for d in a.runs if os.path.exists(os.path.join(d, "student.safetensors"))
            and os.path.exists(os.path.join(d, "checkpoint-00001000.safetensors"))]
    x, y = D.load_fashion(split="test")
    teacher = D.load_lenet5(D.SHIPPED_TEACHER)
    pool, owner = [], []
    for i, d in enumerate(runs):
        with safe_open(os.path.join(d, "checkpoint-00001000.safetensors"), "pt") as f:
            keys = [k for k in f.keys() if k.startswith("replay.images.")]
            pick = torch.randperm(len(keys))[:a.batches].tolist()
            images = torch.cat([f.get_tensor(keys[j]) for j in pick]).view(-1, 1, 32, 32)
        pool.append(images)
        owner += [i] * len(images)
    pool, owner = torch.cat(pool), torch.tensor(owner)
    with torch.no_grad():
        tp = teacher(pool).softmax(1)
    rows = []
    for i, d in enumerate(runs):
        student = D.load_lenet5(os.path.join(d, "student.safetensors"), half=True)
        with torch.no_grad():
            acc = (student(x).argmax(1) == y).float().mean().item() * 100
            other = owner != i
            logits = student(pool)
            agree = (logits.argmax(1) == tp.argmax(1)).float()
            kl = (tp * (tp.clamp_min(1e-8).log() - logits.log_softmax(1))).sum(1)
        rows.append((acc, agree[other].mean().item() * 100, kl[other].mean().item(), agree[~other].mean().item() * 100))
        print(f"{d}: test {acc:.2f} %, agreement on other runs' images {rows[-1][1]:.2f} %, KL {rows[-1][2]:.3f}, "
              f"on its own memory {rows[-1][3]:.2f} %", flush=True)
    accs = [r[0] for r in rows]
    print(f"{len(rows)} students; Spearman with test accuracy: agreement on other runs' images "
          f"{spearman(accs, [r[1] for r in rows]):.2f}, −KL {spearman(accs, [-r[2] for r in rows]):.2f}, "
          f"agreement on its own memory {spearman(accs, [r[3] for r in rows]):.2f}")


if __name__ == "__main__":
    main()
