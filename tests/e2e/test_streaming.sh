#!/usr/bin/env bash
# Hadoop Streaming (--map, --reduce) played on one machine: inputs split
# into parts by lines and by bytes, each part mapped (with a small --memory,
# so the combiner table flushes several times), optionally combined
# (--reduce on each part's sorted output), sorted with LC_ALL=C sort and
# reduced; the result must equal the engine's own (--sort ngram) byte for
# byte, in v1, v2, v3, gzip and raw text, with every filter. The counters on
# standard error must add up to what the engine and the files say. Then the
# reducer's own cases: malformed lines, --strict, overflow, unsorted input,
# a closed or full standard output.
# ctest: cost=200
. "$(dirname "$0")/lib.sh"
SIZE=${NGC_E2E_SIZE:-20M}
TAB=$'\t'
# shellcheck disable=SC2054
SORT=(sort -t "$TAB" -k1,1 -S 64M)
JOB="$WORK/job"

# counter NAME FILE...: the sum of Hadoop counter NAME over the files.
counter() {
    local name=$1
    shift
    awk -F, -v n="$name" '$1 == "reporter:counter:ngram-count" && $2 == n { s += $3 }
                          END { printf "%.0f\n", s }' "$@"
}

# job NAME INPUT SPLIT MAP_ARGS COMBINE_ARGS REDUCE_ARGS: plays one job.
# SPLIT is split(1)'s options; each ARGS is one word-split string, and
# COMBINE_ARGS is "-" for no combiner. The result is $JOB/out; the parts'
# standard error is in $JOB/*.map.err, *.comb.err and reduce.err. Returns 1
# (after a FAIL) when a part does not exit 0.
job() {
    local name=$1 input=$2 split_opts=$3 map_args comb_args red_args p rc
    read -ra map_args <<< "$4"
    read -ra comb_args <<< "$5"
    read -ra red_args <<< "$6"
    rm -rf "$JOB"
    mkdir "$JOB"
    # shellcheck disable=SC2086
    split $split_opts "$input" "$JOB/part."
    for p in "$JOB"/part.*; do
        rc=0
        "$NGC_BIN" --map "${map_args[@]}" < "$p" > "$p.map" 2> "$p.map.err" || rc=$?
        if [ "$rc" -ne 0 ]; then
            fail "$name: --map exited $rc: $(head -c 300 "$p.map.err")"
            return 1
        fi
        if [ "$5" != "-" ]; then
            rc=0
            "${SORT[@]}" "$p.map" | "$NGC_BIN" --reduce "${comb_args[@]}" > "$p.comb" \
                2> "$p.comb.err" || rc=$?
            if [ "$rc" -ne 0 ]; then
                fail "$name: the combiner exited $rc: $(head -c 300 "$p.comb.err")"
                return 1
            fi
        fi
    done
    local ext=map
    [ "$5" != "-" ] && ext=comb
    rc=0
    cat "$JOB"/part.*."$ext" | "${SORT[@]}" > "$JOB/sorted"
    "$NGC_BIN" --reduce "${red_args[@]}" < "$JOB/sorted" > "$JOB/out" 2> "$JOB/reduce.err" || rc=$?
    if [ "$rc" -ne 0 ]; then
        fail "$name: --reduce exited $rc: $(head -c 300 "$JOB/reduce.err")"
        return 1
    fi
}

# same_job NAME INPUT SPLIT MAP_ARGS COMBINE_ARGS REDUCE_ARGS ENGINE_ARGS:
# the job's result equals the engine's on the whole input, and every count
# of lines the counters give is the one of the files.
same_job() {
    local name=$1 input=$2 engine_args
    read -ra engine_args <<< "$7"
    job "$@" || return
    if ! "$NGC_BIN" --no-progress --sort ngram "${engine_args[@]}" "$input" \
        > "$WORK/engine.out" 2> "$WORK/engine.err"; then
        fail "$name: the engine failed: $(head -c 300 "$WORK/engine.err")"
        return
    fi
    if cmp -s "$WORK/engine.out" "$JOB/out"; then
        pass
    else
        fail "$name: the job's result differs from the engine's" \
            "($(wc -l < "$JOB/out") vs $(wc -l < "$WORK/engine.out") lines)"
        diff "$WORK/engine.out" "$JOB/out" | head -5 >&2
        return
    fi
    local mapped keys_out
    mapped=$(cat "$JOB"/part.*.map | wc -l)
    keys_out=$(counter KEYS_OUT "$JOB"/part.*.map.err)
    [ "$mapped" -eq "$keys_out" ] ||
        fail "$name: KEYS_OUT $keys_out, but the mappers wrote $mapped lines"
    [ "$(counter REDUCE_LINES "$JOB/reduce.err")" -eq "$(wc -l < "$JOB/sorted")" ] ||
        fail "$name: REDUCE_LINES is not the reducer's input lines"
    [ "$(counter REDUCE_KEYS_OUT "$JOB/reduce.err")" -eq "$(wc -l < "$JOB/out")" ] ||
        fail "$name: REDUCE_KEYS_OUT is not the reducer's output lines"
    [ "$(counter LINES "$JOB"/part.*.map.err)" -eq "$(gzip -dcf "$JOB"/part.?? | wc -l)" ] ||
        fail "$name: LINES is not the input lines"
}

