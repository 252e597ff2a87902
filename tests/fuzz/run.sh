#!/usr/bin/env bash
# Builds the libFuzzer harnesses with clang in build-fuzz and runs each for
# SECONDS (default 60), one per core at a time: ctest -L fuzz. Crashing inputs
# are written to build-fuzz/tests/fuzz-artifacts/fuzz_<name>/; new corpus
# inputs to build-fuzz/tests/fuzz-corpus/ (tests/fuzz/corpus is not touched).
#     tests/fuzz/run.sh [SECONDS]
#     tests/fuzz/run.sh --build    builds them only (tools/run-tests does it
#                                  while other tests run)
set -euo pipefail
cd "$(dirname "$0")/../.."
build_only=false
[ "${1:-}" = --build ] && { build_only=true; shift; }
seconds=${1:-60}
case $seconds in
'' | *[!0-9]*) echo "usage: tests/fuzz/run.sh [--build] [SECONDS]" >&2; exit 2 ;;
esac
command -v clang > /dev/null || { echo "run.sh: clang not found (tools/setup)" >&2; exit 1; }

mkdir -p build-fuzz
CC=clang cmake -S . -B build-fuzz -DNGC_FUZZ=ON -DNGC_TESTS=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNGC_FUZZ_SECONDS="$seconds" \
    > build-fuzz/cmake.log 2>&1 || { cat build-fuzz/cmake.log; exit 1; }
cmake --build build-fuzz --target fuzz_all -j"$(nproc)"
$build_only && exit 0
# Each harness is one process on one core: run as many side by side.
status=0
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-fuzz --output-on-failure -j"$(nproc)" -L fuzz || status=$?
# libFuzzer's final statistics of each harness (-print_final_stats=1).
awk '/^[0-9]+\/[0-9]+ Test: fuzz_/ { name = $3 }
     /^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)/ {
         print name ": " $0 }
     /^#[0-9]+[[:space:]]+DONE/ { print name ": " $0 }' \
    build-fuzz/Testing/Temporary/LastTest.log || true
exit $status
