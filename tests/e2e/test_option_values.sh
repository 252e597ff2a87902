#!/usr/bin/env bash
# Option values at and around every edge: for each numeric or size option,
# 0, 1, 2^k-1, 2^k, 2^k+1 (k = 8, 16, 31, 32, 63), 2^64-1, 2^64, 2^64+1,
# huge decimals, K..E suffixes, signs, blanks, "1e3", "0x10". Each run on a
# small file must exit 0 with the reference's output (reference.py given the
# same option), or exit 2 with a message: never a crash, never another exit
# status, never exit 0 with another result. Then the values behind issue 17:
# totals that pass 2^64-1 but are not printed, gzip padding and trailing
# garbage, --stats=json with file names that are not UTF-8, --reduce
# --strict on unsorted input.
# ctest: cost=200
. "$(dirname "$0")/lib.sh"
unset NGC_TEST_SMALL_CHUNKS
# Spill directories go here: none may be left behind, whatever the exit.
export TMPDIR="$WORK/tmp"
mkdir -p "$TMPDIR"
TAB=$'\t'

"$NGC_GEN" --seed 17 --size 100K -o "$WORK/g.tsv" 2> /dev/null
"$NGC_GEN" --seed 17 --size 40K --format text -o "$WORK/t.txt" 2> /dev/null
check "generated inputs" test -s "$WORK/g.tsv" -a -s "$WORK/t.txt"

# --- The values ------------------------------------------------------------
# 2^k-1, 2^k and 2^k+1 for k = 8, 16, 31, 32, 63, then 2^64-1, 2^64, 2^64+1.
VALUES=(0 1 007
        255 256 257 65535 65536 65537 2147483647 2147483648 2147483649
        4294967295 4294967296 4294967297
        9223372036854775807 9223372036854775808 9223372036854775809
        18446744073709551615 18446744073709551616 18446744073709551617
        99999999999999999999999999999999999999999999999999999999999999999999999999
        -1 +1 "" " 1" $'1\t' 1e3 0x10 1_000 1K 8E)
# Sizes also get every unit, and the byte forms.
SIZES=(64K 65535B 64KiB 16MiB 1GB 1T 1P 1E 15E 16E 17179869184G 1025P 0K 1Z K)

# A job per run: OPT VALUE INPUT [OPTIONS...]; the reference runs the same
# option, except for the options that do not change the result. One
# worker (-p 1) where the option is not about parallelism: fewer processes.
JOBS=()
job() {
    local j
    printf -v j '%s\037' "$@"
    JOBS+=("$j")
}
# Under a sanitizer (reduced) the nine count options, which share one
# parser and differ only in their bounds (plain comparisons, which the
# release stage checks on the whole matrix), share the values out: each
# value still goes through that parser three times and each option still
# meets 0, 1 and about ten others, accepted and refused. -c and --memory
# (their own parsers) take every value.
OPTS=(-p -t -c --memory --max-retries --task-timeout --top --min-count --from-year --to-year --order)
i=0
for v in "${VALUES[@]}"; do
    for j in "${!OPTS[@]}"; do
        opt=${OPTS[$j]}
        if reduced && [ "$opt" != -c ] && [ "$opt" != --memory ] && [ $(((i + j) % 3)) -ne 0 ] &&
            [ "$v" != 0 ] && [ "$v" != 1 ]; then
            continue
        fi
        case $opt in
        -p | -t | -c) job "$opt" "$v" g ;;
        --order) job --order "$v" t --text -p 1 ;;
        *) job "$opt" "$v" g -p 1 ;;
        esac
    done
    i=$((i + 1))
done
for v in "${SIZES[@]}"; do
    job -c "$v" g
    job --memory "$v" g -p 1
done

# Large -p runs fork hundreds of workers; under a sanitizer each costs a
# second or more, so there only the largest accepted value runs.
heavy() { [ -n "${NGC_SANITIZER:-}" ] && [ "$1" = -p ] && [ "$2" = 255 ]; }