# --- Data -----------------------------------------------------------------
"$NGC_GEN" --seed 3 --size "$SIZE" --order 2 --malformed 25 -o "$WORK/a.tsv" 2> "$WORK/gen.err"
check "generator ran" test -s "$WORK/a.tsv"
"$NGC_GEN" --seed 3 --size "$SIZE" --order 2 --format v3 -o "$WORK/a.v3" 2> /dev/null
"$NGC_GEN" --seed 4 --size "$SIZE" -o "$WORK/clean.tsv" 2> /dev/null
awk -F "$TAB" -v OFS="$TAB" '{ print $1, $2, $3, $3 + 1, $4 }' "$WORK/clean.tsv" > "$WORK/clean.v1"
"$NGC_GEN" --seed 5 --size 3M --order 3 --crlf --gzip -o "$WORK/c.tsv.gz" 2> /dev/null
# Many distinct keys in no order: a 16M combiner table fills more than
# once per part, and the flushes repeat keys (fixed size: the point is the
# number of keys, not the bytes).
"$NGC_GEN" --seed 11 --size 12M --order 2 --vocab 250000 2> /dev/null |
    shuf --random-source=<(yes) > "$WORK/k.tsv"
A="$WORK/a.tsv"
K="$WORK/k.tsv"
# About seven parts by lines, whatever SIZE is; by bytes, split -n l/N
# keeps lines whole (-C would cut the 1 MiB malformed lines).
BY_LINES="-l $(( $(wc -l < "$A") / 7 + 1 ))"

# --- Jobs against the engine ----------------------------------------------
# Under a sanitizer (reduced) each code path once: the jobs left to the
# release build (behind "reduced ||") split or filter the same lines the
# way another job here does.
same_job "v2 by lines" "$A" "$BY_LINES" "" - "" ""
check "v2: several parts" test "$(ls "$JOB"/part.?? | wc -l)" -ge 7
reduced || same_job "v2 by bytes" "$A" "-n l/5" "" - "" ""

"$NGC_BIN" --no-progress --stats=json "$A" > /dev/null 2> "$WORK/stats.json"
malformed=$(python3 -c "import json; print(json.load(open('$WORK/stats.json'))['malformed_lines'])")
check "the engine sees the 25 malformed lines" test "$malformed" -eq 25
check "MALFORMED over the parts is the engine's count" \
    test "$(counter MALFORMED "$JOB"/part.*.map.err)" -eq "$malformed"

same_job "flushes: --memory 16M" "$K" "-n l/2" "--memory 16M" - "" ""
flushed=0
for e in "$JOB"/part.*.map.err; do
    [ "$(counter FLUSHES "$e")" -gt 1 ] && flushed=$((flushed + 1))
done
check "every part flushed more than once" test "$flushed" -eq 2
flushed_keys=$(counter KEYS_OUT "$JOB"/part.*.map.err)
check "flushes repeat keys" test "$flushed_keys" -gt "$(wc -l < "$JOB/out")"

same_job "flushes and a combiner" "$K" "-n l/2" "--memory 16M" "" "" ""
check "the combiner merged the flushes" \
    test "$(counter REDUCE_KEYS_OUT "$JOB"/part.*.comb.err)" -lt "$flushed_keys"
check "the combiner's counters add up" \
    test "$(counter REDUCE_LINES "$JOB"/part.*.comb.err)" -eq "$flushed_keys"

