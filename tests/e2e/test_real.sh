#!/usr/bin/env bash
# Real Google Books Ngram excerpts (shared/real-ngrams, see its SOURCES.md):
# v1 2009, v2 2012 and v3 2020 files and the totals files, read in place and
# checked against reference.py and against sums computed here with awk.
# ctest: labels=quick cost=40
. "$(dirname "$0")/lib.sh"

DATA=${NGC_REAL_NGRAMS:-$HERE/../../../shared/real-ngrams}
if [ ! -d "$DATA" ]; then
    echo "FAIL: real ngram data not found: '$DATA' is not a directory" \
         "(set NGC_REAL_NGRAMS to the shared/real-ngrams directory)" >&2
    exit 1
fi
DATA=$(cd "$DATA" && pwd)

MSR=$DATA/v2-msr-ds3-year_counts.tsv
HEADA=$DATA/v2-asyncio_learn_book-head-a.tsv
V1A=$DATA/v1-conservation_pathways-1gram.tsv
V1B=$DATA/v1-conservation_pathways-2gram.tsv
V3=("$DATA/v3-words-over-time-forever-1gram.tsv"
    "$DATA/v3-words-over-time-forevermore-1gram.tsv"
    "$DATA/v3-words-over-time-for_ever-2gram.tsv")
T2009=$DATA/totalcounts-2009.txt
T2012=$DATA/totalcounts-2012.txt
T2020=$DATA/totalcounts-2020.txt

# The files must be the ones SOURCES.md describes (sha256, first 16 digits):
# the figures written below hold only for them.
while read -r sum name; do
    if [ ! -r "$DATA/$name" ]; then
        echo "FAIL: real ngram data incomplete: cannot read '$DATA/$name'" >&2
        exit 1
    fi
    got=$(sha256sum < "$DATA/$name" | cut -c1-16)
    check "$name is the file of SOURCES.md (sha256 $got)" test "$got" = "$sum"
done <<'EOF'
95ef38828ddcaa87 v2-msr-ds3-year_counts.tsv
69d594c795f1dccd v2-asyncio_learn_book-head-a.tsv
0ff74bed270b8952 v1-conservation_pathways-1gram.tsv
429eaf15f6f84b2b v1-conservation_pathways-2gram.tsv
6d562ee045ebe737 v3-words-over-time-forever-1gram.tsv
43a86acc5dee676a v3-words-over-time-forevermore-1gram.tsv
939b26396597ab91 v3-words-over-time-for_ever-2gram.tsv
086c7643ff5b3065 totalcounts-2009.txt
95f3b78222e81383 totalcounts-2012.txt
aa7d367404d86417 totalcounts-2020.txt
EOF
[ "$FAILED" -eq 0 ] || { finish; exit 1; }

# --- the reference's answers, all in one Python process --------------------
# ref NAME ARGS...: reference.py ARGS writes $WORK/NAME.ref (missing if it
# fails). Queued here and run at once: each Python start costs ~0.1-0.7 s.
: > "$WORK/ref.jobs"
ref() {
    local IFS=$'\t'
    printf '%s\n' "$*" >> "$WORK/ref.jobs"
}
ref msr "$MSR"
ref msr-both --count both "$MSR"
ref msr-years --from-year 1900 --to-year 1950 "$MSR"
ref msr-byname --sort ngram "$MSR"
ref msr-top --top 10 "$MSR"
ref heada "$HEADA"
ref heada-strip --pos strip "$HEADA"
ref heada-drop --pos drop "$HEADA"
ref v1a --stats-out "$WORK/v1a.refstats" "$V1A"
ref v1b --stats-out "$WORK/v1b.refstats" "$V1B"
ref v1-both --count both "$V1A" "$V1B"
ref v1b-years --from-year 1970 --to-year 1990 "$V1B"
ref v1b-forced --format v1 "$V1B"
ref v3 "${V3[@]}"
for i in 0 1 2; do ref "v3-$i" "${V3[$i]}"; done
ref v3-volume --count volume "${V3[@]}"
ref v3-both --count both "${V3[@]}"
V3_RANGES=("1900 1950" "2019 2019" "1478 1499" "1 1477")
for range in "${V3_RANGES[@]}"; do
    read -r lo hi <<< "$range"
    ref "v3-$lo-$hi" --from-year "$lo" --to-year "$hi" "${V3[@]}"
