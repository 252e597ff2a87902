#!/usr/bin/env bash
# External aggregation: a reduce table smaller than the keys spills sorted
# runs to --tmp-dir and merges them at the end. The result must equal the
# in-memory run and the reference, whatever the options; disk-full, SIGINT
# and killed workers must leave no run behind; memory stays bounded.
# ctest: labels=proc cost=100
. "$(dirname "$0")/lib.sh"
PEAK="$HERE/peakmem.py"
TMPD="$WORK/tmp"
mkdir -p "$TMPD"
# Under ThreadSanitizer (10x slower) the races matter, not every option:
# fewer settings, one chaos round. Under ASan: each path once (one worker,
# many small tasks; each order and count; the key rewrites), not every
# pairing the release runs.
KILL_PACE=""
if under_tsan; then
    # No output shape: each is the same threads sorting and merging the
    # spilled partitions with another order or filter (the release and ASan
    # stages check them all); the runs below spill in this one's place.
    SETTINGS=("-p 3 -t 2 -c 1M") SHAPES=() ROUNDS=1
    # Workers start slowly here: kill less often, or no task ever finishes.
    KILL_PACE=slow
elif reduced; then
    SETTINGS=("-p 1 -t 1" "-p 2 -t 3 -c 256K")
    SHAPES=("--sort ngram" "--top 100" "--count volume --min-count 300 --sort ngram"
            "--count both" "--pos drop --fold-case --from-year 1900")
    ROUNDS=2
else
    SETTINGS=("" "-p 1 -t 1" "-p 3 -t 2 -c 1M" "-p 2 -t 3 -c 256K")
    SHAPES=("--sort ngram" "--top 100" "--min-count 5000" "--count volume" "--count both"
            "--count volume --min-count 300 --sort ngram" "--pos drop --fold-case --from-year 1900")
    ROUNDS=3
fi

# 400 K distinct 2-grams: about 25 MB of table, so --memory 16M spills.
"$NGC_GEN" --seed 31 --order 2 --vocab 400K --size 12M --malformed 10 -o "$WORK/in.tsv" 2>/dev/null
python3 "$REF" "$WORK/in.tsv" > "$WORK/in.ref"
# In memory (no spilling: nothing new under TSan, which the other proc tests
# run in memory).
if ! under_tsan; then
    "$NGC_BIN" --no-progress "$WORK/in.tsv" > "$WORK/mem.out"
    check "in-memory run equals the reference" cmp -s "$WORK/in.ref" "$WORK/mem.out"
fi

spills() { python3 -c "import json,sys; print(json.loads(open(sys.argv[1]).read().splitlines()[-1])['spilled_runs'])" "$1"; }

for opts in "${SETTINGS[@]}"; do
    rc=0
    # shellcheck disable=SC2086
    "$NGC_BIN" --no-progress --memory 16M --tmp-dir "$TMPD" --stats=json $opts "$WORK/in.tsv" \
        > "$WORK/spill.out" 2> "$WORK/spill.json" || rc=$?
    check "spill [$opts] exits 0" test "$rc" -eq 0
    check "spill [$opts] equals the reference" cmp -s "$WORK/in.ref" "$WORK/spill.out"
    check "spill [$opts] did spill" test "$(spills "$WORK/spill.json")" -gt 0
done
check "no runs left in --tmp-dir" test -z "$(ls -A "$TMPD")"

# Totals past 2^32 move their keys to wide entries (engine/reduce/
# counters_layout.h): 300 keys, one of them on every 50th line, totals of
# 1 to 4e8 a line (volume on half of them), cross it in some later task,
# match and volume, in memory and spilled, and when a worker dies in a
# merge. Not under TSan: nothing concurrent (unit_counters runs the moves
# there).
if ! under_tsan; then
    python3 - "$WORK/in.tsv" "$WORK/wide.tsv" <<'PY'
import random, sys
rng = random.Random(7)
with open(sys.argv[1], "rb") as f, open(sys.argv[2], "wb") as out:
    for i, line in enumerate(f):
        out.write(line)
        if i % 50 == 0:
            k = i // 50 % 300
            m, v = rng.randint(1, 4 * 10**8), rng.randint(1, 4 * 10**8 if k % 2 else 10)
            out.write(b"wide%d_NOUN\t1900\t%d\t%d\n" % (k, m, v))
