#!/usr/bin/env bash
# No leaks and no memory errors under valgrind, in the coordinator and in
# every forked worker: plain ranges, gzip, stdin, output to .gz, --stats,
# a failing run (missing file) and a run with malformed lines; v3 with
# --normalize, raw text, and the Hadoop Streaming parts.
# ctest: labels=valgrind cost=40
. "$(dirname "$0")/lib.sh"
# Chunks below 64K (task boundaries at every byte of small files).
export NGC_TEST_SMALL_CHUNKS=1
VG=(valgrind -q --leak-check=full --show-leak-kinds=definite,indirect,possible
    --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99
    --trace-children=yes)
# --memory: valgrind spends about 100 s per run on the default table (half of
# RAM, reserved but untouched); 64M is ample for these inputs.
SAMPLE="$HERE/../../datasets/sample-1gram.tsv"
gzip -c "$SAMPLE" > "$WORK/sample.gz"
"$NGC_GEN" --seed 4 --size 300K --malformed 5 -o "$WORK/bad.tsv" 2>/dev/null

vg() { # vg EXPECTED-STATUS ARGS...
    local want=$1 rc=0
    shift
    "${VG[@]}" "$NGC_BIN" --no-progress --memory 64M "$@" > /dev/null 2> "$WORK/vg.err" < "$WORK/sample.gz" || rc=$?
    if [ "$rc" -ne "$want" ]; then
        fail "valgrind $*: exit $rc: $(head -c 600 "$WORK/vg.err")"
    else
        pass
    fi
}
vg 0 -p 2 -t 2 -c 64K -o "$WORK/out.tsv.gz" "$SAMPLE" "$WORK/sample.gz"
vg 0 -p 1 -t 1 --stats=json --fold-case --pos strip "$SAMPLE" -
vg 0 -p 3 -t 2 --stats "$WORK/bad.tsv"
vg 1 -p 2 "$SAMPLE" "$WORK/missing.tsv"
vg 1 -p 2 --strict -c 16K "$WORK/bad.tsv"
"$NGC_GEN" --seed 5 --size 30K --order 2 --format v3 --totals "$WORK/totals.txt" -o "$WORK/v3.tsv" 2>/dev/null
head -c 8K /usr/share/common-licenses/GPL-3 > "$WORK/text.txt"
head -c 64K "$SAMPLE" > "$WORK/small.tsv"
vg 0 -p 1 -t 2 -c 4K --text --order 3 --tokenize words --fold-case --sentence-markers "$WORK/text.txt"
vg 0 -p 1 -t 1 --normalize "$WORK/totals.txt" --count both --sort ngram "$WORK/v3.tsv"
rc=0
"${VG[@]}" "$NGC_BIN" --map < "$WORK/small.tsv" > /dev/null 2> "$WORK/vg.err" || rc=$?
check "valgrind --map: exit $rc" test "$rc" -eq 0
"$NGC_BIN" --map < "$WORK/small.tsv" 2>/dev/null | LC_ALL=C sort -t$'\t' -k1,1 > "$WORK/mapped.tsv"
rc=0
"${VG[@]}" "$NGC_BIN" --reduce --min-count 2 < "$WORK/mapped.tsv" > /dev/null 2> "$WORK/vg.err" || rc=$?
check "valgrind --reduce: exit $rc" test "$rc" -eq 0
finish