done
ref all "$V1A" "$V1B" "$HEADA" "$MSR" "${V3[@]}"
ref norm-2012 --normalize "$T2012" "$MSR" "$HEADA"
ref norm-2012-volume --normalize "$T2012" --count volume "$HEADA"
ref norm-2012-years --normalize "$T2012" --from-year 1880 --to-year 1900 "$HEADA"
ref norm-2020 --normalize "$T2020" "${V3[@]}"
ref norm-2020-volume --normalize "$T2020" --count volume "${V3[@]}"
ref norm-2020-both --normalize "$T2020" --count both "${V3[@]}"
ref norm-2020-years --normalize "$T2020" --from-year 1800 --to-year 1899 "${V3[@]}"
for t in "$DATA"/totalcounts-2020-*.txt; do
    ref "norm-${t##*/}" --normalize "$t" "${V3[@]}"
done
ref norm-2009 --normalize "$T2009" "$V1B"
python3 - "$REF" "$WORK" 3< "$WORK/ref.jobs" <<'EOF' 2> "$WORK/ref.err"
import importlib.util, io, os, sys
spec = importlib.util.spec_from_file_location("reference", sys.argv[1])
reference = importlib.util.module_from_spec(spec)
spec.loader.exec_module(reference)
work = sys.argv[2]
for job in os.fdopen(3):
    name, *args = job.rstrip("\n").split("\t")
    out = os.path.join(work, name + ".ref")
    sys.argv = ["reference.py"] + args
    f = open(out, "wb")
    sys.stdout = io.TextIOWrapper(f)
    try:
        reference.main()
        ok = True
    except SystemExit as e:
        ok = not e.code
        print("reference %s: %s" % (name, e.code), file=sys.stderr)
    sys.stdout.flush()
    sys.stdout.detach().close()
    sys.stdout = sys.__stdout__
    if not ok:
        os.unlink(out)
EOF
check "the reference ran (stderr: $(head -c 300 "$WORK/ref.err"))" test -s "$WORK/msr.ref"

# 'key TAB total' lines sorted as the engine prints them: most frequent
# first, ties in byte order.
by_count() { sort -t$'\t' -k2,2nr -k1,1; }
# awk_sum COL FILE...: the total of TAB field COL per key (field 1).
awk_sum() {
    local col=$1
    shift
    awk -F'\t' -v c="$col" '{ s[$1] += $c } END { for (k in s) printf "%s\t%.0f\n", k, s[k] }' "$@" | by_count
}
# awk_both MATCH VOLUME FILE...: 'key TAB match TAB volume' from those fields.
awk_both() {
    local m=$1 v=$2
    shift 2
    awk -F'\t' -v m="$m" -v v="$v" '{ a[$1] += $m; b[$1] += $v }
        END { for (k in a) printf "%s\t%.0f\t%.0f\n", k, a[k], b[k] }' "$@" |
        sort -t$'\t' -k2,2nr -k3,3nr -k1,1
}
# col_sum FILE: the sum of the second column of an output.
col_sum() { awk -F'\t' '{ s += $2 } END { printf "%.0f\n", s }' "$1"; }
# stats FILE...: per --stats=json (or reference --stats-out) file, one line:
# 'formats|lines|malformed|lines of the malformed samples'.
stats() {
    python3 - "$@" <<'EOF'
import json, sys
for path in sys.argv[1:]:
    s = json.load(open(path))
    fmts = " ".join(f["format"] if isinstance(f, dict) else f[1] for f in s["formats"])
    bad = s.get("malformed_lines", s.get("malformed"))
    lines = " ".join(str(m["line"]) for m in s.get("malformed_samples", []))
    print("%s|%s|%s|%s" % (fmts, s.get("lines", "-"), bad, lines))
EOF
}
# near OUT EXPECTED: OUT's 'key TAB value' lines equal EXPECTED's keys in
# order, each value within 1e-12 (relative) of the expected one.
near() {
    [ "$(cut -f1 "$1")" = "$(cut -f1 "$2")" ] &&
        paste "$1" "$2" | awk -F'\t' '{ d = $2 - $4; if (d < 0) d = -d; if (d > 1e-12 * $4) bad = 1 } END { exit bad }'
}

