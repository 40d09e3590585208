#!/usr/bin/python3
"""Train the LeNet-5 teacher on Fashion-MNIST with PyTorch (reference for the Swift trainer).

    nice -n 10 /usr/bin/python3 scripts/teacher_torch.py --epochs 10 --out teacher.safetensors --seed 0

Adam(lr 1e-3), batch 256, reshuffled every epoch (torch.randperm with a seeded generator),
inputs preprocessed as in dafl_torch.load_fashion (28->32 bilinear, mean 0.2860, std 0.3530).
Prints the test accuracy after every epoch and the total wall time (training + evaluation,
data loading excluded), then saves the state_dict as safetensors (keys conv1.weight, ...)
with metadata arch/num_classes/input_size/resize/mean/std/dataset.
"""

import argparse
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dafl_torch as D  # noqa: E402


@torch.no_grad()
def accuracy(model, x, y, batch=1000):
    was = model.training
    model.eval()
    correct = 0
    for i in range(0, x.shape[0], batch):
        correct += (model(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum().item()
    model.train(was)
    return 100.0 * correct / x.shape[0], correct


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data", default=D.FASHION_DIR)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--half", action="store_true", help="train LeNet-5-half instead")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    xtr, ytr = D.load_fashion(args.data, "train", D.FASHION_MEAN, D.FASHION_STD)
    xte, yte = D.load_fashion(args.data, "test", D.FASHION_MEAN, D.FASHION_STD)
    torch.manual_seed(args.seed)
    model = D.LeNet5(half=args.half).train()
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    gen = torch.Generator().manual_seed(args.seed)
    n = xtr.shape[0]
    t_start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        t0 = time.perf_counter()
        perm = torch.randperm(n, generator=gen)
        total, batches = 0.0, 0
        for i in range(0, n, args.batch):
            idx = perm[i:i + args.batch]
            loss = F.cross_entropy(model(xtr[idx]), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item()
            batches += 1
        acc, correct = accuracy(model, xte, yte)
        print("epoch %3d  loss %.4f  test accuracy %.2f%% (%d/%d)  %.1f s"
              % (epoch, total / batches, acc, correct, xte.shape[0], time.perf_counter() - t0),
              flush=True)
    wall = time.perf_counter() - t_start
    print("total wall time %.1f s (%d epochs, %d threads)" % (wall, args.epochs, torch.get_num_threads()))
    meta = {"arch": "lenet5-half" if args.half else "lenet5", "num_classes": "10", "input_size": "32",
            "resize": "bilinear", "mean": "0.2860", "std": "0.3530", "dataset": "fashion-mnist",
            "epochs": str(args.epochs), "seed": str(args.seed), "test_accuracy": "%.2f" % acc,
            "trainer": "scripts/teacher_torch.py"}
    D.save_safetensors(args.out, model.state_dict(), meta)
    print("saved", args.out)


if __name__ == "__main__":
    main()
