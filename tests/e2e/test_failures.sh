#!/usr/bin/env bash
# Nothing lost when processes die: every failpoint (engine/base/failpoint.h) and
# random SIGKILLs of workers give output byte-identical to a clean run;
# retries are bounded; signals stop cleanly; no process, shared memory or
# temporary file outlives a run.
# ctest: labels=proc cost=40
. "$(dirname "$0")/lib.sh"
CHAOS_SIZE=${NGC_CHAOS_SIZE:-100M}
CHAOS_ROUNDS=${NGC_CHAOS_ROUNDS:-8}

# 12 tasks of 1M are enough for every task id below (up to 9) under a
# sanitizer, where each run is 3x (ASan) to 10x (TSan) slower.
FP_SIZE=24M
reduced && FP_SIZE=12M
"$NGC_GEN" --seed 21 --size "$FP_SIZE" -o "$WORK/in.tsv" 2>/dev/null
gzip -c "$WORK/in.tsv" > "$WORK/in.tsv.gz"
python3 "$REF" "$WORK/in.tsv" > "$WORK/ref.out"
"$NGC_BIN" --no-progress -c 1M "$WORK/in.tsv" > "$WORK/clean.out"
check "clean run equals the reference" cmp -s "$WORK/ref.out" "$WORK/clean.out"

# fp_run NAME FAILPOINTS STDERR-PATTERN ARGS...: exit 0, exact output, and
# stderr shows the failure was seen and handled.
fp_run() {
    local name=$1 fps=$2 pattern=$3 rc=0
    shift 3
    # -v: each retried task's own line (without it, one line per death).
    NGC_FAILPOINTS="$fps" "$NGC_BIN" --no-progress -v "$@" > "$WORK/fp.out" 2> "$WORK/fp.err" || rc=$?
    if [ "$rc" -ne 0 ]; then
        fail "$name: exit $rc: $(head -c 400 "$WORK/fp.err")"
    elif ! cmp -s "$WORK/clean.out" "$WORK/fp.out"; then
        fail "$name: output differs from the clean run"
    elif ! grep -qE -- "$pattern" "$WORK/fp.err"; then
        fail "$name: stderr lacks /$pattern/: $(head -c 400 "$WORK/fp.err")"
    else
        pass
    fi
}
P="-p 3 -t 2 -c 1M $WORK/in.tsv"
fp_run "crash in map (SIGKILL)" worker.crash_in_map@task=3 "retrying task 3 .*bytes 3145728-4194303.*attempt 2 of 4" $P
fp_run "crash in map (SIGSEGV)" worker.crash_in_map@task=5:segv "(killed by signal (11|6)|exited with status)" $P  # sanitizers catch SEGV: abort (ASan) or exit 66 (TSan)
fp_run "crash in map (abort)" worker.crash_in_map@task=6:abort "killed by signal 6" $P
fp_run "crash in map (exit)" worker.crash_in_map@task=7:exit "exited with status 3" $P
fp_run "crash in merge, holding a partition lock" worker.crash_in_merge@task=2 "repairing partition" $P
fp_run "crash in merge (SIGSEGV)" worker.crash_in_merge@task=9:segv "retrying task 9" $P
fp_run "crash in sort" worker.crash_in_sort@task=5 "retrying sort task 5" $P
fp_run "crash in a table's growth, holding a partition lock (every first attempt that grows one)" worker.crash_in_grow "repairing partition" $P
fp_run "crash after sending DONE" worker.crash_after_send@task=4 "worker [0-9] \(pid [0-9]+\) died" $P
check "a task whose DONE arrived is not run again" bash -c "! grep -q 'retrying task 4 ' '$WORK/fp.err'"
fp_run "stalled worker" worker.stall@task=2 "made no progress for 2 s" --task-timeout 2 $P
fp_run "corrupt frame" worker.corrupt_frame@task=3 "broke the protocol \(unsupported protocol version\)" $P
fp_run "crash in a gzip stream" worker.crash_in_map "retrying task 0 \('.*in.tsv.gz'\)" -p 2 -t 2 "$WORK/in.tsv.gz"
fp_run "several at once" "worker.crash_in_map@task=1,worker.crash_in_merge@task=8:segv,worker.crash_in_sort@task=2:abort" "retrying" $P
"$NGC_BIN" --no-progress --stats=json $P > /dev/null 2> "$WORK/stats.clean"
NGC_FAILPOINTS=worker.crash_in_map@task=3 "$NGC_BIN" --no-progress --stats=json $P > /dev/null 2> "$WORK/stats.fp"
check "--stats counts stay exact with a retry" python3 -c "
import json
a=json.loads(open('$WORK/stats.clean').read().splitlines()[-1])
b=json.loads(open('$WORK/stats.fp').read().splitlines()[-1])
assert b['retried_tasks']>=1, b
for k in ('lines','malformed_lines','distinct_ngrams','output_lines','bytes'):
    assert a[k]==b[k], (k, a[k], b[k])
