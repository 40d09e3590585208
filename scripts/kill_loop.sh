#!/usr/bin/env bash
# SIGKILLs one `dafl distill` run at N random moments and resumes it each time (docs/RELIABILITY.md).
#   scripts/kill_loop.sh [N=20]          (needs a release build: swift build -c release --product dafl)
# Kills cycle through three aims: a random moment, the tensor file being written (its temporary
# `.checkpoint-*.safetensors.tmp-PID` exists), and the moment it is renamed into place (before or while
# checkpoint.json follows). Where each kill really landed is read off the run directory afterwards.
# After every kill it checks that
#   - the next `--resume` loads the checkpoint that checkpoint.json names (it prints "resuming at step S"),
#   - the tensor file is complete (header and size agree, its metadata step is the sidecar's),
#   - the last step in events.jsonl is at most one checkpoint interval past the checkpoint,
#   - `dafl replay --headless` reads the log (to its last complete line),
#   - at most one temporary file and two tensor files are in the run directory.
# Then it lets the run finish, checks that its student is byte for byte the one an uninterrupted run
# with the same seed trains (REFERENCE=0 skips that run), and prints a table. Exit status 1 on any failed check.
# Environment: ITERATIONS (400), CHECKPOINT_EVERY (10), EVAL_EVERY (50), BATCH (64), SEED (7), WORK (a temp dir).
set -uo pipefail
cd "$(dirname "$0")/.."
N=${1:-20}
DAFL=${DAFL:-./.build/release/dafl}
ITERATIONS=${ITERATIONS:-400}
K=${CHECKPOINT_EVERY:-10}
EVAL_EVERY=${EVAL_EVERY:-50}
BATCH=${BATCH:-64}
SEED=${SEED:-7}
REFERENCE=${REFERENCE:-1}
WORK=${WORK:-$(mktemp -d /tmp/dafl-kill.XXXXXX)}
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3
RUN=$WORK/run
RANDOM=$SEED
[ -x "$DAFL" ] || { echo "no $DAFL: swift build -c release --product dafl" >&2; exit 2; }
mkdir -p "$WORK"
echo "kill loop: $N kills, run $RUN ($ITERATIONS iterations, checkpoint every $K, batch $BATCH)"

PID=
cleanup() { [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; true; }
trap cleanup EXIT

# wait_for FILE PATTERN SECONDS: until a line of FILE matches, or the time is up (status 1).
wait_for() {
  local t=$(( $3 * 20 ))
  while [ $t -gt 0 ]; do grep -q -- "$2" "$1" 2>/dev/null && return 0; sleep 0.05; t=$((t - 1)); done
  return 1
}

# killer PID DIR AIM DELAY JITTER: sleeps DELAY, then SIGKILLs PID at once (random), when its tensor
# temporary appears plus JITTER seconds (tensor), or when a tensor file it wrote has been renamed into
# place (rename). Prints what it waited for.
killer() {
  "$PY" - "$@" <<'PY'
import os, sys, time, signal
pid, d, aim, delay, jitter = int(sys.argv[1]), sys.argv[2], sys.argv[3], float(sys.argv[4]), float(sys.argv[5])
def alive():
    try:
        with open(f"/proc/{pid}/stat") as f: return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError: return False
def tensors(): return {n for n in os.listdir(d) if n.startswith("checkpoint-") and n.endswith(".safetensors")}
time.sleep(delay)
before, deadline, seen = tensors(), time.time() + 120, "random"
while aim != "random" and time.time() < deadline and alive():
    names = os.listdir(d)
    if aim == "tensor" and any(n.startswith(".checkpoint-") and n.endswith(f".tmp-{pid}") for n in names):
        time.sleep(jitter); seen = "tensor temporary"; break
    if aim == "rename" and (tensors() - before or f".checkpoint.json.tmp-{pid}" in names):
        seen = "tensor renamed"; break
else:
    if aim != "random": seen = "gave up waiting"
if alive(): os.kill(pid, signal.SIGKILL); print(seen)
else: print("exited before the kill")
PY
}

# inspect DIR PID LAUNCH_TIME: where the kill landed and the state the run directory is in, as
# "phase|checkpoint step|last logged step|expected replay step|temporaries|tensor files|problems".
inspect() {
  "$PY" - "$@" <<'PY'
import json, os, struct, sys
d, pid, launch = sys.argv[1], sys.argv[2], float(sys.argv[3])
names = os.listdir(d)
problems = []
tmps = [n for n in names if ".tmp-" in n]
tensors = sorted(n for n in names if n.startswith("checkpoint-") and n.endswith(".safetensors"))
side = json.load(open(os.path.join(d, "checkpoint.json")))
# Tensor files this process wrote (an older kill may have left one of the same name).
mine = {t for t in tensors if os.path.getmtime(os.path.join(d, t)) >= launch}
if any(n.startswith(".checkpoint-") and n.endswith(f".tmp-{pid}") for n in tmps): phase = "writing tensors"
elif f".checkpoint.json.tmp-{pid}" in tmps: phase = "writing checkpoint.json"
elif mine - {side["file"]}: phase = "tensors renamed, checkpoint.json not yet"
elif side["file"] in mine and len(tensors) > 1: phase = "removing the old tensors"
else: phase = "between checkpoints"
# The tensor file checkpoint.json names is complete: 8-byte header length, JSON header, data to the last offset.
path = os.path.join(d, side["file"])
try:
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8)); header = json.loads(f.read(n))
    end = max(v["data_offsets"][1] for k, v in header.items() if k != "__metadata__")
    if os.path.getsize(path) != 8 + n + end: problems.append(f"{side['file']} is {os.path.getsize(path)} bytes, header says {8 + n + end}")
    if header["__metadata__"].get("step") != str(side["step"]): problems.append(f"{side['file']} holds step {header['__metadata__'].get('step')}, checkpoint.json says {side['step']}")
