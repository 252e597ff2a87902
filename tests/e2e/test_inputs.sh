#!/usr/bin/env bash
# Inputs as a user names them: process substitution, /dev/stdin, /dev/fd/N
# and FIFOs (streamed by one task); a file of which no line could be read is
# an error naming it.
# ctest: cost=40
. "$(dirname "$0")/lib.sh"

"$NGC_GEN" --seed 13 --size 300K -o "$WORK/a.tsv"
"$NGC_GEN" --seed 14 --size 200K --format v1 -o "$WORK/b.v1"
python3 "$REF" "$WORK/a.tsv" > "$WORK/ref"
python3 "$REF" --top 2 "$WORK/a.tsv" > "$WORK/ref.top"
gzip -c "$WORK/a.tsv" > "$WORK/a.gz"

# --- Pipes and descriptors -------------------------------------------------
export SAME_AS_LIMIT=60
same_as "--top 2 <(gzip -c)" "$WORK/ref.top" --top 2 <(gzip -c "$WORK/a.tsv")
same_as "/dev/stdin, a regular file" "$WORK/ref" -c 64K /dev/stdin < "$WORK/a.tsv"
# (test_pipes covers more: /dev/fd/N, pipes named twice, FIFO timing.)
mkfifo "$WORK/fifo"
gzip -dc "$WORK/a.gz" > "$WORK/fifo" &
same_as "named FIFO" "$WORK/ref" -c 64K -p 2 "$WORK/fifo"
wait
unset SAME_AS_LIMIT

# --- No line read -----------------------------------------------------------
(cd "$WORK" && zip -q a.csv.zip a.tsv)
expect_exit "--format v1 on a zip" 1 "^ngram-count: $WORK/a.csv.zip: no line could be read as v1\$" \
    --format v1 -o "$WORK/out.tsv" "$WORK/a.csv.zip"
check "--format v1 on a zip: nothing written" test ! -e "$WORK/out.tsv"
check "--format v1 on a zip: one line of message" test "$(wc -l < "$WORK/ngc.err")" -eq 1
check "--format v1 on a zip: no temporary left" test -z "$(ls -A "$WORK" | grep -v -e '^a\.' -e '^b\.' -e '^ref' -e '^ngc\.' -e '^fifo$')"
expect_exit "--format v2 on v1, split in tasks" 1 "$WORK/b.v1: no line could be read as v2" \
    --format v2 -c 64K -p 2 "$WORK/b.v1"
expect_exit "one good file, one unreadable" 1 "$WORK/b.v1: no line could be read as v3" \
    --format v3 "$WORK/b.v1" <(awk -F'\t' '{print $1 "\t" $2 "," $3 "," $4}' "$WORK/a.tsv")
expect_exit "standard input, no line read" 1 "standard input: no line could be read as v1" \
    --format v1 - < "$WORK/a.tsv"
printf 'not\tan ngram line\n' > "$WORK/one.bad"
expect_exit "auto format, one bad line only" 1 "one.bad: cannot tell the format" "$WORK/one.bad"
# Some lines read: still a count, with a warning.
{ printf 'garbage\n'; head -n 20 "$WORK/a.tsv"; } > "$WORK/some.bad"
python3 "$REF" "$WORK/some.bad" > "$WORK/ref.some" 2>/dev/null
same_as "some lines malformed: exit 0" "$WORK/ref.some" "$WORK/some.bad"
: > "$WORK/empty.tsv"
same_as "an empty file is fine" /dev/null "$WORK/empty.tsv"

