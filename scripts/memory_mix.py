#!/usr/bin/python3
"""What a finished run's replay memory holds, against the test split: the teacher's classes and confidence on the
memory's images, and how often the run's student agrees with the teacher there, by the teacher's confidence.

    /usr/bin/python3 scripts/memory_mix.py [--by-age] RUN_DIR [RUN_DIR ...]

--by-age adds the agreement on each eighth of the memory, oldest batches first (the ring's order).

RUN_DIR holds `student.safetensors` and its last `checkpoint-*.safetensors` (whose memory is read). Measures only;
the test split is never used to choose anything.
"""
import glob
import os
import sys

import torch
from safetensors import safe_open

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dafl_torch as D  # noqa: E402

NAMES = ["T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Boot"]
BANDS = [(0, .5), (.5, .7), (.7, .9), (.9, .99), (.99, 1.01)]


def describe(name, teacher, student, x, batch=None):
    with torch.no_grad():
        tp, sp = teacher(x).softmax(1), student(x).softmax(1)
    conf, agree = tp.max(1).values, (tp.argmax(1) == sp.argmax(1)).float()
    print(f"  {name}: {len(x)} images, student agrees with the teacher on {agree.mean() * 100:.2f} %, "
          f"teacher's top probability median {conf.median():.3f}")
    for lo, hi in BANDS:
        m = (conf >= lo) & (conf < hi)
        share = m.float().mean() * 100
        print(f"    teacher sure {lo:.2f}–{min(hi, 1):.2f}: {share:5.1f} % of the images, agreement "
              + (f"{agree[m].mean() * 100:5.1f} %" if m.any() else "   –"))
    freq = tp.argmax(1).bincount(minlength=10).float() / len(x) * 100
    print("    teacher's classes: " + ", ".join(f"{n} {f:.0f}" for n, f in zip(NAMES, freq.tolist())) + " (%)")
    print("    teacher's mean probabilities: " + ", ".join(f"{n} {f:.1f}" for n, f in zip(NAMES, (tp.mean(0) * 100).tolist())) + " (%)")
    if batch:
        # What the information-entropy term sees: each batch's mean probabilities, and the largest class's share in them.
        top = tp[: len(x) // batch * batch].view(-1, batch, tp.shape[1]).mean(1).max(1).values
        print(f"    each batch's mean probabilities, the largest class's share: median {top.median() * 100:.1f} %")


def by_age(teacher, student, batches):
    """Agreement on each eighth of the memory's batches, oldest first."""
    step = max(len(batches) // 8, 1)
    for lo in range(0, len(batches), step):
        x = torch.cat(batches[lo:lo + step])
        with torch.no_grad():
            agree = (teacher(x).argmax(1) == student(x).argmax(1)).float().mean().item() * 100
        print(f"    batches {lo}–{min(lo + step, len(batches)) - 1} (oldest first): agreement {agree:5.1f} %")


def main():
    torch.set_num_threads(1)
    ages = "--by-age" in sys.argv[1:]
    teacher = D.load_lenet5(D.SHIPPED_TEACHER)
    xt, _ = D.load_fashion(split="test")
    for d in [a for a in sys.argv[1:] if a != "--by-age"]:
        ckpt = sorted(glob.glob(os.path.join(d, "checkpoint-*.safetensors")))[-1]
        with safe_open(ckpt, "pt") as f:
            keys = sorted((k for k in f.keys() if k.startswith("replay.images.")), key=lambda k: int(k.rsplit(".", 1)[1]))
            nxt = int(f.get_tensor("replay.next").item()) % len(keys) if "replay.next" in f.keys() else 0
            batches = [f.get_tensor(keys[i]).view(-1, 1, 32, 32) for i in list(range(nxt, len(keys))) + list(range(nxt))]
            memory = torch.cat(batches)
        student = D.load_lenet5(os.path.join(d, "student.safetensors"), half=True)
        print(f"{d} ({os.path.basename(ckpt)}, {len(keys)} batches)")
        describe("memory", teacher, student, memory, batch=batches[0].shape[0])
        if ages:
            by_age(teacher, student, batches)
        describe("test split", teacher, student, xt)


if __name__ == "__main__":
    main()
