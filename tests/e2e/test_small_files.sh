#!/usr/bin/env bash
# Small awkward files, split at every chunk size from 1 byte to past the end,
# on every process/thread count: CRLF, no final newline, empty files and
# lines, invalid UTF-8, stdin, gzip, several files at once.
# ctest: cost=200
. "$(dirname "$0")/lib.sh"
# Chunks below 64K (task boundaries at every byte of small files).
export NGC_TEST_SMALL_CHUNKS=1

printf "A'Aang_NOUN\t1879\t45\t5\nA'Aang_NOUN\t1882\t5\t4\nA'que_ADJ\t1808\t1\t1\nU.S._NOUN\t1900\t7\t2\ncaf\xc3\xa9\t1950\t3\t1\n\xff\xfe\t2000\t2\t2\nA'que_ADJ\t1809\t4\t4\n" > "$WORK/basic.tsv"
printf "a\t1900\t1\t1\r\nb\t1901\t2\t2\r\nb\t1902\t3\t3\r\nc\t1903\t40\t4\r\n" > "$WORK/crlf.tsv"
printf "x\t1900\t5\t1\ny\t1901\t6\t1" > "$WORK/nonl.tsv"
: > "$WORK/empty.tsv"
printf "\n" > "$WORK/newline.tsv"
printf "p q\t1999\t18446744073709551615\t1\nr\t1999\t9223372036854775807\t1\nr\t2000\t9223372036854775808\t1\n" > "$WORK/big.tsv"

# Under a sanitizer (a run there costs 0.1 s a process) every chunk size still
# runs, each on one of the five process/thread shapes in turn.
SHAPES=("1 1" "2 1" "1 3" "3 2" "4 3")
turn=0
for f in basic crlf nonl empty newline big; do
    size=$(stat -c %s "$WORK/$f.tsv")
    python3 "$REF" "$WORK/$f.tsv" > "$WORK/$f.ref"
    for chunk in 1 2 3 5 8 13 21 $((size > 0 ? size : 1)) $((size + 1)) 8M; do
        pts=("${SHAPES[@]}")
        if reduced; then
            pts=("${SHAPES[turn % ${#SHAPES[@]}]}")
            turn=$((turn + 1))
        fi
        for pt in "${pts[@]}"; do
            set -- $pt
            "$NGC_BIN" -c "$chunk" -p "$1" -t "$2" "$WORK/$f.tsv" > "$WORK/ngc.out" 2> "$WORK/ngc.err"
            check "$f -c $chunk -p $1 -t $2" cmp -s "$WORK/$f.ref" "$WORK/ngc.out"
        done
    done
done

# gzip, plain and stdin mixed in one job.
gzip -c "$WORK/basic.tsv" > "$WORK/basic.tsv.gz"
gzip -c "$WORK/crlf.tsv" > "$WORK/crlf.gz"   # gzip detected by content, not name
same_output "mixed inputs" "$WORK/basic.tsv.gz" "$WORK/crlf.tsv" "$WORK/nonl.tsv" -- \
    -c 4 "$WORK/basic.tsv.gz" "$WORK/crlf.tsv" "$WORK/nonl.tsv"
same_output "gzip named without .gz" "$WORK/crlf.tsv" -- "$WORK/crlf.gz"
python3 "$REF" "$WORK/basic.tsv" "$WORK/crlf.tsv" > "$WORK/ref.out"
"$NGC_BIN" -p 2 - "$WORK/crlf.tsv" < "$WORK/basic.tsv" > "$WORK/ngc.out" 2>/dev/null
check "stdin plain" cmp -s "$WORK/ref.out" "$WORK/ngc.out"
"$NGC_BIN" -p 2 -t 1 - "$WORK/crlf.tsv" < "$WORK/basic.tsv.gz" > "$WORK/ngc.out" 2>/dev/null
check "stdin gzip" cmp -s "$WORK/ref.out" "$WORK/ngc.out"
cat "$WORK/basic.tsv.gz" | "$NGC_BIN" -t 2 - "$WORK/crlf.tsv" > "$WORK/ngc.out" 2>/dev/null
check "stdin gzip from a pipe" cmp -s "$WORK/ref.out" "$WORK/ngc.out"
# Two gzip members back to back, as pigz and cat a.gz b.gz make.
cat "$WORK/basic.tsv.gz" "$WORK/crlf.gz" > "$WORK/multi.gz"
same_output "multi-member gzip" "$WORK/basic.tsv" "$WORK/crlf.tsv" -- "$WORK/multi.gz"
same_output "multi-member gzip, zlib" "$WORK/basic.tsv" "$WORK/crlf.tsv" -- --inflate zlib "$WORK/multi.gz"

# -o writes the same bytes; .gz output inflates to them.
"$NGC_BIN" -o "$WORK/out.tsv" "$WORK/basic.tsv" 2>/dev/null
python3 "$REF" "$WORK/basic.tsv" > "$WORK/ref.out"
check "-o file" cmp -s "$WORK/ref.out" "$WORK/out.tsv"
"$NGC_BIN" -o "$WORK/out.tsv.gz" "$WORK/basic.tsv" 2>/dev/null
check "-o file.gz" bash -c "gzip -dc '$WORK/out.tsv.gz' | cmp -s '$WORK/ref.out' -"
check "no temporary files left" bash -c "! ls '$WORK' | grep -q tmp-"

# Devices and symlinks are written in place, never replaced by a rename.
"$NGC_BIN" -o /dev/null "$WORK/basic.tsv" 2>/dev/null
check "-o /dev/null leaves the device" test -c /dev/null
"$NGC_BIN" -o /dev/stdout "$WORK/basic.tsv" > "$WORK/via-stdout.tsv" 2>/dev/null
check "-o /dev/stdout" cmp -s "$WORK/ref.out" "$WORK/via-stdout.tsv"
check "/dev/stdout is still a link" test -L /dev/stdout
ln -s "$WORK/target.tsv" "$WORK/link.tsv"
"$NGC_BIN" -o "$WORK/link.tsv" "$WORK/basic.tsv" 2>/dev/null
check "-o through a symlink writes its target" cmp -s "$WORK/ref.out" "$WORK/target.tsv"
check "the symlink stays a symlink" test -L "$WORK/link.tsv"

# The totals pass 2^63 and reach 2^64-1 exactly.
"$NGC_BIN" "$WORK/big.tsv" > "$WORK/ngc.out"
check "totals up to 2^64-1" grep -qx $'r\t18446744073709551615' "$WORK/ngc.out"
finish