PY
    python3 "$REF" --count both "$WORK/wide.tsv" > "$WORK/wide.ref"
    check "wide: the reference has totals past 2^32" \
        test "$(mawk -F'\t' '$2 > 4294967295' "$WORK/wide.ref" | wc -l)" -ge 250
    same_as "wide totals in memory" "$WORK/wide.ref" --count both -c 1M "$WORK/wide.tsv"
    same_as "wide totals spilled" "$WORK/wide.ref" --count both -c 1M --memory 16M \
        --tmp-dir "$TMPD" "$WORK/wide.tsv"
    NGC_FAILPOINTS=worker.crash_in_merge@task=3 same_as "wide totals, crash in merge" \
        "$WORK/wide.ref" --count both -c 1M "$WORK/wide.tsv"
fi

# Every output shape reads spilled partitions the same way.
for opts in "${SHAPES[@]}"; do
    # shellcheck disable=SC2086
    same_output "spill $opts" "$WORK/in.tsv" $opts -- --memory 16M --tmp-dir "$TMPD" $opts "$WORK/in.tsv"
done
# Formats and text spill like the rest: nothing concurrent to add under TSan.
if ! under_tsan; then
    # The same data as v3 and gzip, spilled: the seed's lines without the
    # malformed ones, so in.tsv's reference is its reference too.
    "$NGC_GEN" --seed 31 --order 2 --vocab 400K --size 12M --format v3 --gzip -o "$WORK/in.v3.gz" 2>/dev/null
    same_as "spill v3.gz" "$WORK/in.ref" --memory 16M --tmp-dir "$TMPD" "$WORK/in.v3.gz"

    # Raw text: the trigrams of generated prose outgrow 16M too. The
    # in-memory run is the yardstick here (test_text.sh holds it to the
    # reference, which takes half a minute on this much prose); under a
    # sanitizer the release build's run ($YARDSTICK, lib.sh).
    "$NGC_GEN" --seed 32 --format text --size 6M --vocab 100K -o "$WORK/text.txt" 2>/dev/null
    "$YARDSTICK" --no-progress --text --order 3 "$WORK/text.txt" > "$WORK/text.mem"
    check "text in memory counts over 100 K n-grams" test "$(wc -l < "$WORK/text.mem")" -gt 100000
    "$NGC_BIN" --no-progress --text --order 3 --memory 16M --tmp-dir "$TMPD" --stats=json \
        "$WORK/text.txt" > "$WORK/text.spill" 2> "$WORK/text.json"
    check "text spill equals the in-memory run" cmp -s "$WORK/text.mem" "$WORK/text.spill"
    check "text run did spill" test "$(spills "$WORK/text.json")" -gt 0
    check "no runs left after text" test -z "$(ls -A "$TMPD")"
fi

# A full disk while spilling: exit 1, a clear message, no output, no runs.
NGC_FAILPOINTS=worker.spill_enospc expect_exit "spill on a full disk (failpoint)" 1 \
    "spill run .*No space left on device" --memory 16M --tmp-dir "$TMPD" -o "$WORK/full.out" "$WORK/in.tsv"
check "full disk: no output file" test ! -e "$WORK/full.out"
check "full disk: no runs left" test -z "$(ls -A "$TMPD")"
if ! under_tsan; then
    # A real small file system, where the machine lets us make one (root in CI).
    SMALL="$WORK/small"
    mkdir -p "$SMALL"
    if mount -t tmpfs -o size=2m tmpfs "$SMALL" 2>/dev/null; then
        expect_exit "spill on a full tmpfs" 1 "spill run .*No space left on device" \
            --memory 16M --tmp-dir "$SMALL" -o "$WORK/full.out" "$WORK/in.tsv"
        check "full tmpfs: no output file" test ! -e "$WORK/full.out"
        check "full tmpfs: no runs left" test -z "$(ls -A "$SMALL")"
        umount "$SMALL"
    else
        echo "note: cannot mount a tmpfs here; the full disk was covered by the failpoint"
    fi
    # An unusable --tmp-dir fails the job that spills (at its first run; a job
    # that never spills never needs it: test_spill_edges.sh).
    expect_exit "unusable --tmp-dir" 1 "cannot create a directory for spilled runs: .* \(--tmp-dir names another place\)" --memory 16M --tmp-dir "$WORK/missing/dir" \
        -o "$WORK/unusable.out" "$WORK/in.tsv"
    check "unusable --tmp-dir: no output file" test ! -e "$WORK/unusable.out"
fi

