#!/usr/bin/env bash
# tools/slurm-count on a real one-node Slurm (started here, stopped by pid):
# map, reduce and final job arrays through a job directory give exactly one
# ngram-count run's output; a cancelled map task and a reduce killed
# mid-merge are redone by --resume, and nothing else is.
# ctest: cost=40 cpu=0
. "$(dirname "$0")/lib.sh"
. "$HERE/slurm-server.sh"
trap 'slurm_cleanup; rm -rf "$WORK"' EXIT
. "$HERE/pg-server.sh"
trap 'slurm_cleanup; pg_cleanup; rm -rf "$WORK"' EXIT
DRIVER=$HERE/../../tools/slurm-count
export NGRAM_COUNT=$NGC_BIN

[ "$(id -u)" -eq 0 ] || fail "this test starts Slurm with SlurmUser=root: run it as root"
slurm_start || { fail "a local Slurm starts"; finish; exit; }
pass

"$NGC_GEN" --seed 61 --size 2M -o "$WORK/a.tsv" 2>/dev/null
"$NGC_GEN" --seed 62 --size 1M --format v3 -o "$WORK/b.v3" 2>/dev/null
"$NGC_GEN" --seed 63 --size 1M --order 2 -o "$WORK/c.gz" 2>/dev/null
"$NGC_GEN" --seed 64 --size 1M -o "$WORK/d.tsv" 2>/dev/null
FILES=("$WORK/a.tsv" "$WORK/b.v3" "$WORK/c.gz" "$WORK/d.tsv")

# jobs_key JOB KEY: what jobs.json of the last submission says (or "none").
jobs_key() {
    python3 -c 'import json, sys; print(json.load(open(sys.argv[1])).get(sys.argv[2], "none"))' \
        "$WORK/$1/jobs.json" "$2"
}

# exact NAME OUT: OUT equals the one run (else the first differences).
exact() {
    if cmp -s "$WORK/one.out" "$2"; then
        pass
    else
        fail "$1 ($(wc -l < "$2") vs $(wc -l < "$WORK/one.out") lines)"
        diff "$WORK/one.out" "$2" | head -5 >&2
    fi
}

# no_partials JOB: nothing half-written is left in the job directory.
no_partials() {
    [ -z "$(find "$WORK/$1" -name '*.partial*' -print -quit)" ]
}

# start NAME [options]: a job of 3 maps and 2 reduces, its driver in the
# background (jobs run side by side: the scheduler's pace, not the work,
# takes the time); reference NAME then writes the one run it must equal.
declare -A DRIVERS OPTIONS
start() {
    local name=$1
    shift
    OPTIONS[$name]="$*"
    python3 "$DRIVER" --job-dir "$WORK/$name" --maps 3 --reduces 2 --poll 0.3 \
        --sbatch-args --time=10 "$@" \
        -o "$WORK/$name.out" "${FILES[@]}" 2> "$WORK/$name.err" &
    DRIVERS[$name]=$!
}

reference() {
    # shellcheck disable=SC2086 # the options are words without spaces
    "$NGC_BIN" --no-progress ${OPTIONS[$1]} "${FILES[@]}" > "$WORK/$1.one" 2>/dev/null
}

# judge NAME: the driver exits 0 and -o equals the one run.
judge() {
    local name=$1 rc=0
    wait "${DRIVERS[$name]}" || rc=$?
    if [ "$rc" -ne 0 ]; then
        fail "$name: slurm-count exited $rc: $(tail -c 600 "$WORK/$name.err")"
    elif ! cmp -s "$WORK/$name.one" "$WORK/$name.out"; then
        fail "$name: output differs from one run ($(wc -l < "$WORK/$name.out") vs $(wc -l < "$WORK/$name.one") lines)"
    else
        pass
    fi
}

# scancel of one map task while it runs: its input is a FIFO with no writer
# yet, so it is surely running and surely unfinished when cancelled. The
# job fails, that map leaves nothing, and --resume (the FIFO's name now a
# copy of d.tsv) submits only it, the reduces and the final step.
mkfifo "$WORK/fifo"
python3 "$DRIVER" --job-dir "$WORK/k1" --maps 4 --reduces 2 --poll 0.3 \
    -o "$WORK/k1.out" "$WORK/a.tsv" "$WORK/b.v3" "$WORK/c.gz" "$WORK/fifo" 2> "$WORK/k1.err" &
k1=$!
# A reduce killed in the middle of its merge (failpoint): only that reduce
# and the final step rerun; its half-written file is never read.
NGC_FAILPOINTS=reduce.crash_in_merge@task=1 python3 "$DRIVER" --job-dir "$WORK/k2" --maps 3 \
    --reduces 3 --poll 0.3 -o "$WORK/k2.out" "${FILES[@]}" 2> "$WORK/k2.err" &
