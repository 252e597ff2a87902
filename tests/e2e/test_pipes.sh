#!/usr/bin/env bash
# Pipes are read exactly once: a named FIFO, <(...) and /dev/fd/N are opened
# by the coordinator alone and the descriptor handed to the worker that
# reads it, so every run counts every byte, whether the writer starts before
# or after ngram-count, and never hangs. The same pipe named twice is a
# usage error. A chunk size at or past the file size (up to 2^64-1) is one
# task, never zero.
# ctest: labels=quick cost=100
. "$(dirname "$0")/lib.sh"

# Chunks below 64K (a task boundary inside the detection window).
export NGC_TEST_SMALL_CHUNKS=1
IN="$WORK/in.tsv"
"$NGC_GEN" --seed 17 --size 200K -o "$IN"
"$NGC_GEN" --seed 18 --size 100K --order 2 -o "$WORK/b.tsv"
gzip -c "$IN" > "$WORK/in.gz"
python3 "$REF" "$IN" > "$WORK/ref"
SIZE=$(stat -c %s "$IN")
mkfifo "$WORK/f" "$WORK/g"

# Every run here could hang on a pipe: lib.sh's same_as fails it after 20 s.
SAME_AS_LIMIT=20

# writer_ok NAME PID: the writer of a FIFO finished cleanly (no SIGPIPE).
writer_ok() {
    local rc=0
    wait "$2" || rc=$?
    check "$1: writer exited $rc" test "$rc" -eq 0
}

# A named FIFO, 50 times, the writer started before and after ngram-count.
for i in $(seq 1 50); do
    p=$((i % 3 + 1))
    if [ $((i % 2)) -eq 0 ]; then
        timeout 20 cat "$IN" > "$WORK/f" &
        w=$!
        same_as "fifo run $i (writer first, -p $p)" "$WORK/ref" -p $p -t 2 "$WORK/f"
    else
        timeout 20 "$NGC_BIN" --no-progress -p $p -t 2 "$WORK/f" > "$WORK/late.out" 2> "$WORK/late.err" &
        n=$!
        sleep 0.0$((RANDOM % 5))
        timeout 20 cat "$IN" > "$WORK/f" &
        w=$!
        rc=0
        wait "$n" || rc=$?
        if [ "$rc" -ne 0 ]; then
            fail "fifo run $i (writer second, -p $p): exit $rc: $(head -c 300 "$WORK/late.err")"
        else
            check "fifo run $i (writer second, -p $p): output" cmp -s "$WORK/ref" "$WORK/late.out"
        fi
    fi
    writer_ok "fifo run $i" "$w"
done

# A gzip FIFO: the reader tells gzip from the bytes it reads.
timeout 20 cat "$WORK/in.gz" > "$WORK/f" &
w=$!
same_as "gzip fifo" "$WORK/ref" "$WORK/f"
writer_ok "gzip fifo" "$w"

# Process substitution (/dev/fd/63 of the coordinator), plain and gzip.
same_as "<(cat)" "$WORK/ref" -p 2 <(cat "$IN")
same_as "<(gzip -c)" "$WORK/ref" -p 2 <(gzip -c "$IN")
python3 "$REF" "$IN" "$WORK/b.tsv" > "$WORK/ref_ab"
same_as "<(zcat) and <(cat)" "$WORK/ref_ab" -p 2 <(gzip -dc "$WORK/in.gz") <(cat "$WORK/b.tsv")

# A regular file named by a descriptor: split into tasks, every one reading
# through the coordinator's descriptor (a worker keeps only stdio).
same_as "/dev/fd/3, -c 64K" "$WORK/ref" -p 2 -c 64K /dev/fd/3 3< "$IN"
same_as "/dev/fd/3 gzip" "$WORK/ref" -p 2 /dev/fd/3 3< "$WORK/in.gz"

# Two FIFOs and a regular file in one run.
python3 "$REF" "$WORK/b.tsv" "$IN" "$IN" > "$WORK/ref3"
timeout 20 cat "$WORK/b.tsv" > "$WORK/f" &
w1=$!
timeout 20 cat "$WORK/in.gz" > "$WORK/g" &
w2=$!
same_as "two fifos and a file" "$WORK/ref3" -p 3 -c 64K "$WORK/f" "$IN" "$WORK/g"
writer_ok "two fifos: first" "$w1"
writer_ok "two fifos: second" "$w2"

# A FIFO's task cannot be retried: its input is consumed.
timeout 20 cat "$IN" > "$WORK/f" &
w=$!
rc=0
NGC_FAILPOINTS=worker.crash_in_map timeout 20 "$NGC_BIN" --no-progress "$WORK/f" \
    > /dev/null 2> "$WORK/ngc.err" || rc=$?
