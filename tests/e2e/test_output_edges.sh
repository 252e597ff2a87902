#!/usr/bin/env bash
# Where the result goes, and what a failed, stopped or killed run leaves
# there: -o through symbolic links (to an input: refused; to an old result:
# kept on failure, replaced on success, the link stays a link), no temporary
# left by SIGKILL, SIGHUP/SIGUSR1 stop as cleanly as SIGTERM, a stop after
# lines went to a pipe says the output is incomplete, EPIPE on an in-place
# output is the quiet 141, and messages name what really failed.
# ctest: labels=quick cost=40
. "$(dirname "$0")/lib.sh"

"$NGC_GEN" --seed 61 --size 1M -o "$WORK/in.tsv" 2>/dev/null
gzip -c "$WORK/in.tsv" > "$WORK/in.tsv.gz"
python3 "$REF" "$WORK/in.tsv" > "$WORK/in.ref"
# 40,000 distinct keys (720 KiB of output): more than a pipe holds, and
# more than the small file system below.
"$NGC_GEN" --seed 62 --size 1M --vocab 40000 -o "$WORK/wide.tsv" 2>/dev/null
WIDE_LINES=$("$NGC_BIN" --no-progress "$WORK/wide.tsv" | wc -l)
IN_SUM=$(md5sum < "$WORK/in.tsv")
GZ_SUM=$(md5sum < "$WORK/in.tsv.gz")
no_tmp() { ! ls -a "$1" | grep -q 'tmp-'; }
is_link_to() { [ -L "$1" ] && [ "$(readlink "$1")" = "$2" ]; }

# -o naming an input, directly or through a link, is refused before any
# work: the input is never truncated.
ln -s in.tsv "$WORK/link"
expect_exit "-o a link to the input" 1 ".*/link: cannot write: it is the input '.*/in.tsv'; choose another -o" \
    -o "$WORK/link" "$WORK/in.tsv"
check "input intact after -o link-to-input" test "$(md5sum < "$WORK/in.tsv")" = "$IN_SUM"
expect_exit "-o the input itself" 1 ".*/in.tsv: cannot write: it is the input" \
    -o "$WORK/in.tsv" "$WORK/in.tsv"
check "input intact after -o input" test "$(md5sum < "$WORK/in.tsv")" = "$IN_SUM"
ln -s in.tsv.gz "$WORK/x.gz"
expect_exit "-o x.gz, a link to a gzip input" 1 ".*/x.gz: cannot write: it is the input" \
    -o "$WORK/x.gz" "$WORK/in.tsv" "$WORK/in.tsv.gz"
check "gzip input intact" test "$(md5sum < "$WORK/in.tsv.gz")" = "$GZ_SUM"
expect_exit "-o the file on standard input" 1 "it is the input \(standard input\)" \
    -o "$WORK/in.tsv" - < "$WORK/in.tsv"
check "standard input's file intact" test "$(md5sum < "$WORK/in.tsv")" = "$IN_SUM"

# A link to an old result: a failed run leaves it as it was, a good run
# replaces the target, and the link stays a link.
printf 'old\n' > "$WORK/result.tsv"
ln -s result.tsv "$WORK/rlink"
printf 'a\t1900\t1\t1\nbroken line\n' > "$WORK/bad.tsv"
expect_exit "failed run into a link" 1 "bad.tsv:2" --strict -o "$WORK/rlink" "$WORK/bad.tsv"
check "failed run: old result kept" grep -qx old "$WORK/result.tsv"
check "failed run: link still a link" is_link_to "$WORK/rlink" result.tsv
check "failed run: no temporary" no_tmp "$WORK"
same_as "good run into a link" /dev/null -o "$WORK/rlink" "$WORK/in.tsv"
check "good run: target replaced" cmp -s "$WORK/in.ref" "$WORK/result.tsv"
check "good run: link still a link" is_link_to "$WORK/rlink" result.tsv
# gzip is decided by the name given to -o, also through a link.
printf 'old\n' > "$WORK/result.gz"
ln -s result.gz "$WORK/glink.gz"
same_as "gzip through a link" /dev/null -o "$WORK/glink.gz" "$WORK/in.tsv"
check "gzip through a link: target is gzip of the result" \
    bash -c "gzip -dc '$WORK/result.gz' | cmp -s - '$WORK/in.ref'"
