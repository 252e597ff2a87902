#!/usr/bin/env bash
# Output formats (--output-format tsv|csv|jsonl on every output path) and
# --by-year series (--normalize by each year's total, --smoothing, --plot),
# against reference.py, hand-worked numbers, Python's csv and json modules,
# pandas where installed, and the real excerpts in ../shared/real-ngrams
# where present.
# ctest: labels=quick cost=20
. "$(dirname "$0")/lib.sh"

REAL=$(cd "$HERE/../../.." && pwd)/shared/real-ngrams

"$NGC_GEN" --seed 21 --size 300K --vocab 50 --totals "$WORK/t2.txt" -o "$WORK/g2.tsv"
"$NGC_GEN" --seed 22 --size 300K --vocab 40 --format v1 --totals "$WORK/t1.txt" -o "$WORK/g1.tsv"
"$NGC_GEN" --seed 23 --size 300K --vocab 40 --format v3 --order 2 --totals "$WORK/t3.txt" \
    -o "$WORK/g3.tsv.gz"
"$NGC_GEN" --seed 24 --size 200K --format text -o "$WORK/text.txt"

# The reference runs are queued and made in one Python process (its start-up
# is most of a small run's cost), then each engine run is compared.
NJOBS=0
: > "$WORK/batch"
: > "$WORK/jobs"
# queue KIND NAME [VAR=VALUE...] REF_ARGS -- NGC_ARGS: KIND exact (byte for
# byte) or close (numbers within 1e-15 relative: smoothed values are means
# in long double, the reference's are the exact rationals rounded).
queue() {
    local kind=$1 name=$2 envs=() ref=()
    shift 2
    while [[ "$1" == [A-Z]*=* ]]; do envs+=("$1"); shift; done
    while [ "$1" != "--" ]; do ref+=("$1"); shift; done
    shift
    NJOBS=$((NJOBS + 1))
    { printf '%q ' "$WORK/ref.$NJOBS" "${ref[@]}"; echo; } >> "$WORK/batch"
    { printf '%q ' "$kind" "$name" "${envs[@]}" -- "$@"; echo; } >> "$WORK/jobs"
}

CLOSE_PY='
import sys
for job in open(sys.argv[1]):
    name, ra, rb = job.rstrip("\n").split("\t")
    a, b = open(ra, "rb").read().split(b"\n"), open(rb, "rb").read().split(b"\n")
    why = None if len(a) == len(b) else "%d vs %d lines" % (len(a), len(b))
    for x, y in zip(a, b):
        if why or x == y:
            continue
        fx, fy = x.replace(b",", b"\t").split(b"\t"), y.replace(b",", b"\t").split(b"\t")
        if len(fx) != len(fy) or fx[:2] != fy[:2]:
            why = "%r vs %r" % (x, y)
            continue
        for p, q in zip(fx[2:], fy[2:]):
            u, v = float(p), float(q)
            if abs(u - v) > 1e-15 * max(abs(u), abs(v)):
                why = "%r vs %r" % (x, y)
    print("%s\t%s" % (name, why or "ok"))
'

run_queue() {
    python3 "$REF" --batch "$WORK/batch" || { fail "reference batch failed"; return; }
    local i=0 line kind name envs args
    : > "$WORK/close"
    while IFS= read -r line; do
        i=$((i + 1))
        eval "args=($line)"
        kind=${args[0]} name=${args[1]} envs=()
        args=("${args[@]:2}")
        while [ "${args[0]}" != "--" ]; do envs+=("${args[0]}"); args=("${args[@]:1}"); done
        args=("${args[@]:1}")
        if ! env "${envs[@]}" "$NGC_BIN" --no-progress "${args[@]}" > "$WORK/ngc.$i" \
            2> "$WORK/ngc.err"; then
            fail "$name: ngram-count failed: $(head -c 300 "$WORK/ngc.err")"
        elif [ "$kind" = exact ]; then
            if cmp -s "$WORK/ref.$i" "$WORK/ngc.$i"; then
                pass
            else
                fail "$name: output differs from the reference"
                diff "$WORK/ref.$i" "$WORK/ngc.$i" | head -5 >&2
            fi
        else
            printf '%s\t%s\t%s\n' "$name" "$WORK/ref.$i" "$WORK/ngc.$i" >> "$WORK/close"
        fi
    done < "$WORK/jobs"
    [ -s "$WORK/close" ] || return 0
    python3 -c "$CLOSE_PY" "$WORK/close" > "$WORK/close.out"
    while IFS=$'\t' read -r name why; do
        if [ "$why" = ok ]; then pass; else fail "$name: $why"; fi
    done < "$WORK/close.out"
}