# --- Compressed inputs, told by content ------------------------------------
# zip (every member in order), bzip2, xz and zstd: each format in each
# container counts exactly what the plain file does, whatever its name.
"$NGC_GEN" --seed 16 --size 120K --format v1 -o "$WORK/c.v1"
"$NGC_GEN" --seed 16 --size 120K --format v2 -o "$WORK/c.v2"
"$NGC_GEN" --seed 16 --size 120K --format v3 -o "$WORK/c.v3"
"$NGC_GEN" --seed 16 --size 120K --format text -o "$WORK/c.text"
pack() { # CONTAINER IN OUT
    case $1 in
    zip) (cd "$(dirname "$2")" && zip -q - "$(basename "$2")") > "$3" ;;
    *) "$1" -c < "$2" > "$3" ;;
    esac
}
fmts="v1 v2 v3 text"
reduced && fmts="v2 text" # under a sanitizer, one Google layout and text
for fmt in $fmts; do
    opt=(); [ $fmt = text ] && opt=(--text)
    "$NGC_BIN" --no-progress "${opt[@]}" "$WORK/c.$fmt" > "$WORK/c.$fmt.ref"
    python3 "$REF" "${opt[@]}" "$WORK/c.$fmt" | cmp -s - "$WORK/c.$fmt.ref" \
        || fail "$fmt: the plain file's count differs from the reference"
    for z in zip bzip2 xz zstd; do
        pack $z "$WORK/c.$fmt" "$WORK/c.$fmt.$z.data"
        same_as "$fmt in $z" "$WORK/c.$fmt.ref" "${opt[@]}" -p 2 "$WORK/c.$fmt.$z.data"
    done
done
same_as "xz on standard input" "$WORK/c.v2.ref" - < "$WORK/c.v2.xz.data"
same_as "zstd through <(cat)" "$WORK/c.v2.ref" <(cat "$WORK/c.v2.zstd.data")
python3 "$REF" "$WORK/c.v2" "$WORK/c.v2" "$WORK/c.v2" > "$WORK/c.mix.ref"
same_as "three containers in one run" "$WORK/c.mix.ref" -p 2 -t 2 "$WORK/c.v2.zip.data" \
    "$WORK/c.v2.bzip2.data" "$WORK/c.v2.zstd.data"
# Several zip members (as 'zip a.zip part.*'), concatenated streams (pbzip2,
# xz and zstd frames one after another), and members without a final newline.
mkdir "$WORK/parts"
split -l 800 "$WORK/c.v2" "$WORK/parts/p."
(cd "$WORK/parts" && zip -q ../multi.zip p.*)
same_as "zip of $(ls "$WORK/parts" | wc -l) members" "$WORK/c.v2.ref" "$WORK/multi.zip"
for z in bzip2 xz zstd; do
    for p in "$WORK"/parts/p.*; do "$z" -c < "$p"; done > "$WORK/multi.$z"
    same_as "$z: streams one after another" "$WORK/c.v2.ref" "$WORK/multi.$z"
done
for p in "$WORK"/parts/p.*; do printf '%s' "$(cat "$p")" > "$p.nonl"; done
(cd "$WORK/parts" && zip -q ../nonl.zip p.*.nonl)
same_as "zip members without a final newline" "$WORK/c.v2.ref" "$WORK/nonl.zip"
for z in zip bzip2 xz zstd; do
    : > "$WORK/empty"
    pack $z "$WORK/empty" "$WORK/empty.$z"
    same_as "an empty file in $z" /dev/null "$WORK/empty.$z"
done
# Damaged: exit 1 naming the file, nothing written.
for z in zip bzip2 xz zstd; do
    f=$WORK/c.v2.$z.data
    size=$(stat -c %s "$f")
    head -c $((size / 2)) "$f" > "$WORK/cut.$z"
    expect_exit "$z cut in half" 1 "^ngram-count: $WORK/cut.$z: corrupt $z data: " \
        -o "$WORK/out.$z" "$WORK/cut.$z"
    check "$z cut in half: nothing written" test ! -e "$WORK/out.$z"
    cp "$f" "$WORK/bad.$z"
    printf 'damaged!damaged!' | dd of="$WORK/bad.$z" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
    expect_exit "$z damaged" 1 "^ngram-count: $WORK/bad.$z: corrupt $z data: " "$WORK/bad.$z"
