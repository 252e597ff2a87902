#!/usr/bin/env bash
# Generated Google Books shaped files (ngram-gen): exact against the
# reference for -p 1..4 x -t 1..3 and chunk sizes from tiny to larger than
# the file, plain, gzip, several files and stdin; then every filter option.
# ctest: cost=100
. "$(dirname "$0")/lib.sh"
SIZE=${NGC_E2E_SIZE:-24M}

"$NGC_GEN" --seed 7 --size "$SIZE" --malformed 25 -o "$WORK/a.tsv" 2> "$WORK/gen.err"
check "generator ran" test -s "$WORK/a.tsv"
"$NGC_GEN" --seed 8 --size 3M --crlf --no-final-newline -o "$WORK/b.tsv" 2>/dev/null
"$NGC_GEN" --seed 9 --size 2M --order 2 --gzip -o "$WORK/c.tsv.gz" 2>/dev/null
gzip -c "$WORK/a.tsv" > "$WORK/a.tsv.gz"

python3 "$REF" "$WORK/a.tsv" --malformed-out "$WORK/ref.malformed" > "$WORK/a.ref"
# Under a sanitizer each -p and -t once, the chunk sizes (and gzip) in turn.
k=0
for p in 1 2 3 4; do
    for t in 1 2 3; do
        k=$((k + 1))
        for c in 64K 1M 3M 1G gz; do
            reduced && [ $c != "$(echo 64K 1M 3M 1G gz | cut -d' ' -f$((k % 5 + 1)))" ] && continue
            if [ $c = gz ]; then
                "$NGC_BIN" --no-progress -p $p -t $t "$WORK/a.tsv.gz" > "$WORK/ngc.out" 2> "$WORK/ngc.err"
                check "a.tsv.gz -p $p -t $t" cmp -s "$WORK/a.ref" "$WORK/ngc.out"
                continue
            fi
            "$NGC_BIN" --no-progress -p $p -t $t -c $c "$WORK/a.tsv" > "$WORK/ngc.out" 2> "$WORK/ngc.err"
            check "a.tsv -p $p -t $t -c $c" cmp -s "$WORK/a.ref" "$WORK/ngc.out"
        done
    done
done
# The malformed lines the generator injected are the ones skipped.
"$NGC_BIN" --no-progress --stats=json -c 1M "$WORK/a.tsv" > /dev/null 2> "$WORK/stats.json"
check "malformed count matches the generator's report" python3 -c "
import json,re
s=json.load(open('$WORK/stats.json'))
gen=int(re.search(r'injected (\d+) malformed', open('$WORK/gen.err').read()).group(1))
ref=int(open('$WORK/ref.malformed').read())
assert s['malformed_lines']==gen==ref==25, (s['malformed_lines'],gen,ref)
assert s['lines']==sum(1 for _ in open('$WORK/a.tsv','rb')), s['lines']
"

same_output "three files at once" "$WORK/a.tsv" "$WORK/b.tsv" "$WORK/c.tsv.gz" -- \
    -p 3 -c 1M "$WORK/a.tsv" "$WORK/b.tsv" "$WORK/c.tsv.gz"
python3 "$REF" "$WORK/b.tsv" "$WORK/a.tsv" > "$WORK/ref.out"
"$NGC_BIN" --no-progress -c 256K - "$WORK/a.tsv" < "$WORK/b.tsv" > "$WORK/ngc.out" 2>/dev/null
check "stdin with a file" cmp -s "$WORK/ref.out" "$WORK/ngc.out"

# Options, each against the reference's reading of it.
A="$WORK/a.tsv"
same_output "--count volume" "$A" --count volume -- -c 2M --count volume "$A"
same_output "--count both" "$A" --count both -- -c 2M --count both "$A"
same_output "--from/--to-year" "$A" --from-year 1900 --to-year 1950 -- --from-year 1900 --to-year 1950 "$A"
same_output "--min-count" "$A" --min-count 1000000 -- --min-count 1000000 "$A"
same_output "--top" "$A" --top 25 -- -p 2 --top 25 "$A"
same_output "--top past the end" "$WORK/b.tsv" --top 100000000 -- --top 100000000 "$WORK/b.tsv"
same_output "--pos drop" "$A" --pos drop -- -c 1M --pos drop "$A"
same_output "--pos strip" "$A" --pos strip -- -c 1M --pos strip "$A"
same_output "--fold-case" "$A" --fold-case -- -c 1M --fold-case "$A"
same_output "everything at once" "$A" "$WORK/c.tsv.gz" --pos strip --fold-case --count both --from-year 1800 --min-count 10 --top 1000 -- \
    -p 3 -t 2 -c 512K --pos strip --fold-case --count both --from-year 1800 --min-count 10 --top 1000 "$A" "$WORK/c.tsv.gz"
finish
