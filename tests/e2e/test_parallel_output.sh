#!/usr/bin/env bash
# The format phase (the workers merge and format ranges of the output, the
# coordinator writes them in order) prints exactly what the serial output
# prints, and what the reference prints, whatever the options, the
# processes and threads, and the output (stdout, a file, .gz); a worker
# killed while formatting loses nothing; a spilled table still goes the
# serial way. NGC_TEST_OUTPUT=serial|parallel picks the path (see
# engine/coordinator/coordinator.c); -v says whether the format phase ran.
# ctest: labels=proc cost=40
. "$(dirname "$0")/lib.sh"

"$NGC_GEN" --seed 11 --order 2 --vocab 90K --size 2M --totals "$WORK/totals.txt" \
    -o "$WORK/a.tsv" 2>/dev/null
"$NGC_GEN" --seed 12 --size 512K -o "$WORK/b.tsv" 2>/dev/null
IN=("$WORK/a.tsv" "$WORK/b.tsv")

# run MODE OUT ARGS...: the engine with -v on the path MODE, stdout to OUT,
# stderr to $WORK/run.err; returns its exit status.
run() {
    local mode=$1 out=$2 rc=0
    shift 2
    NGC_TEST_OUTPUT=$mode "$NGC_BIN" --no-progress -v "$@" > "$out" 2> "$WORK/run.err" || rc=$?
    return $rc
}

# both NAME SERIAL REF ARGS...: the parallel path (its format phase seen in
# the log), and the serial one too when SERIAL is 1, print REF. Under TSan
# the parallel path only: the serial one formats in the coordinator alone,
# after the same map and sort phases (the release and ASan builds run it).
both() {
    local name=$1 serial=$2 ref=$3 rc=0
    shift 3
    run parallel "$WORK/par.out" "$@" || rc=$?
    if [ "$rc" -ne 0 ]; then
        fail "$name: parallel run exited $rc: $(head -c 300 "$WORK/run.err")"
    elif ! grep -q "format phase done" "$WORK/run.err"; then
        fail "$name: no format phase"
    elif ! cmp -s "$ref" "$WORK/par.out"; then
        fail "$name: parallel output differs ($(wc -l < "$WORK/par.out") vs $(wc -l < "$ref") lines)"
        diff "$ref" "$WORK/par.out" | head -5 >&2
    else
        pass
    fi
    [ "$serial" -eq 1 ] && ! under_tsan || return 0
    rc=0
    run serial "$WORK/ser.out" "$@" || rc=$?
    if [ "$rc" -ne 0 ] || grep -q "format phase" "$WORK/run.err" ||
        ! cmp -s "$ref" "$WORK/ser.out"; then
        fail "$name: serial run (exit $rc) differs or formatted in parallel"
    else
        pass
    fi
}

