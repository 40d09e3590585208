#!/usr/bin/python3
"""How many grey levels the pictures have, and what the teacher loses without them.

    /usr/bin/python3 scripts/tone_levels.py [RUN/checkpoint-NNNNNNNN.safetensors ...] [--generator RUN/generator.safetensors]

Prints the teacher's test accuracy on the test images cut to black and white at a few grey thresholds, the
share of the test images' pixels that are neither black nor white, and, for each checkpoint given, the same
share for its replay memory (the generated images the student learns from) with the memory's value histogram.
With --generator, the quantiles of |drive| (its last convolution's output, which the tanh squashes) on 128 noise draws.
The DAFL generator ends in tanh and a batch norm; once its tanh saturates, a batch of images takes two values.
Measures only; nothing here trains.
"""

import os
import sys

import numpy as np
import torch
from safetensors import safe_open

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dafl_torch as D  # noqa: E402


def mid_share(x, low, high, margin=0.3):
    """Share of values more than `margin` (normalised units) inside the two levels."""
    return float(((x > low + margin) & (x < high - margin)).float().mean())


def drive_quantiles(path, seed=0):
    """|drive| quantiles (5, 25, 50, 75, 95 %) of a saved `dafl distill` generator (width from its weights) on 128 draws."""
    from safetensors.torch import load_file
    state = load_file(path)
    width = state["l1.0.weight"].shape[0] // 64
    g = D.Generator(latent=state["l1.0.weight"].shape[1], width=width)
    g.load_state_dict(state, strict=False)
    g.train()
    torch.manual_seed(seed)
    with torch.no_grad():
        h = g.conv_blocks0(g.l1(torch.randn(128, g.latent)).view(128, width, 8, 8))
        h = g.conv_blocks1(torch.nn.functional.interpolate(h, scale_factor=2))
        h = torch.nn.functional.interpolate(h, scale_factor=2)
        for layer in list(g.conv_blocks2)[:4]:
            h = layer(h)
    a = h.abs().flatten()
    return [float(a.quantile(q)) for q in (0.05, 0.25, 0.5, 0.75, 0.95)]


def main():
    torch.set_num_threads(1)
    if "--generator" in sys.argv:
        i = sys.argv.index("--generator")
        path = sys.argv[i + 1]
        del sys.argv[i:i + 2]
        print("%s: |drive| quantiles 5/25/50/75/95 %%: %s" % (path, ", ".join("%.1f" % q for q in drive_quantiles(path))))
    teacher = D.load_lenet5(D.SHIPPED_TEACHER).eval()
    x, y = D.load_fashion(split="test")
    black, white = (0 - D.FASHION_MEAN) / D.FASHION_STD, (1 - D.FASHION_MEAN) / D.FASHION_STD
    with torch.no_grad():
        print("teacher on the test images: %.2f %%" % ((teacher(x).argmax(1) == y).float().mean() * 100))
        for threshold in (0.1, 0.3, 0.5):
            cut = (threshold - D.FASHION_MEAN) / D.FASHION_STD
            xb = torch.where(x > cut, torch.tensor(white), torch.tensor(black))
            print("teacher on the test images cut to black and white at grey %.1f: %.2f %%"
                  % (threshold, (teacher(xb).argmax(1) == y).float().mean() * 100))
    print("test pixels: %.1f %% not black, %.1f %% between the levels (0.3 inside black and white)"
          % (float((x > black + 1e-3).float().mean()) * 100, mid_share(x, black, white) * 100))
    for path in sys.argv[1:]:
        with safe_open(path, "pt") as f:
            batches = [f.get_tensor(k) for k in sorted(f.keys()) if k.startswith("replay.images.")]
        # A batch norm ends the generator, so each batch's two levels are its own (their values depend on its share
        # of white): measure each batch between its own 2nd and 98th percentiles, then average over the memory.
        shares = []
        for b in batches:
            lo, hi = (float(v) for v in np.quantile(b.numpy(), [0.02, 0.98]))
            shares.append(mid_share(b, lo, hi))
        images = torch.cat(batches)
        print("%s: %d images in %d batches; %.1f %% of pixels between their batch's two levels (0.3 inside its 2nd and 98th percentiles)"
              % (path, images.numel() // 1024, len(batches), float(np.mean(shares)) * 100))


if __name__ == "__main__":
    main()