check "gzip through a link: still a link" is_link_to "$WORK/glink.gz" result.gz
# A dangling link creates its target.
ln -s fresh.tsv "$WORK/dlink"
same_as "dangling link" /dev/null -o "$WORK/dlink" "$WORK/in.tsv"
check "dangling link: target created" cmp -s "$WORK/in.ref" "$WORK/fresh.tsv"
check "dangling link: still a link" is_link_to "$WORK/dlink" fresh.tsv

# Stopped runs. A stalled task keeps the run in its loop; -v says when the
# output and the spill directory exist ("planned").
"$NGC_GEN" --seed 63 --size 3M -o "$WORK/three.tsv" 2>/dev/null
wait_planned() {
    local i
    for i in $(seq 1 200); do
        grep -q planned "$1" && return
        sleep 0.05
    done
}
# stop_run NAME SIGNAL STATUS MESSAGE: a run into rlink stopped by SIGNAL.
stop_run() {
    local name=$1 sig=$2 want=$3 msg=$4 rc=0
    printf 'old\n' > "$WORK/result.tsv"
    NGC_FAILPOINTS=worker.stall@task=1 "$NGC_BIN" --no-progress -v -p 2 -c 1M \
        -o "$WORK/rlink" "$WORK/three.tsv" 2> "$WORK/stop.err" &
    local pid=$!
    wait_planned "$WORK/stop.err"
    kill -"$sig" $pid
    wait $pid || rc=$?
    check "$name: exit $want (got $rc)" test "$rc" -eq "$want"
    check "$name: message" grep -qx "ngram-count: $msg: stopped, no output written" "$WORK/stop.err"
    check "$name: old result kept" grep -qx old "$WORK/result.tsv"
    check "$name: link still a link" is_link_to "$WORK/rlink" result.tsv
    check "$name: no temporary" no_tmp "$WORK"
    sleep 0.2
    check "$name: no process left" bash -c "! pgrep -f -- '[n]gram-count.*$WORK/three.tsv' > /dev/null"
}
stop_run "SIGINT" INT 130 interrupted
stop_run "SIGHUP" HUP 129 "hung up"
stop_run "SIGUSR1" USR1 138 "received SIGUSR1"
stop_run "SIGUSR2" USR2 140 "received SIGUSR2"

# SIGHUP while the plan waits for a FIFO's writer: the same clean stop.
mkfifo "$WORK/in.fifo"
"$NGC_BIN" --no-progress -o "$WORK/f.out" "$WORK/in.fifo" 2> "$WORK/fifo.err" &
pid=$!
for i in $(seq 1 100); do
    [ "$(cat /proc/$pid/wchan 2>/dev/null)" = wait_for_partner ] && break
    sleep 0.05
done
kill -HUP $pid
rc=0; wait $pid || rc=$?
check "SIGHUP in the plan: exit 129 (got $rc)" test "$rc" -eq 129
check "SIGHUP in the plan: message" grep -qx "ngram-count: hung up: stopped, no output written" "$WORK/fifo.err"
check "SIGHUP in the plan: nothing written" test ! -e "$WORK/f.out"

# SIGKILL of the coordinator: nothing beside -o (the temporary has no name
# where the file system has O_TMPFILE).
if python3 -c "import os,sys; os.close(os.open(sys.argv[1], os.O_TMPFILE | os.O_WRONLY))" "$WORK" 2>/dev/null; then
    mkdir "$WORK/kdir"
    NGC_FAILPOINTS=worker.stall@task=1 "$NGC_BIN" --no-progress -v -p 2 -c 1M \
        -o "$WORK/kdir/k.out" "$WORK/three.tsv" 2> "$WORK/kill.err" &
    pid=$!
    wait_planned "$WORK/kill.err"
    kill -KILL $pid
    wait $pid 2>/dev/null
    check "SIGKILL: nothing left beside -o" test -z "$(ls -A "$WORK/kdir")"
else
    echo "note: no O_TMPFILE in $WORK; a SIGKILL leaves FILE.tmp-XXXXXX there"
fi

# A stop after lines went to a pipe says so. The reader takes 100,000 bytes,
# then stalls (until told) with the pipe full, so the write is in progress.
mkfifo "$WORK/pipe"
(exec 3< "$WORK/pipe"; head -c 100000 <&3 > "$WORK/got1"
 while [ ! -e "$WORK/go" ]; do sleep 0.05; done; cat <&3 > "$WORK/got2") &
