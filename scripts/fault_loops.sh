#!/usr/bin/env bash
# Runs `dafl distill` into faults and checks that it stops cleanly or carries on (docs/RELIABILITY.md):
#   scripts/fault_loops.sh         (as root: it mounts tmpfs file systems; needs a release build)
# full disk    a run directory on a 256 MB tmpfs (a run needs 200 MB free to start) that a filler file
#              fills mid-run: leaving half a checkpoint free (the tensor write meets ENOSPC), and
#              leaving nothing (the log meets it first). The run must stop with exit status 3, a message
#              naming the file and saying there is no space, no temporary left behind, and a loadable last
#              checkpoint: once the filler is gone, --resume continues from it and finishes.
#              Also: a file system too small from the start is refused before training.
# read-only    a run directory on a read-only mount (new run, and --resume of a saved one): refused with
#              a message; a run directory made read-only mid-run (chmod 555, the run as user nobody,
#              since root ignores permissions): stops like a full disk, resumes after chmod 755.
# stop/cont    SIGSTOP and SIGCONT three times mid-run: the run finishes and its log replays.
# No outcome may be a crash (a signal's exit status, a Swift runtime error). Exit status 1 on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
DAFL=${DAFL:-$(pwd)/.build/release/dafl}
WORK=${WORK:-$(mktemp -d /tmp/dafl-faults.XXXXXX)}
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3
ITERATIONS=${ITERATIONS:-100}
ARGS=(--headless --iterations "$ITERATIONS" --checkpoint-every 10 --eval-every 50 --batch 64)
[ -x "$DAFL" ] || { echo "no $DAFL: swift build -c release --product dafl" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "fault_loops.sh mounts file systems: run it as root" >&2; exit 2; }
mkdir -p "$WORK"
chmod 755 "$WORK"

