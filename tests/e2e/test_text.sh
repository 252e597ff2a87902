#!/usr/bin/env bash
# Raw text (--text): n-grams of order 1..5 of each line, with and without
# sentence markers, --only-order, both tokenizers and --fold-case, against
# the reference and against answers worked out by hand; on generated text
# (non-ASCII, CRLF, no final newline, malformed lines) and on real English
# (the licenses and copyright files Debian ships, repeated to NGC_E2E_SIZE),
# cut by chunks of every size, plain, gzip and stdin; then the usage errors.
# ctest: cost=200
. "$(dirname "$0")/lib.sh"
# Chunks below 64K (task boundaries at every byte of small files).
export NGC_TEST_SMALL_CHUNKS=1
SIZE=${NGC_E2E_SIZE:-20M}

# by_hand NAME EXPECTED FILE ARGS...: the answer worked out by hand (printf
# escapes allowed) is what both the reference and the engine print.
by_hand() {
    local name=$1 want=$2 file=$3
    shift 3
    printf "%b" "$want" > "$WORK/want.out"
    python3 "$REF" --text "$@" "$file" > "$WORK/ref.out"
    check "reference by hand: $name" cmp -s "$WORK/want.out" "$WORK/ref.out"
    same_as "by hand: $name" "$WORK/want.out" --text "$@" -c 3 -p 2 "$file"
}

# malformed_is NAME COUNT NGC_ARGS...: --stats=json reports COUNT malformed lines.
malformed_is() {
    local name=$1 want=$2
    shift 2
    "$NGC_BIN" --no-progress --stats=json "$@" > /dev/null 2> "$WORK/stats.json"
    check "$name: $want malformed" python3 -c "
import json, sys
s = json.load(open('$WORK/stats.json'))
sys.exit(0 if s['malformed_lines'] == $want else 'malformed_lines %r' % s['malformed_lines'])"
}

check "the reference passes its self-test" python3 "$REF" --self-test