reduced || same_job "combiner, v2 by bytes" "$A" "-n l/4" "" "" "" ""
same_job "v3, auto-detected per part" "$WORK/a.v3" "-n l/6" "" "" "" ""
same_job "v3 --format v3" "$WORK/a.v3" "-C 700K" "--format v3 --memory 16M" - "" ""
same_job "v1, auto-detected per part" "$WORK/clean.v1" "-n l/5" "" - "" ""
same_job "gzip split input" "$WORK/c.tsv.gz" "-n 1" "" - "" ""
zcat "$WORK/c.tsv.gz" > "$WORK/c.tsv"
same_job "CRLF input by bytes" "$WORK/c.tsv" "-C 300K" "" "" "" ""

# Gzip on the reducer's side too.
"$NGC_BIN" --map < "$A" 2> /dev/null | "${SORT[@]}" | gzip -1 > "$WORK/sorted.gz"
"$NGC_BIN" --reduce < "$WORK/sorted.gz" > "$WORK/red.out" 2> /dev/null
"$NGC_BIN" --no-progress --sort ngram "$A" > "$WORK/engine.out" 2> /dev/null
check "gzip reducer input" cmp -s "$WORK/engine.out" "$WORK/red.out"

# Filters: the mapper applies them as the engine does. Under a sanitizer
# the v2 year filter, --pos strip, --fold-case and --count both run only
# together, in "everything at once" below.
if ! reduced; then
    same_job "--from-year/--to-year" "$A" "$BY_LINES" "--from-year 1900 --to-year 1950" - "" \
        "--from-year 1900 --to-year 1950"
    "$NGC_BIN" --no-progress --stats=json --from-year 1900 --to-year 1950 "$A" > /dev/null 2> "$WORK/stats.json"
    check "FILTERED over the parts is the engine's count" test "$(counter FILTERED "$JOB"/part.*.map.err)" -eq \
        "$(python3 -c "import json; print(json.load(open('$WORK/stats.json'))['filtered_lines'])")"
fi
same_job "--from-year, v3" "$WORK/a.v3" "-n l/3" "--from-year 1950" "" "" "--from-year 1950"
same_job "--pos drop" "$A" "$BY_LINES" "--pos drop" - "" "--pos drop"
check "DROPPED counted" test "$(counter DROPPED "$JOB"/part.*.map.err)" -gt 0
if ! reduced; then
    same_job "--pos strip" "$A" "-n l/3" "--pos strip" "" "" "--pos strip"
    same_job "--fold-case" "$A" "$BY_LINES" "--fold-case" "" "" "--fold-case"
    same_job "--count volume" "$A" "$BY_LINES" "--count volume" - "" "--count volume"
    same_job "--count both" "$A" "$BY_LINES" "--count both" "--count both" "--count both" "--count both"
fi
# Thresholds that drop about half the keys: the median totals.
median() {
    "$NGC_BIN" --no-progress "$@" "$A" 2> /dev/null | cut -f2 > "$WORK/totals"
    sed -n "$(( $(wc -l < "$WORK/totals") / 2 + 1 ))p" "$WORK/totals"
}
MIN_MATCH=$(median)
MIN_VOLUME=$(median --count volume)
same_job "--min-count in the reducer only" "$A" "$BY_LINES" "" "" \
    "--min-count $MIN_MATCH" "--min-count $MIN_MATCH"
"$NGC_BIN" --no-progress --sort ngram "$A" > "$WORK/all.out" 2> /dev/null
below=$(counter REDUCE_BELOW_MIN_COUNT "$JOB/reduce.err")
check "REDUCE_BELOW_MIN_COUNT + REDUCE_KEYS_OUT is every key" \
    test "$((below + $(counter REDUCE_KEYS_OUT "$JOB/reduce.err")))" -eq "$(wc -l < "$WORK/all.out")"
check "--min-count drops some keys" test "$below" -gt 0
same_job "--count volume --min-count" "$A" "$BY_LINES" "--count volume" "--count volume" \
    "--count volume --min-count $MIN_VOLUME" "--count volume --min-count $MIN_VOLUME"
reduced || same_job "--count both --min-count" "$A" "-n l/4" "--count both --from-year 1800" "--count both" \
    "--count both --min-count $MIN_MATCH" "--count both --from-year 1800 --min-count $MIN_MATCH"
same_job "everything at once" "$A" "$BY_LINES" \
    "--pos strip --fold-case --count both --from-year 1800 --memory 16M" \
    "--count both" "--count both --min-count 10" \
    "--pos strip --fold-case --count both --from-year 1800 --min-count 10"

