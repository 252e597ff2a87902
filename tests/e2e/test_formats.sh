#!/usr/bin/env bash
# Google Books v1 (2009), v2 (2012) and v3 (2020) files against the
# reference: the three renderings of one generated data set count the same,
# auto detection per file in a mix of formats, --format forced, a file of no
# format, every filter option in every format, v3 lines cut by tiny chunks
# and longer than them, malformed v1/v3 lines, --normalize with a totals
# file, and --sort ngram.
# ctest: cost=200
. "$(dirname "$0")/lib.sh"
# Chunks below 64K (task boundaries at every byte of small files).
export NGC_TEST_SMALL_CHUNKS=1
SIZE=${NGC_E2E_SIZE:-16M}

# json_is FILE PYTHON-EXPRESSION: the expression holds for the JSON in FILE (as s).
json_is() {
    python3 -c "
import json, sys
s = json.load(open(sys.argv[1]))
ok = $2
if not ok: sys.exit('%s: %r' % (sys.argv[2], s))
" "$1" "$2"
}

check "the reference passes its self-test" python3 "$REF" --self-test

# --- One data set, three renderings, same totals --------------------------
for f in v1 v2 v3; do
    "$NGC_GEN" --seed 21 --size "$SIZE" --format $f -o "$WORK/a.$f" 2> "$WORK/gen.err" \
        || fail "ngram-gen --format $f: $(cat "$WORK/gen.err")"
    gzip -c "$WORK/a.$f" > "$WORK/a.$f.gz"
done
python3 "$REF" "$WORK/a.v2" > "$WORK/a.ref"
check "the data set is not empty" test "$(wc -l < "$WORK/a.ref")" -gt 1000
# The checks named "reference: ..." hold reference.py to itself, the same in
# every build: under a sanitizer (reduced) the release build's run of them
# is enough.
reduced ||
for f in v1 v3; do
    python3 "$REF" "$WORK/a.$f" --stats-out "$WORK/ref.stats" > "$WORK/ref.out"
    check "reference: $f equals v2" cmp -s "$WORK/a.ref" "$WORK/ref.out"
    check "reference: $f detected as $f" json_is "$WORK/ref.stats" "s['formats'][0][1] == '$f' and s['malformed'] == 0"
done
check "v1 and v3 differ from v2 on disk" bash -c "! cmp -s '$WORK/a.v1' '$WORK/a.v2' && ! cmp -s '$WORK/a.v3' '$WORK/a.v2'"
PT3=("1 1" "2 2" "3 1")
reduced && PT3=("2 2")
for f in v1 v2 v3; do
    for pt in "${PT3[@]}"; do
        set -- $pt
        same_as "$f -p $1 -t $2 -c 1M" "$WORK/a.ref" -p $1 -t $2 -c 1M "$WORK/a.$f"
    done
    same_as "$f default chunks" "$WORK/a.ref" "$WORK/a.$f"
    same_as "$f.gz" "$WORK/a.ref" -p 2 -t 2 "$WORK/a.$f.gz"
    same_as "$f on stdin" "$WORK/a.ref" -p 2 - < "$WORK/a.$f"
    same_as "$f --format $f" "$WORK/a.ref" --format $f -c 2M "$WORK/a.$f"
done

# --- Auto detection per file, in a mix of formats -------------------------
"$NGC_GEN" --seed 22 --size 1M --order 2 --format v1 --crlf -o "$WORK/m1.tsv" 2>/dev/null
"$NGC_GEN" --seed 23 --size 1M --order 3 --format v3 --gzip -o "$WORK/m3.gz" 2>/dev/null
"$NGC_GEN" --seed 24 --size 1M --format v2 --no-final-newline -o "$WORK/m2.tsv" 2>/dev/null
"$NGC_GEN" --seed 25 --size 1M --format v1 --gzip -o "$WORK/m1.gz" 2>/dev/null
"$NGC_GEN" --seed 26 --size 1M --order 2 --format v3 -o "$WORK/m3.tsv" 2>/dev/null
MIX=("$WORK/m1.tsv" "$WORK/m3.gz" "$WORK/m2.tsv" "$WORK/m1.gz" "$WORK/m3.tsv" "$WORK/a.v2.gz")
python3 "$REF" "${MIX[@]}" --stats-out "$WORK/ref.stats" > "$WORK/mix.ref"
check "reference detects the mix" json_is "$WORK/ref.stats" \
    "[f for _, f in s['formats']] == ['v1', 'v3', 'v2', 'v1', 'v3', 'v2']"