# --- Output formats, every mode --------------------------------------------
# Under a sanitizer one representative of each code path runs (TSV is
# every other test's format).
fmts=(tsv csv jsonl)
sanitized && fmts=(csv jsonl)
for fmt in "${fmts[@]}"; do
    of=(--output-format "$fmt")
    queue exact "$fmt normalize" "${of[@]}" --count both --normalize "$WORK/t2.txt" \
        "$WORK/g2.tsv" -- "${of[@]}" --count both --normalize "$WORK/t2.txt" "$WORK/g2.tsv"
    queue exact "$fmt text" "${of[@]}" --text --order 2 "$WORK/text.txt" -- "${of[@]}" --text \
        --order 2 "$WORK/text.txt"
    # The parallel format phase (the header once, before the windows)
    # writes the same bytes as the serial output.
    queue exact "$fmt parallel" NGC_TEST_OUTPUT=parallel "${of[@]}" --by-year "$WORK/g2.tsv" \
        -- "${of[@]}" --by-year -p 2 -t 2 "$WORK/g2.tsv"
    sanitized && continue
    queue exact "$fmt totals" "${of[@]}" "$WORK/g2.tsv" -- "${of[@]}" "$WORK/g2.tsv"
    queue exact "$fmt both" "${of[@]}" --count both "$WORK/g1.tsv" -- "${of[@]}" --count both \
        "$WORK/g1.tsv"
    queue exact "$fmt volume" "${of[@]}" --count volume "$WORK/g3.tsv.gz" -- "${of[@]}" \
        --count volume "$WORK/g3.tsv.gz"
    queue exact "$fmt by-year rows" "${of[@]}" --by-year --count both "$WORK/g1.tsv" -- \
        "${of[@]}" --by-year --count both "$WORK/g1.tsv"
done

# --- Series: every year of the range, 0 where an ngram has no row; the
# range is the rows' years unless --from-year / --to-year say.
files=(g2.tsv g1.tsv g3.tsv.gz)
sanitized && files=(g3.tsv.gz)
for f in "${files[@]}"; do
    t="$WORK/t${f:1:1}.txt"
    queue exact "series $f" --by-year --smoothing 0 --from-year 1950 "$WORK/$f" -- --by-year \
        --smoothing 0 --from-year 1950 "$WORK/$f"
    queue exact "series normalized $f" --by-year --normalize "$t" --from-year 1900 \
        --to-year 2010 --output-format csv "$WORK/$f" -- --by-year --normalize "$t" \
        --from-year 1900 --to-year 2010 --output-format csv "$WORK/$f"
    queue close "series smoothed $f" --by-year --normalize "$t" --smoothing 3 --count both \
        --from-year 1960 "$WORK/$f" -- --by-year --normalize "$t" --smoothing 3 --count both \
        --from-year 1960 -p 3 -t 1 -c 64K "$WORK/$f"
done
queue close "series smoothed counts" --by-year --smoothing 5 --count volume --to-year 1700 \
    "$WORK/g2.tsv" -- --by-year --smoothing 5 --count volume --to-year 1700 -p 1 -t 1 \
    "$WORK/g2.tsv"
# A selection is a series too (every year, also of an ngram's empty years);
# a selection file and a wildcard.
cut -f1 "$WORK/g2.tsv" | uniq | sed -n '3p;7p' > "$WORK/sel.txt"
echo 'nothing here' >> "$WORK/sel.txt"
queue exact "series selected" --by-year --select-file "$WORK/sel.txt" --from-year 1990 \
    --output-format jsonl "$WORK/g2.tsv" -- --by-year --select-file "$WORK/sel.txt" \
    --from-year 1990 --output-format jsonl "$WORK/g2.tsv"
w=$(gzip -dc "$WORK/g3.tsv.gz" | head -1 | cut -f1 | cut -d' ' -f1)
queue close "series wildcard" --by-year --select "$w *" --smoothing 1 --count both \
    --normalize "$WORK/t3.txt" --to-year 1950 "$WORK/g3.tsv.gz" -- --by-year --select "$w *" \
    --smoothing 1 --count both --normalize "$WORK/t3.txt" --to-year 1950 "$WORK/g3.tsv.gz"
