#!/usr/bin/env bash
# Common mistakes and their exact messages and exit statuses: the GNU shape
# "ngram-count: FILE: reason" where a file is concerned, what to do where it
# is not obvious, suggestions for a mistyped long option, no timestamps
# without -v, and one plain line for a worker that died and was retried.
# ctest: labels=quick cost=10
. "$(dirname "$0")/lib.sh"
SRC=$(cd "$HERE/../.." && pwd)
G=$WORK/good.tsv
cp "$SRC/datasets/sample-1gram.tsv" "$G"
head -c 3000 "$G" | gzip -c > "$WORK/full.gz"
head -c 30 "$WORK/full.gz" > "$WORK/trunc.gz"
mkdir "$WORK/dir"
printf 'junk\n' > "$WORK/totals"
U="Try 'ngram-count --help' for more information."

# exact NAME CODE EXPECTED ARGS...: stderr is EXPECTED exactly (lines
# joined by \n), the exit status CODE.
exact() {
    local name=$1 code=$2 want=$3 rc=0
    shift 3
    "$NGC_BIN" --no-progress "$@" > /dev/null 2> "$WORK/err" || rc=$?
    local got
    got=$(cat "$WORK/err")
    if [ "$rc" -ne "$code" ]; then
        fail "$name: exit $rc, expected $code: $got"
    elif [ "$got" != "$(printf '%b' "$want")" ]; then
        fail "$name: stderr is
$got
expected
$(printf '%b' "$want")"
    else
        pass
    fi
}

usage="\nusage: ngram-count [options] FILE...\n$U"
exact "mistyped --top" 2 "ngram-count: unknown option '--tpo'; did you mean '--top'?$usage" --tpo 5 "$G"
exact "mistyped --memory" 2 "ngram-count: unknown option '--memroy'; did you mean '--memory'?$usage" --memroy 1G "$G"
exact "mistyped --stats=json" 2 "ngram-count: unknown option '--stast'; did you mean '--stats'?$usage" --stast=json "$G"
exact "ambiguous --to" 2 "ngram-count: option '--to' is ambiguous; possibilities: '--to-year' '--top' '--tokenize'$usage" --to 5 "$G"
exact "nothing close" 2 "ngram-count: unknown option '--xyzzy'$usage" --xyzzy "$G"
exact "short option" 2 "ngram-count: unknown option '-x'$usage" -x "$G"
exact "no input" 2 "ngram-count: no input files$usage"
exact "bad --pos" 2 "ngram-count: invalid value 'tags' for --pos: expected keep, drop or strip$usage" --pos tags "$G"
exact "bad --memory %" 2 "ngram-count: invalid value '150%' for --memory: a percentage must be 1% to 100%$usage" --memory 150% "$G"
exact "missing file" 1 "ngram-count: $WORK/nope.tsv: cannot open: No such file or directory" "$WORK/nope.tsv"
exact "a directory" 1 "ngram-count: $WORK/dir: is a directory: name the files in it ($WORK/dir/*)" "$WORK/dir"
exact "truncated gzip" 1 "ngram-count: $WORK/trunc.gz: truncated gzip data: the file is incomplete (fetch it again; gzip -t checks a file)" "$WORK/trunc.gz"
exact "-o in a missing directory" 1 "ngram-count: $WORK/no/out.tsv: cannot create: No such file or directory" -o "$WORK/no/out.tsv" "$G"
exact "-o the input" 1 "ngram-count: $G: cannot write: it is the input '$G'; choose another -o" -o "$G" "$G"
exact "--normalize not a totals file" 1 "ngram-count: $WORK/totals: tuple 1 ('junk') is not year,match,pages,volume or year,match,volume like the others: is it Google's totalcounts file? (--normalize)" --normalize "$WORK/totals" "$G"
exact "--normalize missing" 1 "ngram-count: $WORK/nototals: cannot open (--normalize): No such file or directory" --normalize "$WORK/nototals" "$G"
if [ "$(id -u)" -ne 0 ]; then
    chmod 000 "$WORK/dir"
    exact "unreadable" 1 "ngram-count: $WORK/dir: cannot open: Permission denied (check the permissions of the file and its directory)" "$WORK/dir"
    chmod 755 "$WORK/dir"
