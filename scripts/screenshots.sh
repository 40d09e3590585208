#!/usr/bin/env bash
# Captures the dashboard as a user sees it, in tmux, at three sizes and three colour settings:
# docs/screenshots/<W>x<H>-<term>.txt (text) and .ansi (with colour escapes, `cat` it in a terminal).
#   scripts/screenshots.sh RUN_LOG   (e.g. runs/…/events.jsonl; needs a release build and tmux)
set -euo pipefail
cd "$(dirname "$0")/.."
log=${1:?usage: scripts/screenshots.sh RUN_LOG}
out=docs/screenshots
mkdir -p "$out"
bin=./.build/release/dafl
for size in 80x24 120x40 200x60; do
  w=${size%x*}; h=${size#*x}
  for term in xterm-256color xterm no-color; do
    if [ "$term" = no-color ]; then env="TERM=xterm-256color NO_COLOR=1"; else env="-u NO_COLOR TERM=$term"; fi
    s="shot-$$"
    # Open paused at the end of the run; wait until the student accuracy panel has drawn.
    tmux new-session -d -s "$s" -x "$w" -y "$h" "env $env $bin replay --start end $log"
    for _ in $(seq 100); do tmux capture-pane -p -t "$s" | grep -q "best" && break; sleep 0.1; done
    tmux capture-pane -p -t "$s" > "$out/$size-$term.txt"
    tmux capture-pane -p -e -t "$s" > "$out/$size-$term.ansi"
    tmux send-keys -t "$s" q
    tmux kill-session -t "$s" 2>/dev/null || true
    echo "$out/$size-$term.txt"
  done
done
# The half-block image preview (two grey pixels a cell) needs 256 colours: one capture with `p` pressed.
s="shot-hb-$$"
tmux new-session -d -s "$s" -x 120 -y 40 "env -u NO_COLOR TERM=xterm-256color $bin replay --start end $log"
for _ in $(seq 100); do tmux capture-pane -p -t "$s" | grep -q "best" && break; sleep 0.1; done
tmux send-keys -t "$s" p
for _ in $(seq 100); do tmux capture-pane -p -t "$s" | grep -q "half-block)" && break; sleep 0.1; done
tmux capture-pane -p -t "$s" > "$out/120x40-xterm-256color-halfblock.txt"
tmux capture-pane -p -e -t "$s" > "$out/120x40-xterm-256color-halfblock.ansi"
tmux send-keys -t "$s" q
tmux kill-session -t "$s" 2>/dev/null || true
echo "$out/120x40-xterm-256color-halfblock.txt"
