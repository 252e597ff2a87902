#!/usr/bin/env bash
# --by-year (one row per ngram and year, key "ngram TAB YYYY") and --select /
# --select-file (only these ngrams, "*" a whole token), against reference.py
# on generated v1, v2 and v3 files (plain, gzip, standard input) under
# folding, tags, years, --count both and several -p/-t/-c; spilling; the
# Hadoop Streaming parts; the real excerpts in ../shared/real-ngrams when
# they are there; and the usage errors.
# ctest: labels=quick cost=20
. "$(dirname "$0")/lib.sh"

"$NGC_GEN" --seed 41 --size 300K --malformed 2 -o "$WORK/v2.tsv" 2>/dev/null
"$NGC_GEN" --seed 42 --size 200K --order 2 --format v1 -o "$WORK/v1.tsv" 2>/dev/null
"$NGC_GEN" --seed 43 --size 300K --order 2 --format v3 --crlf -o "$WORK/v3.tsv" 2>/dev/null
gzip -c "$WORK/v3.tsv" > "$WORK/v3.tsv.gz"

# Every layout under the options that change keys or years.
OPTS=("--fold-case --count both" "--pos strip --from-year 1900 --to-year 1950"
      "--pos drop --sort count --top 25")
if sanitized; then OPTS=("" "--fold-case --pos strip --count both"); fi
for f in v1 v2 v3; do
    for o in "${OPTS[@]}"; do
        # shellcheck disable=SC2086
        same_output "by-year $f [$o]" --by-year $o "$WORK/$f.tsv" -- --by-year $o "$WORK/$f.tsv"
    done
done

# Years print as 4 digits, in byte order after the ngram (the default sort).
printf 'for ever\t1850\t3\t2\nfor ever\t1850\t4\t1\nfor ever\t851\t1\t1\nfor\t7\t5\t5\n' \
    > "$WORK/tiny.tsv"
printf 'for\t0007\t5\nfor ever\t0851\t1\nfor ever\t1850\t7\n' > "$WORK/tiny.want"
same_as "years zero-padded, runs split by year" "$WORK/tiny.want" --by-year "$WORK/tiny.tsv"

# gzip, standard input and task layouts give the same rows.
python3 "$REF" --by-year "$WORK/v3.tsv" > "$WORK/v3.ref"
same_as "by-year v3.gz" "$WORK/v3.ref" --by-year "$WORK/v3.tsv.gz"
rc=0
"$NGC_BIN" --no-progress --by-year - < "$WORK/v3.tsv" > "$WORK/stdin.out" || rc=$?
check "by-year from standard input" test "$rc" -eq 0
check "by-year from standard input equals the reference" cmp -s "$WORK/v3.ref" "$WORK/stdin.out"
python3 "$REF" --by-year "$WORK/v2.tsv" > "$WORK/v2.ref"
for pt in "-p 1 -t 1" "-p 3 -t 2 -c 64K"; do
    # shellcheck disable=SC2086
    same_as "by-year v2 [$pt]" "$WORK/v2.ref" --by-year $pt "$WORK/v2.tsv"
done

# Selections: exact entries and wildcards taken from the files themselves.
word_after() { awk -F'\t' -v n="$1" 'NR > n && $1 ~ /^[A-Za-z]+$/ {print $1; exit}' "$2"; }
K1=$(word_after 3000 "$WORK/v2.tsv")
K2=$(word_after 9000 "$WORK/v2.tsv")
token_after() {
    awk -F'\t' -v n="$1" -v i="$2" \
        'NR > n {split($1, t, " "); if (t[i] ~ /^[a-z]+$/) {print t[i]; exit}}' "$3"
}
P1=$(token_after 500 1 "$WORK/v1.tsv")
P2=$(token_after 900 2 "$WORK/v3.tsv")
printf '%s\n\n  \n%s *\n* %s\r\nnot there at all\n' "$K1" "$P1" "$P2" > "$WORK/sel.txt"
SOPTS=("" "--by-year --fold-case --pos strip" "--by-year --count both --from-year 1950")
if sanitized; then SOPTS=("--by-year --fold-case --pos strip"); fi
for o in "${SOPTS[@]}"; do
    # shellcheck disable=SC2086
    same_output "select v2 [$o]" $o --select "$K1,$K2" --select zz-none "$WORK/v2.tsv" -- \
        $o --select "$K1,$K2" --select zz-none "$WORK/v2.tsv"
    for f in v1 v3; do
        # shellcheck disable=SC2086
        same_output "select-file $f [$o]" $o --select-file "$WORK/sel.txt" "$WORK/$f.tsv" -- \
            $o --select-file "$WORK/sel.txt" "$WORK/$f.tsv"
    done
done
# The wildcard really matched several ngrams, each reported as itself.
"$NGC_BIN" --no-progress --select "$P1 *" "$WORK/v1.tsv" > "$WORK/wild.out"
check "a wildcard matches several ngrams" test "$(wc -l < "$WORK/wild.out")" -gt 1
check "each match is its own ngram" test -z "$(grep -F "$P1 *" "$WORK/wild.out")"
same_output "select -p 3 -t 2 -c 64K" --by-year --select "$K1,$K2" "$WORK/v2.tsv" -- \
    -p 3 -t 2 -c 64K --by-year --select "$K1,$K2" "$WORK/v2.tsv"
rc=0
"$NGC_BIN" --no-progress --by-year --select-file "$WORK/sel.txt" - < "$WORK/v3.tsv" \
    > "$WORK/sel-stdin.out" || rc=$?