# --- v2 2012: the msr-ds3 excerpt of the '-1' file (200 keys, 53,393 lines,
# keys grouped but not sorted) ---------------------------------------------
awk_sum 3 "$MSR" > "$WORK/msr.awk"
check "msr: reference equals the awk sum" cmp -s "$WORK/msr.ref" "$WORK/msr.awk"
check "msr: 200 keys" test "$(wc -l < "$WORK/msr.ref")" -eq 200
check "msr: match_count of the file is 1,747,911,995 (SOURCES.md)" \
    test "$(awk -F'\t' '{ s += $3 } END { printf "%.0f\n", s }' "$MSR")" = 1747911995
"$NGC_BIN" --no-progress --stats=json "$MSR" > "$WORK/msr.out" 2> "$WORK/msr.json"
check "msr: default run equals the reference" cmp -s "$WORK/msr.ref" "$WORK/msr.out"
check "msr: the totals printed add up to 1,747,911,995" test "$(col_sum "$WORK/msr.out")" = 1747911995
check "msr: --stats says v2, 53393 lines, none malformed" \
    test "$(stats "$WORK/msr.json")" = "v2|53393|0|"
for opts in "-p 1" "-p 2" "-p 3" "-c 64K" "-c 64K -p 3 -t 1" "-p 1 -t 1"; do
    # shellcheck disable=SC2086
    same_as "msr $opts" "$WORK/msr.ref" $opts "$MSR"
done
# Chunks below 64K: task boundaries fall inside many keys' runs of lines.
export NGC_TEST_SMALL_CHUNKS=1
for opts in "-c 4K" "-c 4K -p 3 -t 3" "-c 1K -p 2 -t 1"; do
    # shellcheck disable=SC2086
    same_as "msr $opts" "$WORK/msr.ref" $opts "$MSR"
done
gzip -c "$MSR" > "$WORK/msr.tsv.gz"
same_as "msr gzip" "$WORK/msr.ref" "$WORK/msr.tsv.gz"
"$NGC_BIN" --no-progress -p 2 - < "$MSR" > "$WORK/ngc.out" 2> "$WORK/ngc.err"
check "msr stdin" cmp -s "$WORK/msr.ref" "$WORK/ngc.out"
"$NGC_BIN" --no-progress - < "$WORK/msr.tsv.gz" > "$WORK/ngc.out" 2> "$WORK/ngc.err"
check "msr gzip on stdin" cmp -s "$WORK/msr.ref" "$WORK/ngc.out"

awk_both 3 4 "$MSR" > "$WORK/msr-both.awk"
check "msr --count both: reference equals awk" cmp -s "$WORK/msr-both.ref" "$WORK/msr-both.awk"
same_as "msr --count both" "$WORK/msr-both.ref" --count both "$MSR"
awk_sum 4 "$MSR" > "$WORK/msr-volume.awk"
same_as "msr --count volume equals awk" "$WORK/msr-volume.awk" --count volume "$MSR"

awk -F'\t' '$2 >= 1900 && $2 <= 1950' "$MSR" | awk_sum 3 > "$WORK/msr-years.awk"
check "msr 1900-1950: reference equals awk" cmp -s "$WORK/msr-years.ref" "$WORK/msr-years.awk"
same_as "msr --from-year 1900 --to-year 1950" "$WORK/msr-years.ref" --from-year 1900 --to-year 1950 "$MSR"

