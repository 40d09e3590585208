#!/usr/bin/python3
"""Screen student-side ideas in minutes: train a LeNet-5-half on a finished run's replay memory.

    /usr/bin/python3 scripts/replay_proxy.py --checkpoint RUN/checkpoint-00001000.safetensors [--init prune] ...

The images are the generated ones a `dafl distill` checkpoint keeps for replay (the last 256 batches of
the cpu preset: 32,768 images), so the data is fixed and only the student's side changes. Each step
draws 256 of them, shifts (±2 px, wrapped), mirrors and mixes them as `--augment shift,flip,mixup` does,
has the teacher label the result and takes one Adam step on KL(teacher ‖ student), the learning rate
under a cosine schedule. The test split only measures. It prints the test accuracy every 500 steps.

--init random        PyTorch's default initialisation
--init prune         the teacher pruned to half width, units kept by their weights' L1 norm
                     (--crit in, as `dafl distill --student-init teacher`; out: outgoing weights; inout: product)
--init gradual       the full-width teacher, whose units outside the pruned set fade out linearly over
                     the first --fade of the steps (their outputs times 1 → 0); then exactly the pruned student
--init merge         pruned, then each dropped unit merged into the kept unit of the same layer whose incoming
                     weights (with bias) point the most alike, if their cosine is at least --merge-cos: its outgoing
                     weights, scaled by the projection of its incoming ones, are added to that unit's (neuron
                     merging, Kim et al. 2020; exact for a positive multiple, since ReLU and max-pooling commute
                     with positive scaling). No data.
--init lsq           pruned, then layer by layer from conv2 on, each layer's weights refitted by least squares
                     (ridge --ridge) so that, on the student's own inputs, its kept pre-activations match the
                     teacher's on --fit of the generated images (as ThiNet or channel pruning do with real data)
--data real          train (and fit) on Fashion-MNIST's training images instead: a ceiling, never a recipe
--binarize T         with --data real: every training pixel set to black or white at grey threshold T, as the
                     generator's saturated tanh makes its images (a measure of what grey levels are worth)
--steps 0            only measure the start
--save FILE          write the trained student (LeNet-5-half, PyTorch's names) for other scripts to measure
--freeze conv1,...   layers left untrained; --hint W adds W · MSE between the student's 60 features and
                     the teacher's at the kept units; --loss mse|l1 replaces the KL by a loss on the logits.
--anchor W           adds W · the squared distance of the student's weights from its start (L2-SP)
--sure-weight G      weighs each image's KL by the teacher's top probability to the power G (G < 0: the
                     images the teacher is unsure of count more)
--drop-hardest P     leaves out the share P of each batch with the largest KL (self-paced); --drop-easiest P
                     the share with the smallest
"""

import argparse
import math
import os
import sys

import torch
import torch.nn.functional as F
from safetensors import safe_open
from safetensors.torch import load_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dafl_torch as D  # noqa: E402

LAYERS = ["conv1", "conv2", "conv3", "fc1", "fc2"]
HALF = [3, 8, 60, 42, 10]


def kept_units(state, crit):
    """Per hidden layer, the teacher's units a half-width student keeps (as LeNet5.inheritUnits)."""
    kept, inputs = {}, None
    for i, (name, k) in enumerate(zip(LAYERS[:-1], HALF[:-1])):
        w = state[name + ".weight"]
        if inputs is not None:
            w = w[:, inputs]
        incoming = w.abs().reshape(w.shape[0], -1).sum(1)
        nxt = state[LAYERS[i + 1] + ".weight"]
        outgoing = nxt.abs().transpose(0, 1).reshape(nxt.shape[1], -1).sum(1)
        score = {"in": incoming, "out": outgoing, "inout": incoming * outgoing}[crit]
        # Stable sort on the negated score: ties keep the lower index, as the Swift code does.
        inputs = torch.sort(-score, stable=True).indices[:k].sort().values
        kept[name] = inputs
    return kept


def pruned_state(state, kept):
    out, inputs = {}, None
    for name in LAYERS:
        w, b = state[name + ".weight"], state[name + ".bias"]
        if inputs is not None:
            w = w[:, inputs]
        units = kept.get(name, torch.arange(w.shape[0]))
        out[name + ".weight"], out[name + ".bias"] = w[units].clone(), b[units].clone()
        inputs = units
    return out


