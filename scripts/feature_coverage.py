#!/usr/bin/python3
"""Which of the teacher's units real test images use that a run's generated images never reach (measures only).

    /usr/bin/python3 scripts/feature_coverage.py RUN_DIR

RUN_DIR's last checkpoint holds the replay memory (the generated images the student learnt from last). For the
teacher's conv3 features (120) and fc1 units (84): how many units the test images switch on (on over 5 % of them),
how many of those the memory's images switch on under 1 % of the time, and the same per real class (Shirt, Coat,
Pullover: units on for over 20 % of that class's test images).
"""
import json
import os
import sys

import torch
from safetensors.torch import load_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dafl_torch as D  # noqa: E402


def features(model, images):
    conv3, fc1 = [], []
    with torch.no_grad():
        for i in range(0, len(images), 2048):
            _, f = model(images[i:i + 2048], out_feature=True)
            conv3.append(f)
            fc1.append(torch.relu(model.fc1(f)))
    return torch.cat(conv3), torch.cat(fc1)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    run = sys.argv[1]
    torch.set_num_threads(1)
    try:
        with open(os.path.join(run, "checkpoint.json")) as f:
            tensors = load_file(os.path.join(run, json.load(f)["file"]))
    except (OSError, ValueError, KeyError) as e:
        sys.exit(f"{run}: cannot read its last checkpoint ({e})")
    keys = sorted((k for k in tensors if k.startswith("replay.images.")), key=lambda k: int(k.rsplit(".", 1)[1]))
    if not keys:
        sys.exit(f"{run}: its last checkpoint holds no replay memory")
    memory = torch.cat([tensors[k].view(-1, 1, 32, 32) for k in keys])
    teacher = D.load_lenet5(D.SHIPPED_TEACHER).eval()
    x, y = D.load_fashion(split="test")
    real, generated = features(teacher, x), features(teacher, memory)
    for name, r, g in (("conv3", real[0], generated[0]), ("fc1", real[1], generated[1])):
        on_real, on_gen = (r > 0).float().mean(0), (g > 0).float().mean(0)
        used = on_real > 0.05
        print(f"{name} ({r.shape[1]} units): {int(used.sum())} on for over 5 % of the test images, "
              f"{int((used & (on_gen < 0.01)).sum())} of them on for under 1 % of the {len(memory)} generated images")
        for c, cname in ((6, "Shirt"), (4, "Coat"), (2, "Pullover")):
            on_class = (r[y == c] > 0).float().mean(0) > 0.2
            print(f"  real {cname}s: {int(on_class.sum())} units on for over 20 %, {int((on_class & (on_gen < 0.01)).sum())} of them rare on generated images")


if __name__ == "__main__":
    main()