k2=$!
# URLs among the inputs: the maps stream them (a loopback server started
# here), as one run reads the same files.
mkdir -p "$WORK/www"
cp "$WORK/a.tsv" "$WORK/c.gz" "$WORK/www/"
python3 "$HERE/http-server.py" "$WORK/www" "$WORK/port" "$WORK/http.log" 7 &
HTTP=$!
trap 'kill "$HTTP" 2>/dev/null; slurm_cleanup; pg_cleanup; rm -rf "$WORK"' EXIT
for _ in $(seq 200); do [ -s "$WORK/port" ] && break; sleep 0.05; done
U=http://127.0.0.1:$(cat "$WORK/port" 2>/dev/null)
python3 "$DRIVER" --job-dir "$WORK/urljob" --maps 3 --reduces 2 --poll 0.3 -o "$WORK/urljob.out" \
    "$U/ok/a.tsv" "$WORK/b.v3" "$U/cut/c.gz" "$WORK/d.tsv" 2> "$WORK/urljob.err" &
urljob=$!
# The final step loads PostgreSQL instead of writing -o.
python3 "$DRIVER" --job-dir "$WORK/pgjob" --maps 3 --reduces 2 --poll 0.3 --count both \
    --pg "$DSN" --pg-table slurm_pg "${FILES[@]}" 2> "$WORK/pgjob.err" &
pgjob=$!
# Under a sanitizer three of the six: the orders and filters are the final
# step's own code, which the release build checks here whole.
OPTION_JOBS=(count count_both by_year)
start count
start count_both --count both
start by_year --by-year
if ! reduced; then
    OPTION_JOBS+=(sort_ngram top min_count)
    start sort_ngram --sort ngram
    start top --top 50
    start min_count --min-count 20