queue exact "series jsonl" --by-year --normalize "$WORK/t2.txt" --from-year 2000 \
    --output-format jsonl "$WORK/g2.tsv" -- --by-year --normalize "$WORK/t2.txt" \
    --from-year 2000 --output-format jsonl "$WORK/g2.tsv"

# --- Real excerpts -----------------------------------------------------------
if [ -d "$REAL" ]; then
    ever=("$REAL/v3-words-over-time-forever-1gram.tsv" "$REAL/v3-words-over-time-for_ever-2gram.tsv"
          "$REAL/v3-words-over-time-forevermore-1gram.tsv")
    t20="$REAL/totalcounts-2020.txt"
    queue exact "real forever normalized" --by-year --normalize "$t20" "${ever[@]}" -- \
        --by-year --normalize "$t20" "${ever[@]}"
    queue exact "real forever selected" --by-year --select 'forever,for ever' \
        --normalize "$t20" --output-format csv "${ever[@]}" -- --by-year \
        --select 'forever,for ever' --normalize "$t20" --output-format csv "${ever[@]}"
    queue close "real forever smoothed" --by-year --normalize "$t20" --smoothing 3 \
        --from-year 1800 --output-format csv "${ever[@]}" -- --by-year --normalize "$t20" \
        --smoothing 3 --from-year 1800 --output-format csv "${ever[@]}"
    # 2009 2-grams with the 2009 totals ('#' header, a row per year); the
    # excerpt's own three '#' lines are malformed lines, skipped.
    queue exact "real 2009" --by-year --normalize "$REAL/totalcounts-2009.txt" \
        --from-year 1900 --output-format jsonl "$REAL/v1-conservation_pathways-2gram.tsv" -- \
        --by-year --normalize "$REAL/totalcounts-2009.txt" --from-year 1900 \
        --output-format jsonl "$REAL/v1-conservation_pathways-2gram.tsv"
    # 2012: the year 1-grams 1800..1999 of the -1 file.
    queue close "real 2012 years" --by-year --normalize "$REAL/totalcounts-2012.txt" \
        --smoothing 3 --from-year 1900 --to-year 1999 "$REAL/v2-msr-ds3-year_counts.tsv" -- \
        --by-year --normalize "$REAL/totalcounts-2012.txt" --smoothing 3 --from-year 1900 \
        --to-year 1999 "$REAL/v2-msr-ds3-year_counts.tsv"
fi
run_queue

# gzip output (-o NAME.gz): the serial output and the format phase's gzip
# members (the CSV header one of its own) read back as the plain output.
for fmt in csv jsonl; do
    for way in serial parallel; do
        NGC_TEST_OUTPUT=$way "$NGC_BIN" --no-progress --output-format $fmt --by-year -p 3 \
            -o "$WORK/out.$fmt.gz" "$WORK/g2.tsv"
        "$NGC_BIN" --no-progress --output-format $fmt --by-year "$WORK/g2.tsv" > "$WORK/plain"
        check "$fmt $way gzip" cmp -s <(gzip -dc "$WORK/out.$fmt.gz") "$WORK/plain"
    done
done
# The spilled merge writes what the format phase does: 350 K by-year keys
# (a v3 line holds many years) outgrow --memory 16M.
"$NGC_GEN" --seed 25 --size 8M --vocab 3000 --format v3 -o "$WORK/spill.v3"
for fmt in "${fmts[@]}"; do
    "$NGC_BIN" --no-progress --output-format $fmt --by-year "$WORK/spill.v3" > "$WORK/mem.out"
    "$NGC_BIN" --no-progress --output-format $fmt --by-year --memory 16M --stats=json \
        "$WORK/spill.v3" > "$WORK/spill.out" 2> "$WORK/spill.json"
    check "$fmt spilled" cmp -s "$WORK/mem.out" "$WORK/spill.out"
    check "$fmt did spill" grep -qE '"spilled_runs":[1-9]' "$WORK/spill.json"
done
expect_exit "streaming stays TSV" 2 "Hadoop Streaming" --map --output-format csv
expect_exit "bad format" 2 "expected tsv, csv or jsonl" --output-format xml "$WORK/g2.tsv"

