#!/usr/bin/python3
"""Evaluate a LeNet-5 / LeNet-5-half safetensors checkpoint on the Fashion-MNIST test split.

    /usr/bin/python3 scripts/eval_torch.py --weights FILE.safetensors [--data DIR] [--json]

The file is read with safetensors.torch.load_file; metadata `arch` ("lenet5" or
"lenet5-half", default "lenet5") picks the model, loaded with load_state_dict(strict=True).
Preprocessing follows the metadata: `mean`/`std` (defaults 0.2860/0.3530), 28->32 bilinear
as in dafl_torch.load_fashion. Prints the accuracy in percent with 2 decimals, or with
--json one line {"accuracy": <percent>, "n": <number of test images>}.
"""

import argparse
import json
import os
import sys

import torch
from safetensors import safe_open
from safetensors.torch import load_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dafl_torch as D  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--weights", required=True)
    ap.add_argument("--data", default=D.FASHION_DIR)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    state = load_file(args.weights)
    with safe_open(args.weights, framework="pt") as fh:
        meta = fh.metadata() or {}
    arch = meta.get("arch", "lenet5")
    if arch not in ("lenet5", "lenet5-half"):
        sys.exit("unsupported arch %r in %s" % (arch, args.weights))
    if meta.get("resize", "bilinear") != "bilinear" or meta.get("input_size", "32") != "32":
        sys.exit("unsupported preprocessing resize=%r input_size=%r"
                 % (meta.get("resize"), meta.get("input_size")))
    mean = float(meta.get("mean", D.FASHION_MEAN))
    std = float(meta.get("std", D.FASHION_STD))
    model = D.LeNet5(half=(arch == "lenet5-half"))
    model.load_state_dict(state, strict=True)
    model.eval()
    x, y = D.load_fashion(args.data, "test", mean, std)
    correct = 0
    with torch.no_grad():
        for i in range(0, x.shape[0], 1000):
            correct += (model(x[i:i + 1000]).argmax(1) == y[i:i + 1000]).sum().item()
    acc = 100.0 * correct / x.shape[0]
    if args.json:
        print(json.dumps({"accuracy": round(acc, 2), "n": int(x.shape[0])}))
    else:
        print("%s (%s): test accuracy %.2f%% (%d/%d)" % (args.weights, arch, acc, correct, x.shape[0]))


if __name__ == "__main__":
    main()