sort -t$'\t' -k1,1 "$WORK/msr.awk" > "$WORK/msr-byname.awk"
check "msr --sort ngram: reference equals sorted awk" cmp -s "$WORK/msr-byname.ref" "$WORK/msr-byname.awk"
same_as "msr --sort ngram" "$WORK/msr-byname.ref" --sort ngram "$MSR"
head -n 10 "$WORK/msr.awk" > "$WORK/msr-top.awk"
check "msr --top 10: reference equals awk's first 10" cmp -s "$WORK/msr-top.ref" "$WORK/msr-top.awk"
same_as "msr --top 10" "$WORK/msr-top.ref" --top 10 "$MSR"
check "msr --top 10 starts with 1990" test "$(head -n 1 "$WORK/msr-top.ref")" = $'1990\t32099508'

# --- v2 2012: the first 32 lines of the '-a' file (POS tags, apostrophes) --
awk_sum 3 "$HEADA" > "$WORK/heada.awk"
printf "A'Aang_NOUN\t153\nA'que_ADJ\t33\n" > "$WORK/heada.hand"
check "head-a: awk totals are the hand totals" cmp -s "$WORK/heada.hand" "$WORK/heada.awk"
check "head-a: only A'Aang_NOUN and A'que_ADJ" \
    test "$(cut -f1 "$HEADA" | sort -u | tr '\n' ' ')" = "A'Aang_NOUN A'que_ADJ "
check "head-a: reference equals the hand totals" cmp -s "$WORK/heada.hand" "$WORK/heada.ref"
same_as "head-a totals" "$WORK/heada.hand" "$HEADA"
printf "A'Aang_NOUN\t153\t47\nA'que_ADJ\t33\t26\n" > "$WORK/heada-both.hand"
awk_both 3 4 "$HEADA" > "$WORK/heada-both.awk"
check "head-a --count both: awk totals are the hand totals" cmp -s "$WORK/heada-both.hand" "$WORK/heada-both.awk"
same_as "head-a --count both" "$WORK/heada-both.hand" --count both "$HEADA"
printf "A'Aang\t153\nA'que\t33\n" > "$WORK/heada-strip.hand"
check "head-a --pos strip: reference equals the hand totals" cmp -s "$WORK/heada-strip.hand" "$WORK/heada-strip.ref"
same_as "head-a --pos strip" "$WORK/heada-strip.ref" --pos strip "$HEADA"
check "head-a --pos drop: the reference prints nothing" test -e "$WORK/heada-drop.ref" -a ! -s "$WORK/heada-drop.ref"
same_as "head-a --pos drop" "$WORK/heada-drop.ref" --pos drop "$HEADA"

# --- v1 2009: three '#' lines the extractor added, then 5 TAB fields ------
# The engine detects v1 and skips the '#' lines as malformed (wrong field
# count), as the reference does.
for f in "$V1A" "$V1B"; do
    check "${f##*/} opens with three '#' lines" test "$(head -n 3 "$f" | grep -c '^#')" -eq 3
done
for v in v1a v1b; do
    if [ $v = v1a ]; then f=$V1A; else f=$V1B; fi
    tail -n +4 "$f" | awk_sum 3 > "$WORK/$v.awk"
    check "$v: reference equals awk on the data lines" cmp -s "$WORK/$v.ref" "$WORK/$v.awk"
    "$NGC_BIN" --no-progress --stats=json "$f" > "$WORK/ngc.out" 2> "$WORK/$v.json"
    check "$v: totals equal the reference" cmp -s "$WORK/$v.ref" "$WORK/ngc.out"
done
stats "$WORK/v1a.refstats" "$WORK/v1b.refstats" "$WORK/v1a.json" "$WORK/v1b.json" > "$WORK/v1.stats"
check "v1: the reference finds v1 and 3 malformed lines in each" \
    test "$(head -n 2 "$WORK/v1.stats" | tr '\n' ' ')" = "v1|-|3| v1|-|3| "
check "v1: --stats says v1, 3 malformed lines (1 to 3) in each" \
    test "$(tail -n 2 "$WORK/v1.stats" | tr '\n' ' ')" = "v1|72|3|1 2 3 v1|663|3|1 2 3 "