# job_args N: sets opt, v, in and extra from job N.
job_args() {
    local a
    IFS=$'\037' read -r -a a <<< "${JOBS[$1]}"
    opt=${a[0]} v=${a[1]} in=$WORK/g.tsv
    [ "${a[2]}" = t ] && in=$WORK/t.txt
    extra=("${a[@]:3}")
}

# Runs every job, two at a time (most are a process start and exit).
running=0
for n in "${!JOBS[@]}"; do
    job_args "$n"
    heavy "$opt" "$v" && continue
    {
        rc=0
        "$NGC_BIN" --no-progress "${extra[@]}" "$opt" "$v" "$in" > "$WORK/out.$n" 2> "$WORK/err.$n" || rc=$?
        echo "$rc" > "$WORK/rc.$n"
    } &
    running=$((running + 1))
    if [ "$running" -ge 2 ]; then
        wait -n
        running=$((running - 1))
    fi
done
wait

# Exit 2 with a message naming the option, or exit 0: then checked against
# the reference below. Anything else fails.
: > "$WORK/refjobs"
runs=0
for n in "${!JOBS[@]}"; do
    job_args "$n"
    [ -e "$WORK/rc.$n" ] || continue
    runs=$((runs + 1))
    rc=$(cat "$WORK/rc.$n")
    name="$opt '$v'"
    case $rc in
    0)
        # The reference takes the options that change the result.
        ref=("$in")
        case $opt in
        --order) ref=(--text "$opt" "$v" "$in") ;;
        --top | --min-count | --from-year | --to-year) ref=("$opt" "$v" "$in") ;;
        esac
        printf '%s\037' "$WORK/out.$n" "$name" "${ref[@]}" >> "$WORK/refjobs"
        printf '\n' >> "$WORK/refjobs" ;;
    2)
        long=$opt
        case $opt in -p) long=--processes ;; -t) long=--threads ;; -c) long=--chunk-size ;; esac
        if grep -qF -- "for $long: " "$WORK/err.$n"; then
            pass
        else
            fail "$name: exit 2 without a message naming $long: $(head -c 300 "$WORK/err.$n")"
        fi ;;
    *)
        fail "$name: exit $rc: $(head -c 300 "$WORK/err.$n")" ;;
    esac
done

# The references, in one Python process (reference.py's own main, given the
# same arguments as the engine): the engine's result must be the same bytes.
python3 - "$REF" "$WORK/refjobs" > "$WORK/refcheck" 2>&1 <<'EOF'
import io, os, sys
sys.path.insert(0, os.path.dirname(sys.argv[1]))
import reference
done = {}
for line in open(sys.argv[2], encoding="utf-8", errors="surrogateescape"):
    f = line.rstrip("\n").split("\x1f")[:-1]
    out, name, args = f[0], f[1], f[2:]
    if tuple(args) not in done:
        buf = io.BytesIO()
        sys.argv = ["reference.py"] + args
        saved, sys.stdout = sys.stdout, io.TextIOWrapper(buf)
        try:
            reference.main()
            sys.stdout.flush()
            done[tuple(args)] = buf.getvalue()
        except SystemExit as e:
            done[tuple(args)] = "the reference refused it: %s" % e
        sys.stdout = saved
    want = done[tuple(args)]
    got = open(out, "rb").read()
    if isinstance(want, str):
        print("FAIL %s: %s" % (name, want))
    elif got != want:
        print("FAIL %s: output differs from the reference (%d vs %d bytes)"
              % (name, len(got), len(want)))
    else:
        print("ok")
EOF
while read -r line; do
    case $line in
    ok) pass ;;
    *) fail "${line#FAIL }" ;;
    esac
done < "$WORK/refcheck"
check "every accepted value checked" test "$(grep -c . "$WORK/refcheck")" -eq "$(grep -c . "$WORK/refjobs")"
accepted=50
reduced && accepted=20
check "some values accepted, some refused" test "$(grep -c . "$WORK/refjobs")" -gt $accepted -a "$(grep -c . "$WORK/refjobs")" -lt "$runs"

