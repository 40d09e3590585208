#!/usr/bin/env bash
# Fuzzes every parser of user-supplied files (Fuzz/DAFLFuzz/FuzzTarget.swift) with libFuzzer and
# AddressSanitizer, and prints executions, coverage and findings per target.
#
#   scripts/fuzz.sh [--runs N | --seconds S] [TARGET ...]   # default: --runs 100000, every target
#
# The instrumented build lives in .build/fuzz (DAFL_FUZZ=1 adds the target to Package.swift). Each
# target starts from its committed seeds in Fuzz/corpus/TARGET; inputs that reach new code are kept in
# .build/fuzz/corpus/TARGET (not committed). A crash, hang (>10 s), or allocation past 1 GiB writes its
# input to .build/fuzz/findings/ and makes the script exit 1. Leak reports are off: the ones seen come
# from Foundation's file reading at exit, not from dafl.
set -euo pipefail
cd "$(dirname "$0")/.."
limit=(-runs=100000); targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) limit=(-runs="$2"); shift 2 ;;
    --seconds) limit=(-max_total_time="$2"); shift 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
[ ${#targets[@]} -eq 0 ] && targets=(safetensors model idx runlog checkpoint theme controlfile cifar)

# `--sanitize fuzzer` makes SwiftPM link libFuzzer's main; `-sanitize=fuzzer` on every module adds the coverage.
DAFL_FUZZ=1 swift build -c release --scratch-path .build/fuzz --sanitize fuzzer --sanitize address \
  -Xswiftc -sanitize=fuzzer,address --product DAFLFuzz 2>&1 | grep -v "Cannot export local symbol" | tail -1
bin=.build/fuzz/release/DAFLFuzz
mkdir -p .build/fuzz/findings .build/fuzz/logs

status=0
printf '%-12s %10s %8s %8s %9s %8s  %s\n' target executions exec/s coverage features corpus result
for t in "${targets[@]}"; do
  [ -d "Fuzz/corpus/$t" ] || { echo "no seed corpus Fuzz/corpus/$t" >&2; exit 2; }
  work=.build/fuzz/corpus/$t; mkdir -p "$work"
  log=.build/fuzz/logs/$t.log
  set +e
  ASAN_OPTIONS=detect_leaks=0 DAFL_FUZZ_TARGET=$t "$bin" "${limit[@]}" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 -detect_leaks=0 \
    -print_final_stats=1 -artifact_prefix=.build/fuzz/findings/$t- "$work" "Fuzz/corpus/$t" >"$log" 2>&1
  rc=$?
  set -e
  runs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log")
  speed=$(awk '/stat::average_exec_per_sec/ {print $2}' "$log")
  last=$(grep -E '^#[0-9]+' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' <<<"$last" | grep -o '[0-9]*' || echo "?")
  ft=$(grep -o 'ft: [0-9]*' <<<"$last" | grep -o '[0-9]*' || echo "?")
  corp=$(grep -o 'corp: [0-9]*' <<<"$last" | grep -o '[0-9]*' || echo "?")
  if [ $rc -eq 0 ]; then result=ok; else
    result="FAILED (exit $rc): $(grep -m1 -E 'ERROR|deadly signal|Fatal error|timeout' "$log" || true); log $log"
    status=1
  fi
  printf '%-12s %10s %8s %8s %9s %8s  %s\n' "$t" "$runs" "$speed" "$cov" "$ft" "$corp" "$result"
done
exit $status