PID=; MOUNTS=()
cleanup() {
  [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null
  for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do umount "${MOUNTS[$i]}" 2>/dev/null; done
  true
}
trap cleanup EXIT

failures=0; rows=()
# result NAME OK DETAIL
result() {
  rows+=("$(printf '%-34s %-4s %s' "$1" "$2" "$3")")
  [ "$2" = ok ] || failures=$((failures + 1))
  echo "$(printf '%-34s %-4s' "$1" "$2") $3"
}
wait_for() {
  local t=$(( $3 * 20 ))
  while [ $t -gt 0 ]; do grep -q -- "$2" "$1" 2>/dev/null && return 0; sleep 0.05; t=$((t - 1)); done
  return 1
}
# A crash: killed by a signal (other than the SIGKILL the script sends) or a runtime error on stderr.
crashed() { [ "$1" -ge 128 ] || grep -qE "Fatal error|Crash|Illegal instruction|Segmentation|backtrace" "$2"; }
# loadable DIR: the tensor file checkpoint.json names is complete; prints its step.
loadable() {
  "$PY" - "$1" <<'PY'
import json, os, struct, sys
d = sys.argv[1]
side = json.load(open(os.path.join(d, "checkpoint.json")))
path = os.path.join(d, side["file"])
with open(path, "rb") as f:
    (n,) = struct.unpack("<Q", f.read(8)); header = json.loads(f.read(n))
end = max(v["data_offsets"][1] for k, v in header.items() if k != "__metadata__")
assert os.path.getsize(path) == 8 + n + end, f"{path}: {os.path.getsize(path)} bytes, header says {8 + n + end}"
assert header["__metadata__"]["step"] == str(side["step"]), f"{path}: step {header['__metadata__']['step']} vs {side['step']}"
print(side["step"])
PY
}
temporaries() { ls -A "$1" | grep -c '\.tmp-' || true; }
# replays LOG: `dafl replay --headless` reads it; prints its steps line.
replays() { "$DAFL" replay --headless "$1" 2>&1 | grep '^steps:'; }
new_tmpfs() { mkdir -p "$2"; mount -t tmpfs -o "size=$1" tmpfs "$2" && MOUNTS+=("$2"); }

# --- full disk -------------------------------------------------------------------------------
# full_disk ID NAME LEAVE: fills the disk after step 20's checkpoint, leaving LEAVE bytes free.
full_disk() {
  local name=$2 leave=$3 disk=$WORK/disk-$1 run out avail ck rc msg
  new_tmpfs 256m "$disk" || { result "$name" FAIL "cannot mount a tmpfs"; return; }
  run=$disk/run; out=$WORK/disk-$1.out
  "$DAFL" distill "${ARGS[@]}" --seed 1 --run-dir "$run" > "$out" 2>&1 &
  PID=$!
  wait_for "$out" "^checkpoint step 20:" 120 || { kill -9 $PID; PID=; result "$name" FAIL "no checkpoint at step 20"; return; }
  avail=$(df --output=avail -B1 "$disk" | tail -1)
  fallocate -l $((avail - leave)) "$disk/filler" || { kill -9 $PID; PID=; result "$name" FAIL "fallocate failed"; return; }
  wait "$PID"; rc=$?; PID=
  msg=$(grep -m1 "HALTED" "$out")
  if crashed "$rc" "$out"; then result "$name" FAIL "crashed (status $rc): $(tail -3 "$out" | tr '\n' ' ')"; return; fi
  if [ "$rc" -ne 3 ] || ! grep -qiE "no space left|enough space" <<< "$msg" || ! grep -q "$run/" <<< "$msg"; then
    result "$name" FAIL "status $rc, message: ${msg:-none}"; return
  fi
  ck=$(loadable "$run" 2>&1) || { result "$name" FAIL "last checkpoint not loadable: $ck"; return; }
  grep -q "^last good checkpoint: $run/checkpoint-$(printf %08d "$ck").safetensors" "$out" ||
    { result "$name" FAIL "the halt names another checkpoint than checkpoint.json's (step $ck)"; return; }
  [ "$(temporaries "$run")" -eq 0 ] || { result "$name" FAIL "temporary files left: $(ls -A "$run" | grep '\.tmp-')"; return; }
  grep -E "^warning|^HALTED|^last good|^make room|^done" "$out" | sed 's/^/    /'   # what the user sees
  # The log as the full disk left it reads to its last complete line.
  local before; before=$(replays "$run/events.jsonl") || { result "$name" FAIL "the log does not replay"; return; }
  rm "$disk/filler"
  "$DAFL" distill --headless --resume "$run" > "$out.resume" 2>&1; rc=$?
  if [ "$rc" -ne 0 ] || ! grep -q "^resuming at step $ck of" "$out.resume"; then
    result "$name" FAIL "resume after freeing space: status $rc: $(tail -2 "$out.resume" | tr '\n' ' ')"; return
  fi
  local rep; rep=$(replays "$run/events.jsonl")
  grep -q "of $ITERATIONS .*ended: completed" <<< "$rep" || { result "$name" FAIL "replay: ${rep:-failed}"; return; }
  result "$name" ok "exit 3 at step $(sed -n 's/^HALTED at step \([0-9]*\).*/\1/p' "$out"), checkpoint $ck loadable, log replayed to step $(sed -n 's/^steps: \([0-9]*\).*/\1/p' <<< "$before"), resumed to $ITERATIONS; \"${msg#HALTED at step * }\""
}

echo "full disk:"
# A file system too small from the start.
new_tmpfs 64m "$WORK/tiny" && {
  out=$WORK/tiny.out
  "$DAFL" distill "${ARGS[@]}" --run-dir "$WORK/tiny/run" > "$out" 2>&1; rc=$?
  if ! crashed "$rc" "$out" && [ "$rc" -ne 0 ] && grep -q "MB free" "$out" && [ ! -e "$WORK/tiny/run/events.jsonl" ]; then
    result "too small from the start" ok "exit $rc: $(tail -1 "$out")"
  else result "too small from the start" FAIL "status $rc: $(tail -2 "$out" | tr '\n' ' ')"; fi
}
full_disk half "full: half a checkpoint free" $((11 << 20))
full_disk none "full: nothing free" 0

# --- read-only run directory ---------------------------------------------------------------------
echo "read-only:"
mkdir -p "$WORK/ro" && mount -t tmpfs -o size=16m,ro tmpfs "$WORK/ro" && MOUNTS+=("$WORK/ro")
out=$WORK/ro-new.out
"$DAFL" distill "${ARGS[@]}" --run-dir "$WORK/ro/run" > "$out" 2>&1; rc=$?
if ! crashed "$rc" "$out" && [ "$rc" -ne 0 ] && grep -qiE "read.only|not writable" "$out"; then result "new run on a ro mount" ok "exit $rc: $(tail -1 "$out")"
else result "new run on a ro mount" FAIL "status $rc: $(tail -2 "$out" | tr '\n' ' ')"; fi

# A saved run, then the same directory through a read-only bind mount.
saved=$WORK/saved; out=$WORK/ro-resume.out
"$DAFL" distill "${ARGS[@]}" --iterations 20 --seed 2 --run-dir "$saved" > "$WORK/saved.out" 2>&1
mkdir -p "$WORK/saved-ro" && mount --bind "$saved" "$WORK/saved-ro" && MOUNTS+=("$WORK/saved-ro") && mount -o remount,bind,ro "$WORK/saved-ro"
before=$(ls -l --full-time "$saved" | md5sum)
"$DAFL" distill --headless --resume "$WORK/saved-ro" --iterations 40 > "$out" 2>&1; rc=$?
if ! crashed "$rc" "$out" && [ "$rc" -ne 0 ] && grep -qi "not writable" "$out" && [ "$before" = "$(ls -l --full-time "$saved" | md5sum)" ]; then
  result "--resume on a ro mount" ok "exit $rc: $(tail -1 "$out")"
else result "--resume on a ro mount" FAIL "status $rc: $(tail -2 "$out" | tr '\n' ' ')"; fi

# Read-only mid-run: root writes anyway, so the run is user nobody's.
as_nobody() { setpriv --reuid nobody --regid nogroup --clear-groups "$@"; }
run=$WORK/nobody/run; out=$WORK/ro-midrun.out
mkdir -p "$WORK/nobody" && chown nobody:nogroup "$WORK/nobody"
as_nobody "$DAFL" distill "${ARGS[@]}" --seed 4 --run-dir "$run" > "$out" 2>&1 &
PID=$!
if wait_for "$out" "^checkpoint step 20:" 120; then
  chmod 555 "$run"
  wait "$PID"; rc=$?; PID=
  msg=$(grep -m1 "HALTED" "$out")
  ck=$(loadable "$run" 2>&1); lrc=$?
  chmod 755 "$run"
  if crashed "$rc" "$out" || [ "$rc" -ne 3 ] || ! grep -qi "permission" <<< "$msg" || [ "$lrc" -ne 0 ]; then
    result "run dir read-only mid-run" FAIL "status $rc, message: ${msg:-none}, checkpoint: $ck"
  elif ! as_nobody "$DAFL" distill --headless --resume "$run" > "$out.resume" 2>&1 || ! grep -q "^resuming at step $ck of" "$out.resume"; then
    result "run dir read-only mid-run" FAIL "resume after chmod 755: $(tail -2 "$out.resume" | tr '\n' ' ')"
  else
    result "run dir read-only mid-run" ok "exit 3, checkpoint $ck loadable, resumed to $ITERATIONS; \"${msg#HALTED at step * }\""
  fi
else
  kill -9 "$PID"; PID=; result "run dir read-only mid-run" FAIL "no checkpoint at step 20: $(tail -2 "$out" | tr '\n' ' ')"
fi

# --- SIGSTOP / SIGCONT ---------------------------------------------------------------------------
echo "stop/cont:"
run=$WORK/stopcont; out=$WORK/stopcont.out
"$DAFL" distill "${ARGS[@]}" --seed 5 --run-dir "$run" > "$out" 2>&1 &
PID=$!
stopped=0
wait_for "$out" "^checkpoint step 10:" 120
for pause in 0.7 2.3 1.1; do
  sleep "$pause"
  kill -STOP "$PID" 2>/dev/null || break
  sleep 0.3
  [ "$(awk '{print $3}' "/proc/$PID/stat" 2>/dev/null)" = T ] && stopped=$((stopped + 1))
  sleep 2
  kill -CONT "$PID"
done
wait "$PID"; rc=$?; PID=
rep=$(replays "$run/events.jsonl")
if [ "$rc" -eq 0 ] && [ "$stopped" -eq 3 ] && grep -q "^done: completed at step $ITERATIONS" "$out" && grep -q "ended: completed" <<< "$rep"; then
  result "SIGSTOP/SIGCONT x3" ok "stopped 3 times for 2.3 s, completed, replay: $rep"
else result "SIGSTOP/SIGCONT x3" FAIL "status $rc, stopped $stopped times, replay: ${rep:-failed}"; fi

echo
echo "fault                              ok?  detail"
printf '%s\n' "${rows[@]}"
echo "failures: $failures   (outputs in $WORK)"
[ "$failures" -eq 0 ]