def merged(state, kept, min_cos):
    """The teacher with each dropped unit's outgoing weights added, scaled, to its most similar kept unit's."""
    out, inputs = {k: v.clone() for k, v in state.items()}, None
    for i, name in enumerate(LAYERS[:-1]):
        w = out[name + ".weight"] if inputs is None else out[name + ".weight"][:, inputs]
        v = torch.cat([w.reshape(w.shape[0], -1), out[name + ".bias"][:, None]], 1)
        units, nxt = kept[name], out[LAYERS[i + 1] + ".weight"]
        for j in range(v.shape[0]):
            if (units == j).any():
                continue
            cos = F.cosine_similarity(v[j][None], v[units], dim=1)
            c, at = cos.max(0)
            if c >= min_cos:
                k = units[at]
                nxt[:, k] += c * v[j].norm() / v[k].norm() * nxt[:, j]
        inputs = units
    return out


def refitted(state, kept, x, ridge):
    """The pruned student with conv2 … fc2 refitted by ridge least squares to the teacher's pre-activations."""
    s, t = pruned_state(state, kept), state

    def solve(inputs, targets):
        X = torch.cat([inputs, torch.ones(inputs.shape[0], 1)], 1)
        A = X.T @ X + ridge * X.shape[0] * torch.diag(torch.cat([torch.ones(X.shape[1] - 1), torch.zeros(1)]))
        W = torch.linalg.solve(A, X.T @ targets)
        return W[:-1].T.contiguous(), W[-1].contiguous()

    def conv(name, hs, ht):
        units, k = kept.get(name, torch.arange(t[name + ".weight"].shape[0])), t[name + ".weight"].shape[-1]
        y = F.conv2d(ht, t[name + ".weight"], t[name + ".bias"])[:, units]
        patches = F.unfold(hs, k).transpose(1, 2).reshape(-1, hs.shape[1] * k * k)
        w, b = solve(patches, y.flatten(2).transpose(1, 2).reshape(-1, len(units)))
        s[name + ".weight"], s[name + ".bias"] = w.view(len(units), hs.shape[1], k, k), b
        return F.relu(F.conv2d(hs, s[name + ".weight"], b)), F.relu(F.conv2d(ht, t[name + ".weight"], t[name + ".bias"]))

    def linear(name, hs, ht):
        units = kept.get(name, torch.arange(t[name + ".weight"].shape[0]))
        s[name + ".weight"], s[name + ".bias"] = solve(hs, F.linear(ht, t[name + ".weight"], t[name + ".bias"])[:, units])
        return F.relu(F.linear(hs, s[name + ".weight"], s[name + ".bias"])), F.relu(F.linear(ht, t[name + ".weight"], t[name + ".bias"]))

    with torch.no_grad():
        hs = F.max_pool2d(F.relu(F.conv2d(x, s["conv1.weight"], s["conv1.bias"])), 2)
        ht = F.max_pool2d(F.relu(F.conv2d(x, t["conv1.weight"], t["conv1.bias"])), 2)
        hs, ht = (F.max_pool2d(h, 2) for h in conv("conv2", hs, ht))
        hs, ht = (h.flatten(1) for h in conv("conv3", hs, ht))
        hs, ht = linear("fc1", hs, ht)
        linear("fc2", hs, ht)
    return s


