#!/usr/bin/env bash
# Runs every libFuzzer target (or the ones named) for a fixed time, two at a time by default.
# Build first: cmake --preset fuzz && cmake --build build/fuzz
#
# Usage: tests/fuzz/run_fuzzers.sh [-t SECONDS] [-j JOBS] [-b BUILD_DIR] [-T UNIT_TIMEOUT] [TARGET...]
# -T: seconds one input may take before libFuzzer reports a timeout (default 10); raise it when the
# fuzzers share the machine with builds, which can starve them of CPU for longer than that.
# Per target, under BUILD_DIR/fuzz-runs/<target>/: corpus/ (grows; the committed seeds are only
# read), artifacts/ (crash-*, oom-*, timeout-* reproducers) and fuzz.log. A summary line per
# target is printed at the end: executions, seconds, corpus size, artifacts.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
seconds=180
jobs=2
unit_timeout=10
build="$repo/build/fuzz"
while getopts "t:j:b:T:" opt; do
  case "$opt" in
    T) unit_timeout="$OPTARG" ;;
    t) seconds="$OPTARG" ;;
    j) jobs="$OPTARG" ;;
    b) build="$(cd "$OPTARG" && pwd)" ;;
    *) exit 2 ;;
  esac
done
shift $((OPTIND - 1))

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for src in "$here"/*_fuzz.cpp; do
    name="$(basename "$src")"
    targets+=("${name%_fuzz.cpp}")
  done
fi

for t in "${targets[@]}"; do
  [ -x "$build/tests/fuzz/fuzz_$t" ] || { echo "no $build/tests/fuzz/fuzz_$t; build the fuzz preset" >&2; exit 1; }
done

# Recoverable UBSan reports must stop the run, or libFuzzer never sees them. liblzma, libarchive
# and libsquashfs allocate what a header declares (a 4 GiB LZMA dictionary, a block list for a
# 2^40-byte file) before finding the data is not there; in a normal build that memory is never
# touched, but ASan poisons all of it, which turns one such input into a multi-second timeout.
# Refusing allocations above 2 GiB makes them fail the way they do on a host without overcommit,
# and libFuzzer's malloc limit then only sees what is really used.
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1:max_allocation_size_mb=2048}"

run_one() {
  local t="$1" dir="$build/fuzz-runs/$1"
  mkdir -p "$dir/corpus" "$dir/artifacts"
  local inputs=("$dir/corpus" "$here/seeds/$t")
  [ -d "$here/crashes/$t" ] && inputs+=("$here/crashes/$t")
  local dict=()
  [ -f "$here/dicts/$t.dict" ] && dict=("-dict=$here/dicts/$t.dict")
  "$build/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -rss_limit_mb=4096 -timeout="$unit_timeout" \
    -print_final_stats=1 -artifact_prefix="$dir/artifacts/" "${dict[@]}" "${inputs[@]}" \
    >"$dir/fuzz.log" 2>&1 || true
}
export -f run_one
export build here seconds unit_timeout

printf '%s\n' "${targets[@]}" | xargs -P "$jobs" -I{} bash -c 'run_one {}'

printf '%-15s %12s %8s %8s %s\n' target executions seconds corpus artifacts
for t in "${targets[@]}"; do
  dir="$build/fuzz-runs/$t"
  # libFuzzer prints final stats only when the time is up; after a crash the last status line
  # ("#<executions> ...") is what there is.
  execs="$(grep -ho 'stat::number_of_executed_units: *[0-9]*' "$dir/fuzz.log" | grep -o '[0-9]*$' || true)"
  [ -n "$execs" ] || execs="$(grep -o '^#[0-9]*' "$dir/fuzz.log" | tail -1 | tr -d '#' || true)"
  secs="$(grep -o 'Done [0-9]* runs in [0-9]* second' "$dir/fuzz.log" | awk '{print $5}' || true)"
  corpus="$(find "$dir/corpus" -type f | wc -l)"
  arts="$(find "$dir/artifacts" -type f -printf '%f ' 2>/dev/null || true)"
  printf '%-15s %12s %8s %8s %s\n' "$t" "${execs:-?}" "${secs:-stopped}" "$corpus" "${arts:-none}"
done