"

# Retries are bounded, and the message names the task's file and bytes.
NGC_FAILPOINTS=worker.crash_in_map@task=3@attempt=0 expect_exit "always crashing task" 1 \
    "task 3 \('.*in.tsv' bytes 3145728-4194303\) failed 4 times \(--max-retries 3\)" -p 2 -c 1M "$WORK/in.tsv"
NGC_FAILPOINTS=worker.crash_in_map@task=1 expect_exit "--max-retries 0" 1 "failed 1 times \(--max-retries 0\)" \
    --max-retries 0 -p 2 -c 1M "$WORK/in.tsv"
NGC_FAILPOINTS=worker.crash_in_map expect_exit "standard input cannot be retried" 1 "cannot be retried, its input is consumed" \
    -p 2 - < "$WORK/in.tsv"
NGC_FAILPOINTS=worker.nonsense expect_exit "unknown failpoint" 2 "NGC_FAILPOINTS: cannot use 'worker.nonsense'" "$WORK/in.tsv"

# no_leftovers NAME PID: no process of that run and no temporary file remain.
no_leftovers() {
    local name=$1 pid=$2
    sleep 0.3
    check "$name: no processes left" bash -c "! pgrep -f -- '[n]gram-count.*$WORK/' > /dev/null"
    check "$name: no temporary files" bash -c "! ls -a '$WORK' | grep -q 'tmp-'"
    check "$name: coordinator gone" bash -c "! kill -0 $pid 2>/dev/null"
}

# Random chaos: SIGKILL random workers at random moments; seeded.
SEED=${NGC_CHAOS_SEED:-$(date +%s)}
echo "chaos seed: $SEED (rerun with NGC_CHAOS_SEED=$SEED)"
RANDOM=$SEED
"$NGC_GEN" --seed 77 --size "$CHAOS_SIZE" -o "$WORK/chaos.tsv" 2>/dev/null
# The yardstick (under a sanitizer the release build's run: lib.sh); the clean run
# above holds the build under test to the reference.
"$YARDSTICK" --no-progress -c 2M "$WORK/chaos.tsv" > "$WORK/chaos.clean"
kills_total=0
for round in $(seq 1 "$CHAOS_ROUNDS"); do
    "$NGC_BIN" --no-progress -v --max-retries 50 -p 3 -t 1 -c 1M -o "$WORK/chaos.out" "$WORK/chaos.tsv" 2> "$WORK/chaos.err" &
    coord=$!
    kill_workers $coord "$WORK/chaos.err"
    kills=$KILLS
    rc=0
    wait $coord || rc=$?
    kills_total=$((kills_total + kills))
    echo "chaos round $round: $kills workers killed, exit $rc"
    check "chaos round $round exits 0" test "$rc" -eq 0
    check "chaos round $round output exact" cmp -s "$WORK/chaos.clean" "$WORK/chaos.out"
    no_leftovers "chaos round $round" $coord
done
echo "chaos: $kills_total workers killed in $CHAOS_ROUNDS rounds"

# SIGINT and SIGTERM mid-run (a stalled task keeps the run going): 130/143,
# no output, no orphans.
for sig in INT TERM; do
    rm -f "$WORK/sig.out"
    NGC_FAILPOINTS=worker.stall@task=5 "$NGC_BIN" --no-progress -p 3 -c 1M -o "$WORK/sig.out" "$WORK/chaos.tsv" 2> "$WORK/sig.err" &
    coord=$!
    sleep 0.3
    kill -$sig $coord
    rc=0
    wait $coord || rc=$?
    want=$([ $sig = INT ] && echo 130 || echo 143)
    check "SIG$sig exit $want (got $rc)" test "$rc" -eq "$want"
    check "SIG$sig: one-line message" grep -qE "^ngram-count: (interrupted|terminated): stopped, no output written$" "$WORK/sig.err"
    check "SIG$sig: no output file" test ! -e "$WORK/sig.out"
    no_leftovers "SIG$sig" $coord
done

# The coordinator killed outright: its workers notice and exit.
NGC_FAILPOINTS=worker.stall@task=5 "$NGC_BIN" --no-progress -p 3 -c 1M -o "$WORK/k.out" "$WORK/chaos.tsv" 2>/dev/null &
coord=$!
sleep 0.3
kill -KILL $coord
wait $coord 2>/dev/null
sleep 0.5
check "coordinator SIGKILL: workers gone" bash -c "! pgrep -f -- '[n]gram-count.*$WORK/chaos.tsv' > /dev/null"
rm -f "$WORK"/k.out.tmp-* # the coordinator could not clean up after SIGKILL
finish
