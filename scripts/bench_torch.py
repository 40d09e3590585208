#!/usr/bin/python3
"""PyTorch side of the side-by-side benchmark (see docs / STACK.md notes).

    nice -n 10 /usr/bin/python3 scripts/bench_torch.py [--threads 2] [--repeat 3]
        [--only NAME[,NAME]] [--json] [--batches 64,256,512]

Benchmarks (median of --repeat timed runs after one warm-up, in seconds):
  generator_fwd_bwd      B=256  Generator(100,128,1) train mode; loss = G(z).mean(); backward
  teacher_fwd_bwd_input  B=256  LeNet5 eval, frozen; x requires grad;
                                (logits.sum() + features.sum()).backward()
  student_step           B=256  LeNet5-half, Adam(2e-3); loss_kd vs fixed teacher logits;
                                zero_grad, backward, step
  dafl_iteration         B=64,256,512  one reference DAFL iteration (G Adam 0.2, S Adam 2e-3,
                                teacher LeNet5 eval+frozen; L_oh + 5 L_ie + 0.1 L_a + L_kd)
  teacher_epoch          B=256  one epoch of LeNet5 training on Fashion-MNIST train
                                (Adam 1e-3, shuffled); measured once, data loading excluded

torch.set_num_threads(--threads) is called first; Debian's torch otherwise runs one
thread. Set OPENBLAS_NUM_THREADS to the same value for the Swift side.
--json prints one object per line: {"name", "batch", "seconds", "threads"}.
"""

import argparse
import json
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dafl_torch as D  # noqa: E402

NAMES = ["generator_fwd_bwd", "teacher_fwd_bwd_input", "student_step", "dafl_iteration", "resnet18_step",
         "teacher_epoch"]


def timed(fn, repeat, warmup=1):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def bench_generator(batch, repeat):
    torch.manual_seed(0)
    g = D.Generator(100, 128, 1).train()

    def step():
        z = torch.randn(batch, 100)
        g.zero_grad(set_to_none=True)
        g(z).mean().backward()
    return timed(step, repeat)


def frozen_teacher():
    t = D.LeNet5().eval()
    for p in t.parameters():
        p.requires_grad_(False)
    return t


def bench_teacher_input(batch, repeat):
    torch.manual_seed(0)
    t = frozen_teacher()

    def step():
        x = torch.randn(batch, 1, 32, 32, requires_grad=True)
        logits, f = t(x, True)
        (logits.sum() + f.sum()).backward()
    return timed(step, repeat)


def bench_student_step(batch, repeat):
    torch.manual_seed(0)
    s = D.LeNet5(half=True).train()
    opt = torch.optim.Adam(s.parameters(), lr=2e-3)
    x = torch.randn(batch, 1, 32, 32)
    t_logits = torch.randn(batch, 10)

    def step():
        loss = D.loss_kd(s(x), t_logits)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return timed(step, repeat)


def bench_dafl_iteration(batch, repeat):
    torch.manual_seed(0)
    g = D.Generator(100, 128, 1).train()
    s = D.LeNet5(half=True).train()
    t = frozen_teacher()
    opt_g = torch.optim.Adam(g.parameters(), lr=0.2)
    opt_s = torch.optim.Adam(s.parameters(), lr=2e-3)

    def step():
        z = torch.randn(batch, 100)
        opt_g.zero_grad()
        opt_s.zero_grad()
        x = g(z)
        logits_t, f_t = t(x, True)
        loss = (D.loss_oh(logits_t) + 5.0 * D.loss_ie(logits_t) + 0.1 * D.loss_a(f_t)
                + D.loss_kd(s(x.detach()), logits_t.detach()))
        loss.backward()
        opt_g.step()
        opt_s.step()
    return timed(step, repeat)


def bench_teacher_epoch(batch, data_dir):
    x, y = D.load_fashion(data_dir, "train")  # excluded from the timing
    torch.manual_seed(0)
    m = D.LeNet5().train()
    opt = torch.optim.Adam(m.parameters(), lr=1e-3)
    crit = torch.nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(0)
    t0 = time.perf_counter()
    perm = torch.randperm(x.shape[0], generator=gen)
    for i in range(0, x.shape[0], batch):
        idx = perm[i:i + batch]
        loss = crit(m(x[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return time.perf_counter() - t0


def bench_resnet18_step(batch, repeat):
    """One SGD step (lr 0.1, momentum 0.9, wd 5e-4) of a full-width CIFAR ResNet-18, cross-entropy on fixed labels."""
    torch.manual_seed(0)
    net = D.resnet18().train()
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    x = torch.randn(batch, 3, 32, 32)
    y = torch.arange(batch) % 10

    def step():
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(net(x), y).backward()
        opt.step()
    return timed(step, repeat)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", default="", help="comma-separated subset of: " + ", ".join(NAMES))
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--batches", default="64,256,512", help="batches for dafl_iteration")
    ap.add_argument("--data", default=D.FASHION_DIR, help="Fashion-MNIST directory (teacher_epoch)")
    ap.add_argument("--resnet-batches", default="64,128", help="batches for resnet18_step")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    only = [n.strip() for n in args.only.split(",") if n.strip()] or NAMES
    for n in only:
        if n not in NAMES:
            ap.error("unknown benchmark %r (known: %s)" % (n, ", ".join(NAMES)))

    jobs = []
    for n in NAMES:
        if n not in only:
            continue
        if n == "generator_fwd_bwd":
            jobs.append((n, 256, lambda b: bench_generator(b, args.repeat)))
        elif n == "teacher_fwd_bwd_input":
            jobs.append((n, 256, lambda b: bench_teacher_input(b, args.repeat)))
        elif n == "student_step":
            jobs.append((n, 256, lambda b: bench_student_step(b, args.repeat)))
        elif n == "dafl_iteration":
            for b in [int(v) for v in args.batches.split(",") if v.strip()]:
                jobs.append((n, b, lambda b: bench_dafl_iteration(b, args.repeat)))
        elif n == "teacher_epoch":
            jobs.append((n, 256, lambda b: bench_teacher_epoch(b, args.data)))
        elif n == "resnet18_step":
            for b in [int(v) for v in args.resnet_batches.split(",") if v.strip()]:
                jobs.append((n, b, lambda b: bench_resnet18_step(b, args.repeat)))

    if not args.json:
        print("torch %s, threads %d, repeat %d (median)" % (torch.__version__, torch.get_num_threads(),
                                                            args.repeat))
        print("%-24s %6s %10s" % ("benchmark", "batch", "seconds"))
    for name, batch, fn in jobs:
        sec = fn(batch)
        if args.json:
            print(json.dumps({"name": name, "batch": batch, "seconds": round(sec, 6),
                              "threads": torch.get_num_threads()}), flush=True)
        else:
            print("%-24s %6d %10.4f" % (name, batch, sec), flush=True)


if __name__ == "__main__":
    main()
