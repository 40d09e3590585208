#!/usr/bin/env bash
# Runs `dafl bench` and scripts/bench_torch.py alternately on the same shapes, same thread count,
# and prints each benchmark's median over the rounds and the dafl/PyTorch time ratio.
#   scripts/bench_side_by_side.sh [ROUNDS] [BENCHMARKS] [BATCHES]
# Needs a release build (swift build -c release) and Debian's python3-torch.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
only=${2:-generator_fwd_bwd,teacher_fwd_bwd_input,student_step,dafl_iteration}
batches=${3:-64,256,512}
resnet_batches=${RESNET_BATCHES:-64,128}
threads=${THREADS:-2}
export OPENBLAS_NUM_THREADS=$threads DAFL_THREADS=$threads
out=$(mktemp)
# Which machine, and which BLAS kernels each side runs (OpenBLAS picks them when it loads).
./.build/release/dafl bench --machine
/usr/bin/python3 -c "import torch; print('pytorch', torch.__version__ + ';', [l.strip() for l in torch.__config__.show().splitlines() if 'CPU capability' in l][0])"
for r in $(seq "$rounds"); do
  ./.build/release/dafl bench --json --repeat 1 --only "$only" --batches "$batches" --resnet-batches "$resnet_batches" | sed "s/^/dafl /" >>"$out"
  /usr/bin/python3 scripts/bench_torch.py --json --repeat 1 --threads "$threads" --only "$only" --batches "$batches" --resnet-batches "$resnet_batches" | sed "s/^/torch /" >>"$out"
done
/usr/bin/python3 - "$out" "$rounds" "$threads" <<'PY'
import json, sys, statistics, collections
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    impl, js = line.split(" ", 1)
    d = json.loads(js)
    rows[(d["name"], d["batch"], impl)].append(d["seconds"])
print(f"side by side: {sys.argv[2]} alternating rounds, {sys.argv[3]} threads each, median seconds")
print(f"{'benchmark':24} {'batch':>6} {'dafl':>9} {'pytorch':>9} {'ratio':>7}")
for (name, batch) in sorted({(k[0], k[1]) for k in rows}, key=lambda k: (k[0], k[1])):
    a, b = rows.get((name, batch, "dafl")), rows.get((name, batch, "torch"))
    if not a or not b: continue
    ma, mb = statistics.median(a), statistics.median(b)
    print(f"{name:24} {batch:6d} {ma:9.4f} {mb:9.4f} {ma/mb:7.2f}")
PY
rm -f "$out"