# The limits, and what they say.
expect_exit "--memory 2^64-1" 2 "invalid value '18446744073709551615' for --memory: too large: at most 1T" --memory 18446744073709551615 "$WORK/g.tsv"
expect_exit "--memory 1P" 2 "for --memory: too large: at most 1T" --memory 1P "$WORK/g.tsv"
expect_exit "--memory 8E" 2 "for --memory: too large: at most 1T" --memory 8E "$WORK/g.tsv"
expect_exit "--memory 100T" 2 "for --memory: too large: at most 1T" --memory 100T "$WORK/g.tsv"
expect_exit "--memory 16384G" 2 "for --memory: too large: at most 1T" --memory 16384G "$WORK/g.tsv"
check "--memory 16384G: no log line" bash -c "! grep -q 'ERROR' '$WORK/ngc.err'"
expect_exit "--memory 15M" 2 "for --memory: must be at least 16M" --memory 15M "$WORK/g.tsv"
expect_exit "-c 1" 2 "invalid value '1' for --chunk-size: must be at least 64K" -c 1 "$WORK/g.tsv"
expect_exit "-c 65535" 2 "for --chunk-size: must be at least 64K" -c 65535 "$WORK/g.tsv"
expect_exit "-c 2^64" 2 "for --chunk-size: too large: at most 18446744073709551615" -c 18446744073709551616 "$WORK/g.tsv"
expect_exit "-c junk" 2 "for --chunk-size: not a size" -c 8Q "$WORK/g.tsv"
# A --memory this machine cannot map (an address-space limit) is a usage
# error too, never a crash. (A sanitizer's runtime cannot start at all
# under such a limit: its shadow memory alone is larger.)
if [ -z "${NGC_SANITIZER:-}" ]; then
    rc=0
    (ulimit -v 4000000 && exec "$NGC_BIN" --no-progress --memory 1T "$WORK/g.tsv") > /dev/null 2> "$WORK/ulimit.err" || rc=$?
    check "--memory beyond ulimit -v: exit 2 (got $rc)" test "$rc" -eq 2
    check "--memory beyond ulimit -v: says so" grep -q "cannot map .* bytes of shared memory (--memory)" "$WORK/ulimit.err"
fi
check "no spill directory left behind" bash -c "[ -z \"\$(ls -A '$TMPDIR')\" ]"

