#!/usr/bin/env bash
# Bad input gets a clear message naming the file (and line), the documented
# exit status, and never a partial output file.
# ctest: labels=quick cost=40
. "$(dirname "$0")/lib.sh"
# Chunks below 64K (task boundaries at every byte of small files).
export NGC_TEST_SMALL_CHUNKS=1

printf "a\t1900\t1\t1\nb\t1900\t2\n" > "$WORK/m1.tsv"                       # line 2: 3 fields
printf "a\t1900\t1\t1\nb\t1900\t-2\t1\nc\t0\t1\t1\nd\t1900\t1x\t1\n" > "$WORK/m2.tsv"
printf "a\t1900\t1\t1\nb\t19000\t1\t1\n\t1900\t1\t1\ne\t1900\t99999999999999999999\t1\n" > "$WORK/m3.tsv"
printf "ok\t2000\t3\t1\n" > "$WORK/good.tsv"

# Malformed lines are skipped and counted; the rest is exact.
same_output "malformed skipped" "$WORK/m1.tsv" "$WORK/m2.tsv" "$WORK/m3.tsv" -- -c 3 "$WORK/m1.tsv" "$WORK/m2.tsv" "$WORK/m3.tsv"
check "malformed warning names file:line" grep -q "skipped 7 malformed lines: .*m1.tsv:2 (wrong number of TAB-separated fields), .*m2.tsv:2 (negative" "$WORK/ngc.err"
"$NGC_BIN" --stats=json -c 2 -p 3 "$WORK/m2.tsv" "$WORK/m3.tsv" > /dev/null 2> "$WORK/stats.json"
check "--stats=json counts malformed" python3 -c "
import json,sys
s=json.load(open('$WORK/stats.json'))
assert s['malformed_lines']==6, s
assert [(x['line'],x['reason'][:8]) for x in s['malformed_samples']]==[(2,'negative'),(3,'year out'),(4,'year or '),(2,'year out'),(3,'empty ng')], s['malformed_samples']
"

# --strict: the first malformed line in input order is the error.
for c in 1 3 8M; do
    expect_exit "--strict -c $c" 1 "m2.tsv:2: negative year or count" --strict -c $c -p 3 "$WORK/good.tsv" "$WORK/m2.tsv" "$WORK/m3.tsv"
done
expect_exit "--strict on stdin" 1 "^ngram-count: \(standard input\):2: year outside" --strict - < "$WORK/m3.tsv"

# Files that cannot be read.
expect_exit "missing file" 1 "^ngram-count: .*nope.tsv: cannot open: No such file or directory$" "$WORK/good.tsv" "$WORK/nope.tsv"
expect_exit "directory" 1 "^ngram-count: .*: is a directory: name the files in it \(.*/\*\)$" "$WORK"
gzip -c "$WORK/good.tsv" > "$WORK/good.gz"
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do cat "$WORK/good.tsv"; done | gzip -c > "$WORK/more.gz"
head -c $(( $(stat -c %s "$WORK/more.gz") - 6 )) "$WORK/more.gz" > "$WORK/trunc.gz"
for engine in zlib isal; do
    expect_exit "truncated gzip ($engine)" 1 "^ngram-count: .*trunc.gz: truncated gzip data: the file is incomplete" --inflate $engine "$WORK/good.tsv" "$WORK/trunc.gz"
done
python3 -c "
d=bytearray(open('$WORK/more.gz','rb').read()); d[12]^=0xff; d[13]^=0x5a
open('$WORK/corrupt.gz','wb').write(d)"
for engine in zlib isal; do
    expect_exit "corrupt gzip ($engine)" 1 "^ngram-count: .*corrupt.gz: (corrupt|truncated) gzip data" --inflate $engine "$WORK/corrupt.gz"
done

# Nothing is left behind by a failed run.
echo old > "$WORK/result.tsv"
expect_exit "failed run keeps old output" 1 "cannot open" -o "$WORK/result.tsv" "$WORK/nope.tsv"
check "old output untouched" grep -qx old "$WORK/result.tsv"
expect_exit "strict keeps no output" 1 "m1.tsv:2" --strict -o "$WORK/new.tsv" "$WORK/m1.tsv"
check "no output file after failure" test ! -e "$WORK/new.tsv"
check "no temporary file after failure" bash -c "! ls '$WORK' | grep -q tmp-"

# Output that cannot be written.
expect_exit "output dir missing" 1 "^ngram-count: .*/no/such/dir/out.tsv: cannot create: No such file or directory$" -o "$WORK/no/such/dir/out.tsv" "$WORK/good.tsv"
rc=0; "$NGC_BIN" "$WORK/good.tsv" > /dev/full 2> "$WORK/ngc.err" || rc=$?
check "disk full on stdout: exit 1" test "$rc" -eq 1
check "disk full message" grep -q "standard output: cannot write: No space left on device (free some space, or write elsewhere)" "$WORK/ngc.err"

# A total past 2^64-1 is an error, never a wrap: within a run, across runs
# in one task, and across tasks merging in shared memory.
printf "w\t1900\t18446744073709551615\t1\nw\t1901\t1\t1\n" > "$WORK/of1.tsv"
printf "w\t1900\t18446744073709551615\t1\nv\t1900\t1\t1\nw\t1901\t1\t1\n" > "$WORK/of2.tsv"
expect_exit "overflow in a run" 1 "the total of 'w' passes 2\^64-1" "$WORK/of1.tsv"
expect_exit "overflow in a task" 1 "the total of 'w' passes 2\^64-1" "$WORK/of2.tsv"
expect_exit "overflow across tasks" 1 "the total of 'w' passes 2\^64-1" -c 1 -p 2 "$WORK/of2.tsv"

# Too many keys for --memory is no error: the table spills to --tmp-dir
# (tests/e2e/test_spill.sh covers it in depth).
"$NGC_GEN" --seed 3 --size 12M --vocab 400000 -o "$WORK/many.tsv" 2>/dev/null
same_output "more keys than --memory" "$WORK/many.tsv" -- --memory 16M --tmp-dir "$WORK" "$WORK/many.tsv"

# Usage errors exit 2 with usage on stderr.
expect_exit "bad option" 2 "unknown option '--frobnicate'" --frobnicate "$WORK/good.tsv"
expect_exit "bad number" 2 "invalid value 'x' for --processes" -p x "$WORK/good.tsv"
expect_exit "no inputs" 2 "no input files"
expect_exit "bad years" 2 "--from-year 2000 is after --to-year 1900" --from-year 2000 --to-year 1900 "$WORK/good.tsv"
rc=0; "$NGC_BIN" --help > "$WORK/help.txt" || rc=$?
check "--help exits 0" test "$rc" -eq 0
check "--help documents exit codes" grep -q "Exit status" "$WORK/help.txt"
finish