reader=$!
"$NGC_BIN" --no-progress "$WORK/wide.tsv" > "$WORK/pipe" 2> "$WORK/pipe.err" &
pid=$!
for i in $(seq 1 200); do
    [ "$(stat -c %s "$WORK/got1" 2>/dev/null)" = 100000 ] && break
    sleep 0.05
done
kill -INT $pid
# The stop must not wait for the reader (bounded: a hang fails, not blocks).
for i in $(seq 1 100); do
    kill -0 $pid 2>/dev/null || break
    sleep 0.05
done
touch "$WORK/go"
rc=0; wait $pid || rc=$?
wait $reader
got=$(cat "$WORK/got1" "$WORK/got2" | wc -l)
check "SIGINT while streaming: exit 130 (got $rc)" test "$rc" -eq 130
check "SIGINT while streaming: says incomplete" grep -qx \
    "ngram-count: interrupted: stopped, output incomplete ($got lines written to standard output)" \
    "$WORK/pipe.err"
check "SIGINT while streaming: some but not all lines" test "$got" -gt 0 -a "$got" -lt "$WIDE_LINES"

# EPIPE on an in-place output is the quiet 141, as on standard output.
for o in /dev/stdout /dev/fd/1; do
    "$NGC_BIN" --no-progress -o $o "$WORK/wide.tsv" 2> "$WORK/epipe.err" | head -1 > /dev/null
    rc=${PIPESTATUS[0]}
    check "-o $o | head -1: exit 141 (got $rc)" test "$rc" -eq 141
    check "-o $o | head -1: quiet" test ! -s "$WORK/epipe.err"
done
mkfifo "$WORK/out.fifo"
head -c 10 "$WORK/out.fifo" > /dev/null &
rc=0; "$NGC_BIN" --no-progress -o "$WORK/out.fifo" "$WORK/wide.tsv" 2> "$WORK/epipe.err" || rc=$?
wait
check "FIFO whose reader left: exit 141 (got $rc)" test "$rc" -eq 141
check "FIFO whose reader left: quiet" test ! -s "$WORK/epipe.err"
# /dev/stdout is the descriptor as it is: a file it points to is written in
# place, not truncated or replaced.
{ echo header; "$NGC_BIN" --no-progress -o /dev/stdout "$WORK/in.tsv"; } > "$WORK/dev.out"
check "-o /dev/stdout into a file keeps what came before" \
    bash -c "{ echo header; cat '$WORK/in.ref'; } | cmp -s - '$WORK/dev.out'"
same_as "-o /dev/null" /dev/null -o /dev/null "$WORK/in.tsv"

# Messages name what failed.
expect_exit "-o a directory" 1 "^ngram-count: .*/kdir: cannot write: Is a directory$" -o "$WORK/kdir" "$WORK/in.tsv"
expect_exit "-o /proc/version" 1 \
    "^ngram-count: /proc/version: cannot create a temporary file in '/proc': the file system does not allow new files$" \
    -o /proc/version "$WORK/in.tsv"
# A writable file in a directory where nothing can be created. Root ignores
# directory permissions: a read-only tmpfs does not.
RO="$WORK/ro"
mkdir "$RO"
printf 'old\n' > "$RO/res.tsv"
if [ "$(id -u)" -ne 0 ]; then
    chmod 555 "$RO"
    expect_exit "unwritable directory" 1 \
        "$RO/res.tsv: cannot create a temporary file in '$RO': Permission denied" \
        -o "$RO/res.tsv" "$WORK/in.tsv"
    chmod 755 "$RO"
elif mount -t tmpfs -o size=256k tmpfs "$RO" 2>/dev/null; then
    printf 'old\n' > "$RO/res.tsv"
    mount -o remount,ro "$RO"
    expect_exit "read-only directory" 1 \
        "$RO/res.tsv: cannot create a temporary file in '$RO': Read-only file system" \
        -o "$RO/res.tsv" "$WORK/in.tsv"
    check "read-only directory: file untouched" grep -qx old "$RO/res.tsv"
    # A full file system: the write fails, the old result through a link stays.
    mount -o remount,rw "$RO"
    ln -s "$RO/res.tsv" "$WORK/full-link"
    expect_exit "full file system" 1 ".*/full-link: cannot write: No space left on device" \
        -o "$WORK/full-link" "$WORK/wide.tsv"
    check "full file system: old result kept" grep -qx old "$RO/res.tsv"
    check "full file system: no temporary" no_tmp "$RO"
    umount "$RO"
else
    echo "note: cannot mount a tmpfs here; the unwritable directory is not covered"
fi
finish
