#!/usr/bin/python3
"""How close an image set's features come to real ones: the pruned teacher refitted by least squares on it (measures only).

    /usr/bin/python3 scripts/lsq_probe.py --procedural 0.5 --symmetric --checkpoint RUN/checkpoint-00001000.safetensors
    /usr/bin/python3 scripts/lsq_probe.py --procedural 1 --save lsq.safetensors   # then: dafl distill --student-weights lsq.safetensors

The student starts as `dafl distill --student-init teacher` does (the teacher pruned to half width), then each layer
from conv2 on is refitted by ridge least squares so that, on the student's own inputs, its kept pre-activations match
the teacher's on --count images (as ThiNet or channel pruning do with real data; `replay_proxy.py --init lsq`). No
label and no training step is involved: only the images' features, so the refitted student's test accuracy says how
much the set's feature statistics resemble those of real pictures. The images: a share --procedural of procedural
pictures (`procedural_proxy.py`, as `dafl distill --procedural` draws them; --symmetric: mirrored shapes), the rest
drawn from the replay memory of --checkpoint; or --data real (the training split: a ceiling, never a recipe).
The test split only measures. --save writes the refitted student (a LeNet-5-half with PyTorch's names).
"""

import argparse
import os
import sys

import torch
from safetensors import safe_open
from safetensors.torch import load_file

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import dafl_torch as D  # noqa: E402
import procedural_proxy as PP  # noqa: E402
import replay_proxy as RP  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--checkpoint", help="a dafl distill checkpoint whose replay memory supplies the generated images")
    ap.add_argument("--teacher", default=os.path.join(HERE, "..", "models", "teacher-fashion-lenet5.safetensors"))
    ap.add_argument("--procedural", type=float, default=0.0, help="share of procedural pictures (0…1)")
    ap.add_argument("--symmetric", action="store_true", help="procedural shapes mirrored left to right")
    ap.add_argument("--data", choices=["mixed", "real"], default="mixed")
    ap.add_argument("--count", type=int, default=16384)
    ap.add_argument("--ridge", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--save", help="write the refitted student here (safetensors)")
    a = ap.parse_args()
    if not 0 <= a.procedural <= 1:
        sys.exit("--procedural must be between 0 and 1")
    if a.data == "mixed" and a.procedural < 1 and not a.checkpoint:
        sys.exit("--checkpoint is needed unless --procedural 1 or --data real")
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)

    state = load_file(a.teacher)
    if a.data == "real":
        x = D.load_fashion(D.FASHION_DIR, "train", D.FASHION_MEAN, D.FASHION_STD)[0][: a.count]
    else:
        k = int(round(a.count * a.procedural))
        parts = [PP.procedural(k, symmetric=a.symmetric)] if k else []
        if k < a.count:
            with safe_open(a.checkpoint, "pt") as f:
                keys = [key for key in f.keys() if key.startswith("replay.images.")]
                if not keys:
                    sys.exit("%s: no replay memory (replay.images.*) in this checkpoint" % a.checkpoint)
                memory = torch.cat([f.get_tensor(key) for key in keys]).view(-1, 1, 32, 32)
            parts.append(memory[torch.randperm(memory.shape[0])[: a.count - k]])
        x = torch.cat(parts)
    student = D.LeNet5(half=True)
    student.load_state_dict(RP.refitted(state, RP.kept_units(state, "in"), x, a.ridge))
    x_test, y_test = D.load_fashion(D.FASHION_DIR, "test", D.FASHION_MEAN, D.FASHION_STD)
    with torch.no_grad():
        accuracy = (student(x_test).argmax(1) == y_test).float().mean().item() * 100
    print("images %d (procedural %d), refitted student: test accuracy %.2f %%" % (x.shape[0], int(round(a.count * a.procedural)) if a.data == "mixed" else 0, accuracy))
    if a.save:
        D.save_safetensors(a.save, student.state_dict(), {"arch": "lenet5-half", "num_classes": "10", "in_channels": "1"})
        print("saved", a.save)


if __name__ == "__main__":
    main()