for pt in "1 1" "3 2"; do
    set -- $pt
    same_as "mix of formats -p $1 -t $2" "$WORK/mix.ref" -p $1 -t $2 -c 256K "${MIX[@]}"
done
python3 "$REF" - "$WORK/m1.tsv" < "$WORK/m3.gz" > "$WORK/ref.out"
same_as "v3 gzip on stdin beside v1" "$WORK/ref.out" - "$WORK/m1.tsv" < "$WORK/m3.gz"

# --stats names the format chosen for each file, as auto detected it.
"$NGC_BIN" --no-progress --stats -c 256K "${MIX[@]}" > /dev/null 2> "$WORK/stats.txt"
"$NGC_BIN" --no-progress --stats=json -c 256K "${MIX[@]}" > /dev/null 2> "$WORK/stats.json"
for i in 0 1 2 3 4 5; do
    f=$(python3 -c "import json; print(json.load(open('$WORK/ref.stats'))['formats'][$i][1])")
    check "--stats names $f for ${MIX[$i]##*/}" grep -qE "format .*${MIX[$i]##*/}: $f\b" "$WORK/stats.txt"
done
check "--stats=json names each file's format" json_is "$WORK/stats.json" \
    "[(x['file'], x['format']) for x in s['formats']] == [tuple(x) for x in json.load(open('$WORK/ref.stats'))['formats']]"

# --- --format forced -------------------------------------------------------
# A forced format reads every file that way: the lines of another format are
# malformed, all of them, and a file of which no line was read fails the run.
head -c 300K "$WORK/a.v3" | sed '$d' > "$WORK/f.v3"
head -c 300K "$WORK/a.v2" | sed '$d' > "$WORK/f.v2"
head -c 300K "$WORK/a.v1" | sed '$d' > "$WORK/f.v1"
for f in v1 v2 v3; do
    python3 "$REF" "$WORK/f.$f" > "$WORK/ref.out"
    same_as "--format $f on $f" "$WORK/ref.out" --format $f -c 64K "$WORK/f.$f"
    for g in v1 v2 v3; do
        [ $f = $g ] && continue
        python3 "$REF" --format $g "$WORK/f.$f" --malformed-out "$WORK/ref.malformed" > "$WORK/ref.out"
        check "reference: --format $g on $f counts nothing" test ! -s "$WORK/ref.out"
        rc=0
        "$NGC_BIN" --no-progress --format $g --stats=json -c 64K -p 2 "$WORK/f.$f" > "$WORK/ngc.out" 2> "$WORK/ngc.err" || rc=$?
        tail -n 1 "$WORK/ngc.err" > "$WORK/stats.json"
        check "--format $g on $f: one message" grep -qx "ngram-count: $WORK/f.$f: no line could be read as $g" "$WORK/ngc.err"
        check "--format $g on $f prints nothing" test ! -s "$WORK/ngc.out"
        check "--format $g on $f: exit 1, no line read" json_is "$WORK/stats.json" \
            "$rc == 1 and s['error'].endswith('f.$f: no line could be read as $g')"
        check "--format $g on $f: every line malformed" json_is "$WORK/stats.json" \
            "s['malformed_lines'] == $(cat "$WORK/ref.malformed") == $(wc -l < "$WORK/f.$f")"
    done
done
# A forced format also overrides a clear vote: v2 lines in a v3 file.
{ head -n 50 "$WORK/f.v2"; cat "$WORK/f.v3"; } > "$WORK/f.mixed"
python3 "$REF" --format v3 "$WORK/f.mixed" --malformed-out "$WORK/ref.malformed" > "$WORK/ref.out"
check "reference: the v2 lines are malformed as v3" grep -qx 50 "$WORK/ref.malformed"
same_as "--format v3 on a v3 file with v2 lines" "$WORK/ref.out" --format v3 -c 4K -p 3 "$WORK/f.mixed"

