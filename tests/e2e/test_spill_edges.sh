#!/usr/bin/env bash
# The edges of spilling: a --tmp-dir long enough to cut a run's path short,
# few file descriptors (ulimit -n) for many runs, keys near the 1 MiB line
# limit, a SIGKILLed coordinator's spill directory, and a --tmp-dir that
# does not exist. Exact output or a clear error, never a wrong total.
# ctest: labels=proc cost=100
. "$(dirname "$0")/lib.sh"
TMPD="$WORK/tmp"
mkdir -p "$TMPD"

# Generated prose: its trigrams outgrow --memory 16M into about 800 runs,
# more than 10 in most partitions and more final runs than 256 descriptors.
"$NGC_GEN" --seed 32 --format text --size 4M --vocab 100K -o "$WORK/text.txt" 2>/dev/null
TEXT=(--text --order 3 "$WORK/text.txt")
# The reference is the run in memory (no spilling), which test_text.sh and
# test_spill.sh hold to reference.py (too slow on this much prose); --sort
# ngram is its lines in byte order of the ngram, --top 100 its first lines.
# $YARDSTICK: under a sanitizer the release build's run (lib.sh).
"$YARDSTICK" --no-progress "${TEXT[@]}" > "$WORK/text.ref"
sort -t "$(printf '\t')" -k1,1 "$WORK/text.ref" > "$WORK/text.ngram.ref"
head -n 100 "$WORK/text.ref" > "$WORK/text.top.ref"

# limited NOFILE ARGS...: ngram-count under `ulimit -n NOFILE` ("-": as is).
limited() {
    local nofile=$1
    shift
    (
        if [ "$nofile" != - ]; then ulimit -Sn "$nofile" -Hn "$nofile" || exit 99; fi
        exec "$NGC_BIN" --no-progress "$@"
    )
}

# spilled_exact NAME REF NOFILE ARGS...: a spilling run exits 0, prints
# REF, did spill, and leaves nothing in $TMPD.
spilled_exact() {
    local name=$1 ref=$2 nofile=$3 rc=0
    shift 3
    limited "$nofile" --memory 16M --tmp-dir "$TMPD" --stats=json -o "$WORK/out" "$@" \
        2> "$WORK/err" || rc=$?
    if [ "$rc" -ne 0 ]; then
        fail "$name: exit $rc: $(head -c 300 "$WORK/err")"
    elif ! cmp -s "$ref" "$WORK/out"; then
        fail "$name: output differs from the reference ($(wc -l < "$WORK/out") vs $(wc -l < "$ref") lines)"
    elif ! grep -q '"spilled_runs":[1-9]' "$WORK/err"; then
        fail "$name: did not spill"
    else
        pass
    fi
    check "$name: no runs left" test -z "$(ls -A "$TMPD")"
    rm -f "$WORK/out"
}