python3 "$REF" --by-year --select-file "$WORK/sel.txt" "$WORK/v3.tsv" > "$WORK/sel-stdin.ref"
check "select from standard input" test "$rc" -eq 0
check "select from standard input equals the reference" \
    cmp -s "$WORK/sel-stdin.ref" "$WORK/sel-stdin.out"

# Nothing matched: exit 0, no output, one note.
expect_exit "a selection that matches nothing" 0 "note: no ngram matched the selection" \
    --select "zz-none,zz none *" "$WORK/v2.tsv"
check "nothing matched: empty output" test ! -s "$WORK/ngc.out"

# More (ngram, year) keys than 16M of table: spilled runs, same rows.
if ! sanitized; then
    "$NGC_GEN" --seed 44 --order 2 --vocab 50K --size 8M -o "$WORK/big.tsv" 2>/dev/null
    "$NGC_BIN" --no-progress --by-year --count both "$WORK/big.tsv" > "$WORK/big.mem"
    rc=0
    "$NGC_BIN" --no-progress --by-year --count both --memory 16M --tmp-dir "$WORK" \
        --stats=json "$WORK/big.tsv" > "$WORK/big.spill" 2> "$WORK/big.json" || rc=$?
    check "by-year spill exits 0" test "$rc" -eq 0
    check "by-year spill equals the in-memory run" cmp -s "$WORK/big.mem" "$WORK/big.spill"
    check "by-year run did spill" python3 -c \
        "import json,sys; sys.exit(json.load(open(sys.argv[1]))['spilled_runs'] == 0)" \
        "$WORK/big.json"
    # The in-memory run, checked on a slice the reference reads quickly.
    head -c 300000 "$WORK/big.tsv" | sed '$d' > "$WORK/slice.tsv"
    same_output "by-year slice of the spill data" --by-year --count both "$WORK/slice.tsv" -- \
        --by-year --count both --memory 16M "$WORK/slice.tsv"
fi

# Hadoop Streaming: mapper keys carry the year; the reducer keys on both fields.
"$NGC_BIN" --map --by-year < "$WORK/v2.tsv" 2>/dev/null | LC_ALL=C sort > "$WORK/mapped"
"$NGC_BIN" --reduce --by-year < "$WORK/mapped" 2>/dev/null > "$WORK/reduced"
check "--map/--reduce --by-year equals the engine" cmp -s "$WORK/v2.ref" "$WORK/reduced"

# Real Google Books lines, when ../shared/real-ngrams is there.
DATA=${NGC_REAL_NGRAMS:-$HERE/../../../shared/real-ngrams}
if [ -d "$DATA" ]; then
    MSR=$DATA/v2-msr-ds3-year_counts.tsv
    V3=("$DATA/v3-words-over-time-forever-1gram.tsv"
        "$DATA/v3-words-over-time-forevermore-1gram.tsv"
        "$DATA/v3-words-over-time-for_ever-2gram.tsv")
    V1B=$DATA/v1-conservation_pathways-2gram.tsv
    same_output "real v2 year ngrams by year" --by-year --select 1850,1900,1999 "$MSR" -- \
        --by-year --select 1850,1900,1999 "$MSR"
    # The file's own line: 1850 in 1900, 18640 matches in 3359 volumes.
    "$NGC_BIN" --no-progress --by-year --count both --select 1850 "$MSR" > "$WORK/msr.out"
    check "real 1850 in 1900" grep -qxP '1850\t1900\t18640\t3359' "$WORK/msr.out"
    same_output "real v3 forever series" --by-year --select 'forever,for ever,forevermore' \
        --from-year 1800 --to-year 2019 "${V3[@]}" -- --by-year \
        --select 'forever,for ever,forevermore' --from-year 1800 --to-year 2019 "${V3[@]}"
    "$NGC_BIN" --no-progress --by-year --count both --select 'for *' "${V3[@]}" > "$WORK/fe.out"
    check "real 'for ever' in 1850" grep -qxP 'for ever\t1850\t105797\t9067' "$WORK/fe.out"
    same_output "real v1 2-grams, wildcard" --by-year --select 'acid *,* change' "$V1B" -- \
        --by-year --select 'acid *,* change' "$V1B"
    same_output "real v3 folded, gzip-free totals" --fold-case --select 'FOREVER' "${V3[@]}" -- \
        --fold-case --select 'FOREVER' "${V3[@]}"
fi

# Usage errors: exit 2 and a message.
expect_exit "--by-year --text" 2 "--by-year needs Google Books files" --by-year --text "$WORK/v2.tsv"
expect_exit "--select ''" 2 "an empty ngram selects nothing" --select '' "$WORK/v2.tsv"
expect_exit "--select 'a,,b'" 2 "an empty ngram selects nothing" --select 'a,,b' "$WORK/v2.tsv"
expect_exit "--select-file missing" 2 "$WORK/none.txt: cannot open" \
    --select-file "$WORK/none.txt" "$WORK/v2.tsv"
printf '\n  \n\n' > "$WORK/blank.txt"
expect_exit "--select-file of blank lines" 2 "holds no ngram" \
    --select-file "$WORK/blank.txt" "$WORK/v2.tsv"
expect_exit "--select --text" 2 "not of --text" --select a --text "$WORK/v2.tsv"
expect_exit "--select --reduce" 2 "not to --reduce" --select a --reduce
expect_exit "--by-year --top --sort ngram" 2 "--top picks the most frequent" \
    --by-year --top 3 --sort ngram "$WORK/v2.tsv"

finish