fi

# No timestamps without -v; with -v, the engine's steps with them.
"$NGC_BIN" --no-progress "$WORK/nope.tsv" 2> "$WORK/err" > /dev/null
check "no timestamp without -v" sh -c "! grep -qE '^[0-9]{2}:[0-9]{2}:[0-9]{2}' '$WORK/err'"
"$NGC_BIN" --no-progress -v "$G" 2> "$WORK/err" > /dev/null
check "-v: timestamped steps" grep -qE '^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} coord\[[0-9]+\] INFO planned' "$WORK/err"

# A worker death: one plain line, the run succeeds.
"$NGC_GEN" --seed 5 --size 1M -o "$WORK/in.tsv" 2> /dev/null
"$NGC_BIN" --no-progress -c 64K "$WORK/in.tsv" > "$WORK/clean"
rc=0
NGC_FAILPOINTS=worker.crash_in_map@task=2 "$NGC_BIN" --no-progress -p 2 -t 1 -c 64K "$WORK/in.tsv" \
    > "$WORK/fp.out" 2> "$WORK/err" || rc=$?
check "worker death: exit 0, same output" sh -c "[ $rc -eq 0 ] && cmp -s '$WORK/clean' '$WORK/fp.out'"
check "worker death: one line ($(cat "$WORK/err"))" test "$(wc -l < "$WORK/err")" -eq 1
check "worker death: says it was retried" grep -qE '^ngram-count: worker [0-9] died, killed by signal 9 \(Killed\); its 1 task was retried \(-v tells more\)$' "$WORK/err"
NGC_FAILPOINTS=worker.crash_in_map@task=2 "$NGC_BIN" --no-progress -v -p 2 -t 1 -c 64K "$WORK/in.tsv" \
    > /dev/null 2> "$WORK/err"
check "worker death -v: the task's line" grep -qE 'WARN worker [0-9] \(pid [0-9]+\) died, killed by signal 9 \(Killed\); retrying task 2 ' "$WORK/err"
# The optional libraries are opened when a run needs them: one that cannot
# be loaded stops that run with what needs it and why, exit 1, no output.
missing_lib() { # missing_lib SONAME-GLOB FEATURE-WORDS ARGS...
    local glob=$1 words=$2 soname
    shift 2
    soname=$(grep -aoE "$glob" "$NGC_BIN" | head -1)
    [ -n "$soname" ] || return 0 # a build without it
    NGC_TEST_MISSING_LIB=$soname expect_exit "without $soname" 1 \
        "^ngram-count: (.*: )?$words needs $soname, which cannot be loaded: removed by NGC_TEST_MISSING_LIB$" \
        -o "$WORK/missing.out" "$@"
    check "without $soname: no output" test ! -e "$WORK/missing.out"
}
bzip2 -c "$G" > "$WORK/good.bz2"
missing_lib 'libarchive\.so\.[0-9]+' "cannot read bzip2 data: reading zip, bzip2, xz or zstd" "$WORK/good.bz2"
missing_lib 'libcurl\.so\.[0-9]+' "cannot fetch: reading http\(s\) URLs" http://127.0.0.1:9/x.tsv
missing_lib 'libpq\.so\.[0-9]+' "PostgreSQL \(--pg, --lookup, --pg-jobs\)" --pg "postgresql:///x?host=$WORK" "$G"
missing_lib 'libcairo\.so\.[0-9]+' "--plot FILE\.png" --by-year --select the --plot "$WORK/p.png" "$G"
check "without cairo: no chart" test ! -e "$WORK/p.png"
finish
