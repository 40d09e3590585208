#!/usr/bin/python3
"""PyTorch twin of `dafl distill`: the same DAFL recipe, for comparing iterations per second.

    nice -n 10 /usr/bin/python3 scripts/distill_torch.py --preset cpu --iterations 120 [--threads 2] [--json]
    nice -n 10 /usr/bin/python3 scripts/distill_torch.py --preset paper --iterations 60 --eval-every 20

Presets (as DistillConfig.preset in Sources/DAFLTrainer/DistillConfig.swift):
  cpu    batch 128, generator width 64,  latent 100, Adam lr_G 0.2, Adam lr_S 2e-3,
         oh 1, beta (L_ie) 5, alpha (L_a) 0.1, student_steps 32, replay 256 batches,
         augment (replayed images shifted +-2 px, mirrored, mixed, relabelled by the teacher)
  paper  batch 512, generator width 128, student_steps 1, replay 0, no augment; otherwise the same
Flags override the preset (--batch, --generator-width, --student-steps, --replay, --no-augment, ...).
(The cosine student schedule and the collapse reset do not change the cost and are left out.)

One iteration (DAFLIteration.run + the replay loop of DAFLTrainer.iterate):
  z ~ N(0,1) (B, latent); zero grads; x = G(z) (train mode);
  logits_T, f_T = T(x, out_feature=True) (eval mode, frozen);
  loss = oh*L_oh + beta*L_ie + alpha*L_a + L_kd(S(x.detach()), logits_T.detach());
  backward; Adam step G; Adam step S.
  If replay > 0: (x, logits_T) go into a ring buffer of the last `replay` batches, then
  student_steps - 1 extra student steps, each on B samples drawn uniformly with replacement
  from every image held, with their stored teacher logits; with augment, the sampled images are
  shifted, mirrored and mixed and the teacher labels them again (StudentAugmentation.swift).

Timing: the first 3 iterations are warm-up; the reported seconds and iters_per_s cover
iterations 4..N only, and never include evaluation. --json prints one line:
  {"impl":"pytorch","preset","batch","iterations" (N, as given),"seconds","iters_per_s","threads"}
(evaluation lines then go to stderr). The student is LeNet-5-half, the teacher LeNet-5
loaded (strict) from a safetensors state_dict.
"""

import argparse
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dafl_torch as D  # noqa: E402

WARMUP = 3
DEFAULT_TEACHER = "models/teacher-fashion-lenet5.safetensors"