# --- Totals past 2^64-1 that are not printed --------------------------------
M=18446744073709551615
# Only what --count counts may fail: the volume under --count match, the
# match under --count volume, either under both. In a run, across the
# runs of one task, across tasks (the shared table), in a v3 line, and
# across spilled runs.
printf "w\t1900\t1\t$M\nw\t1901\t2\t1\nv\t1900\t$M\t1\nv\t1901\t1\t2\n" > "$WORK/o1.tsv"
printf "w\t1900\t1\t$M\nx\t1900\t1\t1\nw\t1901\t2\t1\n" > "$WORK/o2.tsv"
{ printf "w\t1900\t1\t$M\n"; "$NGC_GEN" --seed 4 --size 200K 2> /dev/null; printf "w\t1901\t2\t1\n"; } > "$WORK/o3.tsv"
printf "w\t1900,1,$M\t1901,2,1\n" > "$WORK/o4.v3"
grep -v '^v' "$WORK/o1.tsv" > "$WORK/o1w.tsv"
same_output "volume past 2^64-1, --count match: in a run" "$WORK/o1w.tsv" -- "$WORK/o1w.tsv"
same_output "volume past 2^64-1, --count match: across runs" "$WORK/o2.tsv" -- "$WORK/o2.tsv"
same_output "volume past 2^64-1, --count match: across tasks" "$WORK/o3.tsv" -- -c 64K -p 2 "$WORK/o3.tsv"
same_output "volume past 2^64-1, --count match: a v3 line" "$WORK/o4.v3" -- "$WORK/o4.v3"
expect_exit "volume past 2^64-1, --count volume" 1 "the total of 'w' passes 2\^64-1" --count volume "$WORK/o2.tsv"
expect_exit "volume past 2^64-1, --count both" 1 "the total of 'w' passes 2\^64-1" --count both "$WORK/o2.tsv"
expect_exit "volume past 2^64-1 across tasks, --count volume" 1 "the total of 'w' passes 2\^64-1" --count volume -c 64K -p 2 "$WORK/o3.tsv"
expect_exit "volume past 2^64-1 in a v3 line, --count both" 1 "the total of 'w' passes 2\^64-1" --count both "$WORK/o4.v3"
expect_exit "volume past 2^64-1 in a run, --count volume" 1 "the total of 'w' passes 2\^64-1" --count volume "$WORK/o1w.tsv"
expect_exit "match past 2^64-1, --count match" 1 "the total of 'v' passes 2\^64-1" "$WORK/o1.tsv"
printf "v\t1900\t$M\t1\nv\t1901\t1\t2\n" > "$WORK/o1v.tsv"
same_output "match past 2^64-1, --count volume" --count volume "$WORK/o1v.tsv" -- --count volume "$WORK/o1v.tsv"
# Spilled runs (--memory 16M holds fewer keys than this): every key's
# volume passes 2^64-1, which --count match neither counts nor keeps (its
# table and runs hold no volumes): exit 0 with exact matches.
seq 1 400000 | awk -v M="$M" '{ printf "k%d\t1900\t1\t%s\n", $1, M }' > "$WORK/o5.tsv"
seq 1 400000 | awk '{ printf "k%d\t1901\t1\t1\n", $1 }' >> "$WORK/o5.tsv"
seq 1 400000 | awk '{ printf "k%d\t2\n", $1 }' | sort > "$WORK/o5.want"
rc=0
"$NGC_BIN" --no-progress --memory 16M --stats=json "$WORK/o5.tsv" > "$WORK/o5.out" 2> "$WORK/o5.err" || rc=$?
check "spilled: --count match exits 0 (got $rc)" test "$rc" -eq 0
check "spilled: runs were spilled" python3 -c "import json,sys; sys.exit(json.loads(open('$WORK/o5.err').read().splitlines()[-1])['spilled_runs'] == 0)"
check "spilled: the match totals" cmp -s "$WORK/o5.want" "$WORK/o5.out"
expect_exit "spilled: --count volume" 1 "the total of 'k[0-9]+' passes 2\^64-1" --memory 16M --count volume "$WORK/o5.tsv"
check "spilled: no spill directory left behind" bash -c "[ -z \"\$(ls -A '$TMPDIR')\" ]"
# --normalize divides by the counted years' words (--count match) or books
# (--count volume): only that sum must fit and be above zero.
printf ' 1900,10,1,%s\t1901,10,1,5\n' "$M" > "$WORK/totals"
same_output "--normalize: the books' sum is not used" --normalize "$WORK/totals" "$WORK/o1w.tsv" -- --normalize "$WORK/totals" "$WORK/o1w.tsv"
expect_exit "--normalize --count volume: the books' sum passes 2^64-1" 1 "the totals pass 2\^64-1" --count volume --normalize "$WORK/totals" "$WORK/o1w.tsv"
printf ' 1900,10,1,0\n' > "$WORK/totals0"
same_output "--normalize: no books, --count match" --normalize "$WORK/totals0" "$WORK/o1w.tsv" -- --normalize "$WORK/totals0" "$WORK/o1w.tsv"
# The Hadoop mapper's combiner.
"$NGC_BIN" --map < "$WORK/o2.tsv" 2> /dev/null | sort > "$WORK/map.out"
check "--map --count match: volume past 2^64-1" test "$(cat "$WORK/map.out")" = "w${TAB}3"$'\n'"x${TAB}1"
rc=0
"$NGC_BIN" --map --count volume < "$WORK/o2.tsv" > /dev/null 2> "$WORK/map.err" || rc=$?
check "--map --count volume: volume past 2^64-1 exits 1" test "$rc" -eq 1
check "--map --count volume: names the key" grep -q "the total of 'w' passes 2^64-1" "$WORK/map.err"

