#!/usr/bin/env python3
"""Reads a TensorBoard log directory with TensorBoard's own EventAccumulator and prints what it
holds as JSON: scalars (step, value), images (step, PNG-decoded width and height), histograms
(step, bucket limits, counts), text (step, string). Used by the export tests to compare with the run log.

    python3 scripts/tensorboard_dump.py DIR
"""
import io
import json
import sys

from tensorboard.backend.event_processing import event_accumulator as ea
from tensorboard.util import tensor_util

acc = ea.EventAccumulator(sys.argv[1], size_guidance={ea.SCALARS: 0, ea.IMAGES: 0, ea.HISTOGRAMS: 0, ea.TENSORS: 0})
acc.Reload()
tags = acc.Tags()
out = {"scalars": {}, "images": {}, "histograms": {}, "text": {}}
for tag in tags["scalars"]:
    out["scalars"][tag] = [[e.step, e.value] for e in acc.Scalars(tag)]


def png_size(data):
    # Width and height from the PNG's IHDR, after checking the signature; PIL decodes fully when present.
    try:
        from PIL import Image
        with Image.open(io.BytesIO(data)) as im:
            im.load()
            return list(im.size)
    except ImportError:
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        return [int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")]


for tag in tags["images"]:
    out["images"][tag] = [[e.step, e.width, e.height] + png_size(e.encoded_image_string) for e in acc.Images(tag)]
for tag in tags["histograms"]:
    out["histograms"][tag] = [[e.step, list(e.histogram_value.bucket_limit), list(e.histogram_value.bucket), e.histogram_value.num]
                              for e in acc.Histograms(tag)]
for tag in tags["tensors"]:
    out["text"][tag] = [[e.step, [s.decode() for s in tensor_util.make_ndarray(e.tensor_proto).reshape(-1)]] for e in acc.Tensors(tag)]
json.dump(out, sys.stdout)
