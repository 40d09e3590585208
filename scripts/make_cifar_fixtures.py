#!/usr/bin/python3
"""Made CIFAR files (no CIFAR set can be downloaded here) for Tests/DAFLEngineTests/CIFARTests:
two images per batch file, in every format the reader takes, and the bytes and labels expected.

    /usr/bin/python3 scripts/make_cifar_fixtures.py

Writes Tests/DAFLEngineTests/Fixtures/cifar/:
  bin/          CIFAR-10 binary: data_batch_1.bin ... data_batch_5.bin, test_batch.bin
  py2/          CIFAR-10 Python as the real files are (Python 2 cPickle, protocol 2: str keys, the
                array's bytes as a str), assembled opcode by opcode and checked with pickle.loads
  py3/cifar-10-batches-py/   CIFAR-10 Python written by Python 3 pickle, protocol 2 (bytes via _codecs)
  c100/cifar-100-python/     CIFAR-100 Python (train, test; fine_labels), Python 3 pickle, protocol 4
  c100bin/      CIFAR-100 binary (train.bin, test.bin: coarse and fine label bytes)
  expected.safetensors       train_pixels [10,3,32,32], train_labels [10], test_pixels, test_labels,
                             and c100_* the same for CIFAR-100 (F32, the values are bytes); test_normalized
                             (torchvision's ToTensor + Normalize with CIFAR-10's statistics) and
                             test_augmented (padded crop and flip at the offsets in metadata `crops`)
"""
import os
import pickle
import struct
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dafl_torch as D  # noqa: E402

OUT = os.path.join("Tests", "DAFLEngineTests", "Fixtures", "cifar")
rng = np.random.default_rng(7)


def batch(n, classes):
    return rng.integers(0, 256, size=(n, 3072), dtype=np.uint8), [int(v) for v in rng.integers(0, classes, size=n)]


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def py2_pickle(data, labels):
    """What Python 2's cPickle.dump(d, f, 2) writes for {'data': array, 'labels': [...]}."""
    def short_str(s):
        return b"U" + bytes([len(s)]) + s
    out = b"\x80\x02}q\x00(" + short_str(b"data") + b"q\x01"
    out += b"cnumpy.core.multiarray\n_reconstruct\nq\x02cnumpy\nndarray\nq\x03K\x00\x85" + short_str(b"b") + b"\x87Rq\x04"
    n, m = data.shape
    out += b"(K\x01" + b"M" + struct.pack("<H", n) + b"M" + struct.pack("<H", m) + b"\x86"
    out += b"cnumpy\ndtype\nq\x05" + short_str(b"u1") + b"K\x00K\x01\x87Rq\x06(K\x03" + short_str(b"|") + b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb"
    raw = data.tobytes()
    out += b"\x89T" + struct.pack("<I", len(raw)) + raw + b"tb"
    out += short_str(b"labels") + b"q\x07]q\x08(" + b"".join(b"K" + bytes([v]) for v in labels) + b"e"
    out += short_str(b"batch_label") + b"q\x09" + short_str(b"made batch") + b"u."
    back = pickle.loads(out, encoding="bytes")
    assert np.array_equal(back[b"data"], data) and back[b"labels"] == labels
    return out


def main():
    expected = {}
    train = [batch(2, 10) for _ in range(5)]
    test = batch(2, 10)
    for i, (d, y) in enumerate(train + [test]):
        name = "data_batch_%d" % (i + 1) if i < 5 else "test_batch"
        write(os.path.join(OUT, "bin", name + ".bin"), b"".join(bytes([y[j]]) + d[j].tobytes() for j in range(len(y))))
        write(os.path.join(OUT, "py2", name), py2_pickle(d, y))
        write(os.path.join(OUT, "py3", "cifar-10-batches-py", name),
              pickle.dumps({"batch_label": "made", "labels": y, "data": d, "filenames": ["a.png"] * len(y)}, protocol=2))
    tx = np.concatenate([d for d, _ in train]); ty = sum([y for _, y in train], [])
    expected["train_pixels"] = torch.tensor(tx.reshape(-1, 3, 32, 32), dtype=torch.float32)
    expected["train_labels"] = torch.tensor(ty, dtype=torch.float32)
    expected["test_pixels"] = torch.tensor(test[0].reshape(-1, 3, 32, 32), dtype=torch.float32)
    expected["test_labels"] = torch.tensor(test[1], dtype=torch.float32)
    for split in ("train", "test"):
        d, y = batch(3, 100)
        coarse = [v // 5 for v in y]
        write(os.path.join(OUT, "c100", "cifar-100-python", split),
              pickle.dumps({b"fine_labels": y, b"coarse_labels": coarse, b"data": d}, protocol=4))
        write(os.path.join(OUT, "c100bin", split + ".bin"), b"".join(bytes([coarse[j], y[j]]) + d[j].tobytes() for j in range(len(y))))
        expected["c100_%s_pixels" % split] = torch.tensor(d.reshape(-1, 3, 32, 32), dtype=torch.float32)
        expected["c100_%s_labels" % split] = torch.tensor(y, dtype=torch.float32)
    # torchvision's ToTensor + Normalize, op for op in float32, and RandomCrop(32, padding=4) +
    # RandomHorizontalFlip at fixed offsets: the picture is padded with black before normalising.
    mean = torch.tensor([0.4914, 0.4822, 0.4465], dtype=torch.float32)[:, None, None]
    std = torch.tensor([0.2023, 0.1994, 0.2010], dtype=torch.float32)[:, None, None]
    imgs = torch.tensor(test[0].reshape(-1, 3, 32, 32))
    expected["test_normalized"] = torch.stack([im.to(torch.float32).div(255).sub(mean).div(std) for im in imgs])
    crops = [(1, 7, True), (8, 0, False)]  # (dx, dy, flip) per test image
    out = []
    for im, (dx, dy, flip) in zip(imgs, crops):
        padded = torch.nn.functional.pad(im, (4, 4, 4, 4), value=0).to(torch.float32).div(255).sub(mean).div(std)
        c = padded[:, dy:dy + 32, dx:dx + 32]
        out.append(c.flip(-1) if flip else c)
    expected["test_augmented"] = torch.stack(out)
    D.save_safetensors(os.path.join(OUT, "expected.safetensors"), expected,
                       {"fixture": "cifar", "crops": ";".join("%d,%d,%d" % (dx, dy, int(f)) for dx, dy, f in crops),
                        "normalization": "mean 0.4914,0.4822,0.4465 std 0.2023,0.1994,0.2010"})
    print("wrote", OUT)


if __name__ == "__main__":
    main()
