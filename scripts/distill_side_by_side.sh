#!/usr/bin/env bash
# Iterations per second of `dafl distill` and scripts/distill_torch.py on the same preset, alternated
# in one session; evaluation off, the first 3 iterations excluded on both sides.
#   scripts/distill_side_by_side.sh PRESET ITERATIONS [ROUNDS]    e.g.  cpu 40 2   |   paper 8 2
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:?preset}; iters=${2:?iterations}; rounds=${3:-2}
threads=${THREADS:-2}
export OPENBLAS_NUM_THREADS=$threads DAFL_THREADS=$threads
for r in $(seq "$rounds"); do
  d=$(mktemp -d)
  ./.build/release/dafl distill --preset "$preset" --iterations "$iters" --eval-every 100000 --checkpoint-every 100000 \
      --run-dir "$d/run" --headless >/dev/null
  ours=$(/usr/bin/python3 - "$d/run/events.jsonl" <<'PY'
import json, sys
s = [json.loads(l) for l in open(sys.argv[1]) if '"type":"step"' in l]
a, b = s[2], s[-1]          # time after iteration 3 to the end
print(f"{(b['step'] - a['step']) / (b['time'] - a['time']):.4f}")
PY
)
  rm -rf "$d"
  theirs=$(/usr/bin/python3 scripts/distill_torch.py --preset "$preset" --iterations "$iters" --threads "$threads" --json \
      | /usr/bin/python3 -c "import json,sys; print(f\"{json.loads(sys.stdin.read())['iters_per_s']:.4f}\")")
  echo "round $r: preset $preset, $iters iterations, $threads threads: dafl $ours it/s, pytorch $theirs it/s, dafl/pytorch speed $(/usr/bin/python3 -c "print(f'{$ours/$theirs:.2f}')")x"
done