# --- A file of no format ----------------------------------------------------
cat > "$WORK/prose.txt" <<'EOF'
It was the best of times, it was the worst of times,
it was the age of wisdom, it was the age of foolishness,
year	1900	many	books
EOF
gzip -c "$WORK/prose.txt" > "$WORK/prose.gz"
expect_exit "prose: exit 1 naming the file" 1 "prose\.txt" "$WORK/f.v2" "$WORK/prose.txt"
check "prose: the message suggests --format or --text" grep -qE -- "--format|--text" "$WORK/ngc.err"
expect_exit "prose.gz: exit 1 naming the file" 1 "prose\.gz" -p 2 "$WORK/prose.gz" "$WORK/f.v3"
check "no output after a file of no format" test ! -s "$WORK/ngc.out"
expect_exit "prose on stdin" 1 "standard input|'-'" - < "$WORK/prose.txt"
printf 'a,b\nc;d\n' > "$WORK/csv.txt"
expect_exit "csv: exit 1 naming the file" 1 "csv\.txt" "$WORK/csv.txt"
same_as "prose read with --text works" <(python3 "$REF" --text "$WORK/prose.txt") --text "$WORK/prose.txt"

# --- Filters and orders in every format -----------------------------------
for order in 1 2 3; do
    for f in v1 v2 v3; do
        "$NGC_GEN" --seed $((30 + order)) --size 3M --order $order --format $f --pos-share 0.6 --utf8-share 0.2 \
            -o "$WORK/o$order.$f" 2>/dev/null
    done
    if ! reduced; then
        python3 "$REF" "$WORK/o$order.v1" > "$WORK/ref.v1"
        python3 "$REF" "$WORK/o$order.v3" > "$WORK/ref.v3"
        python3 "$REF" "$WORK/o$order.v2" > "$WORK/ref.out"
        check "reference: $order-grams the same in v1, v2, v3" bash -c \
            "cmp -s '$WORK/ref.out' '$WORK/ref.v1' && cmp -s '$WORK/ref.out' '$WORK/ref.v3'"
    fi
    i=0
    for opts in "--pos drop" "--pos strip" "--fold-case" "--pos strip --fold-case --count both" \
                "--from-year 1900 --to-year 1950" "--from-year 1990 --count volume --fold-case" \
                "--to-year 1800 --pos drop --count both --min-count 3"; do
        python3 "$REF" "$WORK/o$order.v2" $opts > "$WORK/ref.out"
        # Under a sanitizer every option in every format at order 2, and
        # in one format (in turn) at orders 1 and 3.
        i=$((i + 1))
        for f in v1 v2 v3; do
            reduced && [ $order != 2 ] && [ v$(( (i + order) % 3 + 1 )) != $f ] && continue
            same_as "$order-grams $f $opts" "$WORK/ref.out" -p 2 -c 512K $opts "$WORK/o$order.$f"
        done
    done
done
check "--pos strip leaves some 2-grams" test "$(python3 "$REF" "$WORK/o2.v3" --pos strip | wc -l)" -gt 100

# --- v3 lines cut by tiny chunks, and longer than a chunk -----------------
# Long lines: many triples (the year filter takes some of each), at the very
# start, in the middle and at the end of a file, and exactly 1 MiB long
# (valid) or one byte more (malformed), built by the length of the ngram.
python3 - "$WORK/a.v3" "$WORK/long.v3" "$WORK/first-long.v3" <<'EOF'
import random, sys
rnd = random.Random(5)
# Whole lines only: a small NGC_E2E_SIZE leaves fewer than 4000, and the
# empty string after the last newline must not become a line in the middle.
src = open(sys.argv[1], "rb").read().split(b"\n")[:-1][:4000]
def triples(n):
    return b"\t".join(b"%d,%d,%d" % (1500 + i % 509, rnd.randrange(1, 10**12), rnd.randrange(1, 1000))
                      for i in range(n))
def exact(key, length):
    tail = b"\t1950,3,1"
    return key + b"x" * (length - len(key) - len(tail)) + tail