done
second=$(python3 -c "import zipfile, sys; print(zipfile.ZipFile(sys.argv[1]).infolist()[1].header_offset)" "$WORK/multi.zip")
head -c "$second" "$WORK/multi.zip" > "$WORK/first-member.zip"
expect_exit "zip cut between members" 1 "first-member.zip: corrupt zip data: it ends early" \
    "$WORK/first-member.zip"

# --- Totals files: ngram-gen writes Google's shapes --------------------------
# v2: the 2012 file, v3: the 2020 file (one line, " TAB" first, each
# year,match,pages,volume tuple ended by a TAB, no newline); v1: the 2009
# file ('#' line, then TAB rows). The real files are read in place.
DATA=${NGC_REAL_NGRAMS:-$HERE/../../../shared/real-ngrams}
shape() { # FILE: a one-word description of a totals file's framing
    python3 - "$1" <<'PY'
import re, sys
b = open(sys.argv[1], "rb").read()
if b.startswith(b"#"):
    rows = b.split(b"\n")[1:]
    ok = rows[-1] == b"" and all(re.fullmatch(rb"\d{4}(\t\d+){3}", r) for r in rows[:-1])
    print("2009" if ok else "bad")
else:
    t = b.split(b"\t")
    ok = t[0] == b" " and t[-1] == b"" and all(re.fullmatch(rb"\d{4}(,\d+){3}", x) for x in t[1:-1])
    print("2012/2020" if ok else "bad")
PY
}
for y in 2009 2012 2020; do
    check "real totalcounts-$y has the shape tested here" \
        test "$(shape "$DATA/totalcounts-$y.txt")" = "$([ $y = 2009 ] && echo 2009 || echo 2012/2020)"
done
for f in v1 v2 v3; do
    "$NGC_GEN" --seed 15 --size 200K --format $f --totals "$WORK/t.$f" -o "$WORK/d.$f"
    check "ngram-gen --format $f --totals: Google's shape" \
        test "$(shape "$WORK/t.$f")" = "$([ $f = v1 ] && echo 2009 || echo 2012/2020)"
    python3 "$REF" --normalize "$WORK/t.$f" "$WORK/d.$f" > "$WORK/ref.norm"
    same_as "--normalize with ngram-gen's $f totals" "$WORK/ref.norm" --normalize "$WORK/t.$f" "$WORK/d.$f"
done
# ngram-gen writes a FIFO in place (its rename replaced /dev/null once).
mkfifo "$WORK/gen.fifo"
cat "$WORK/gen.fifo" > "$WORK/gen.out" &
catpid=$!
"$NGC_GEN" --seed 15 --size 200K --format v3 --totals "$WORK/gen.fifo" -o "$WORK/d3.copy"
[ -p "$WORK/gen.fifo" ] || kill "$catpid" # replaced: cat would wait for ever
wait "$catpid"
check "ngram-gen --totals FIFO: written in place" test -p "$WORK/gen.fifo"
check "ngram-gen --totals FIFO: the same bytes" cmp -s "$WORK/gen.out" "$WORK/t.v3"
check "v2 and v3 totals of one data set are the same bytes" cmp -s "$WORK/t.v2" "$WORK/t.v3"
check "v1 totals rows are the v2 tuples" cmp -s <(sed 1d "$WORK/t.v1") \
    <(tr '\t' '\n' < "$WORK/t.v2" | sed -e '1d' -e '/^$/d' | tr ',' '\t')
for y in 2009 2012 2020; do
    python3 "$REF" --normalize "$DATA/totalcounts-$y.txt" --from-year 1800 --to-year 2000 \
        "$WORK/d.v2" > "$WORK/ref.norm"
    same_as "--normalize real totalcounts-$y" "$WORK/ref.norm" \
        --normalize "$DATA/totalcounts-$y.txt" --from-year 1800 --to-year 2000 "$WORK/d.v2"
done

finish