fi
for _ in $(seq 300); do [ -s "$WORK/k1/jobs.json" ] && break; sleep 0.1; done
mapjob=$(jobs_key k1 map)
fifomap=$(python3 -c 'import json, sys
print([i for i, f in enumerate(json.load(open(sys.argv[1]))["inputs"]) if sys.argv[2] in f][0])' \
    "$WORK/k1/job.json" "$WORK/fifo")
for _ in $(seq 600); do
    scontrol -o show job "$mapjob" | grep -q "ArrayTaskId=$fifomap .*JobState=RUNNING" && break
    sleep 0.1
done
scancel "${mapjob}_$fifomap"

# The one runs, while the jobs wait for the scheduler.
for name in "${OPTION_JOBS[@]}"; do
    reference "$name"
done
"$NGC_BIN" --no-progress "${FILES[@]}" > "$WORK/one.out" 2> "$WORK/one.err"
check "one run exits 0: $(head -c 300 "$WORK/one.err")" test $? -eq 0
"$NGC_BIN" --no-progress --count both "${FILES[@]}" > "$WORK/pgjob.one" 2>/dev/null

# The engine's steps by hand, while the jobs above wait for the scheduler:
# a map and a final step that spill (more keys than --memory) stay exact; a
# step whose output is there does nothing; a killed map's partial directory
# is cleared by its rerun; a reduce total past 2^64-1 fails; usage errors.
"$NGC_GEN" --seed 65 --order 2 --vocab 400K --size 10M -o "$WORK/wide.tsv" 2>/dev/null
H=$WORK/hand
mkdir -p "$H/maps" "$H/totals" "$H/maps/.m1.partial.1.AAAAAA"
echo junk > "$H/maps/.m1.partial.1.AAAAAA/part-00000"
"$NGC_BIN" --no-progress --count both --memory 16M --stats=json --partitions 2 \
    --partition-dir "$H/maps/m0" "$WORK/wide.tsv" 2> "$H/m0.json"
check "a spilling map exits 0" test $? -eq 0
check "a spilling map did spill" grep -q '"spilled_runs":[1-9]' "$H/m0.json"
"$NGC_BIN" --no-progress --count both --partitions 2 --partition-dir "$H/maps/m1" "${FILES[@]}"
check "a map after a killed attempt exits 0" test $? -eq 0
check "a map clears a killed attempt's directory" test ! -e "$H/maps/.m1.partial.1.AAAAAA"
touch -d @1000000000 "$H/maps/m1"
"$NGC_BIN" --no-progress --count both --partitions 2 --partition-dir "$H/maps/m1" "${FILES[@]}" \
    2> "$H/again.err"
check "a map rerun exits 0" test $? -eq 0
check "a map rerun says it is complete" grep -q "already complete" "$H/again.err"
check "a map rerun leaves its output alone" test "$(stat -c %Y "$H/maps/m1")" = 1000000000
for r in 0 1; do
    "$NGC_BIN" --no-progress --count both --merge-partitions "$H/maps" --partition $r \
        -o "$H/totals/r$r" || fail "reduce $r"
done
expect_exit "a reduce rerun does nothing" 0 "already complete" --count both \
    --merge-partitions "$H/maps" --partition 0 -o "$H/totals/r0"
"$NGC_BIN" --no-progress --count both "$WORK/wide.tsv" "${FILES[@]}" > "$H/one.out"
same_as "a spilling final step" "$H/one.out" --count both --memory 16M --tmp-dir "$WORK" \
    --merge-totals "$H/totals"
check "no partial files by hand" no_partials hand
# A series with its chart: the final step names the job's files in the
# title, as one run does.
S=(--by-year --select "$(head -1 "$WORK/a.tsv" | cut -f1),$(sed -n 700p "$WORK/a.tsv" | cut -f1)"
   --smoothing 2)
mkdir -p "$WORK/ser/maps" "$WORK/ser/totals"
"$NGC_BIN" --no-progress "${S[@]}" --partitions 2 --partition-dir "$WORK/ser/maps/a" "$WORK/a.tsv" &&
    "$NGC_BIN" --no-progress "${S[@]}" --partitions 2 --partition-dir "$WORK/ser/maps/b" \
        "$WORK/b.v3" 2>/dev/null &&
    for r in 0 1; do
        "$NGC_BIN" --no-progress "${S[@]}" --merge-partitions "$WORK/ser/maps" --partition $r \
            -o "$WORK/ser/totals/r$r" || false
    done || fail "series steps"
"$NGC_BIN" --no-progress "${S[@]}" --plot "$WORK/one.svg" "$WORK/a.tsv" "$WORK/b.v3" \
    > "$WORK/ser/one.out"
same_as "a series from the totals" "$WORK/ser/one.out" "${S[@]}" --plot "$WORK/ser.svg" \
    --merge-totals "$WORK/ser/totals" "$WORK/a.tsv" "$WORK/b.v3"
check "its chart is the one run's" cmp -s "$WORK/one.svg" "$WORK/ser.svg"
check "the series is not empty" test "$(wc -l < "$WORK/ser/one.out")" -gt 100
printf 'big\t2000\t18446744073709551615\t1\n' > "$WORK/big1.tsv"
printf 'big\t2001\t1\t1\n' > "$WORK/big2.tsv"
mkdir -p "$WORK/ovf/maps"
"$NGC_BIN" --no-progress --partitions 1 --partition-dir "$WORK/ovf/maps/a" "$WORK/big1.tsv" &&
    "$NGC_BIN" --no-progress --partitions 1 --partition-dir "$WORK/ovf/maps/b" "$WORK/big2.tsv" ||
    fail "overflow maps"
expect_exit "a reduce total past 2^64-1 fails" 1 "the total of 'big' passes 2\^64-1" \
    --merge-partitions "$WORK/ovf/maps" --partition 0 -o "$WORK/ovf/r0"
check "a failed reduce leaves nothing" test -z "$(ls -A "$WORK/ovf" | grep -v maps)"
expect_exit "--partitions needs --partition-dir" 2 "go together" --partitions 2 "$WORK/a.tsv"
expect_exit "a map takes no -o" 2 "-o does not apply" --partitions 2 --partition-dir "$WORK/x" \
    -o "$WORK/y" "$WORK/a.tsv"
expect_exit "a reduce needs -o" 2 "needs -o" --merge-partitions "$H/maps" --partition 0
expect_exit "one step at a time" 2 "give one" --merge-totals "$H/totals" --partitions 2 \
    --partition-dir "$WORK/x" "$WORK/a.tsv"
expect_exit "a reduce takes no files" 2 "no input files" --merge-partitions "$H/maps" \
    --partition 0 -o "$WORK/r" "$WORK/a.tsv"
mkdir "$WORK/empty"
expect_exit "an empty totals directory" 1 "holds no total files" --merge-totals "$WORK/empty"

for name in "${OPTION_JOBS[@]}"; do
    judge "$name"
done
check "progress per stage" grep -q 'map 3/3, reduce 2/2, final 1/1' "$WORK/count.err"
check "--sbatch-args reach sbatch" grep -q 'TimeLimit=00:10:00' <(scontrol -o show job "$(jobs_key count final)")
check "3 map directories of 2 partitions" test "$(ls "$WORK"/count/maps/*/part-* | wc -l)" -eq 6
check "a result" test -s "$WORK/count.out"

rc=0
wait "$k1" || rc=$?
check "a cancelled map fails the job (exit $rc)" test "$rc" -eq 1
check "a cancelled map: no result" test ! -e "$WORK/k1.out"
check "a cancelled map: its partitions absent" test ! -e "$WORK/k1/maps/m0000$fifomap"
check "a cancelled map: the other maps complete" test "$(ls -d "$WORK"/k1/maps/m* | wc -l)" -eq 3
rc=0
wait "$k2" || rc=$?
check "a killed reduce fails the job (exit $rc)" test "$rc" -eq 1
check "a killed reduce: no result" test ! -e "$WORK/k2.out"
check "a killed reduce: its total absent" test ! -e "$WORK/k2/totals/r00001"
check "a killed reduce: the other totals complete" test -e "$WORK/k2/totals/r00002"
check "a killed reduce left its partial file" test -n "$(compgen -G "$WORK/k2/totals/.r00001.partial.*")"

# The FIFO becomes a plain file of d.tsv: a cancelled copy that would still
# wait on the FIFO can read nothing of it.
rm "$WORK/fifo" && cp "$WORK/d.tsv" "$WORK/fifo"
# --no-wait returns with the three job ids; a --resume then waits for that
# submission instead of submitting again (side by side with the resumes).
# The jobs are held until the resume says it waits, so they surely run then.
python3 "$DRIVER" --job-dir "$WORK/nw" --maps 2 --reduces 2 --no-wait --sbatch-args=--hold \
    -o "$WORK/nw.out" "${FILES[@]}" > "$WORK/nw.ids" 2>/dev/null
check "--no-wait exits 0" test $? -eq 0
check "--no-wait prints three job ids" grep -qE '^[0-9]+ [0-9]+ [0-9]+$' "$WORK/nw.ids"
nw_before=$(cat "$WORK/nw/jobs.json")
python3 "$DRIVER" --job-dir "$WORK/nw" --resume --poll 0.3 2> "$WORK/nw.err" &
nw=$!
for _ in $(seq 300); do grep -q 'still running: waiting' "$WORK/nw.err" && break; sleep 0.1; done
scontrol release "$(tr ' ' ',' < "$WORK/nw.ids")"
python3 "$DRIVER" --job-dir "$WORK/k1" --resume --poll 0.3 2> "$WORK/k1r.err" &
k1=$!
python3 "$DRIVER" --job-dir "$WORK/k2" --resume --poll 0.3 2> "$WORK/k2r.err" &
k2=$!
rc=0
wait "$k1" || rc=$?
check "resume after a cancelled map exits 0 ($rc)" test "$rc" -eq 0
exact "resume after a cancelled map: exact" "$WORK/k1.out"
check "resume reran only the cancelled map" test "$(jobs_key k1 map_tasks)" = 1
check "resume reran the reduces" test "$(jobs_key k1 reduce_tasks)" = 2
check "no partial files after a cancelled map" no_partials k1
rc=0
wait "$k2" || rc=$?
check "resume after a killed reduce exits 0 ($rc)" test "$rc" -eq 0
exact "resume after a killed reduce: exact" "$WORK/k2.out"
check "resume reran no map" test "$(jobs_key k2 map)" = none
check "resume reran only the killed reduce" test "$(jobs_key k2 reduce_tasks)" = 1
check "no partial files after a killed reduce" no_partials k2

rc=0
wait "$nw" || rc=$?
check "resume of a running job exits 0 ($rc)" test "$rc" -eq 0
check "resume of a running job waits for it" grep -q 'still running: waiting' "$WORK/nw.err"
check "resume of a running job submits nothing" test "$(cat "$WORK/nw/jobs.json")" = "$nw_before"
exact "--no-wait, then --resume: exact" "$WORK/nw.out"

# A second --resume of a finished job submits nothing.
before=$(cat "$WORK/k2/jobs.json")
python3 "$DRIVER" --job-dir "$WORK/k2" --resume 2> "$WORK/again.err"
check "resume of a finished job exits 0" test $? -eq 0
check "resume of a finished job does nothing" grep -q 'complete: nothing to do' "$WORK/again.err"
check "resume of a finished job submits nothing" test "$(cat "$WORK/k2/jobs.json")" = "$before"
exact "the result stays exact" "$WORK/k2.out"

rc=0
wait "$pgjob" || rc=$?
check "a job with --pg exits 0: $(tail -c 300 "$WORK/pgjob.err")" test "$rc" -eq 0
psql_q -F $'\t' -c "SELECT ngram, match_count, volume_count FROM slurm_pg
    ORDER BY match_count DESC, volume_count DESC, ngram COLLATE \"C\"" > "$WORK/pgjob.table"
check "a job with --pg: the table is one run's result" cmp -s "$WORK/pgjob.one" "$WORK/pgjob.table"
rc=0
wait "$urljob" || rc=$?
check "a job over URLs exits 0: $(tail -c 300 "$WORK/urljob.err")" test "$rc" -eq 0
exact "a job over URLs (one cut and resumed)" "$WORK/urljob.out"
check "the maps fetched the URLs" grep -q '^cut c.gz ' "$WORK/http.log"
finish