# --- a long --tmp-dir -------------------------------------------------------
# 4062 bytes of nested directories: the spill directory's path fits in 4 KiB
# but "DIR/p03-s-17" does not, so runs must not be named by full paths (they
# were cut to p03-s-1 and overwrote each other: a wrong total, exit 0).
# Path handling only: nothing concurrent to add under TSan.
if ! under_tsan; then
    LONG="$WORK/long"
    while [ ${#LONG} -lt 3850 ]; do LONG="$LONG/$(printf '%0200d' 0)"; done
    LONG="$LONG/$(printf '%0*d' $((4062 - ${#LONG} - 1)) 0)"
    mkdir -p "$LONG"
    check "the long --tmp-dir is 4062 bytes" test ${#LONG} -eq 4062
    rc=0
    "$NGC_BIN" --no-progress --memory 16M --tmp-dir "$LONG" -o "$WORK/long.out" "${TEXT[@]}" \
        2> "$WORK/long.err" || rc=$?
    check "long --tmp-dir: exit 0 ($(head -c 200 "$WORK/long.err"))" test "$rc" -eq 0
    check "long --tmp-dir: exact" cmp -s "$WORK/text.ref" "$WORK/long.out"
    check "long --tmp-dir: nothing left" test -z "$(ls -A "$LONG")"
    # Longer than a path can be: a clear error when the first run is written.
    TOOLONG="$LONG/$(printf '%0200d' 0)"
    mkdir -p "$TOOLONG"
    expect_exit "--tmp-dir past PATH_MAX" 1 ": cannot create a directory for spilled runs: File name too long" \
        --memory 16M --tmp-dir "$TOOLONG" -o "$WORK/toolong.out" "${TEXT[@]}"
    check "--tmp-dir past PATH_MAX: no output" test ! -e "$WORK/toolong.out"
fi

# --- few descriptors --------------------------------------------------------
# Merges read at most what the limit allows and go in passes beyond it:
# the output merge of the final runs (hundreds of them), and at 64 with six
# threads, each worker's merge of a partition's spilled runs too.
# Under TSan only the run with six threads: the limits are the other
# stages' to check, the threads' races this one's.
if ! under_tsan; then
    spilled_exact "ulimit -n 256" "$WORK/text.ref" 256 "${TEXT[@]}"
    spilled_exact "ulimit -n 64 --sort ngram" "$WORK/text.ngram.ref" 64 --sort ngram "${TEXT[@]}"
fi
spilled_exact "ulimit -n 64 -p 1 -t 6 --top 100" "$WORK/text.top.ref" 64 -p 1 -t 6 --top 100 \
    "${TEXT[@]}"

# --- keys near the 1 MiB line limit -------------------------------------------
# 18 distinct keys of 1,000,000-1,040,000 bytes, each on two lines, shuffled:
# a task's batch for one partition outgrows what an emptied partition holds,
# so it goes to disk as a run of its own (it used to fail: "the distinct
# ngrams do not fit in --memory").
python3 - "$WORK/long-keys.tsv" <<'EOF'
import random, sys
rnd = random.Random(7)
keys = []
for i in range(18):
    unit = b"%06d" % i + bytes(rnd.choice(b"abcdefghij") for _ in range(50))
    n = 1000000 + rnd.randrange(40000)
    keys.append((unit * (n // len(unit) + 1))[:n])
lines = [(i, r) for r in range(2) for i in range(len(keys))]
rnd.shuffle(lines)
with open(sys.argv[1], "wb") as f:
    for i, r in lines:
        f.write(keys[i] + b"\t%d\t%d\t%d\n" % (1900 + r, i + 1, r + 1))
EOF
python3 "$REF" --count both "$WORK/long-keys.tsv" > "$WORK/long-keys.ref"
head -n 5 "$WORK/long-keys.ref" > "$WORK/long-keys.top.ref"
spilled_exact "1 MiB keys" "$WORK/long-keys.ref" - -p 2 -t 2 --count both "$WORK/long-keys.tsv"
# One worker, one thread: nothing concurrent for TSan to add.
if ! under_tsan; then
    spilled_exact "1 MiB keys, one thread, --top 5" "$WORK/long-keys.top.ref" - -p 1 -t 1 \
        --count both --top 5 "$WORK/long-keys.tsv"
fi

# --- a coordinator killed by SIGKILL ------------------------------------------
# A stalled task keeps the job running while its runs pile up.
python3 "$REF" "$HERE/../../datasets/sample-1gram.tsv" > "$WORK/sample.ref"
KILLD="$WORK/killed"
# sample_job NAME TAG: a small job in $KILLD exits 0 with the exact result;
# its stderr is kept in $WORK/TAG.err.
sample_job() {
    same_as "$1" "$WORK/sample.ref" --tmp-dir "$KILLD" "$HERE/../../datasets/sample-1gram.tsv"
    cp "$WORK/ngc.err" "$WORK/$2.err"
}
mkdir -p "$KILLD"
NGC_FAILPOINTS=worker.stall@task=9 "$NGC_BIN" --no-progress --memory 16M --tmp-dir "$KILLD" \
    -p 2 -t 1 -c 256K "${TEXT[@]}" > /dev/null 2>&1 &
coord=$!
for _ in $(seq 1 400); do
    if find "$KILLD" -type f | grep -q .; then break; fi
    sleep 0.05
done
check "runs exist before the kill" bash -c "find '$KILLD' -type f | grep -q ."
# A job that is alive keeps its directory when another job starts there.
sample_job "a second job beside a live one" live
check "a live job's directory is not swept" bash -c "! grep -q 'removed spill directory' '$WORK/live.err'"
mapfile -t kids < <(pgrep -P "$coord")
kill -KILL "$coord"
wait "$coord" 2>/dev/null
# Its workers die with it (PR_SET_PDEATHSIG).
for kid in "${kids[@]}"; do
    for _ in $(seq 1 200); do kill -0 "$kid" 2>/dev/null || break; sleep 0.05; done
done
check "SIGKILL leaves the spill directory" \
    bash -c "ls '$KILLD' | grep -qx 'ngram-count-spill\.$coord\.[A-Za-z0-9]\{6\}'"
check "SIGKILL leaves its runs" bash -c "find '$KILLD' -type f | grep -q ."
# The next job in that --tmp-dir removes it and says so.
sample_job "the next job" sweep
check "the next job says it removed the directory ($(head -c 300 "$WORK/sweep.err"))" \
    grep -qE "removed spill directory '.*/ngram-count-spill\.$coord\.[A-Za-z0-9]{6}' left by a killed run \(pid $coord\)" \
    "$WORK/sweep.err"
check "nothing left after the sweep" test -z "$(ls -A "$KILLD")"

# --- a --tmp-dir that does not exist --------------------------------------------
# A job that never spills never needs it (and the sweep stays silent).
rc=0
TMPDIR=/nonexistent "$NGC_BIN" --no-progress "$HERE/../../datasets/sample-1gram.tsv" \
    > "$WORK/nx.out" 2> "$WORK/nx.err" || rc=$?
check "TMPDIR=/nonexistent without spilling: exit 0 ($(head -c 200 "$WORK/nx.err"))" test "$rc" -eq 0
check "TMPDIR=/nonexistent without spilling: exact" cmp -s "$WORK/sample.ref" "$WORK/nx.out"
check "TMPDIR=/nonexistent without spilling: silent" test ! -s "$WORK/nx.err"
same_as "--tmp-dir missing without spilling" "$WORK/sample.ref" --tmp-dir "$WORK/missing/dir" \
    "$HERE/../../datasets/sample-1gram.tsv"
# One that spills fails when its first run is written: a clear message,
# exit 1, no output.
TMPDIR=/nonexistent expect_exit "TMPDIR=/nonexistent with spilling" 1 \
    "^ngram-count: /nonexistent: cannot create a directory for spilled runs: No such file or directory \(--tmp-dir names another place\)$" \
    --memory 16M -o "$WORK/nx-spill.out" "${TEXT[@]}"
check "TMPDIR=/nonexistent with spilling: no output" test ! -e "$WORK/nx-spill.out"
check "TMPDIR=/nonexistent with spilling: one message" test "$(wc -l < "$WORK/ngc.err")" -eq 1
finish