PRESETS = {
    "cpu": dict(batch=128, generator_width=64, latent=100, lr_g=0.2, lr_s=2e-3,
                oh=1.0, beta=5.0, alpha=0.1, student_steps=32, replay=256, augment=True),
    "paper": dict(batch=512, generator_width=128, latent=100, lr_g=0.2, lr_s=2e-3,
                  oh=1.0, beta=5.0, alpha=0.1, student_steps=1, replay=0, augment=False),
}


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description="PyTorch twin of `dafl distill` (speed comparison).")
    ap.add_argument("--preset", choices=sorted(PRESETS), default="cpu")
    ap.add_argument("--iterations", type=int, default=120,
                    help="DAFL iterations (the first %d are untimed warm-up)" % WARMUP)
    ap.add_argument("--batch", type=int)
    ap.add_argument("--generator-width", type=int)
    ap.add_argument("--latent", type=int)
    ap.add_argument("--student-steps", type=int)
    ap.add_argument("--replay", type=int, help="generated batches kept for replay")
    ap.add_argument("--lr-g", type=float)
    ap.add_argument("--lr-s", type=float)
    ap.add_argument("--oh", type=float)
    ap.add_argument("--alpha", type=float)
    ap.add_argument("--beta", type=float)
    ap.add_argument("--no-augment", action="store_true", help="replay as generated (dafl: --augment none)")
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    ap.add_argument("--teacher", default=DEFAULT_TEACHER)
    ap.add_argument("--data", default=D.FASHION_DIR, help="dataset directory (test split, for --eval-every)")
    ap.add_argument("--eval-every", type=int, default=0, help="evaluate the student every N iterations (0: never)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    cfg = dict(PRESETS[a.preset])
    for k in cfg:
        v = getattr(a, k, None)
        if v is not None:
            cfg[k] = v
    if a.no_augment:
        cfg["augment"] = False
    problems = []
    if a.iterations <= WARMUP:
        problems.append(f"--iterations must exceed the {WARMUP} warm-up iterations")
    if cfg["batch"] < 2:
        problems.append("--batch must be at least 2")
    if cfg["generator_width"] < 2 or cfg["generator_width"] % 2:
        problems.append("--generator-width must be even and at least 2")
    if cfg["student_steps"] < 1:
        problems.append("--student-steps must be at least 1")
    if cfg["student_steps"] > 1 and cfg["replay"] < 1:
        problems.append("--student-steps above 1 needs --replay of at least 1")
    if cfg["replay"] < 0 or a.eval_every < 0 or a.threads < 1:
        problems.append("--replay and --eval-every must be >= 0, --threads >= 1")
    if problems:
        ap.error("; ".join(problems))
    return a, cfg


def load_teacher(path):
    state, meta = D.load_safetensors(path)
    t = D.LeNet5(half=False)
    t.load_state_dict(state, strict=True)
    t.eval()
    for p in t.parameters():
        p.requires_grad_(False)
    return t, meta


@torch.no_grad()
def predictions(model, x, batch=1000):
    return torch.cat([model(x[i:i + batch]).argmax(1) for i in range(0, x.shape[0], batch)])


def augment(x, shift=2):
    """Shift by up to +-shift pixels (edges repeated), mirror with probability 1/2, then mix each image
    with another of the batch (lambda uniform in [0, 1]): as StudentAugmentation.apply."""
    B, C, H, W = x.shape
    dy = torch.randint(-shift, shift + 1, (B,))
    dx = torch.randint(-shift, shift + 1, (B,))
    mirror = torch.rand(B) < 0.5
    ys = (torch.arange(H)[None, :] - dy[:, None]).clamp(0, H - 1)
    xs = torch.arange(W)[None, :].expand(B, W)
    xs = torch.where(mirror[:, None], W - 1 - xs, xs)
    xs = (xs - dx[:, None]).clamp(0, W - 1)
    x = x[torch.arange(B)[:, None, None, None], torch.arange(C)[None, :, None, None],
          ys[:, None, :, None], xs[:, None, None, :]]
    lam = torch.rand(B, 1, 1, 1)
    return lam * x + (1 - lam) * x[torch.randperm(B)]


class Replay:
    """Ring buffer of the last `capacity` generated batches and their teacher logits."""

    def __init__(self, capacity, batch, image_shape, classes):
        self.capacity, self.batch = capacity, batch
        self.images = torch.empty((capacity * batch,) + tuple(image_shape))
        self.logits = torch.empty(capacity * batch, classes)
        self.held = 0   # batches held
        self.next = 0   # slot written next

    def add(self, x, t):
        s = self.next * self.batch
        self.images[s:s + self.batch].copy_(x)
        self.logits[s:s + self.batch].copy_(t)
        self.held = min(self.held + 1, self.capacity)
        self.next = (self.next + 1) % self.capacity

    def sample(self, size):
        # All batches have the same size, so this is the Swift side's draw
        # (batch uniform, then image uniform within it): uniform over all held images.
        idx = torch.randint(self.held * self.batch, (size,))
        return self.images[idx], self.logits[idx]


def main(argv=None):
    a, c = parse_args(argv)
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    log = sys.stderr if a.json else sys.stdout

    teacher, meta = load_teacher(a.teacher)
    channels = teacher.conv1.weight.shape[1]
    classes = teacher.fc2.weight.shape[0]
    side = int(meta.get("input_size", 32))
    B, latent = c["batch"], c["latent"]

    G = D.Generator(latent, c["generator_width"], channels, img_size=side).train()
    S = D.LeNet5(half=True, num_classes=classes)
    opt_G = torch.optim.Adam(G.parameters(), lr=c["lr_g"])
    opt_S = torch.optim.Adam(S.parameters(), lr=c["lr_s"])
    replay = Replay(c["replay"], B, (channels, side, side), classes) if c["replay"] > 0 else None

    test = None
    if a.eval_every > 0:
        mean = float(meta.get("mean", D.FASHION_MEAN))
        std = float(meta.get("std", D.FASHION_STD))
        tx, ty = D.load_fashion(a.data, split="test", mean=mean, std=std)
        tpred = predictions(teacher, tx)
        test = (tx, ty, tpred)
        print(f"teacher {a.teacher}: {(tpred == ty).double().mean().item() * 100:.2f}% on {a.data} test",
              file=log, flush=True)

    def evaluate(step):
        tx, ty, tpred = test
        S.eval()
        p = predictions(S, tx)
        S.train()
        acc = (p == ty).double().mean().item() * 100
        agree = (p == tpred).double().mean().item() * 100
        print(f"iteration {step}: student accuracy {acc:.2f}% (agreement with teacher {agree:.2f}%)",
              file=log, flush=True)

    w_oh, w_ie, w_a = c["oh"], c["beta"], c["alpha"]
    timed = 0.0
    for step in range(1, a.iterations + 1):
        t0 = time.perf_counter()
        z = torch.randn(B, latent)
        opt_G.zero_grad()
        opt_S.zero_grad()
        x = G(z)
        logits_T, f_T = teacher(x, out_feature=True)
        loss = (w_oh * D.loss_oh(logits_T) + w_ie * D.loss_ie(logits_T) + w_a * D.loss_a(f_T)
                + D.loss_kd(S(x.detach()), logits_T.detach()))
        loss.backward()
        opt_G.step()
        opt_S.step()
        if replay is not None:
            replay.add(x.detach(), logits_T.detach())
            for _ in range(c["student_steps"] - 1):
                xb, tb = replay.sample(B)
                if c["augment"]:
                    xb = augment(xb)
                    with torch.no_grad():
                        tb = teacher(xb)
                opt_S.zero_grad()
                D.loss_kd(S(xb), tb).backward()
                opt_S.step()
        dt = time.perf_counter() - t0
        if step > WARMUP:
            timed += dt
        if test is not None and (step % a.eval_every == 0 or step == a.iterations):
            evaluate(step)

    n = a.iterations - WARMUP
    rate = n / timed
    if a.json:
        print(json.dumps({"impl": "pytorch", "preset": a.preset, "batch": B, "iterations": a.iterations,
                          "seconds": round(timed, 6), "iters_per_s": round(rate, 6), "threads": a.threads}, separators=(",", ":")),
              flush=True)
    else:
        print(f"pytorch distill: preset {a.preset}, batch {B}, generator width {c['generator_width']}, "
              f"student steps {c['student_steps']}, replay {c['replay']}, threads {a.threads}: "
              f"{n} timed iterations (after {WARMUP} warm-up) in {timed:.3f} s = {rate:.3f} it/s", flush=True)


if __name__ == "__main__":
    main()