longs = [b"longone\t" + triples(20000), b"longtwo\t" + triples(3000), b"longone\t" + triples(700),
         exact(b"exactly-1MiB", 1 << 20), exact(b"one-byte-more", (1 << 20) + 1),
         exact(b"exactly-1MiB-with-cr", (1 << 20) - 1) + b"\r"]
out = src[:1000] + [longs[0]] + src[1000:2000] + longs[1:3] + src[2000:3000] + longs[3:] + src[3000:] + [longs[1]]
open(sys.argv[2], "wb").write(b"\n".join(out) + b"\n")
open(sys.argv[3], "wb").write(b"\n".join([longs[0]] + src[:200] + [longs[2]]))
EOF
python3 "$REF" "$WORK/long.v3" --malformed-out "$WORK/ref.malformed" > "$WORK/long.ref"
check "reference: only the line past 1 MiB is malformed" grep -qx 1 "$WORK/ref.malformed"
check "reference: the 1 MiB line counts" grep -q "^exactly-1MiBx*	3$" "$WORK/long.ref"
check "reference: the 1 MiB line with its CR counts" grep -q "^exactly-1MiB-with-crx*	3$" "$WORK/long.ref"
python3 "$REF" "$WORK/long.v3" --from-year 1700 --to-year 1710 > "$WORK/long-years.ref"
python3 "$REF" --format v3 "$WORK/first-long.v3" > "$WORK/first-long.ref"
# Every -p and -t (under a sanitizer two of them) at each chunk size.
PT6=("1 1" "1 2" "2 1" "2 2" "3 1" "3 2")
reduced && PT6=("1 1" "3 2")
for c in 4K 64K; do
    for pt in "${PT6[@]}"; do
        set -- $pt
        same_as "long v3 lines -c $c -p $1 -t $2" "$WORK/long.ref" -c $c -p $1 -t $2 "$WORK/long.v3"
    done
    same_as "long v3 lines, years, -c $c" "$WORK/long-years.ref" -c $c -p 3 --from-year 1700 --to-year 1710 "$WORK/long.v3"
    same_as "a v3 file opening with a long line -c $c" "$WORK/first-long.ref" -c $c -p 2 --format v3 "$WORK/first-long.v3"
done
"$NGC_BIN" --no-progress --stats=json -c 4K -p 3 "$WORK/long.v3" > /dev/null 2> "$WORK/stats.json"
check "long v3 lines: one malformed" json_is "$WORK/stats.json" "s['malformed_lines'] == 1"
head -c 2M "$WORK/a.v3" > "$WORK/cut.v3"
python3 "$REF" "$WORK/cut.v3" > "$WORK/ref.out"
for pt in "${PT6[@]}"; do
    set -- $pt
    same_as "generated v3 -c 4K -p $1 -t $2" "$WORK/ref.out" -c 4K -p $1 -t $2 "$WORK/cut.v3"
done
same_as "generated v3 -c 64K" "$WORK/a.ref" -c 64K -p 3 "$WORK/a.v3"

# --- Malformed v1 and v3 lines ----------------------------------------------
for f in v1 v3; do
    "$NGC_GEN" --seed 40 --size 4M --order 2 --format $f --malformed 60 -o "$WORK/bad.$f" 2> "$WORK/gen.err"
    "$NGC_GEN" --seed 40 --size 4M --order 2 --format v2 -o "$WORK/good.v2" 2>/dev/null
    python3 "$REF" "$WORK/bad.$f" --malformed-out "$WORK/ref.malformed" --stats-out "$WORK/ref.stats" > "$WORK/ref.out"
    check "reference: malformed $f still detected as $f" json_is "$WORK/ref.stats" "s['formats'][0][1] == '$f'"
    check "reference: malformed $f lines leave the totals" bash -c \
        "python3 '$REF' '$WORK/good.v2' | cmp -s - '$WORK/ref.out'"
    same_as "malformed $f" "$WORK/ref.out" -c 256K -p 3 "$WORK/bad.$f"
    "$NGC_BIN" --no-progress --stats=json -c 256K -p 3 "$WORK/bad.$f" > /dev/null 2> "$WORK/stats.json"
    check "malformed $f counted like the reference and the generator" python3 -c "