check "v1 2-gram: 9 keys" test "$(wc -l < "$WORK/v1b.ref")" -eq 9
check "v1 2-gram: keys keep their space" grep -q $'^global warming\t' "$WORK/v1b.ref"
tail -q -n +4 "$V1A" "$V1B" | awk_both 3 5 > "$WORK/v1-both.awk"
check "v1 --count both: reference equals awk (volume is field 5)" cmp -s "$WORK/v1-both.ref" "$WORK/v1-both.awk"
same_as "v1 both files --count both" "$WORK/v1-both.ref" --count both "$V1A" "$V1B"
cut -f1,2 "$WORK/v1-both.ref" > "$WORK/v1-match.ref"
same_as "v1 both files, -c 4K -p 3" "$WORK/v1-match.ref" -c 4K -p 3 "$V1A" "$V1B"
same_as "v1 2-gram 1970-1990" "$WORK/v1b-years.ref" --from-year 1970 --to-year 1990 "$V1B"
same_as "v1 2-gram --format v1" "$WORK/v1b-forced.ref" --format v1 "$V1B"
expect_exit "v1 2-gram --strict stops at the first '#' line" 1 "v1-conservation_pathways-2gram\\.tsv:1: " \
    --strict "$V1B"

# --- v3 2020: one wide line per file, hundreds of year,match,volume tuples -
check "v3 tuple counts 430/301/457 (SOURCES.md)" \
    test "$(awk -F'\t' '{ printf "%d ", NF - 1 }' "${V3[@]}")" = "430 301 457 "
# v3_sum FIELD [FROM TO]: the awk total of tuple field FIELD (2 match,
# 3 volume) per ngram, over years FROM..TO.
v3_sum() {
    awk -F'\t' -v c="$1" -v lo="${2:-0}" -v hi="${3:-99999}" '{
        for (i = 2; i <= NF; i++) {
            split($i, t, ",")
            if (t[1] >= lo && t[1] <= hi) s[$1] += t[c]
        }
    } END { for (k in s) printf "%s\t%.0f\n", k, s[k] }' "${V3[@]}" | by_count
}
v3_sum 2 > "$WORK/v3.awk"
check "v3: reference equals awk" cmp -s "$WORK/v3.ref" "$WORK/v3.awk"
"$NGC_BIN" --no-progress --stats=json "${V3[@]}" > "$WORK/ngc.out" 2> "$WORK/v3.json"
check "v3: the three files in one run equal the reference" cmp -s "$WORK/v3.ref" "$WORK/ngc.out"
check "v3: --stats says v3 for all three, 3 lines, none malformed" \
    test "$(stats "$WORK/v3.json")" = "v3 v3 v3|3|0|"
for i in 0 1 2; do
    same_as "${V3[$i]##*/} alone" "$WORK/v3-$i.ref" "${V3[$i]}"
done
v3_sum 3 > "$WORK/v3-volume.awk"
check "v3 --count volume: reference equals awk" cmp -s "$WORK/v3-volume.ref" "$WORK/v3-volume.awk"
same_as "v3 --count volume" "$WORK/v3-volume.ref" --count volume "${V3[@]}"
same_as "v3 --count both" "$WORK/v3-both.ref" --count both "${V3[@]}"
for range in "${V3_RANGES[@]}"; do
    read -r lo hi <<< "$range"
    v3_sum 2 "$lo" "$hi" > "$WORK/v3-$lo-$hi.awk"
    check "v3 years $lo-$hi: reference equals awk" cmp -s "$WORK/v3-$lo-$hi.ref" "$WORK/v3-$lo-$hi.awk"
    same_as "v3 years $lo-$hi" "$WORK/v3-$lo-$hi.ref" --from-year "$lo" --to-year "$hi" "${V3[@]}"
done
check "v3: nothing before 1478" test ! -s "$WORK/v3-1-1477.ref"
same_as "v3 -c 1K -p 3 -t 1" "$WORK/v3.ref" -c 1K -p 3 -t 1 "${V3[@]}"
gzip -c "${V3[2]}" > "$WORK/for_ever.gz"
same_as "v3 gzip and plain mixed" "$WORK/v3.ref" "${V3[0]}" "${V3[1]}" "$WORK/for_ever.gz"