# Raw text.
TEXT="$WORK/text.txt"
cat /usr/share/common-licenses/* 2> /dev/null > "$TEXT" || true
[ -s "$TEXT" ] || cat "$HERE"/../../*.md "$HERE"/../../engine/*.c > "$TEXT"
same_job "--text --order 3" "$TEXT" "-l 700" "--text --order 3" "" "" "--text --order 3"
"$NGC_BIN" --no-progress --stats=json --text --order 3 "$TEXT" > /dev/null 2> "$WORK/stats.json"
check "TOKENS over the parts is the engine's count" test "$(counter TOKENS "$JOB"/part.*.map.err)" -eq \
    "$(python3 -c "import json; print(json.load(open('$WORK/stats.json'))['tokens'])")"
same_job "--text, words, markers, folded" "$TEXT" "-C 20K" \
    "--text --order 4 --tokenize words --sentence-markers --fold-case" - "--min-count 2" \
    "--text --order 4 --tokenize words --sentence-markers --fold-case --min-count 2"

# --- The reporter lines ---------------------------------------------------
"$NGC_BIN" --map < "$A" > /dev/null 2> "$WORK/map.err"
check "map: every reporter line is well formed" bash -c "! grep '^reporter:' '$WORK/map.err' |
    grep -vE '^reporter:(counter:ngram-count,[A-Z_]+,[0-9]+|status:.+)\$'"
check "map: a final status" grep -q '^reporter:status:map done: ' "$WORK/map.err"
check "map: names the skipped lines" grep -q '^ngram-count: skipped 25 malformed lines: standard input:' "$WORK/map.err"
check "map: counters of Google input only" bash -c "grep -q ',FILTERED,' '$WORK/map.err' && ! grep -q ',TOKENS,' '$WORK/map.err'"
check "reduce: a final status" grep -q '^reporter:status:reduce done: ' "$JOB/reduce.err"

# --- Malformed lines ----------------------------------------------------
# The mapper and the engine stop at the same line under --strict.
rc=0
"$NGC_BIN" --map --strict < "$A" > /dev/null 2> "$WORK/strict.err" || rc=$?
"$NGC_BIN" --no-progress --strict -p 1 "$A" > /dev/null 2> "$WORK/engine.err"
want=$(grep -oE 'a\.tsv:[0-9]+:' "$WORK/engine.err" | head -1 | grep -oE '[0-9]+')
check "map --strict exits 1" test "$rc" -eq 1
check "map --strict names the engine's line" grep -q "standard input:$want: " "$WORK/strict.err"

# The reducer: good lines, and bad ones put among them (also inside a run of
# equal keys, which goes on), each counted and skipped.
cat > "$WORK/good.tsv" <<EOF
a${TAB}1
a${TAB}2
a b${TAB}18446744073709551610
a b${TAB}5
b${TAB}0
caf$(printf '\303\251')${TAB}007
k${TAB}3
k${TAB}4
EOF
printf 'no tab\n\t5\nk\tx\nk\t-1\nk\t5 \nk\t1\t2\nk\t18446744073709551616\n' > "$WORK/bad.tsv"
{
    sed -n 1,2p "$WORK/good.tsv"; sed -n 1,2p "$WORK/bad.tsv"; sed -n 3,7p "$WORK/good.tsv"
    sed -n 3,7p "$WORK/bad.tsv"; sed -n 8p "$WORK/good.tsv"; printf 'z'
} > "$WORK/mixed.tsv"
awk -F "$TAB" -v OFS="$TAB" '
    $1 != k { if (NR > 1) print k, s; k = $1; s = 0 } { s += $2 } END { print k, s }' \
    "$WORK/good.tsv" | sed "s/^a b${TAB}.*/a b${TAB}18446744073709551615/" > "$WORK/good.want"
rc=0
"$NGC_BIN" --reduce < "$WORK/mixed.tsv" > "$WORK/red.out" 2> "$WORK/red.err" || rc=$?
check "reduce: malformed lines skipped (exit $rc)" cmp -s "$WORK/good.want" "$WORK/red.out"
check "reduce: REDUCE_MALFORMED counts them" test "$(counter REDUCE_MALFORMED "$WORK/red.err")" -eq 8
check "reduce: REDUCE_LINES counts all" test "$(counter REDUCE_LINES "$WORK/red.err")" -eq 16
check "reduce: names them" grep -q '^ngram-count: skipped 8 malformed lines: standard input:3 (not .key TAB count.), standard input:4 (empty key)' \
    "$WORK/red.err"