# --- Small files, answers by hand -----------------------------------------
printf 'a b\n' > "$WORK/ab.txt"
by_hand "markers, order 2" '</s>\t1\n<s>\t1\n<s> a\t1\na\t1\na b\t1\nb\t1\nb </s>\t1\n' "$WORK/ab.txt" --order 2 --sentence-markers
by_hand "markers, only order 2" '<s> a\t1\na b\t1\nb </s>\t1\n' "$WORK/ab.txt" --order 2 --sentence-markers --only-order
by_hand "markers, order 4" '<s> a b </s>\t1\n' "$WORK/ab.txt" --order 4 --sentence-markers --only-order
by_hand "only order 3 of two tokens" '' "$WORK/ab.txt" --order 3 --only-order
by_hand "no markers, default order 3" 'a\t1\na b\t1\nb\t1\n' "$WORK/ab.txt"
printf '\n \t\r\n\v\f\n\r\n' > "$WORK/blank.txt"
by_hand "blank lines give nothing, not even <s> </s>" '' "$WORK/blank.txt" --order 2 --sentence-markers
printf 'the cat\r\nthe  cat\tsat\n\nthe' > "$WORK/cat.txt"
by_hand "CRLF, runs of blanks, no final newline" 'the\t3\ncat\t2\nthe cat\t2\ncat sat\t1\nsat\t1\n' "$WORK/cat.txt" --order 2
by_hand "markers on the same lines" '</s>\t3\n<s>\t3\n<s> the\t3\nthe\t3\ncat\t2\nthe cat\t2\n' "$WORK/cat.txt" --order 2 --sentence-markers --min-count 2
printf 'a\nb\n' > "$WORK/two.txt"
by_hand "n-grams never cross a line" 'a\t1\nb\t1\n' "$WORK/two.txt" --order 3
printf 'x y' > "$WORK/xy.txt"
printf 'z\n' > "$WORK/z.txt"
printf 'x\t1\nx y\t1\ny\t1\nz\t1\n' > "$WORK/want.out"
same_as "n-grams never cross a file" "$WORK/want.out" --text --order 2 -p 2 "$WORK/xy.txt" "$WORK/z.txt"
printf "Don't stop\xe2\x80\x94now!\n" > "$WORK/dont.txt"
by_hand "the spec's words example" "!\t1\n'\t1\nDon\t1\nnow\t1\nstop\t1\nt\t1\n\xe2\x80\x94\t1\n" "$WORK/dont.txt" --order 1 --tokenize words
by_hand "the words example in space mode" "Don't\t1\nstop\xe2\x80\x94now!\t1\n" "$WORK/dont.txt" --order 1
printf 'Stra\xc3\x9fe STRASSE stra\xc3\x9fe \xffAB\n' > "$WORK/fold.txt"
by_hand "full case folding, space mode" 'strasse\t3\n\xffAB\t1\n' "$WORK/fold.txt" --order 1 --fold-case
by_hand "full case folding, 2-grams" 'strasse strasse\t2\nstrasse \xffAB\t1\n' "$WORK/fold.txt" --order 2 --only-order --fold-case
printf 'Stra\xc3\x9fe STRASSE \xce\xa3\xce\x91\xce\xa3 \xcf\x83\xce\xb1\xcf\x82\n' > "$WORK/foldw.txt"
by_hand "full case folding, words mode" 'strasse\t2\n\xcf\x83\xce\xb1\xcf\x83\t2\n' "$WORK/foldw.txt" --order 1 --fold-case --tokenize words
by_hand "no folding without --fold-case" 'STRASSE\t1\nStra\xc3\x9fe\t1\n\xce\xa3\xce\x91\xce\xa3\t1\n\xcf\x83\xce\xb1\xcf\x82\t1\n' "$WORK/foldw.txt" --order 1 --tokenize words
# Whitespace: only ASCII blanks split in space mode; Zs/Zl/Zp, U+0085 and
# the ASCII blanks in words mode, where other controls are tokens.
printf 'a\xc2\xa0b c\xe2\x80\x83d\xc2\x85e\x1cf\xe2\x80\xa8g\n' > "$WORK/ws.txt"
by_hand "space mode keeps Unicode blanks inside tokens" 'a\xc2\xa0b\t1\nc\xe2\x80\x83d\xc2\x85e\x1cf\xe2\x80\xa8g\t1\n' "$WORK/ws.txt" --order 1
by_hand "words mode splits on Unicode blanks" '\x1c\t1\na\t1\nb\t1\nc\t1\nd\t1\ne\t1\nf\t1\ng\t1\n' "$WORK/ws.txt" --order 1 --tokenize words
printf 'cafe\xcc\x81 x\xe2\x82\x82 \xd9\xa3\xd9\xa4 $5.00 \xef\xbc\x81\n' > "$WORK/marks.txt"
by_hand "marks and numbers join words, symbols stand alone" '$\t1\n.\t1\n00\t1\n5\t1\ncafe\xcc\x81\t1\nx\xe2\x82\x82\t1\n\xd9\xa3\xd9\xa4\t1\n\xef\xbc\x81\t1\n' "$WORK/marks.txt" --order 1 --tokenize words
# Malformed text lines: invalid UTF-8 under words (not under space), and
# lines over 1 MiB; a line of exactly 1 MiB counts.
printf 'ok line\n\xff bad\nok \xc0\xaf\nok\n\xed\xa0\x80\n' > "$WORK/utf8.txt"
by_hand "invalid UTF-8 lines skipped by words" 'ok\t2\nline\t1\n' "$WORK/utf8.txt" --order 1 --tokenize words
malformed_is "invalid UTF-8, words" 3 --text --tokenize words -c 5 -p 2 "$WORK/utf8.txt"
by_hand "invalid UTF-8 kept by space" 'ok\t3\nbad\t1\nline\t1\n\xc0\xaf\t1\n\xed\xa0\x80\t1\n\xff\t1\n' "$WORK/utf8.txt" --order 1
malformed_is "invalid UTF-8, space" 0 --text -c 5 -p 2 "$WORK/utf8.txt"
python3 -c "
import sys
w = sys.stdout.buffer
w.write(b'short line\n' + b'a' * (1 << 20) + b'\n' + b'b ' * (1 << 19) + b'c\n' + b'd' * 1000 + b'\r\nshort')
" > "$WORK/long.txt"
python3 "$REF" --text --order 2 "$WORK/long.txt" --malformed-out "$WORK/ref.malformed" > "$WORK/ref.out"
check "reference: only the line past 1 MiB is malformed" grep -qx 1 "$WORK/ref.malformed"
check "reference: the 1 MiB line counts" python3 -c "
import sys
sys.exit(b'a' * (1 << 20) + b'\t1\n' not in open(sys.argv[1], 'rb').read())" "$WORK/ref.out"
for c in 4K 64K 8M; do
    same_as "lines around 1 MiB -c $c" "$WORK/ref.out" --text --order 2 -c $c -p 3 "$WORK/long.txt"
done
malformed_is "a line past 1 MiB" 1 --text -c 4K -p 2 "$WORK/long.txt"

# --- Generated text: every order and option -------------------------------
"$NGC_GEN" --seed 61 --format text --size 256K --utf8-share 0.3 --crlf --malformed 12 -o "$WORK/g1.txt" 2> "$WORK/gen1.err" \
    || fail "ngram-gen --format text: $(cat "$WORK/gen1.err")"