import json, re
s = json.load(open('$WORK/stats.json'))
gen = int(re.search(r'injected (\d+) malformed', open('$WORK/gen.err').read()).group(1))
ref = int(open('$WORK/ref.malformed').read())
assert s['malformed_lines'] == gen == ref == 60, (s['malformed_lines'], gen, ref)
"
done
# Hand-made: each line below is malformed except those marked ok.
printf '%s\n' \
    $'w\t1900,1,1\t1950,2,1' \
    $'w\t1900,1,1\t1950,2' \
    $'w\t1900,1,1\t' \
    $'w\t1900,1,1\t\t1950,1,1' \
    $'w\t1900,1,1,1' \
    $'w\t1900,,1' \
    $'w\t1900,1,-1' \
    $'w\t+1900,1,1' \
    $'w\t1900,1,1 ' \
    $'w\t0,1,1' \
    $'w\t10000,1,1' \
    $'w\t1900,18446744073709551616,1' \
    $'x\t1900,18446744073709551615,7\r' \
    $'\t1900,1,1' \
    $'w' \
    $'w\t1900\t1\t1' \
    $'y\t1901,0,0\t9999,5,5\t1,1,1' \
    > "$WORK/hand.v3"
printf '%s\n' \
    $'w\t1900\t1\t5\t1' \
    $'w\t1900\t1\tx\t1' \
    $'w\t1900\t1\t\t1' \
    $'w\t1900\t1\t5' \
    $'w\t1900\t1\t5\t1\t1' \
    $'w\t1900\t-1\t5\t1' \
    $'w\t0\t1\t5\t1' \
    $'w\t1900\t1\t5\t18446744073709551616' \
    $'z\t1900\t18446744073709551615\t5\t3\r' \
    $'\t1900\t1\t5\t1' \
    $'y\t9999\t4\t5\t2' \
    > "$WORK/hand.v1"
python3 "$REF" "$WORK/hand.v3" --count both --malformed-out "$WORK/ref.malformed" > "$WORK/ref.out"
check "reference: hand-made v3" bash -c "printf 'x\t18446744073709551615\t7\ny\t6\t6\nw\t3\t2\n' | cmp -s - '$WORK/ref.out' && grep -qx 14 '$WORK/ref.malformed'"
python3 "$REF" "$WORK/hand.v1" --count both --malformed-out "$WORK/ref.malformed" > "$WORK/ref.v1"
check "reference: hand-made v1" bash -c "printf 'z\t18446744073709551615\t3\ny\t4\t2\nw\t1\t1\n' | cmp -s - '$WORK/ref.v1' && grep -qx 8 '$WORK/ref.malformed'"
for c in 7 64 1M; do
    same_as "hand-made v3 -c $c" "$WORK/ref.out" --count both -c $c -p 3 "$WORK/hand.v3"
    same_as "hand-made v1 -c $c" "$WORK/ref.v1" --count both -c $c -p 3 "$WORK/hand.v1"
done
"$NGC_BIN" --no-progress --stats=json -c 16 -p 2 "$WORK/hand.v3" "$WORK/hand.v1" > /dev/null 2> "$WORK/stats.json"
check "hand-made v1 and v3: 22 malformed" json_is "$WORK/stats.json" "s['malformed_lines'] == 22"
python3 "$REF" "$WORK/hand.v3" --from-year 1950 --to-year 9999 --count both > "$WORK/ref.out"
check "reference: a v3 year filter per triple" bash -c "printf 'y\t5\t5\nw\t2\t1\n' | cmp -s - '$WORK/ref.out'"
same_as "hand-made v3, years per triple" "$WORK/ref.out" --count both --from-year 1950 "$WORK/hand.v3"

# --- --normalize -----------------------------------------------------------
"$NGC_GEN" --seed 50 --size 3M --format v2 --totals "$WORK/t.v2" -o "$WORK/n.v2" 2> "$WORK/gen.err" \
    || fail "ngram-gen --totals: $(cat "$WORK/gen.err")"