# Killed workers: each task merges exactly once, spilled or not. Under
# TSan (a run is 15 s there) one run takes both deaths, as test_failures.sh's
# "several at once" does; the other stages run each on its own.
# Each death, and the retry it must leave in the log. Sort task 1's
# partitions are mostly on disk here: its death comes in their finish,
# between the final runs and their publication.
declare -A RETRIED=([worker.crash_in_merge@task=2]="retrying task 2 "
                    [worker.crash_in_sort@task=1]="retrying sort task 1$")
CRASHES=("${!RETRIED[@]}")
under_tsan && CRASHES=("$(IFS=,; echo "${!RETRIED[*]}")")
for fps in "${CRASHES[@]}"; do
    NGC_FAILPOINTS=$fps "$NGC_BIN" --no-progress -v --memory 16M \
        --tmp-dir "$TMPD" -c 2M "$WORK/in.tsv" > "$WORK/fp.out" 2> "$WORK/fp.err"
    check "$fps while spilling: exact" cmp -s "$WORK/in.ref" "$WORK/fp.out"
    for fp in "${!RETRIED[@]}"; do
        case ",$fps," in *",$fp,"*)
            check "$fp while spilling: retried" grep -q "${RETRIED[$fp]}" "$WORK/fp.err" ;;
        esac
    done
done
SEED=${NGC_CHAOS_SEED:-$(date +%s)}
echo "spill chaos seed: $SEED"
RANDOM=$SEED
for round in $(seq 1 $ROUNDS); do
    "$NGC_BIN" --no-progress -v --max-retries 50 -p 3 -t 1 -c 1M --memory 16M --tmp-dir "$TMPD" \
        -o "$WORK/chaos.out" "$WORK/in.tsv" 2> "$WORK/chaos.err" &
    coord=$!
    kill_workers $coord "$WORK/chaos.err" $KILL_PACE
    kills=$KILLS
    rc=0
    wait $coord || rc=$?
    echo "spill chaos round $round: $kills workers killed, exit $rc"
    check "spill chaos round $round exits 0" test "$rc" -eq 0
    check "spill chaos round $round exact" cmp -s "$WORK/in.ref" "$WORK/chaos.out"
done
check "no runs left after chaos" test -z "$(ls -A "$TMPD")"

# SIGINT while runs exist: exit 130, and the runs go with the run. A second
# file of other keys: the table fills before the stalled task (in.tsv alone
# fits in 16M but for its last task or so).
"$NGC_GEN" --seed 32 --order 2 --vocab 400K --size 12M -o "$WORK/more.tsv" 2>/dev/null
NGC_FAILPOINTS=worker.stall@task=20 "$NGC_BIN" --no-progress --memory 16M --tmp-dir "$TMPD" \
    -p 2 -t 1 -c 1M -o "$WORK/int.out" "$WORK/in.tsv" "$WORK/more.tsv" 2> "$WORK/int.err" &
coord=$!
for _ in $(seq 1 200); do
    if find "$TMPD" -type f | grep -q .; then break; fi
    sleep 0.05
done
check "runs exist before the interrupt" bash -c "find '$TMPD' -type f | grep -q ."
kill -INT $coord
rc=0
wait $coord || rc=$?
check "SIGINT while spilled: exit 130" test "$rc" -eq 130
check "SIGINT while spilled: no runs left" test -z "$(ls -A "$TMPD")"
check "SIGINT while spilled: no output" test ! -e "$WORK/int.out"

if ! under_tsan; then
    # Memory stays bounded: the whole process tree's peak (PSS, so the shared
    # table counts once) within --memory plus the fixed overhead the README
    # states (combiner tables, read buffers, code: 96 MiB at -p 2 -t 2).
    python3 "$PEAK" --out "$WORK/peak" -- "$NGC_BIN" --no-progress -p 2 -t 2 --memory 32M \
        --tmp-dir "$TMPD" -o "$WORK/peak.out" "$WORK/in.tsv" 2>/dev/null
    peak=$(awk '{print $2}' "$WORK/peak")
    echo "peak PSS with --memory 32M: $((peak / 1024)) MiB"
    check "peak run exact" cmp -s "$WORK/in.ref" "$WORK/peak.out"
    if [ -z "${NGC_SANITIZER:-}" ]; then
        check "peak memory $((peak / 1024)) MiB <= 32 + 96 MiB" test "$peak" -le $(((32 + 96) * 1024))
    fi
fi
finish