def mixed_forward(net, x, layer, lam, perm):
    """Logits of a LeNet-5 whose outputs of `layer` (after ReLU, and pooling for conv1/conv2) are mixed in pairs."""
    def mix(h):
        l = lam.view(-1, *([1] * (h.dim() - 1)))
        return l * h + (1 - l) * h[perm]
    h = F.max_pool2d(F.relu(net.conv1(x)), 2)
    if layer == "conv1":
        h = mix(h)
    h = F.max_pool2d(F.relu(net.conv2(h)), 2)
    if layer == "conv2":
        h = mix(h)
    h = F.relu(net.conv3(h)).view(x.shape[0], -1)
    if layer == "conv3":
        h = mix(h)
    h = F.relu(net.fc1(h))
    if layer == "fc1":
        h = mix(h)
    return net.fc2(h)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True, help="one checkpoint, or several separated by commas (their memories joined)")
    ap.add_argument("--teacher", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models",
                                                      "teacher-fashion-lenet5.safetensors"))
    ap.add_argument("--init", choices=["random", "prune", "gradual", "merge", "lsq"], default="random")
    ap.add_argument("--merge-cos", type=float, default=0.5)
    ap.add_argument("--ridge", type=float, default=1e-3)
    ap.add_argument("--fit", type=int, default=8192)
    ap.add_argument("--data", choices=["generated", "real"], default="generated")
    ap.add_argument("--binarize", type=float, default=None,
                    help="with --data real: each training pixel black or white by this grey threshold (0..1), as the generator's saturated output")
    ap.add_argument("--crit", choices=["in", "out", "inout"], default="in")
    ap.add_argument("--fade", type=float, default=0.5)
    ap.add_argument("--freeze", default="")
    ap.add_argument("--hint", type=float, default=0.0)
    ap.add_argument("--loss", choices=["kl", "mse", "l1"], default="kl")
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--save", help="write the trained student here (safetensors, PyTorch's names; not with --init gradual)")
    ap.add_argument("--mix-layer", choices=["input", "conv1", "conv2", "conv3", "fc1"], default="input",
                    help="where the pairs are mixed: the pixels (as --augment mixup), or both networks' outputs of that layer")
    ap.add_argument("--teacher-views", choices=["one", "flip", "shift"], default="one",
                    help="the teacher's answer: on the image (one), or the mean of its logits on the image and its mirror "
                         "(flip) or the image and four one-pixel shifts (shift)")
    ap.add_argument("--jacobian", type=float, default=0.0,
                    help="W · the squared distance between the teacher's and the student's input gradients of the "
                         "teacher's top class logit, each scaled to unit length (Jacobian matching, Srinivas & Fleuret 2018)")
    ap.add_argument("--erase", type=float, default=0.0,
                    help="share of images with a random rectangle (up to half the side each way) set to black, before the teacher labels them")
    ap.add_argument("--anchor", type=float, default=0.0,
                    help="weight of the squared distance of the student's weights from its start (L2-SP)")
    ap.add_argument("--sure-weight", type=float, default=0.0,
                    help="weight each image's KL by the teacher's top probability to this power")
    ap.add_argument("--drop-hardest", type=float, default=0.0,
                    help="leave out this share of each batch: the images with the largest KL (self-paced)")
    ap.add_argument("--drop-easiest", type=float, default=0.0,
                    help="leave out this share of each batch: the images with the smallest KL")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)

    teacher = D.LeNet5(half=False)
    teacher.load_state_dict(load_file(a.teacher))
    teacher.eval()
    for p in teacher.parameters():
        p.requires_grad_(False)
    memories = []
    for path in a.checkpoint.split(","):
        with safe_open(path, "pt") as f:
            memories.append(torch.cat([f.get_tensor(k) for k in f.keys() if k.startswith("replay.images.")]))
    images = torch.cat(memories).view(-1, 1, 32, 32)
    if a.data == "real":
        images = D.load_fashion(D.FASHION_DIR, "train", D.FASHION_MEAN, D.FASHION_STD)[0]
        if a.binarize is not None:
            black, white = (0 - D.FASHION_MEAN) / D.FASHION_STD, (1 - D.FASHION_MEAN) / D.FASHION_STD
            cut = (a.binarize - D.FASHION_MEAN) / D.FASHION_STD
            images = torch.where(images > cut, torch.tensor(white), torch.tensor(black))
    state = teacher.state_dict()
    kept = kept_units(state, a.crit)
    gradual = a.init == "gradual"
    student = D.LeNet5(half=not gradual)
    if a.init == "prune":
        student.load_state_dict(pruned_state(state, kept))
    elif a.init == "merge":
        student.load_state_dict(pruned_state(merged(state, kept, a.merge_cos), kept))
    elif a.init == "lsq":
        student.load_state_dict(refitted(state, kept, images[torch.randperm(images.shape[0])[:a.fit]], a.ridge))
    elif gradual:
        student.load_state_dict(state)
        masks = {n: torch.zeros(state[n + ".weight"].shape[0]) for n in LAYERS[:-1]}
        for n in masks:
            masks[n][kept[n]] = 1

    def forward(x, fade=0.0):
        """Logits and the 60 kept features; a gradual student's dropped units are scaled by `fade`."""
        def scale(name, h):
            if not gradual:
                return h
            m = masks[name] + (1 - masks[name]) * fade
            return h * m.view(1, -1, *([1] * (h.dim() - 2)))
        s = student
        h = F.max_pool2d(scale("conv1", F.relu(s.conv1(x))), 2)
        h = F.max_pool2d(scale("conv2", F.relu(s.conv2(h))), 2)
        feature = scale("conv3", F.relu(s.conv3(h))).view(x.shape[0], -1)
        logits = s.fc2(scale("fc1", F.relu(s.fc1(feature))))
        return logits, (feature[:, kept["conv3"]] if gradual else feature)

    start = {n: p.detach().clone() for n, p in student.named_parameters()}
    frozen = {n for n in a.freeze.split(",") if n}
    opt = torch.optim.Adam([p for n, p in student.named_parameters() if n.split(".")[0] not in frozen], lr=a.lr)
    x_test, y_test = D.load_fashion(D.FASHION_DIR, "test", D.FASHION_MEAN, D.FASHION_STD)

    def accuracy(fade):
        with torch.no_grad():
            return (forward(x_test, fade)[0].argmax(1) == y_test).float().mean().item() * 100

    print("images %d, start %.2f %%" % (images.shape[0], accuracy(1.0 if gradual else 0.0)))
    n = images.shape[0]
    for step in range(a.steps):
        fade = max(0.0, 1 - step / (a.fade * a.steps)) if gradual else 0.0
        x = images[torch.randint(0, n, (256,))]
        dx, dy = torch.randint(-2, 3, (2,))
        x = torch.roll(x, (int(dy), int(dx)), (2, 3))
        flip = torch.rand(256) < 0.5
        x[flip] = x[flip].flip(3)
        lam = torch.distributions.Beta(1.0, 1.0).sample((256, 1, 1, 1))
        perm = torch.randperm(256)
        if a.erase > 0:
            black = (0 - D.FASHION_MEAN) / D.FASHION_STD
            for i in torch.nonzero(torch.rand(256) < a.erase).flatten().tolist():
                h, w = torch.randint(4, 17, (2,)).tolist()
                top, left = torch.randint(0, 33 - h, (1,)).item(), torch.randint(0, 33 - w, (1,)).item()
                x[i, :, top:top + h, left:left + w] = black
        if a.mix_layer == "input":
            x = lam * x + (1 - lam) * x[perm]
            with torch.no_grad():
                t_logits, t_feature = teacher(x, out_feature=True)
                if a.teacher_views == "flip":
                    t_logits = (t_logits + teacher(x.flip(3))) / 2
                elif a.teacher_views == "shift":
                    views = [torch.roll(x, s, d) for s in (-1, 1) for d in (2, 3)]
                    t_logits = (t_logits + sum(teacher(v) for v in views)) / 5
            s_logits, s_feature = forward(x, fade)
        else:
            # Manifold mixup: each network mixes its own outputs of the layer for the same pairs and λ.
            with torch.no_grad():
                t_logits = mixed_forward(teacher, x, a.mix_layer, lam, perm)
            s_logits = mixed_forward(student, x, a.mix_layer, lam, perm)
            t_feature = s_feature = None
        if a.loss == "kl" and a.sure_weight != 0:
            pt = F.softmax(t_logits, 1)
            w = pt.max(1).values.pow(a.sure_weight)
            per = (pt * (F.log_softmax(t_logits, 1) - F.log_softmax(s_logits, 1))).sum(1)
            loss = (w * per).sum() / w.sum()
        elif a.loss == "kl" and (a.drop_hardest > 0 or a.drop_easiest > 0):
            per = F.kl_div(F.log_softmax(s_logits, 1), F.softmax(t_logits, 1), reduction="none").sum(1)
            order, n_b = per.argsort(), per.shape[0]
            keep = order[int(round(n_b * a.drop_easiest)): n_b - int(round(n_b * a.drop_hardest))]
            loss = per[keep].mean()
        elif a.loss == "kl":
            loss = F.kl_div(F.log_softmax(s_logits, 1), F.softmax(t_logits, 1), reduction="batchmean")
        elif a.loss == "mse":
            loss = F.mse_loss(s_logits, t_logits)
        else:
            loss = F.l1_loss(s_logits, t_logits)
        if a.hint > 0:
            loss = loss + a.hint * F.mse_loss(s_feature, t_feature[:, kept["conv3"]])
        if a.jacobian > 0:
            xj = x.detach().requires_grad_(True)
            top = t_logits.argmax(1, keepdim=True)
            with torch.enable_grad():
                gt = torch.autograd.grad(teacher(xj).gather(1, top).sum(), xj)[0].flatten(1)
            gs = torch.autograd.grad(forward(xj, fade)[0].gather(1, top).sum(), xj, create_graph=True)[0].flatten(1)
            gt = gt / (gt.norm(dim=1, keepdim=True) + 1e-8)
            gs = gs / (gs.norm(dim=1, keepdim=True) + 1e-8)
            loss = loss + a.jacobian * (gs - gt).pow(2).sum(1).mean()
        if a.anchor > 0:
            loss = loss + a.anchor * sum((p - start[n]).pow(2).sum() for n, p in student.named_parameters())
        opt.zero_grad()
        loss.backward()
        opt.step()
        for g in opt.param_groups:
            g["lr"] = a.lr * 0.5 * (1 + math.cos(math.pi * (step + 1) / a.steps))
        if (step + 1) % 500 == 0:
            print("step %d  test accuracy %.2f %%" % (step + 1, accuracy(fade)), flush=True)
    print("final %.2f %%" % accuracy(0.0))
    if a.save:
        if gradual:
            sys.exit("--save: a gradually pruned student is the wide net; save the pruned ones only")
        from safetensors.torch import save_file
        save_file({k: v.detach().contiguous() for k, v in student.state_dict().items()}, a.save)
        print("saved", a.save)


if __name__ == "__main__":
    main()
