#!/usr/bin/python3
"""Where a distilled student stands against its teacher on the images it learnt from and on the test
split, by how sure the teacher is: per bin of the teacher's top probability, the share of images and the
student's agreement with the teacher (on the run's last replay memory and on the test split), the teacher's
and the student's test accuracy, and what each bin costs the student (share × accuracy gap); then the
teacher's class shares in the memory.

    /usr/bin/python3 scripts/replay_gap.py RUN_DIR [RUN_DIR ...]

RUN_DIR is a `dafl distill` run of the cpu preset (LeNet-5 teacher, LeNet-5-half student): its
student.safetensors and the replay memory of its last checkpoint. Test labels are only measured here.
"""
import json
import os
import sys

import torch
from safetensors.torch import load_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dafl_torch as D  # noqa: E402

BINS = [(0, .6), (.6, .8), (.8, .95), (.95, 1.01)]


def logits(model, x):
    with torch.no_grad():
        return torch.cat([model(x[i:i + 4096]) for i in range(0, len(x), 4096)])


def main():
    torch.set_num_threads(1)
    teacher = D.load_lenet5(D.SHIPPED_TEACHER)
    x, y = D.load_fashion(split="test")
    t_test = logits(teacher, x)
    for run in sys.argv[1:]:
        student = D.load_lenet5(os.path.join(run, "student.safetensors"), half=True)
        with open(os.path.join(run, "checkpoint.json")) as f:
            tensors = load_file(os.path.join(run, json.load(f)["file"]))
        keys = sorted((k for k in tensors if k.startswith("replay.images.")), key=lambda k: int(k.rsplit(".", 1)[1]))
        memory = torch.cat([tensors[k].view(-1, 1, 32, 32) for k in keys])
        t_mem, s_mem, s_test = logits(teacher, memory), logits(student, memory), logits(student, x)
        conf_mem, conf_test = t_mem.softmax(1).max(1).values, t_test.softmax(1).max(1).values
        agree_mem = (t_mem.argmax(1) == s_mem.argmax(1)).float()
        agree_test = (t_test.argmax(1) == s_test.argmax(1)).float()
        t_right, s_right = (t_test.argmax(1) == y).float(), (s_test.argmax(1) == y).float()
        print(f"{run}: memory {len(memory)} images, agreement {agree_mem.mean() * 100:.2f} %; test agreement "
              f"{agree_test.mean() * 100:.2f} %, student {s_right.mean() * 100:.2f} %, teacher {t_right.mean() * 100:.2f} %")
        print("| teacher's top probability | memory share | memory agreement | test share | test agreement | teacher acc | student acc | cost (points) |")
        print("|---|---|---|---|---|---|---|---|")
        for lo, hi in BINS:
            m, n = (conf_mem >= lo) & (conf_mem < hi), (conf_test >= lo) & (conf_test < hi)
            share = n.float().mean().item()
            cost = (t_right[n].sum() - s_right[n].sum()).item() / len(y) * 100
            print(f"| {lo:.2f}–{min(hi, 1):.2f} | {m.float().mean() * 100:.1f} % | {agree_mem[m].mean() * 100:.1f} % | {share * 100:.1f} % | "
                  f"{agree_test[n].mean() * 100:.1f} % | {t_right[n].mean() * 100:.1f} % | {s_right[n].mean() * 100:.1f} % | {cost:.2f} |")
        counts = torch.bincount(t_mem.argmax(1), minlength=10).float() / len(memory) * 100
        print("memory's classes (teacher): " + ", ".join(f"{name} {c:.1f} %" for name, c in zip(
            ["T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Boot"], counts.tolist())))
        print()


if __name__ == "__main__":
    main()