rc=0
"$NGC_BIN" --reduce --strict < "$WORK/mixed.tsv" > /dev/null 2> "$WORK/red.err" || rc=$?
check "reduce --strict exits 1" test "$rc" -eq 1
check "reduce --strict names the line" grep -q "standard input:3: not 'key TAB count'" "$WORK/red.err"
printf 'a\t1\t2\na\t3\t4\nb\t5\n' | "$NGC_BIN" --reduce --count both > "$WORK/red.out" 2> "$WORK/red.err"
check "reduce --count both" test "$(cat "$WORK/red.out")" = "a${TAB}4${TAB}6"
check "reduce --count both: a short line is malformed" test "$(counter REDUCE_MALFORMED "$WORK/red.err")" -eq 1

# Overflow: a total past 2^64-1 is an error naming the key.
expect_exit "reduce overflow" 1 "the total of 'big key' passes 2\^64-1" --reduce \
    < <(printf 'a\t1\nbig key\t18446744073709551615\nbig key\t1\n')
expect_exit "reduce overflow of volumes" 1 "standard input:2: the total of 'v' passes 2\^64-1" \
    --reduce --count both < <(printf 'v\t1\t18446744073709551615\nv\t1\t1\n')
printf 'm\t18446744073709551614\nm\t1\n' | "$NGC_BIN" --reduce > "$WORK/red.out" 2> /dev/null
check "reduce: 2^64-1 exactly" test "$(cat "$WORK/red.out")" = "m${TAB}18446744073709551615"

# Unsorted input: counted and warned about, never silently.
printf 'b\t1\na\t1\nb\t1\n' | "$NGC_BIN" --reduce > "$WORK/red.out" 2> "$WORK/red.err"
check "reduce: REDUCE_UNSORTED" test "$(counter REDUCE_UNSORTED "$WORK/red.err")" -eq 1
check "reduce: unsorted warning" grep -q 'not sorted by key in byte order' "$WORK/red.err"

# Empty input.
"$NGC_BIN" --map < /dev/null > "$WORK/red.out" 2> "$WORK/red.err"
check "map: empty input" bash -c "[ ! -s '$WORK/red.out' ] && grep -q 'FLUSHES,0' '$WORK/red.err'"
"$NGC_BIN" --reduce < /dev/null > "$WORK/red.out" 2> /dev/null
check "reduce: empty input" test ! -s "$WORK/red.out"

# --- Standard output closed or full --------------------------------------
"$NGC_BIN" --map < "$K" 2> /dev/null | "${SORT[@]}" > "$WORK/k.sorted"
"$NGC_BIN" --map < "$K" 2> "$WORK/pipe.err" | head -1 > /dev/null
check "map: EPIPE exits 141" test "${PIPESTATUS[0]}" -eq 141
check "map: EPIPE is quiet" bash -c "! grep -q '^ngram-count:' '$WORK/pipe.err'"
"$NGC_BIN" --reduce < "$WORK/k.sorted" 2> "$WORK/pipe.err" | head -1 > /dev/null
check "reduce: EPIPE exits 141" test "${PIPESTATUS[0]}" -eq 141
if [ -w /dev/full ]; then
    rc=0
    "$NGC_BIN" --map < "$A" > /dev/full 2> "$WORK/full.err" || rc=$?
    check "map: stdout full exits 1" test "$rc" -eq 1
    check "map: stdout full is named" grep -q "cannot write standard output" "$WORK/full.err"
    rc=0
    "$NGC_BIN" --reduce < "$WORK/k.sorted" > /dev/full 2> "$WORK/full.err" || rc=$?
    check "reduce: stdout full exits 1" test "$rc" -eq 1
fi
"$NGC_BIN" --map --min-count 5 < "$WORK/c.tsv" > "$WORK/map.out" 2> "$WORK/map.err"
"$NGC_BIN" --map < "$WORK/c.tsv" > "$WORK/map2.out" 2> /dev/null
check "map: --min-count ignored" cmp -s "$WORK/map.out" "$WORK/map2.out"
check "map: --min-count warned about" grep -q '^ngram-count: warning: --min-count is for the final --reduce' "$WORK/map.err"
printf 'a\t1\n' | "$NGC_BIN" --reduce --fold-case > /dev/null 2> "$WORK/red.err"
check "reduce: mapper options warned about" grep -q '^ngram-count: warning: .*the reducer ignores them' "$WORK/red.err"
expect_exit "--map takes no files" 2 "read standard input" --map "$A"
expect_exit "--map: not a Google file" 1 "cannot tell the format" --map < "$TEXT"
finish