# Awkward keys: quotes, commas, NA, null, a CR, bytes that are not UTF-8,
# read back with Python's csv and json modules, and with pandas (if
# installed) as the README says: TSV needs quoting=QUOTE_NONE,
# keep_default_na=False and lineterminator, CSV keep_default_na=False,
# JSON Lines nothing.
printf '%s\t1900\t3\t1\n' '"' 'NA' 'null' 'a,b' 'say "hi"' ' lead' 'é' > "$WORK/awk.tsv"
printf 'cr\rin\t1900\t2\t1\nbad\xff\xfe\t1901\t5\t2\nctl\x01\t1900\t1\t1\n' >> "$WORK/awk.tsv"
for fmt in csv jsonl; do
    "$NGC_BIN" --no-progress --output-format $fmt --by-year --count both "$WORK/awk.tsv" \
        > "$WORK/awk.$fmt"
done
"$NGC_BIN" --no-progress --by-year "$WORK/awk.tsv" > "$WORK/awk.out.tsv"
python3 - "$WORK" > "$WORK/readback" <<'EOF'
import csv, json, sys
work = sys.argv[1]
want = {}
for line in open(work + "/awk.tsv", "rb").read().split(b"\n"):
    if line:
        k, y, m, v = line.split(b"\t")
        want[(k.decode("latin-1"), int(y))] = (int(m), int(v))
got = {}
rows = list(csv.reader(open(work + "/awk.csv", encoding="latin-1", newline="")))
assert rows[0] == ["ngram", "year", "match_count", "volume_count"], rows[0]
for k, y, m, v in rows[1:]:
    got[(k, int(y))] = (int(m), int(v))
print("csv", "ok" if got == want else sorted(got))


# Valid UTF-8 comes back as text, other bytes as U+0080..U+00FF.
def text(k):
    s = k.encode("latin-1").decode("utf-8", errors="surrogateescape")
    return "".join(chr(ord(c) - 0xdc00) if 0xdc80 <= ord(c) <= 0xdcff else c for c in s)


want_j = {(text(k), y): c for (k, y), c in want.items()}
got = {}
for line in open(work + "/awk.jsonl", "rb"):
    o = json.loads(line)
    assert isinstance(o["year"], int) and isinstance(o["match_count"], int)
    got[(o["ngram"], o["year"])] = (o["match_count"], o["volume_count"])
print("jsonl", "ok" if got == want_j else sorted(got))
EOF
for what in csv jsonl; do
    check "$what read back" grep -qx "$what ok" "$WORK/readback"
done
# pandas may be Debian's (python3-pandas), under another python3 than the
# first on PATH.
for py in python3 /usr/bin/python3; do
    "$py" -c 'import pandas' 2>/dev/null || continue
    "$py" - "$WORK" > "$WORK/pandas" <<'EOF'
import csv, sys
import pandas as pd
work = sys.argv[1]
n = sum(1 for line in open(work + "/awk.tsv", "rb").read().split(b"\n") if line)
naive = pd.read_csv(work + "/awk.out.tsv", sep="\t", header=None, encoding="latin-1")
lost = len(naive) < n or naive[0].isna().any()
t = pd.read_csv(work + "/awk.out.tsv", sep="\t", header=None,
                names=["ngram", "year", "match_count"], quoting=csv.QUOTE_NONE,
                keep_default_na=False, lineterminator="\n", encoding="latin-1")
c = pd.read_csv(work + "/awk.csv", keep_default_na=False, encoding="latin-1")
j = pd.read_json(work + "/awk.jsonl", lines=True, dtype={"ngram": str})
ok = (lost and len(t) == n and {'"', "NA", "null"} <= set(t.ngram) and
      len(c) == n and {'"', "NA", "null", "a,b", 'say "hi"'} <= set(c.ngram) and
      c.year.dtype.kind == "i" and c.match_count.dtype.kind == "i" and
      len(j) == n and {'"', "NA", "null", "a,b"} <= set(j.ngram))
print("pandas", "ok" if ok else (lost, t, c, j))
EOF
    check "pandas" grep -qx "pandas ok" "$WORK/pandas"
    break
done

# --- Series by hand ----------------------------------------------------------
# Hand-worked: x has 10 in 2000, 20 in 2002, 40 in 2004; the range
# 1999..2005 fills the other years with 0. --smoothing 1 is the mean of
# y-1..y+1 inside the range: at 1999 (0+10)/2, at 2005 (40+0)/2.
printf 'x\t2000\t10\t1\nx\t2002\t20\t2\nx\t2004\t40\t4\n' > "$WORK/hand.tsv"
printf 'x\t1999\t0\nx\t2000\t10\nx\t2001\t0\nx\t2002\t20\nx\t2003\t0\nx\t2004\t40\nx\t2005\t0\n' \
    > "$WORK/hand.raw"
