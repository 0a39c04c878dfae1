#!/usr/bin/env bash
# Runs the whole test suite N times in a row (default 3) while another process keeps
# both cores busy: a libx265 encode loop at normal priority, as on a shared encode host.
# Prints each run's wall time and its pass/fail counts; exits 1 if any run failed.
#   usage: scripts/suite-under-load.sh [runs]   (after `npm run setup && npm run build`)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
logs=$(mktemp -d "${TMPDIR:-/tmp}/vstream-suite-under-load-XXXXXX")

# The competitor: its own process group, so one signal stops the loop and its ffmpeg.
setsid bash -c 'while :; do ffmpeg -nostdin -hide_banner -loglevel error -f lavfi -i testsrc2=s=1920x1080:r=30 \
  -t 600 -c:v libx265 -preset medium -x265-params log-level=error -f null - ; done' &
load_pid=$!
trap 'kill -- -"$load_pid" 2>/dev/null || true' EXIT

printf 'load: a libx265 1080p encode loop (pgid %s); logs in %s\n' "$load_pid" "$logs"
failed=0
for run in $(seq 1 "$runs"); do
  start=$(date +%s)
  status=0
  node scripts/run-tests.js >"$logs/run-$run.log" 2>&1 || status=$?
  seconds=$(($(date +%s) - start))
  counts=$(grep -E '^# (tests|pass|fail) ' "$logs/run-$run.log" | awk '{printf "%s %s  ", $2, $3}')
  printf 'run %s: %d min %02d s, exit %s, %s\n' "$run" $((seconds / 60)) $((seconds % 60)) "$status" "$counts"
  if [ "$status" != 0 ]; then
    failed=1
    grep -E '^not ok|^# Subtest' "$logs/run-$run.log" | grep -B1 '^not ok' | head -20 || true
  fi
  printf 'load average: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
done
exit "$failed"
