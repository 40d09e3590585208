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
FASHION_CLASSES = ["T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Boot"]

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
    ap.add_argument("--run-dir", help="write dafl's run log (events.jsonl) here and obey its command file (control.jsonl), "
                    "through adapters/pytorch: `dafl watch DIR/events.jsonl` shows and steers the run")
    ap.add_argument("--samples-every", type=int, default=10, help="with --run-dir: log generated images every N iterations")
    ap.add_argument("--ddp", type=int, default=1, help="processes of DistributedDataParallel (gloo, CPU), spawned here")
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
    # Under torchrun (WORLD_SIZE > 1): DistributedDataParallel over gloo, a different noise seed per rank.
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = 0
    if world > 1:
        import torch.distributed as dist
        dist.init_process_group("gloo")
        rank = dist.get_rank()
    torch.manual_seed(a.seed + rank)
    log = sys.stderr if a.json else sys.stdout

    teacher, meta = load_teacher(a.teacher)
    channels = teacher.conv1.weight.shape[1]
    classes = teacher.fc2.weight.shape[0]
    side = int(meta.get("input_size", 32))
    B, latent = c["batch"], c["latent"]

    G = D.Generator(latent, c["generator_width"], channels, img_size=side).train()
    S = D.LeNet5(half=True, num_classes=classes)
    if world > 1:
        torch.manual_seed(a.seed)  # the same initial weights on every rank
        G = D.Generator(latent, c["generator_width"], channels, img_size=side).train()
        S = D.LeNet5(half=True, num_classes=classes)
        G, S = torch.nn.parallel.DistributedDataParallel(G), torch.nn.parallel.DistributedDataParallel(S)
        torch.manual_seed(a.seed + rank)
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
    run_log = control = applied_log = None
    if a.run_dir:
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "adapters", "pytorch"))
        from dafl_adapter import Control, RunLog
        run_log = RunLog(a.run_dir, preset="pytorch", settings=dict(c, iterations=a.iterations, world_size=world),
                         class_names=FASHION_CLASSES if classes == 10 else [str(i) for i in range(classes)])
        control = Control(a.run_dir, run_log, values={"oh": w_oh, "beta": w_ie, "alpha": w_a})
        # Each rank's record of the commands it applied, and at which step (the DDP test compares them).
        applied_log = open(os.path.join(a.run_dir, "rank%d-applied.txt" % rank), "a")
    timed = 0.0
    step = 0
    for step in range(1, a.iterations + 1):
        if control is not None:
            applied = control.poll(step)
            for cmd in applied.commands:
                print("step %d: %s" % (step, " ".join(str(x) for x in cmd if x is not None)), file=applied_log, flush=True)
            w_oh, w_ie, w_a = control.values["oh"], control.values["beta"], control.values["alpha"]
            if applied.stop:
                step -= 1
                break
        t0 = time.perf_counter()
        z = torch.randn(B, latent)
        opt_G.zero_grad()
        opt_S.zero_grad()
        x = G(z)
        logits_T, f_T = teacher(x, out_feature=True)
        l_oh, l_ie, l_a = D.loss_oh(logits_T), D.loss_ie(logits_T), D.loss_a(f_T)
        l_kd = D.loss_kd(S(x.detach()), logits_T.detach())
        loss = w_oh * l_oh + w_ie * l_ie + w_a * l_a + l_kd
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
        if run_log is not None:
            probs = logits_T.detach().softmax(1)
            hist = torch.bincount(probs.argmax(1), minlength=classes).tolist()
            run_log.step(step, oh=l_oh.item(), a=l_a.item(), ie=l_ie.item(), kd=l_kd.item(), total=loss.item(),
                         alpha=w_a, beta=w_ie, oh_weight=w_oh, lr_g=c["lr_g"], lr_s=c["lr_s"], hist=hist, steps_per_second=1 / dt)
            if step % a.samples_every == 0:
                conf, label = probs[:16].max(1)
                run_log.samples(step, x.detach()[:16], label.tolist(), conf.tolist())
        if test is not None and (step % a.eval_every == 0 or step == a.iterations):
            evaluate(step)

    if run_log is not None:
        run_log.end(step, "stopped" if step < a.iterations else "completed")
        run_log.close()
        applied_log.close()
    if world > 1:
        # Every rank reaches here at the same step (the stop is broadcast). No destroy_process_group:
        # with gloo it sometimes hung at exit under load; the worker ends its process instead.
        import torch.distributed as dist
        dist.barrier()
    if a.run_dir:
        return
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


def _ddp_worker(rank, world, argv):
    os.environ.update(RANK=str(rank), WORLD_SIZE=str(world), LOCAL_RANK=str(rank))
    main(argv)
    # Leave at once: gloo's and OpenMP's threads can keep an orderly interpreter exit waiting.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def launch(argv=None):
    """Runs main, or with --ddp N, N processes of it (what torchrun would do, without its agent)."""
    a, _ = parse_args(argv)
    if a.ddp > 1 and "WORLD_SIZE" not in os.environ:
        import socket
        import torch.multiprocessing as mp
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
        mp.spawn(_ddp_worker, args=(a.ddp, argv if argv is not None else sys.argv[1:]), nprocs=a.ddp)
    else:
        main(argv)


if __name__ == "__main__":
    launch()