same_as "filled" "$WORK/hand.raw" --by-year --smoothing 0 --from-year 1999 --to-year 2005 \
    "$WORK/hand.tsv"
printf 'x\t1999\t5\nx\t2000\t3.3333333333333333\nx\t2001\t10\nx\t2002\t6.6666666666666667\n' \
    > "$WORK/hand.s1"
printf 'x\t2003\t20\nx\t2004\t13.333333333333333\nx\t2005\t20\n' >> "$WORK/hand.s1"
same_as "smoothing 1 at the ends" "$WORK/hand.s1" --by-year --smoothing 1 --from-year 1999 \
    --to-year 2005 "$WORK/hand.tsv"
# Without bounds the range is 2000..2004; --smoothing 2: 2000 is the mean
# of 2000..2002 = 10, 2001 of 2000..2003 = 7.5, 2002 of all five = 14.
printf 'x\t2000\t10\nx\t2001\t7.5\nx\t2002\t14\nx\t2003\t15\nx\t2004\t20\n' > "$WORK/hand.s2"
same_as "smoothing 2, range from the rows" "$WORK/hand.s2" --by-year --smoothing 2 \
    "$WORK/hand.tsv"
# Normalized: percent of the year's words; 2001 and 2003 have no count, so
# their missing totals do not matter; the 2009 file's shape.
printf '#header\n2000\t1000\t5\t10\n2002\t4000\t5\t10\n2004\t800\t5\t10\n' > "$WORK/hand.tot"
printf 'x\t2000\t1\nx\t2001\t0\nx\t2002\t0.5\nx\t2003\t0\nx\t2004\t5\n' > "$WORK/hand.n"
same_as "normalized by year" "$WORK/hand.n" --by-year --normalize "$WORK/hand.tot" \
    "$WORK/hand.tsv"
# --smoothing 1 of 1, 0, 0.5, 0, 5: the ends are means of two years.
printf 'x\t2000\t0.5\nx\t2001\t0.5\nx\t2002\t0.16666666666666667\nx\t2003\t1.8333333333333333\n' \
    > "$WORK/hand.ns"
printf 'x\t2004\t2.5\n' >> "$WORK/hand.ns"
printf 'ngram,year,match_percent,volume_percent\nx,2000,0.5,5\n' > "$WORK/hand.nsb"
same_as "normalized and smoothed" "$WORK/hand.ns" --by-year --normalize "$WORK/hand.tot" \
    --smoothing 1 "$WORK/hand.tsv"
"$NGC_BIN" --no-progress --by-year --normalize "$WORK/hand.tot" --smoothing 1 --count both \
    --output-format csv "$WORK/hand.tsv" > "$WORK/hand.both"
check "normalized both, csv" cmp -s <(head -2 "$WORK/hand.both") "$WORK/hand.nsb"
# A year with a count but no total is an error naming both.
printf '2000\t1000\t5\t10\n2004\t800\t5\t10\n' > "$WORK/hand.short"
expect_exit "total missing" 1 "hand.short: has no total for year 2002" --by-year \
    --normalize "$WORK/hand.short" "$WORK/hand.tsv"
printf '2000,1000,5,10 2002,0,0,0 2004,800,5,10\n' > "$WORK/hand.zero"
expect_exit "total zero" 1 "has a total of 0 for year 2002" --by-year \
    --normalize "$WORK/hand.zero" "$WORK/hand.tsv"
expect_exit "totals unreadable" 1 "cannot open" --by-year --normalize "$WORK/none" \
    "$WORK/hand.tsv"
# Nothing in the range: an empty series (a CSV header only), exit 0.
"$NGC_BIN" --no-progress --by-year --smoothing 2 --from-year 3000 --output-format csv \
    "$WORK/hand.tsv" > "$WORK/empty.csv"
check "empty series" cmp -s "$WORK/empty.csv" <(echo "ngram,year,match_mean")

# --- Plots ------------------------------------------------------------------
"$NGC_BIN" --no-progress --by-year --normalize "$WORK/t2.txt" --smoothing 2 --from-year 1900 \
    --plot "$WORK/p.svg" -o "$WORK/p.tsv" "$WORK/g2.tsv"
rc=0
"$NGC_BIN" --no-progress --by-year --plot "$WORK/p.png" "$WORK/hand.tsv" > /dev/null \
    2> "$WORK/png.err" || rc=$?