"$NGC_GEN" --seed 50 --size 3M --format v3 --totals "$WORK/t.v3" -o "$WORK/n.v3" 2>/dev/null
"$NGC_GEN" --seed 50 --size 3M --format v1 --totals "$WORK/t.v1" -o "$WORK/n.v1" 2>/dev/null
check "totals files: v2/v3 one line of 4-tuples, v1 a header and 4-field rows" python3 -c "
import re
for f in ('v2', 'v3'):
    b = open('$WORK/t.' + f, 'rb').read()
    assert b.startswith(b' \t') and b.endswith(b'\t'), f
    tuples = b[2:-1].split(b'\t')
    assert len(tuples) > 100 and all(re.fullmatch(rb'\d{4}(,\d+){3}', t) for t in tuples), f
rows = open('$WORK/t.v1', 'rb').read().split(b'\n')
assert rows[0].startswith(b'#') and rows[-1] == b''
assert len(rows) > 100 and all(re.fullmatch(rb'\d{4}(\t\d+){3}', r) for r in rows[1:-1])
"
# The 3-field tuples (year,match,volume) some tools write are read too.
tr '\t' '\n' < "$WORK/t.v2" | awk -F, 'NF == 4 { printf " %s,%s,%s\t", $1, $2, $4 }' > "$WORK/t.3f"
python3 "$REF" "$WORK/n.v3" --normalize "$WORK/t.v3" > "$WORK/ref.out"
same_as "--normalize 3-field tuples" "$WORK/ref.out" --normalize "$WORK/t.3f" "$WORK/n.v3"
# Under a sanitizer each option with one of the three totals files in turn
# (each file with two of them): turn K says whether file K's run is due.
i=0
turn() { ! reduced || [ $((i % 3)) = "$1" ]; }
for opts in "" "--count volume" "--count both" "--from-year 1900 --to-year 1950" \
            "--count both --from-year 1990 --min-count 100 --top 50" "--sort ngram --count both --fold-case"; do
    i=$((i + 1))
    python3 "$REF" "$WORK/n.v2" --normalize "$WORK/t.v2" $opts > "$WORK/ref.out"
    reduced || check "reference: --normalize $opts the same with v3 totals" bash -c \
        "python3 '$REF' '$WORK/n.v3' --normalize '$WORK/t.v3' $opts | cmp -s - '$WORK/ref.out'"
    turn 0 && same_as "--normalize v2 totals $opts" "$WORK/ref.out" -p 2 -c 512K --normalize "$WORK/t.v2" $opts "$WORK/n.v2"
    turn 1 && same_as "--normalize v3 totals $opts" "$WORK/ref.out" -p 2 -c 512K --normalize "$WORK/t.v3" $opts "$WORK/n.v3"
    turn 2 && same_as "--normalize v1 totals $opts" "$WORK/ref.out" --normalize "$WORK/t.v1" $opts "$WORK/n.v1"
done
# The spec's examples, by hand: 1/3 of 10^6, 5 per 10^8, 1/7 of 10^6, 0.
printf 'third\t2000\t1\t1\nfive\t2001\t5\t1\nseventh\t2002\t1\t1\nzero\t2003\t0\t0\nhalf\t2003\t2\t1\n' > "$WORK/ex.v2"
printf ' 2000,3,1,1\t2001,100000000,1,1\n2002,7,1,1\r\n2003,4,2,2 \n' > "$WORK/ex.totals"
python3 "$REF" --sort ngram --count both --from-year 2000 --to-year 2000 "$WORK/ex.v2" --normalize "$WORK/ex.totals" > "$WORK/ref.out"
check "reference: 1/3 of a million" grep -qx $'third\t333333.33333333333\t100' "$WORK/ref.out"
same_as "--normalize 1/3 of a million" "$WORK/ref.out" --sort ngram --count both --from-year 2000 --to-year 2000 --normalize "$WORK/ex.totals" "$WORK/ex.v2"
for y in "2001 five 0.05" "2002 seventh 142857.14285714286" "2003 zero 0" "2003 half 500000"; do
    set -- $y
    "$NGC_BIN" --no-progress --from-year $1 --to-year $1 --normalize "$WORK/ex.totals" "$WORK/ex.v2" > "$WORK/ngc.out" 2> "$WORK/ngc.err"
    check "--normalize prints $3 for $2" grep -qx "$2	$3" "$WORK/ngc.out"