"$NGC_GEN" --seed 62 --format text --size 128K --utf8-share 0.6 --no-final-newline -o "$WORK/g2.txt" 2>/dev/null
"$NGC_GEN" --seed 63 --format text --size 128K --gzip -o "$WORK/g3.txt.gz" 2>/dev/null
G=("$WORK/g1.txt" "$WORK/g2.txt" "$WORK/g3.txt.gz")
check "generated text has CRLF and non-ASCII" python3 -c "
import sys
a, b = (open(f, 'rb').read() for f in sys.argv[1:])
sys.exit(not (b'\r\n' in a and not b.isascii() and not b.endswith(b'\n')))" "$WORK/g1.txt" "$WORK/g2.txt"
# Twenty configurations: every order with both tokenizers, with and without
# markers, --only-order and --fold-case each on in half of them; the 18
# (-p, -t, -c) combinations rotate over them (under a sanitizer one run of
# each configuration: still every combination, over the twenty).
reps=2
reduced && reps=1
PT=()
for c in 4K 64K 8M; do for p in 1 2 3; do for t in 1 2; do PT+=("-p $p -t $t -c $c"); done; done; done
k=0
for order in 1 2 3 4 5; do
    for tok in 0 1; do
        for markers in 0 1; do
            opts="--order $order --tokenize $([ $tok = 0 ] && echo space || echo words)"
            [ $markers = 1 ] && opts="$opts --sentence-markers"
            [ $(( (order + markers) % 2 )) -eq 1 ] && opts="$opts --only-order"
            [ $(( (order + tok) % 2 )) -eq 0 ] && opts="$opts --fold-case"
            python3 "$REF" --text $opts "${G[@]}" > "$WORK/ref.out"
            for _ in $(seq $reps); do
                same_as "generated $opts ${PT[$k]}" "$WORK/ref.out" --text $opts ${PT[$k]} "${G[@]}"
                k=$(( (k + 1) % ${#PT[@]} ))
            done
        done
    done
done
# Every combination on one configuration (under a sanitizer one per chunk
# size), and stdin (plain and gzip).
opts="--order 5 --tokenize words --fold-case --sentence-markers"
python3 "$REF" --text $opts "$WORK/g1.txt" --malformed-out "$WORK/ref.malformed" > "$WORK/ref.out"
ALL_PT=("${PT[@]}")
reduced && ALL_PT=("${PT[5]}" "${PT[9]}" "${PT[16]}")
for pt in "${ALL_PT[@]}"; do
    same_as "g1.txt $opts $pt" "$WORK/ref.out" --text $opts $pt "$WORK/g1.txt"
done
gzip -c "$WORK/g1.txt" > "$WORK/g1.gz"
same_as "g1.gz $opts" "$WORK/ref.out" --text $opts -p 2 "$WORK/g1.gz"
same_as "g1.txt on stdin $opts" "$WORK/ref.out" --text $opts -p 2 - < "$WORK/g1.txt"
same_as "g1.gz on stdin $opts" "$WORK/ref.out" --text $opts - < "$WORK/g1.gz"
# The generator's malformed lines: invalid UTF-8 (malformed for words only)
# and 1 MiB lines (malformed for both).
check "generated malformed lines counted by the reference" python3 -c "
import re
m = re.search(r'injected (\d+) malformed lines: .* long=(\d+)', open('$WORK/gen1.err').read())
assert int(m.group(1)) == 12 and int(open('$WORK/ref.malformed').read()) == 12, m.group(0)"
malformed_is "generated text, words" 12 --text --tokenize words -c 64K -p 3 "$WORK/g1.txt"
long=$(sed -n 's/.*long=\([0-9]*\).*/\1/p' "$WORK/gen1.err")
python3 "$REF" --text "$WORK/g1.txt" --malformed-out "$WORK/ref.malformed" > /dev/null
check "reference: space mode skips only the long lines" grep -qx "$long" "$WORK/ref.malformed"
malformed_is "generated text, space" "$long" --text -c 64K -p 3 "$WORK/g1.txt"
# --min-count, --top, --sort ngram, -o and --count match work as for Google files.
python3 "$REF" --text --order 3 --min-count 5 --sort ngram "${G[@]}" > "$WORK/ref.out"
same_as "text --min-count --sort ngram" "$WORK/ref.out" --text --order 3 --min-count 5 --sort ngram -p 3 -c 64K "${G[@]}"
check "text --sort ngram is LC_ALL=C sort order" bash -c "cut -f1 '$WORK/ref.out' | LC_ALL=C sort -c"
python3 "$REF" --text --order 4 --top 40 --tokenize words "${G[@]}" > "$WORK/ref.out"
same_as "text --top" "$WORK/ref.out" --text --order 4 --top 40 --tokenize words "${G[@]}"
python3 "$REF" --text "${G[@]}" > "$WORK/ref.out"
same_as "--format text is --text" "$WORK/ref.out" --format text "${G[@]}"
same_as "--text --count match" "$WORK/ref.out" --text --count match "${G[@]}"
"$NGC_BIN" --no-progress --text -o "$WORK/out.gz" "${G[@]}" 2>/dev/null
check "--text -o file.gz" bash -c "gzip -dc '$WORK/out.gz' | cmp -s '$WORK/ref.out' -"

# --- Real English --------------------------------------------------------
# The licenses every Debian system has, then the copyright files of the
# installed packages (one copy of each text), repeated up to SIZE.
bytes=$(numfmt --from=iec "$SIZE")
check "/usr/share/common-licenses is there" test -s /usr/share/common-licenses/GPL-3
{
    cat /usr/share/common-licenses/*
    find /usr/share/doc -name copyright -type f 2>/dev/null | sort | xargs -r md5sum | sort -s -u -k1,1 \
        | sort -k2 | cut -d' ' -f3- | xargs -r cat
} 2>/dev/null | head -c $((bytes / 4)) > "$WORK/english1.txt"
check "some English text was found" test -s "$WORK/english1.txt"
: > "$WORK/english.txt"
while [ -s "$WORK/english1.txt" ] && [ "$(stat -c %s "$WORK/english.txt")" -lt "$bytes" ]; do
    cat "$WORK/english1.txt" >> "$WORK/english.txt"
done
check "real English text of SIZE" test "$(stat -c %s "$WORK/english.txt")" -ge "$bytes"
gzip -1 -c "$WORK/english.txt" > "$WORK/english.gz"
E="$WORK/english.txt"
python3 "$REF" --text "$E" > "$WORK/ref.out"
# Tiny chunks (5,000 tasks of 4K) once; the generated text above covers
# every chunk size in every combination.
ENGLISH_PT=("-p 2 -t 2 -c 4K" "-p 3 -t 1 -c 64K" "-p 1 -t 2 -c 256K" "-p 2 -t 1" "-p 3 -t 2")
reduced && ENGLISH_PT=("-p 2 -t 2 -c 4K" "-p 3 -t 2")
for pt in "${ENGLISH_PT[@]}"; do
    same_as "English, order 3 $pt" "$WORK/ref.out" --text $pt "$E"
done
same_as "English.gz" "$WORK/ref.out" --text -p 2 "$WORK/english.gz"
same_as "English on stdin" "$WORK/ref.out" --text -p 2 - < "$E"
opts="--order 5 --tokenize words --fold-case --sentence-markers"
python3 "$REF" --text $opts "$E" > "$WORK/ref.out"
for pt in "-p 3 -t 2 -c 64K" "-p 1 -t 2"; do
    same_as "English $opts $pt" "$WORK/ref.out" --text $opts $pt "$E"
done
same_as "English.gz on stdin $opts" "$WORK/ref.out" --text $opts -p 2 - < "$WORK/english.gz"
opts="--order 5 --only-order"
python3 "$REF" --text $opts "$E" > "$WORK/ref.out"
for pt in "-p 3 -t 1 -c 256K" "-p 2 -t 2 -c 64K"; do
    same_as "English $opts $pt" "$WORK/ref.out" --text $opts $pt "$E"
done
python3 "$REF" --text --order 2 --tokenize words --sort ngram --min-count 100 "$E" > "$WORK/ref.out"
same_as "English --sort ngram --min-count" "$WORK/ref.out" --text --order 2 --tokenize words --sort ngram --min-count 100 -c 64K "$E"

# --- Usage errors (exit 2) -----------------------------------------------
A="$WORK/ab.txt"
expect_exit "--text --from-year" 2 "from-year" --text --from-year 1900 "$A"
expect_exit "--text --to-year" 2 "to-year" --text --to-year 1900 "$A"
expect_exit "--format text --from-year" 2 "from-year" --format text --from-year 1900 "$A"
for pos in drop strip keep; do
    expect_exit "--text --pos $pos" 2 "pos" --text --pos $pos "$A"
done
expect_exit "--text --count volume" 2 "count" --text --count volume "$A"
expect_exit "--text --count both" 2 "count" --text --count both "$A"
expect_exit "--text --order 0" 2 "order" --text --order 0 "$A"
expect_exit "--text --order 10" 2 "order" --text --order 10 "$A"
expect_exit "--text --order x" 2 "order" --text --order x "$A"
expect_exit "--text --top --sort ngram" 2 "top" --text --top 5 --sort ngram "$A"
expect_exit "--text --tokenize bogus" 2 "tokenize" --text --tokenize letters "$A"
python3 "$REF" --text --order 9 "$WORK/g2.txt" > "$WORK/ref.out"
same_as "--order 9 works" "$WORK/ref.out" --text --order 9 -p 2 "$WORK/g2.txt"
finish