if grep -q "needs cairo" "$WORK/png.err"; then
    check "png without cairo is exit 2" test "$rc" -eq 2
fi
# An unwritable plot fails before any counting.
expect_exit "plot dir missing" 1 "$WORK/no/p.svg: cannot create the chart" -v --by-year \
    --plot "$WORK/no/p.svg" "$WORK/hand.tsv"
check "plot checked first" bash -c "! grep -q 'planned' '$WORK/ngc.err'"
mkdir "$WORK/x.svg"
expect_exit "plot is a directory" 1 "Is a directory" --by-year --plot "$WORK/x.svg" \
    "$WORK/hand.tsv"
expect_exit "plot suffix" 2 "ending in .svg or .png" --by-year --plot "$WORK/p.pdf" \
    "$WORK/hand.tsv"
expect_exit "plot needs --by-year" 2 "need --by-year" --plot "$WORK/p.svg" "$WORK/hand.tsv"
expect_exit "smoothing needs --by-year" 2 "need --by-year" --smoothing 3 "$WORK/hand.tsv"
expect_exit "smoothing range" 2 "between 0 and 100" --by-year --smoothing 101 "$WORK/hand.tsv"
expect_exit "smoothing number" 2 "not a non-negative integer" --by-year --smoothing -1 \
    "$WORK/hand.tsv"

# --- Real excerpts: a value by hand, and the plot ---------------------------
if [ -d "$REAL" ]; then
    # 2020: 'forever' in 1900 over that year's 1-grams.
    "$NGC_BIN" --no-progress --by-year --normalize "$t20" --from-year 1900 --to-year 1900 \
        "$REAL/v3-words-over-time-forever-1gram.tsv" > "$WORK/f1900"
    "$NGC_BIN" --no-progress --by-year --normalize "$t20" --smoothing 3 --from-year 1800 \
        --plot "$WORK/ever.svg" "${ever[@]}" > /dev/null
fi
# The plot files' structure, and the real value, in one Python.
python3 - "$WORK" "${t20:-}" "${ever[0]:-}" > "$WORK/plots" <<'EOF'
import os, struct, sys, xml.etree.ElementTree as ET
from fractions import Fraction
work, t20, ever = sys.argv[1:]
ns = "{http://www.w3.org/2000/svg}"
root = ET.parse(work + "/p.svg").getroot()
paths = root.findall(ns + "path")
ngrams = {l.split(b"\t")[0] for l in open(work + "/p.tsv", "rb") if l.strip()}
texts = [t.text or "" for t in root.iter(ns + "text")]
ok = (len(paths) == len(ngrams) > 1 and "year" in texts and any("%" in t for t in texts) and
      "g2.tsv" in texts[0] and "1900..2008; normalized by t2.txt; smoothing 2" in texts[1])
print("svg", "ok" if ok else (len(paths), len(ngrams), texts))
if os.path.exists(work + "/p.png"):
    b = open(work + "/p.png", "rb").read()
    w, h = struct.unpack(">II", b[16:24])
    ok = (b[:8] == b"\x89PNG\r\n\x1a\n" and b[12:16] == b"IHDR" and 400 <= w <= 4000 and
          300 <= h <= 4000 and len(b) > 5000)
    print("png", "ok" if ok else (w, h, len(b)))
if t20:
    got = open(work + "/f1900").read().split("\t")
    tot = {int(t.split(",")[0]): int(t.split(",")[1]) for t in open(t20).read().split()}
    cnt = {int(t.split(",")[0]): int(t.split(",")[1])
           for t in open(ever).read().split("\t")[1:]}
    want = Fraction(cnt[1900] * 100, tot[1900])
    ok = got[:2] == ["forever", "1900"] and abs(Fraction(got[2]) / want - 1) < Fraction(1, 10**16)
    print("real forever 1900", "ok" if ok else got)
    r = ET.parse(work + "/ever.svg").getroot()
    print("real plot", "ok" if len(r.findall(ns + "path")) == 3 else "not 3 paths")
EOF
check "svg" grep -qx "svg ok" "$WORK/plots"
if ! grep -q "needs cairo" "$WORK/png.err"; then
    check "png" grep -qx "png ok" "$WORK/plots"
fi
if [ -d "$REAL" ]; then
    check "real forever 1900" grep -qx "real forever 1900 ok" "$WORK/plots"
    check "real plot" grep -qx "real plot ok" "$WORK/plots"
fi

finish
