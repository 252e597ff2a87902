#!/usr/bin/env bash
# More distinct keys than --memory holds, at scale: NGC_SPILL_KEYS distinct
# 2-grams (default 20M: v3, about 900 MB; tools/run-tests uses 3M to stay in
# its time budget) under a --memory of 20 bytes a key (the table needs about
# 40: 400M at 20M keys, 60M at 3M). The result equals the unlimited
# run and an awk pipeline; the whole process tree's peak memory stays within
# --memory plus the stated overhead. Label "large": release build only.
# ctest: labels=large cost=40
. "$(dirname "$0")/lib.sh"
PEAK="$HERE/peakmem.py"
KEYS=${NGC_SPILL_KEYS:-20M}
nkeys=$(numfmt --from=iec "$KEYS")
MEM=$((nkeys * 20 / 1048576))
[ "$MEM" -ge 16 ] || MEM=16

# About 45 bytes of v3 per distinct key, as in Google's 2-gram files.
"$NGC_GEN" --seed 7 --order 2 --vocab "$KEYS" --size $((nkeys * 45)) --format v3 -o "$WORK/big.v3" 2>/dev/null
check "generated" test -s "$WORK/big.v3"

t0=$(date +%s.%N)
"$NGC_BIN" --no-progress --stats=json "$WORK/big.v3" > "$WORK/mem.out" 2> "$WORK/mem.json"
t1=$(date +%s.%N)
python3 "$PEAK" --out "$WORK/peak" -- "$NGC_BIN" --no-progress --memory "${MEM}M" --tmp-dir "$WORK" \
    --stats=json -o "$WORK/spill.out" "$WORK/big.v3" 2> "$WORK/spill.json"
t2=$(date +%s.%N)
awk -v a="$t0" -v b="$t1" -v c="$t2" -v m="$MEM" 'BEGIN { printf "in memory: %.1f s; --memory %dM: %.1f s\n", b - a, m, c - b }'
grep -o '"distinct_ngrams":[0-9]*\|"spilled_runs":[0-9]*\|"spilled_bytes":[0-9]*\|"run_merge_seconds":[0-9.]*' \
    "$WORK/spill.json" | tr '\n' ' '
echo
check "more distinct keys than asked for" \
    test "$(grep -o '"distinct_ngrams":[0-9]*' "$WORK/mem.json" | cut -d: -f2)" -ge $((nkeys * 95 / 100))
check "spilled" test "$(grep -o '"spilled_runs":[0-9]*' "$WORK/spill.json" | cut -d: -f2)" -gt 0
check "spilled result equals the in-memory result" cmp -s "$WORK/mem.out" "$WORK/spill.out"
check "no runs left" bash -c "! ls '$WORK' | grep -q ngram-count-spill"

# An independent reference, streaming so it needs no hash of every key: each
# line's v3 match counts summed by awk, lines sorted by key, equal keys
# summed, then sorted by total and bytes.
mawk -F'\t' '{ s = 0; for (i = 2; i <= NF; i++) { split($i, t, ","); s += t[2] } printf "%s\t%.0f\n", $1, s }' \
    "$WORK/big.v3" | sort -S 1G --parallel=2 -t$'\t' -k1,1 |
    mawk -F'\t' '$1 != k { if (NR > 1) printf "%s\t%.0f\n", k, s; k = $1; s = 0 } { s += $2 }
        END { if (NR > 0) printf "%s\t%.0f\n", k, s }' |
    sort -S 1G --parallel=2 -t$'\t' -k2,2nr -k1,1 > "$WORK/awk.out"
check "equals the awk pipeline" cmp -s "$WORK/awk.out" "$WORK/spill.out"

peak=$(awk '{print $2}' "$WORK/peak")
echo "peak PSS of the process tree with --memory ${MEM}M: $((peak / 1024)) MiB"
check "peak $((peak / 1024)) MiB <= $MEM + 96 MiB" test "$peak" -le $(((MEM + 96) * 1024))
finish