check "fifo not retried: exit 1 (got $rc)" test "$rc" -eq 1
check "fifo not retried: message" grep -q "cannot be retried, its input is consumed" "$WORK/ngc.err"
wait "$w" 2> /dev/null

# A writer that sends one line, then pauses: the format is told from the
# same lines as in a file, not from the first line alone.
{ printf 'ngram\tyear\tmatch_count\tvolume_count\n'; cat "$IN"; } > "$WORK/header.tsv"
python3 "$REF" "$WORK/header.tsv" > "$WORK/ref_header"
rc=0
{ printf 'ngram\tyear\tmatch_count\tvolume_count\n'; sleep 0.3; cat "$IN"; } |
    timeout 20 "$NGC_BIN" --no-progress - > "$WORK/ngc.out" 2> "$WORK/ngc.err" || rc=$?
check "header then pause on stdin: exit 0 (got $rc: $(head -c 200 "$WORK/ngc.err"))" test "$rc" -eq 0
check "header then pause on stdin: output" cmp -s "$WORK/ref_header" "$WORK/ngc.out"

# Every task of a file tells the format from the same first 64 KiB, however
# small its chunk: here the first chunk alone looks v1, the file is v2.
python3 -c "
import sys
w = sys.stdout.write
for i in range(40): w('w%d\t1900\t%d\t1\t1\n' % (i, i + 1))
for i in range(3000): w('x%d\t1901\t%d\t2\n' % (i % 50, i + 1))
" > "$WORK/mixed.tsv"
python3 "$REF" "$WORK/mixed.tsv" > "$WORK/ref_mixed"
for c in 1K 8M; do
    same_as "mixed head, -c $c" "$WORK/ref_mixed" -p 2 -c $c "$WORK/mixed.tsv"
done

# The same pipe twice, under any names: exit 2, naming it.
refused() {
    local name=$1 pattern=$2 rc=0
    shift 2
    timeout 20 "$NGC_BIN" --no-progress "$@" > "$WORK/ngc.out" 2> "$WORK/ngc.err" || rc=$?
    if [ "$rc" -ne 2 ]; then
        fail "$name: exit $rc, expected 2; stderr: $(head -c 300 "$WORK/ngc.err")"
    elif ! grep -qE -- "$pattern" "$WORK/ngc.err"; then
        fail "$name: stderr lacks /$pattern/: $(head -c 300 "$WORK/ngc.err")"
    elif [ -s "$WORK/ngc.out" ]; then
        fail "$name: printed output"
    else
        pass
    fi
}
refused "- /dev/stdin" "/dev/stdin: cannot read: it is the same pipe as '-'" \
    - /dev/stdin < <(cat "$IN")
refused "/dev/stdin twice" "/dev/stdin: cannot read twice: a pipe can be read only once" \
    /dev/stdin "$IN" /dev/stdin < <(cat "$IN")
refused "/dev/fd/0 -" " -: cannot read: it is the same pipe as '/dev/fd/0'" \
    /dev/fd/0 - < <(cat "$IN")
refused "fifo twice, no writer" ".*/f: cannot read twice: a pipe can be read only once" \
    "$WORK/f" "$WORK/f"
ln -s "$WORK/f" "$WORK/f-link"
refused "fifo and a link to it" ".*/f-link: cannot read: it is the same pipe as '.*/f'" \
    "$WORK/f" "$IN" "$WORK/f-link"
refused "- -" "standard input \('-'\) given more than once" - - < <(cat "$IN")
# A regular file named twice is counted twice, also as standard input.
python3 "$REF" "$IN" "$IN" > "$WORK/ref2"
same_as "a file twice" "$WORK/ref2" -c 64K "$IN" "$IN"
same_as "- and /dev/stdin, a file" "$WORK/ref2" -c 64K - /dev/stdin < "$IN"

# Chunk sizes around the file size and up to 2^64-1: one task, never none.
for c in 18446744073709551615 9223372036854775808 $((SIZE - 1)) $SIZE $((SIZE + 1)) 16G; do
    same_as "-c $c" "$WORK/ref" -p 2 -c "$c" "$IN"
done
python3 "$REF" "$IN" "$IN" "$IN" > "$WORK/ref_3x"
same_as "-c 2^64-1, gzip and a pipe" "$WORK/ref_3x" -c 18446744073709551615 "$IN" "$WORK/in.gz" \
    <(cat "$IN")

finish
