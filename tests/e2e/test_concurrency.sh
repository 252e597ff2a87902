#!/usr/bin/env bash
# Many workers and threads on one input at once, small tasks, gzip beside
# plain: exact results. Run under ThreadSanitizer too (label proc), where any
# data race in the pool, the channel or shared memory aborts a worker.
# ctest: labels=proc,quick cost=40
. "$(dirname "$0")/lib.sh"
"$NGC_GEN" --seed 11 --size 6M --order 2 -o "$WORK/c.tsv" 2>/dev/null
gzip -c "$WORK/c.tsv" > "$WORK/c.tsv.gz"
python3 "$REF" "$WORK/c.tsv" "$WORK/c.tsv.gz" > "$WORK/ref.out"
for pt in "1 4" "2 3" "4 2" "6 1"; do
    set -- $pt
    "$NGC_BIN" --no-progress -p $1 -t $2 -c 128K "$WORK/c.tsv" "$WORK/c.tsv.gz" > "$WORK/ngc.out" 2> "$WORK/ngc.err"
    check "-p $1 -t $2" cmp -s "$WORK/ref.out" "$WORK/ngc.out"
done
finish