# --- gzip: zero padding after the last member, trailing garbage --------------
ENGINES=(zlib)
"$NGC_BIN" --inflate isal --help > /dev/null 2>&1 && ENGINES+=(isal)
gzip -c "$WORK/g.tsv" > "$WORK/pad.gz"
head -c 10240 /dev/zero >> "$WORK/pad.gz"
printf "two\t2000\t1\t1\n" > "$WORK/one.tsv"
gzip -c "$WORK/one.tsv" > "$WORK/two.gz"
gzip -c "$WORK/g.tsv" >> "$WORK/two.gz"
head -c 3 /dev/zero >> "$WORK/two.gz"
cp "$WORK/pad.gz" "$WORK/junk.gz"
printf 'junk' >> "$WORK/junk.gz"
gzip -c "$WORK/g.tsv" > "$WORK/junk2.gz"
printf '\n' >> "$WORK/junk2.gz"
check "gzip -t accepts zero padding" gzip -t "$WORK/pad.gz"
cat "$WORK/one.tsv" "$WORK/g.tsv" > "$WORK/two.tsv"
python3 "$REF" "$WORK/g.tsv" > "$WORK/g.ref"
python3 "$REF" "$WORK/two.tsv" > "$WORK/two.ref"
for e in "${ENGINES[@]}"; do
    same_as "gzip padded with zeros, --inflate $e" "$WORK/g.ref" --inflate "$e" "$WORK/pad.gz"
    same_as "two members and padding, --inflate $e" "$WORK/two.ref" --inflate "$e" "$WORK/two.gz"
    same_as "padded gzip on standard input, --inflate $e" "$WORK/g.ref" --inflate "$e" - < "$WORK/pad.gz"
    expect_exit "garbage after padding, --inflate $e" 1 "^ngram-count: .*junk.gz: trailing garbage after gzip data" --inflate "$e" "$WORK/junk.gz"
    expect_exit "garbage after a member, --inflate $e" 1 "^ngram-count: .*junk2.gz: trailing garbage after gzip data" --inflate "$e" "$WORK/junk2.gz"
done

# --- --stats=json with file names that are not UTF-8 --------------------------
odd=$(printf 'odd-\xff\xfe-\x01-"-\\-caf\xc3\xa9-\xed\xa0\x80-\xf4\x90\x80\x80-\x7f.tsv')
printf 'a\t2000\t1\t1\nnot a line\n' > "$WORK/$odd"
rc=0
"$NGC_BIN" --no-progress --stats=json "$WORK/$odd" "$WORK/g.tsv" > /dev/null 2> "$WORK/stats.json" || rc=$?
check "odd file name: exit 0 (got $rc)" test "$rc" -eq 0
check "odd file name: --stats=json parses" python3 -c 'import json,sys; json.load(sys.stdin)' < "$WORK/stats.json"
check "odd file name: bytes not UTF-8 are \\u00XX, valid UTF-8 kept" python3 -c "
import json, sys
s = json.load(open(sys.argv[1]))
want = sys.argv[2] + '/odd-\xff\xfe-\x01-\"-\\\\-caf\u00e9-\xed\xa0\x80-\xf4\x90\x80\x80-\x7f.tsv'
assert s['formats'][0]['file'] == want, (s['formats'][0]['file'], want)
assert s['malformed_samples'][0]['file'] == want, s['malformed_samples']
" "$WORK/stats.json" "$WORK"

# --- --reduce --strict and unsorted input --------------------------------------
rc=0
printf 'b\t1\na\t1\nb\t1\n' | "$NGC_BIN" --reduce --strict > /dev/null 2> "$WORK/red.err" || rc=$?
check "reduce --strict, unsorted: exit 1 (got $rc)" test "$rc" -eq 1
check "reduce --strict, unsorted: names the line" grep -q "^ngram-count: standard input:2: key 'a' comes after 'b'" "$WORK/red.err"
rc=0
printf 'b\t1\na\t1\nb\t1\n' | "$NGC_BIN" --reduce > "$WORK/red.out" 2> /dev/null || rc=$?
check "reduce, unsorted without --strict: exit 0" test "$rc" -eq 0

check "no spill directory left at the end" bash -c "[ -z \"\$(ls -A '$TMPDIR')\" ]"
finish
