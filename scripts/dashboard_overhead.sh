#!/usr/bin/env bash
# Training throughput with the dashboard open versus headless: the same short CPU-preset run,
# alternated ROUNDS times; iterations per second from each run's own log (first 10 steps excluded).
#   scripts/dashboard_overhead.sh [ROUNDS] [ITERATIONS]     (release build and tmux needed)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-2}; iters=${2:-120}
bin=./.build/release/dafl
common="--iterations $iters --eval-every 100000 --checkpoint-every 100000"
rate() {  # iterations per second between step 10 and the last step of a log
  /usr/bin/python3 - "$1" <<'PY'
import json, sys
s = [json.loads(l) for l in open(sys.argv[1]) if '"type":"step"' in l]
a, b = s[9], s[-1]
print(f"{(b['step'] - a['step']) / (b['time'] - a['time']):.4f}")
PY
}
for r in $(seq "$rounds"); do
  d=$(mktemp -d); $bin distill $common --run-dir "$d/run" --headless >/dev/null
  h=$(rate "$d/run/events.jsonl"); rm -rf "$d"
  d=$(mktemp -d); s="ovh-$$"
  tmux new-session -d -s "$s" -x 120 -y 40 "env -u NO_COLOR TERM=xterm-256color $bin distill $common --run-dir $d/run"
  # Wait for the end banner, then leave with q.
  until tmux capture-pane -p -t "$s" | grep -q "press q to leave"; do sleep 1; done
  tmux send-keys -t "$s" q; sleep 1; tmux kill-session -t "$s" 2>/dev/null || true
  t=$(rate "$d/run/events.jsonl"); rm -rf "$d"
  echo "round $r: headless $h it/s, dashboard $t it/s, ratio $(/usr/bin/python3 -c "print(f'{$t/$h:.3f}')")"
done
