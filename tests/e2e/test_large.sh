#!/usr/bin/env bash
# A Google Books sized file (default 1.1 GB, NGC_LARGE_SIZE to change):
# ngram-count's totals must equal an awk + sort pipeline's, on one and on
# every core, and on a quarter of it as gzip. (mawk adds in doubles: exact
# here because the generator keeps every total far below 2^53.)
# ctest: labels=large cost=200
. "$(dirname "$0")/lib.sh"
SIZE=${NGC_LARGE_SIZE:-1100M}

"$NGC_GEN" --seed 2012 --size "$SIZE" --stats -o "$WORK/big.tsv" 2> "$WORK/gen.err"
cat "$WORK/gen.err"
awk_total() {
    mawk -F'\t' '{c[$1]+=$3} END{for (k in c) printf "%s\t%.0f\n", k, c[k]}' "$@" |
        sort -t$'\t' -k2,2nr -k1,1
}
awk_total "$WORK/big.tsv" > "$WORK/ref.out"
check "reference has rows" test -s "$WORK/ref.out"
for a in "-p 1 -t 1" "-p 2 -t 1" "-p 1 -t 2" "-p 2 -t 2"; do
    "$NGC_BIN" --no-progress --stats $a "$WORK/big.tsv" > "$WORK/ngc.out" 2> "$WORK/ngc.err"
    check "1 GB file $a" cmp -s "$WORK/ref.out" "$WORK/ngc.out"
    grep -E "wall time|input" "$WORK/ngc.err" | sed "s/^/  $a: /"
done
# gzip: the file's first 12 M lines (about a quarter: compressing all of
# it was a third of this test's time), against the pipeline on those lines.
head -n 12000000 "$WORK/big.tsv" > "$WORK/part.tsv"
awk_total "$WORK/part.tsv" > "$WORK/part.ref"
gzip -1 -c "$WORK/part.tsv" > "$WORK/part.tsv.gz"
"$NGC_BIN" --no-progress -p 2 -t 2 "$WORK/part.tsv.gz" > "$WORK/ngc.out"
check "$(du -h "$WORK/part.tsv" | cut -f1) of it as gzip" cmp -s "$WORK/part.ref" "$WORK/ngc.out"
finish