# --- every release in one job (formats detected per file) ----------------
same_as "v1+v2+v3 in one run" "$WORK/all.ref" -p 3 -c 64K "$V1A" "$V1B" "$HEADA" "$MSR" "${V3[@]}"

# --- --normalize with the real totals files (2012 and 2020 shapes) --------
same_as "v2 --normalize totalcounts-2012" "$WORK/norm-2012.ref" --normalize "$T2012" "$MSR" "$HEADA"
same_as "head-a --normalize 2012 --count volume" "$WORK/norm-2012-volume.ref" \
    --normalize "$T2012" --count volume "$HEADA"
same_as "head-a --normalize 2012, 1880-1900" "$WORK/norm-2012-years.ref" \
    --normalize "$T2012" --from-year 1880 --to-year 1900 "$HEADA"
same_as "v3 --normalize totalcounts-2020" "$WORK/norm-2020.ref" --normalize "$T2020" "${V3[@]}"
same_as "v3 --normalize 2020 --count volume" "$WORK/norm-2020-volume.ref" \
    --normalize "$T2020" --count volume "${V3[@]}"
same_as "v3 --normalize 2020 --count both" "$WORK/norm-2020-both.ref" \
    --normalize "$T2020" --count both "${V3[@]}"
same_as "v3 --normalize 2020, 1800-1899" "$WORK/norm-2020-years.ref" \
    --normalize "$T2020" --from-year 1800 --to-year 1899 "${V3[@]}"
for t in "$DATA"/totalcounts-2020-*.txt; do
    same_as "v3 --normalize ${t##*/}" "$WORK/norm-${t##*/}.ref" --normalize "$t" "${V3[@]}"
done
# The same in floating point: per million words of all the years of the
# totals file (2012: year,match,pages,volume; 2020 the same).
totals_sum() {
    awk -v c="$2" 'BEGIN { RS = "[ \t\n]+" } NF { split($0, t, ","); s += t[c] } END { printf "%.0f\n", s }' "$1"
}
check "totalcounts-2012: 425 tuples" \
    test "$(awk 'BEGIN { RS = "[ \t\n]+" } NF { n++ } END { print n }' "$T2012")" -eq 425
check "totalcounts-2020: 529 tuples" \
    test "$(awk 'BEGIN { RS = "[ \t\n]+" } NF { n++ } END { print n }' "$T2020")" -eq 529
awk -F'\t' -v t="$(totals_sum "$T2012" 2)" '{ printf "%s\t%.17g\n", $1, $2 * 1e6 / t }' \
    <(awk_sum 3 "$MSR" "$HEADA") > "$WORK/norm-2012.awk"
check "v2 --normalize 2012 is per million words (awk)" near "$WORK/norm-2012.ref" "$WORK/norm-2012.awk"
awk -F'\t' -v t="$(totals_sum "$T2020" 2)" '{ printf "%s\t%.17g\n", $1, $2 * 1e6 / t }' \
    "$WORK/v3.awk" > "$WORK/norm-2020.awk"
check "v3 --normalize 2020 is per million words (awk)" near "$WORK/norm-2020.ref" "$WORK/norm-2020.awk"
awk -F'\t' -v t="$(totals_sum "$T2020" 4)" '{ printf "%s\t%.17g\n", $1, $2 * 100 / t }' \
    "$WORK/v3-volume.awk" > "$WORK/norm-2020-volume.awk"
check "v3 --normalize 2020 --count volume is percent of books (awk)" \
    near "$WORK/norm-2020-volume.ref" "$WORK/norm-2020-volume.awk"

# The 2009 totals file is one 'year TAB match TAB pages TAB volumes' row per
# line after a '#' header (issue 13): read with and without its header.
same_as "--normalize totalcounts-2009 equals the reference" "$WORK/norm-2009.ref" \
    --normalize "$T2009" "$V1B"
same_as "--normalize totalcounts-2009 without its header" "$WORK/norm-2009.ref" \
    --normalize <(sed 1d "$T2009") "$V1B"
finish