done
"$NGC_BIN" --no-progress --count volume --from-year 2003 --to-year 2003 --normalize "$WORK/ex.totals" "$WORK/ex.v2" > "$WORK/ngc.out" 2>/dev/null
check "--normalize --count volume: percent of books" bash -c "printf 'half\t50\nzero\t0\n' | cmp -s - '$WORK/ngc.out'"
# Bad totals files: exit 1 naming the file.
printf '1900,1,1\t1901,2,2,2\n' > "$WORK/mixed.totals"
printf '1900,1,1 1901,2\n' > "$WORK/short.totals"
printf '1900,1,1,1,1\n' > "$WORK/five.totals"
printf '1900,1,1 19x1,2,2\n' > "$WORK/letters.totals"
printf '1900,-1,1\n' > "$WORK/negative.totals"
printf '1900;1;1\n' > "$WORK/semicolon.totals"
printf '1900,1,1\v1901,1,1\n' > "$WORK/vtab.totals"
for t in mixed short five letters negative semicolon vtab; do
    expect_exit "bad totals file: $t" 1 "$t\.totals" --normalize "$WORK/$t.totals" "$WORK/ex.v2"
done
expect_exit "missing totals file" 1 "nope\.totals" --normalize "$WORK/nope.totals" "$WORK/ex.v2"
expect_exit "zero denominator" 1 "." --from-year 2009 --normalize "$WORK/t.v2" "$WORK/n.v2"
: > "$WORK/empty.totals"
expect_exit "empty totals file" 1 "." --normalize "$WORK/empty.totals" "$WORK/ex.v2"
expect_exit "--normalize with --text" 2 "normalize" --text --normalize "$WORK/t.v2" "$WORK/prose.txt"
expect_exit "--normalize with --format text" 2 "normalize" --format text --normalize "$WORK/t.v2" "$WORK/prose.txt"
expect_exit "--normalize with --pg-mode append" 2 "would mix the totals" --pg "dbname=none" --pg-mode append --normalize "$WORK/t.v2" "$WORK/n.v2"

# --- --sort ngram -----------------------------------------------------------
# (Under a sanitizer in v3 only: the sort sees keys, not formats.)
for f in v1 v2 v3; do
    reduced && [ $f != v3 ] && continue
    python3 "$REF" --sort ngram "$WORK/o2.$f" --fold-case > "$WORK/ref.out"
    same_as "--sort ngram $f" "$WORK/ref.out" --sort ngram -p 3 -c 256K --fold-case "$WORK/o2.$f"
    "$NGC_BIN" --no-progress --fold-case "$WORK/o2.$f" | cut -f1 | LC_ALL=C sort > "$WORK/keys.sorted"
    check "--sort ngram $f: the keys in LC_ALL=C sort order" bash -c "cut -f1 '$WORK/ngc.out' | cmp -s - '$WORK/keys.sorted'"
    check "--sort ngram $f: the same lines as --sort count" bash -c \
        "'$NGC_BIN' --no-progress --fold-case --sort count '$WORK/o2.$f' | LC_ALL=C sort | cmp -s - <(LC_ALL=C sort '$WORK/ngc.out')"
done
python3 "$REF" --sort ngram "${MIX[@]}" --count both --min-count 50 > "$WORK/ref.out"
same_as "--sort ngram on the mix, --count both --min-count" "$WORK/ref.out" --sort ngram --count both --min-count 50 -p 2 "${MIX[@]}"
python3 "$REF" --sort count "$WORK/o1.v3" --top 30 > "$WORK/ref.out"
same_as "--sort count --top" "$WORK/ref.out" --sort count --top 30 "$WORK/o1.v3"
expect_exit "--top with --sort ngram" 2 "top" --top 10 --sort ngram "$WORK/o1.v3"
expect_exit "--sort nonsense" 2 "sort" --sort bytes "$WORK/o1.v3"
expect_exit "--format nonsense" 2 "format" --format v4 "$WORK/o1.v3"
finish