except Exception as e: problems.append(f"{side['file']}: {e}")
# The log to its last complete line: last step event, and the step a replay should end at (a resume-run
# at step S drops the later steps before it).
data = open(os.path.join(d, "events.jsonl"), "rb").read()
last = replay = 0
for line in data[:data.rfind(b"\n") + 1].splitlines():
    try: e = json.loads(line)
    except ValueError: continue
    if e.get("type") == "step": last = replay = e["step"]
    elif e.get("type") == "control" and e.get("action") == "resume-run": replay = e["step"]
if len(tmps) > 1: problems.append(f"{len(tmps)} temporary files: {' '.join(tmps)}")
if len(tensors) > 2: problems.append(f"{len(tensors)} tensor files: {' '.join(tensors)}")
print("|".join(map(str, [phase, side["step"], last, replay, len(tmps), len(tensors), "; ".join(problems)])))
PY
}

failures=0; resumes_ok=0; max_lost=0; in_write=0
rows=()
fail() { echo "  FAIL: $*"; failures=$((failures + 1)); }

for i in $(seq 1 "$N"); do
  out=$WORK/out-$i.txt
  launch=$(date +%s.%N)
  if [ "$i" -eq 1 ]; then
    "$DAFL" distill --headless --run-dir "$RUN" --iterations "$ITERATIONS" --checkpoint-every "$K" \
      --eval-every "$EVAL_EVERY" --batch "$BATCH" --seed "$SEED" > "$out" 2>&1 &
    PID=$!
    # A run killed before its first checkpoint has nothing to resume: start the clock at that checkpoint.
    wait_for "$out" "^checkpoint step" 120 || { fail "kill 1: no first checkpoint"; cat "$out"; break; }
    expect_step=$K
  else
    "$DAFL" distill --headless --resume "$RUN" > "$out" 2>&1 &
    PID=$!
    # The clock starts once the checkpoint has loaded.
    if wait_for "$out" "^resuming at step $expect_step of" 60; then resumes_ok=$((resumes_ok + 1))
    else fail "resume $((i - 1)) did not load the checkpoint at step $expect_step"; sed 's/^/    /' "$out"; fi
  fi
  case $((i % 3)) in
    1) aim=random; delay=$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 0.05 + r / 32767 * 5 }') ;;
    2) aim=tensor; delay=$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", r / 32767 * 4 }') ;;
    0) aim=rename; delay=$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", r / 32767 * 4 }') ;;
  esac
  jitter=$(awk -v r=$RANDOM 'BEGIN { printf "%.3f", r / 32767 * 0.02 }')
  seen=$(killer "$PID" "$RUN" "$aim" "$delay" "$jitter")
  wait "$PID" 2>/dev/null; rc=$?
  dead_pid=$PID; PID=
  if [ "$seen" = "exited before the kill" ]; then fail "kill $i: dafl exited (status $rc) before the kill"; sed 's/^/    /' "$out"; break; fi
  [ "$rc" -eq 137 ] || fail "kill $i: exit status $rc, not 137 (SIGKILL)"
  IFS='|' read -r phase ck last replay_step tmps tensors problems <<< "$(inspect "$RUN" "$dead_pid" "$launch")"
  [ -n "$problems" ] && fail "kill $i: $problems"
  lost=$((last - ck))
  if [ "$lost" -lt 0 ] || [ "$lost" -gt "$K" ]; then fail "kill $i: checkpoint at step $ck, log at step $last: $lost steps lost (interval $K)"; fi
  [ "$lost" -gt "$max_lost" ] && max_lost=$lost
  [ "$phase" = "between checkpoints" ] || in_write=$((in_write + 1))
  rep=$("$DAFL" replay --headless "$RUN/events.jsonl" 2>&1); rrc=$?
  rsteps=$(sed -n 's/^steps: \([0-9]*\) of.*/\1/p' <<< "$rep")
  if [ "$rrc" -ne 0 ] || [ "$rsteps" != "$replay_step" ]; then
    fail "kill $i: replay status $rrc, steps '$rsteps', expected $replay_step"; tail -5 <<< "$rep" | sed 's/^/    /'
  fi
  rows+=("$(printf '%3d  %-6s %5ss  %-42s %6d %6d %5d %4d %4d  %s' "$i" "$aim" "$delay" "$phase" "$last" "$ck" "$lost" "$tmps" "$tensors" "${rrc/#0/ok}")")
  expect_step=$ck
done

# Finish the run.
out=$WORK/out-final.txt
"$DAFL" distill --headless --resume "$RUN" > "$out" 2>&1 &
PID=$!
wait "$PID"; rc=$?; PID=
if grep -q "^resuming at step $expect_step of" "$out"; then resumes_ok=$((resumes_ok + 1)); else fail "final resume did not load step $expect_step"; fi
grep -q "^done: completed at step $ITERATIONS" "$out" && [ "$rc" -eq 0 ] || { fail "final run: status $rc"; tail -5 "$out" | sed 's/^/    /'; }
rep=$("$DAFL" replay --headless "$RUN/events.jsonl" 2>&1) || fail "final replay failed"
grep -q "^steps: $ITERATIONS of $ITERATIONS .*ended: completed" <<< "$rep" || fail "final replay: $(grep '^steps:' <<< "$rep")"
left=$(cd "$RUN" && ls -A | grep -c '\.tmp-' || true)
[ "$left" -eq 0 ] || fail "$left temporary files left after the run: $(cd "$RUN" && ls -A | grep '\.tmp-' | tr '\n' ' ')"
[ "$(cd "$RUN" && ls checkpoint-*.safetensors | wc -l)" -eq 1 ] || fail "more than one tensor file after the run"
same=skipped
if [ "$REFERENCE" != 0 ]; then
  # Resuming restores everything (weights, optimizers, replay memory, RNG): the result is the uninterrupted run's.
  "$DAFL" distill --headless --run-dir "$WORK/reference" --iterations "$ITERATIONS" --checkpoint-every "$K" \
    --eval-every "$EVAL_EVERY" --batch "$BATCH" --seed "$SEED" > "$WORK/out-reference.txt" 2>&1 || fail "reference run failed"
  if cmp -s "$RUN/student.safetensors" "$WORK/reference/student.safetensors"; then same=yes
  else same=no; fail "the student differs from the uninterrupted run's"; fi
fi

echo
echo "  #  aim    delay  landed                                      logged  ckpt  lost  tmp  tsr  replay"
printf '%s\n' "${rows[@]}"
echo
kills=${#rows[@]}
echo "kills: $kills   resumes ok: $resumes_ok/$kills   landed during a checkpoint write: $in_write"
echo "max steps lost: $max_lost (checkpoint every $K)   final: $(grep '^done:' "$out")"
echo "student identical to an uninterrupted run's: $same"
echo "failures: $failures   (logs in $WORK)"
[ "$failures" -eq 0 ]
