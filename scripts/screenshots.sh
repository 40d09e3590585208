#!/usr/bin/env bash
# Captures the dashboard as a user sees it, in tmux, at three sizes and three colour settings:
# docs/screenshots/<W>x<H>-<term>.txt (text) and .ansi (with colour escapes, `cat` it in a terminal),
# plus one of the half-block image preview (256 colours).
#   scripts/screenshots.sh RUN_LOG   (e.g. runs/…/events.jsonl; needs a release build and tmux)
set -euo pipefail
cd "$(dirname "$0")/.."
log=${1:?usage: scripts/screenshots.sh RUN_LOG}
out=docs/screenshots
mkdir -p "$out"
bin=./.build/release/dafl

# capture NAME WIDTH HEIGHT ENV [KEY]: open the replay paused at the end, optionally press KEY, capture.
capture() {
  local name=$1 w=$2 h=$3 env=$4 key=${5:-} s="shot-$$"
  tmux new-session -d -s "$s" -x "$w" -y "$h" "env $env $bin replay --start end $log"
  # Wait until the student accuracy panel has drawn.
  for _ in $(seq 100); do tmux capture-pane -p -t "$s" | grep -q "best" && break; sleep 0.1; done
  if [ -n "$key" ]; then
    tmux send-keys -t "$s" "$key"
    for _ in $(seq 100); do tmux capture-pane -p -t "$s" | grep -q "half-block)" && break; sleep 0.1; done
  fi
  tmux capture-pane -p -t "$s" > "$out/$name.txt"
  tmux capture-pane -p -e -t "$s" > "$out/$name.ansi"
  tmux send-keys -t "$s" q
  tmux kill-session -t "$s" 2>/dev/null || true
  echo "$out/$name.txt"
}

for size in 80x24 120x40 200x60; do
  for term in xterm-256color xterm no-color; do
    # A tmux server may carry NO_COLOR in its global environment: set or unset it explicitly.
    if [ "$term" = no-color ]; then env="TERM=xterm-256color NO_COLOR=1"; else env="-u NO_COLOR TERM=$term"; fi
    capture "$size-$term" "${size%x*}" "${size#*x}" "$env"
  done
done
capture 120x40-xterm-256color-halfblock 120 40 "-u NO_COLOR TERM=xterm-256color" p
