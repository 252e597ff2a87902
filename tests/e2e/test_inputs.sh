#!/usr/bin/env bash
# Inputs as a user names them: process substitution, /dev/stdin, /dev/fd/N
# and FIFOs (streamed by one task); a file of which no line could be read is
# an error naming it.
. "$(dirname "$0")/lib.sh"

"$NGC_GEN" --seed 13 --size 300K -o "$WORK/a.tsv"
"$NGC_GEN" --seed 14 --size 200K --format v1 -o "$WORK/b.v1"
python3 "$REF" "$WORK/a.tsv" > "$WORK/ref"
python3 "$REF" --top 2 "$WORK/a.tsv" > "$WORK/ref.top"
gzip -c "$WORK/a.tsv" > "$WORK/a.gz"

# --- Pipes and descriptors -------------------------------------------------
export SAME_AS_LIMIT=60
same_as "--top 2 <(gzip -c)" "$WORK/ref.top" --top 2 <(gzip -c "$WORK/a.tsv")
same_as "/dev/stdin, a pipe" "$WORK/ref" -c 64K /dev/stdin < <(cat "$WORK/a.tsv")
same_as "/dev/stdin, a regular file" "$WORK/ref" -c 64K /dev/stdin < "$WORK/a.tsv"
same_as "/dev/fd/5, a pipe" "$WORK/ref" -c 64K /dev/fd/5 5< <(gzip -c "$WORK/a.tsv")
mkfifo "$WORK/fifo"
gzip -dc "$WORK/a.gz" > "$WORK/fifo" &
same_as "named FIFO" "$WORK/ref" -c 64K -p 2 "$WORK/fifo"
wait
unset SAME_AS_LIMIT

# --- No line read -----------------------------------------------------------
(cd "$WORK" && zip -q a.csv.zip a.tsv)
expect_exit "--format v1 on a zip" 1 "^ngram-count: $WORK/a.csv.zip: no line could be read as v1\$" \
    --format v1 -o "$WORK/out.tsv" "$WORK/a.csv.zip"
check "--format v1 on a zip: nothing written" test ! -e "$WORK/out.tsv"
check "--format v1 on a zip: one line of message" test "$(wc -l < "$WORK/ngc.err")" -eq 1
check "--format v1 on a zip: no temporary left" test -z "$(ls -A "$WORK" | grep -v -e '^a\.' -e '^b\.' -e '^ref' -e '^ngc\.' -e '^fifo$')"
expect_exit "--format v2 on v1, split in tasks" 1 "$WORK/b.v1: no line could be read as v2" \
    --format v2 -c 64K -p 2 "$WORK/b.v1"
expect_exit "one good file, one unreadable" 1 "$WORK/b.v1: no line could be read as v3" \
    --format v3 "$WORK/b.v1" <(awk -F'\t' '{print $1 "\t" $2 "," $3 "," $4}' "$WORK/a.tsv")
expect_exit "standard input, no line read" 1 "standard input: no line could be read as v1" \
    --format v1 - < "$WORK/a.tsv"
printf 'not\tan ngram line\n' > "$WORK/one.bad"
expect_exit "auto format, one bad line only" 1 "one.bad: cannot tell the format" "$WORK/one.bad"
# Some lines read: still a count, with a warning.
{ printf 'garbage\n'; head -n 20 "$WORK/a.tsv"; } > "$WORK/some.bad"
python3 "$REF" "$WORK/some.bad" > "$WORK/ref.some" 2>/dev/null
same_as "some lines malformed: exit 0" "$WORK/ref.some" "$WORK/some.bad"
: > "$WORK/empty.tsv"
same_as "an empty file is fine" /dev/null "$WORK/empty.tsv"

# --- Totals files: ngram-gen writes Google's shapes --------------------------
# v2: the 2012 file, v3: the 2020 file (one line, " TAB" first, each
# year,match,pages,volume tuple ended by a TAB, no newline); v1: the 2009
# file ('#' line, then TAB rows). The real files are read in place.
DATA=${NGC_REAL_NGRAMS:-$HERE/../../../shared/real-ngrams}
shape() { # FILE: a one-word description of a totals file's framing
    python3 - "$1" <<'PY'
import re, sys
b = open(sys.argv[1], "rb").read()
if b.startswith(b"#"):
    rows = b.split(b"\n")[1:]
    ok = rows[-1] == b"" and all(re.fullmatch(rb"\d{4}(\t\d+){3}", r) for r in rows[:-1])
    print("2009" if ok else "bad")
else:
    t = b.split(b"\t")
    ok = t[0] == b" " and t[-1] == b"" and all(re.fullmatch(rb"\d{4}(,\d+){3}", x) for x in t[1:-1])
    print("2012/2020" if ok else "bad")
PY
}
for y in 2009 2012 2020; do
    check "real totalcounts-$y has the shape tested here" \
        test "$(shape "$DATA/totalcounts-$y.txt")" = "$([ $y = 2009 ] && echo 2009 || echo 2012/2020)"
done
for f in v1 v2 v3; do
    "$NGC_GEN" --seed 15 --size 200K --format $f --totals "$WORK/t.$f" -o "$WORK/d.$f"
    check "ngram-gen --format $f --totals: Google's shape" \
        test "$(shape "$WORK/t.$f")" = "$([ $f = v1 ] && echo 2009 || echo 2012/2020)"
    python3 "$REF" --normalize "$WORK/t.$f" "$WORK/d.$f" > "$WORK/ref.norm"
    same_as "--normalize with ngram-gen's $f totals" "$WORK/ref.norm" --normalize "$WORK/t.$f" "$WORK/d.$f"
done
# ngram-gen writes a FIFO in place (its rename replaced /dev/null once).
mkfifo "$WORK/gen.fifo"
cat "$WORK/gen.fifo" > "$WORK/gen.out" &
"$NGC_GEN" --seed 15 --size 200K --format v3 --totals "$WORK/gen.fifo" -o "$WORK/d3.copy"
wait
check "ngram-gen --totals FIFO: written in place" test -p "$WORK/gen.fifo"
check "ngram-gen --totals FIFO: the same bytes" cmp -s "$WORK/gen.out" "$WORK/t.v3"
check "v2 and v3 totals of one data set are the same bytes" cmp -s "$WORK/t.v2" "$WORK/t.v3"
check "v1 totals rows are the v2 tuples" cmp -s <(sed 1d "$WORK/t.v1") \
    <(tr '\t' '\n' < "$WORK/t.v2" | sed -e '1d' -e '/^$/d' | tr ',' '\t')
for y in 2009 2012 2020; do
    python3 "$REF" --normalize "$DATA/totalcounts-$y.txt" --from-year 1800 --to-year 2000 \
        "$WORK/d.v2" > "$WORK/ref.norm"
    same_as "--normalize real totalcounts-$y" "$WORK/ref.norm" \
        --normalize "$DATA/totalcounts-$y.txt" --from-year 1800 --to-year 2000 "$WORK/d.v2"
done

finish