# Each option set against the reference, over -p 1/2/3 and -t 1/2
# (--top N prints the first N lines of the same order). Under TSan the
# first two: the option sets change what a line holds, not who formats it.
PT=("-p 1 -t 1" "-p 2 -t 2" "-p 3 -t 1" "-p 1 -t 2" "-p 3 -t 2" "-p 2 -t 1")
i=0
sets=0
while read -r top opts; do
    sets=$((sets + 1))
    under_tsan && [ "$sets" -gt 2 ] && continue
    python3 "$REF" $opts "${IN[@]}" > "$WORK/ref.all"
    for n in 0 $top; do
        [ "$n" -gt 0 ] && head -n "$n" "$WORK/ref.all" > "$WORK/ref.out" ||
            cp "$WORK/ref.all" "$WORK/ref.out"
        [ "$n" -gt 0 ] && topt="--top $n" || topt=""
        pt=${PT[$((i % ${#PT[@]}))]}
        i=$((i + 1))
        both "$opts $topt $pt" $((i % 2)) "$WORK/ref.out" $pt $opts $topt "${IN[@]}"
    done
done <<EOF
1000
54321 --count both
0 --count volume --min-count 40000
0 --sort ngram --count volume
9 --normalize $WORK/totals.txt --count both
EOF
python3 "$REF" "${IN[@]}" > "$WORK/ref.out"
LINES=$(wc -l < "$WORK/ref.out")
check "enough lines for the parallel path by default ($LINES)" test "$LINES" -gt 65536

# Without the switch, a result this large takes the format phase.
rc=0
"$NGC_BIN" --no-progress -v -p 2 -t 2 "${IN[@]}" > "$WORK/def.out" 2> "$WORK/def.err" || rc=$?
check "default path: exit 0" test "$rc" -eq 0
check "default path: format phase" grep -q "format phase done" "$WORK/def.err"
check "default path: same output" cmp -s "$WORK/ref.out" "$WORK/def.out"

# -o FILE and -o FILE.gz (several gzip members: one stream to gzip/zcat).
for mode in parallel serial; do
    under_tsan && [ $mode = serial ] && continue
    rm -f "$WORK/o.txt" "$WORK/o.gz"
    run $mode /dev/null -p 2 -t 2 -o "$WORK/o.txt" "${IN[@]}"
    check "-o file ($mode)" cmp -s "$WORK/ref.out" "$WORK/o.txt"
    run $mode /dev/null -p 3 -t 2 -o "$WORK/o.gz" "${IN[@]}"
    [ $mode = parallel ] && check "-o .gz: format phase" grep -q "format phase done" "$WORK/run.err"
    check "-o .gz ($mode): valid gzip" gzip -t "$WORK/o.gz"
    zcat "$WORK/o.gz" > "$WORK/o.gz.out"
    check "-o .gz ($mode): same lines" cmp -s "$WORK/ref.out" "$WORK/o.gz.out"
done
run parallel /dev/null -p 2 -t 1 --top 777 -o "$WORK/top.gz" "${IN[@]}"
check "-o .gz --top: format phase" grep -q "format phase done" "$WORK/run.err"
head -n 777 "$WORK/ref.out" > "$WORK/ref.top"
check "-o .gz --top: same lines" cmp -s "$WORK/ref.top" <(zcat "$WORK/top.gz")

# A worker killed halfway through a range: the range is formatted again,
# into the same window, and nothing changes.
for spec in "worker.crash_in_format@task=1" "worker.crash_in_format@task=0:segv"; do
    rc=0
    NGC_FAILPOINTS=$spec run parallel "$WORK/fp.out" -p 2 -t 2 "${IN[@]}" || rc=$?
    check "$spec: exit 0" test "$rc" -eq 0
    check "$spec: retried" grep -qE "retrying format task [01]" "$WORK/run.err"
    check "$spec: same output" cmp -s "$WORK/ref.out" "$WORK/fp.out"
done
rc=0
NGC_FAILPOINTS=worker.crash_in_format@task=2 run parallel /dev/null -p 2 -t 2 \
    -o "$WORK/fp.gz" "${IN[@]}" || rc=$?
check "crash in a gzip range: exit 0" test "$rc" -eq 0
check "crash in a gzip range: same lines" cmp -s "$WORK/ref.out" <(zcat "$WORK/fp.gz")
NGC_FAILPOINTS=worker.crash_in_format@task=1@attempt=0 NGC_TEST_OUTPUT=parallel \
    expect_exit "a range that always kills its worker" 1 "format task 1 failed 4 times" \
    -p 2 -t 2 -o "$WORK/never.txt" "${IN[@]}"
check "a failed format phase leaves no file" test ! -e "$WORK/never.txt"

# The reader of stdout goes away: 141, as with the serial path.
NGC_TEST_OUTPUT=parallel "$NGC_BIN" --no-progress -p 2 "${IN[@]}" 2> /dev/null | head -n 1 > /dev/null
rc=${PIPESTATUS[0]}
check "a closed stdout exits 141 (was $rc)" test "$rc" -eq 141

# (A table that spilled is finished on disk and goes the serial way:
# test_spill compares those runs with the reference.)

finish
