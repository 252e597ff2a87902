#!/usr/bin/env bash
# Results into a real PostgreSQL (started here, private socket): parallel
# COPY from every worker, all-or-nothing jobs, job records, lookups, quoted
# identifiers, masked passwords.
# ctest: cost=100 cpu=0
. "$(dirname "$0")/lib.sh"
. "$HERE/pg-server.sh"
trap 'pg_cleanup; rm -rf "$WORK"' EXIT

"$NGC_GEN" --seed 31 --size 20M -o "$WORK/in.tsv" 2>/dev/null
"$NGC_GEN" --seed 32 --size 4M -o "$WORK/other.tsv" 2>/dev/null

# table_tsv TABLE: the table as 'ngram TAB match TAB volume' in output order.
table_tsv() {
    psql_q -F $'\t' -c "SELECT ngram, match_count, volume_count FROM $1
        ORDER BY match_count DESC, volume_count DESC, ngram COLLATE \"C\""
}

# replace: the table equals the TSV output exactly.
"$NGC_BIN" --no-progress --pg "$DSN" --count both -o "$WORK/out.tsv" -p 3 -c 2M "$WORK/in.tsv" 2> "$WORK/err"
check "load exits 0" test $? -eq 0
table_tsv ngram_counts > "$WORK/table.tsv"
check "table equals the TSV output" cmp -s "$WORK/out.tsv" "$WORK/table.tsv"
python3 "$REF" --count both "$WORK/in.tsv" > "$WORK/ref.tsv"
check "table equals the reference" cmp -s "$WORK/ref.tsv" "$WORK/table.tsv"
check "no staging table left" test "$(psql_q -c "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'ngram_stage_%'")" -eq 0
check "job row succeeded" test "$(psql_q -c "SELECT status || ' ' || lines FROM ngram_jobs ORDER BY id DESC LIMIT 1")" = "succeeded $(wc -l < "$WORK/in.tsv")"

# A spilled job (more keys than --memory): the final runs load the same rows;
# and raw text loads like any other input.
"$NGC_GEN" --seed 33 --order 2 --vocab 300K --size 16M -o "$WORK/wide.tsv" 2>/dev/null
"$NGC_BIN" --no-progress --pg "$DSN" --pg-table spilled --count both --memory 16M --tmp-dir "$WORK" \
    --stats=json -o "$WORK/wide.out" "$WORK/wide.tsv" 2> "$WORK/wide.json"
check "spilled load exits 0" test $? -eq 0
check "spilled load did spill" grep -q '"spilled_runs":[1-9]' "$WORK/wide.json"
table_tsv spilled > "$WORK/spilled.tsv"
check "spilled table equals the TSV output" cmp -s "$WORK/wide.out" "$WORK/spilled.tsv"
python3 "$REF" --count both "$WORK/wide.tsv" > "$WORK/wide.ref"
check "spilled table equals the reference" cmp -s "$WORK/wide.ref" "$WORK/spilled.tsv"
cat /usr/share/common-licenses/* > "$WORK/text.txt"
"$NGC_BIN" --no-progress --pg "$DSN" --pg-table text3 --text --order 3 -o "$WORK/text.out" "$WORK/text.txt" 2>/dev/null
psql_q -F $'\t' -c "SELECT ngram, match_count FROM text3 ORDER BY match_count DESC, ngram COLLATE \"C\"" \
    > "$WORK/text3.tsv"
check "text n-grams load" cmp -s "$WORK/text.out" "$WORK/text3.tsv"

# append twice doubles every count.
"$NGC_BIN" --no-progress --pg "$DSN" --pg-table twice --pg-mode append "$WORK/in.tsv" 2>/dev/null
"$NGC_BIN" --no-progress --pg "$DSN" --pg-table twice --pg-mode append "$WORK/in.tsv" 2>/dev/null
check "append twice doubles" test "$(psql_q -c "SELECT count(*) FROM twice t JOIN ngram_counts n USING (ngram)
    WHERE t.match_count = 2 * n.match_count AND t.volume_count = 2 * n.volume_count")" -eq "$(wc -l < "$WORK/out.tsv")"
check "append adds no rows" test "$(psql_q -c "SELECT count(*) FROM twice")" -eq "$(wc -l < "$WORK/out.tsv")"

# replace replaces.
"$NGC_BIN" --no-progress --pg "$DSN" --pg-table twice --count both -o "$WORK/other.out" "$WORK/other.tsv" 2>/dev/null
table_tsv twice > "$WORK/twice.tsv"
check "replace replaces" cmp -s "$WORK/other.out" "$WORK/twice.tsv"

# A job that dies mid-load leaves the target as it was and a failed row.
table_tsv ngram_counts > "$WORK/before.tsv"
NGC_FAILPOINTS=worker.crash_in_load@attempt=0 expect_exit "worker killed during COPY" 1 "load task [0-9]+ failed 4 times" \
    --pg "$DSN" -p 2 "$WORK/other.tsv"
table_tsv ngram_counts > "$WORK/after.tsv"
check "target unchanged after a failed load" cmp -s "$WORK/before.tsv" "$WORK/after.tsv"
check "failed job row" test "$(psql_q -c "SELECT status FROM ngram_jobs ORDER BY id DESC LIMIT 1")" = failed
check "failed job: staging dropped" test "$(psql_q -c "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'ngram_stage_%'")" -eq 0
NGC_FAILPOINTS=worker.crash_in_load@task=2 "$NGC_BIN" --no-progress --pg "$DSN" --pg-table retried -p 2 "$WORK/in.tsv" 2>/dev/null
table_tsv retried | cut -f1,2 > "$WORK/retried.tsv"
cut -f1,2 "$WORK/out.tsv" > "$WORK/out12.tsv"
check "a load retried after a crash has every row once" cmp -s "$WORK/out12.tsv" "$WORK/retried.tsv"

# Several workers load at once: their connections show in pg_stat_activity.
NGC_FAILPOINTS=worker.stall_in_load@task=0 "$NGC_BIN" --no-progress --pg "$DSN" --pg-table parallel \
    --task-timeout 4 -p 3 "$WORK/in.tsv" 2>/dev/null &
coord=$!
most=0
for i in $(seq 1 300); do
    kill -0 $coord 2>/dev/null || break
    n=$(psql_q -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'ngram-count worker'")
    [ "$n" -gt "$most" ] && most=$n
    sleep 0.05
done
wait $coord
check "load is parallel ($most worker connections at once)" test "$most" -ge 2
table_tsv parallel | cut -f1,2 > "$WORK/parallel.tsv"
check "parallel load exact" cmp -s "$WORK/out12.tsv" "$WORK/parallel.tsv"

# A connection lost in the middle of a COPY: the load reconnects with
# backoff and redoes its partitions in one transaction, so no row is lost or
# doubled.
NGC_FAILPOINTS=worker.drop_in_load@task=5 "$NGC_BIN" --no-progress --pg "$DSN" --pg-table lossy \
    --count both -p 2 "$WORK/in.tsv" 2> "$WORK/lossy.err"
check "load with a lost connection exits 0" test $? -eq 0
check "the lost connection was retried" grep -q "retrying in 250 ms" "$WORK/lossy.err"
table_tsv lossy > "$WORK/lossy.tsv"
check "load with a lost connection is exact" cmp -s "$WORK/out.tsv" "$WORK/lossy.tsv"

# The server stops mid-job (restarted at once): the job fails, the target
# stays, the job row says failed.
table_tsv ngram_counts > "$WORK/before.tsv"
NGC_FAILPOINTS=worker.stall@task=3 "$NGC_BIN" --no-progress --pg "$DSN" --task-timeout 3 -p 2 -c 1M "$WORK/in.tsv" 2> "$WORK/stop.err" &
coord=$!
sleep 1
pg_stop immediate
pg_start
rc=0
wait $coord || rc=$?
check "server gone mid-job: exit 1 (got $rc)" test "$rc" -eq 1
table_tsv ngram_counts > "$WORK/after.tsv"
check "server gone mid-job: target unchanged" cmp -s "$WORK/before.tsv" "$WORK/after.tsv"
check "server gone mid-job: failed job row" test "$(psql_q -c "SELECT status FROM ngram_jobs ORDER BY id DESC LIMIT 1")" = failed

# replace writes each row once: the workers' table, keyed after the load,
# takes the target's place (the key keeps the target's name).
stages() { psql_q -c "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'ngram_stage_%'"; }
check "replace: ngram_counts has its primary key" test "$(psql_q -c "SELECT count(*) FROM pg_index
    WHERE indrelid = 'ngram_counts'::regclass AND indisprimary")" -eq 1
check "replace: the key keeps its name" test "$(psql_q -c "SELECT count(*) FROM pg_class
    WHERE relname = 'ngram_counts_pkey' AND relkind = 'i'")" -eq 1
# A table ngram-count creates keeps its ngrams in byte order (COLLATE "C");
# one the user made keeps its own collation through replace and append.
collation() { psql_q -c "SELECT coalesce(c.collname, '-') FROM pg_attribute a
    LEFT JOIN pg_collation c ON c.oid = a.attcollation WHERE a.attrelid = '$1'::regclass AND a.attname = 'ngram'"; }
check "replace: a new table's ngrams are COLLATE C" test "$(collation ngram_counts)" = C
check "append: a new table's ngrams are COLLATE C" test "$(collation twice)" = C
check "a prefix search uses the key" bash -c "psql -X -At -c \"SET enable_seqscan = off;
    EXPLAIN SELECT * FROM ngram_counts WHERE ngram LIKE 'ab%'\" | grep -q 'Index Cond: ((ngram >= '"
psql_q -c "CREATE TABLE own_coll (ngram text COLLATE \"POSIX\" NOT NULL, match_count bigint NOT NULL,
    volume_count bigint NOT NULL, PRIMARY KEY (ngram))"
"$NGC_BIN" --no-progress --pg "$DSN" --pg-table own_coll "$WORK/other.tsv" 2>/dev/null
check "replace keeps the target's collation" test "$(collation own_coll)" = POSIX
"$NGC_BIN" --no-progress --pg "$DSN" --pg-table own_coll --pg-mode append "$WORK/other.tsv" 2>/dev/null
check "append keeps the target's collation" test "$(collation own_coll)" = POSIX
check "append onto it doubles" test "$(psql_q -c "SELECT sum(match_count) FROM own_coll")" -eq \
    "$(python3 -c "import sys; print(2 * sum(int(l.split('\t')[1]) for l in open(sys.argv[1])))" "$WORK/other.out")"
# A worker killed after its load committed, before it said so: the retry
# finds the task done and loads nothing twice.
NGC_FAILPOINTS=worker.crash_after_load@task=1 "$NGC_BIN" --no-progress --pg "$DSN" \
    --pg-table after_load --count both -p 2 "$WORK/in.tsv" 2>/dev/null
check "crash after a committed load: exit 0" test $? -eq 0
table_tsv after_load > "$WORK/after_load.tsv"
check "crash after a committed load: every row once" cmp -s "$WORK/out.tsv" "$WORK/after_load.tsv"

# The coordinator killed while the server builds the key, or inside the
# final transaction: the target stays as it was; the next job drops the
# abandoned tables, says so, and marks that job failed.
for fp in coord.crash_in_pg_key coord.crash_in_pg_swap; do
    table_tsv ngram_counts > "$WORK/before.tsv"
    rc=0
    NGC_FAILPOINTS=$fp "$NGC_BIN" --no-progress --pg "$DSN" --count both "$WORK/other.tsv" \
        2> "$WORK/killed.err" || rc=$?
    check "$fp: the coordinator was killed (exit $rc)" test "$rc" -eq 137
    table_tsv ngram_counts > "$WORK/after.tsv"
    check "$fp: target unchanged" cmp -s "$WORK/before.tsv" "$WORK/after.tsv"
    check "$fp: its tables are left" test "$(stages)" -ge 1
    killed=$(psql_q -c "SELECT max(id) FROM ngram_jobs")
    "$NGC_BIN" --no-progress --pg "$DSN" --pg-table swept "$WORK/other.tsv" 2> "$WORK/sweep.err"
    check "$fp: the next job exits 0" test $? -eq 0
    check "$fp: the next job says it dropped job $killed's tables" \
        grep -q "PostgreSQL job $killed was abandoned by a killed run" "$WORK/sweep.err"
    check "$fp: no staging table left" test "$(stages)" -eq 0
    check "$fp: the killed job is marked failed" test "$(psql_q -c "SELECT status FROM ngram_jobs
        WHERE id = $killed")" = failed
done
"$NGC_BIN" --no-progress --pg "$DSN" --count both -p 3 "$WORK/in.tsv" 2>/dev/null
table_tsv ngram_counts > "$WORK/after.tsv"
check "replace after the kills" cmp -s "$WORK/out.tsv" "$WORK/after.tsv"

# A target that is more than ngram-count made (an index of the user's, a
# view on it): replaced in place, which keeps both.
psql_q -c "CREATE INDEX by_count ON twice (match_count); CREATE VIEW top_twice AS
    SELECT ngram FROM twice WHERE match_count > 1000"
"$NGC_BIN" --no-progress --pg "$DSN" --pg-table twice --count both "$WORK/in.tsv" 2>/dev/null
check "a target with an index and a view: exit 0" test $? -eq 0
table_tsv twice > "$WORK/twice.tsv"
check "a target with an index and a view: replaced" cmp -s "$WORK/out.tsv" "$WORK/twice.tsv"
check "the user's index stays" test "$(psql_q -c "SELECT count(*) FROM pg_class WHERE relname = 'by_count'")" -eq 1
check "the user's view stays" test "$(psql_q -c "SELECT count(*) FROM top_twice")" -gt 0
# append onto such a table upserts in place (a swap would lose the index);
# onto a plain one it sums both into a new keyed table and swaps that in.
"$NGC_BIN" --no-progress --pg "$DSN" --pg-table twice --pg-mode append "$WORK/other.tsv" 2>/dev/null
check "append in place: exit 0" test $? -eq 0
python3 "$REF" --count both "$WORK/in.tsv" "$WORK/other.tsv" > "$WORK/both.ref"
table_tsv twice > "$WORK/twice.tsv"
check "append in place: the sums" cmp -s "$WORK/both.ref" "$WORK/twice.tsv"
check "append in place: the user's index stays" test "$(psql_q -c "SELECT count(*) FROM pg_class WHERE relname = 'by_count'")" -eq 1
"$NGC_BIN" --no-progress --pg "$DSN" --pg-table summed --count both "$WORK/in.tsv" 2>/dev/null
"$NGC_BIN" --no-progress --pg "$DSN" --pg-table summed --pg-mode append "$WORK/other.tsv" 2>/dev/null
check "append by swap: exit 0" test $? -eq 0
table_tsv summed > "$WORK/summed.tsv"
check "append by swap: the sums" cmp -s "$WORK/both.ref" "$WORK/summed.tsv"
check "append by swap: keyed" test "$(psql_q -c "SELECT count(*) FROM pg_index
    WHERE indrelid = 'summed'::regclass AND indisprimary")" -eq 1
check "append by swap: no staging table left" test "$(stages)" -eq 0

# Two jobs writing one table at once: the second waits for the first, and
# the table holds one job's rows, never a mix.
NGC_FAILPOINTS=worker.stall_in_load@task=0 "$NGC_BIN" --no-progress --pg "$DSN" --pg-table shared \
    --count both --task-timeout 3 -p 2 "$WORK/in.tsv" 2> "$WORK/first.err" &
first=$!
for _ in $(seq 1 200); do
    [ "$(psql_q -c "SELECT count(*) FROM ngram_jobs WHERE target = 'shared' AND status = 'running'")" -ge 1 ] && break
    sleep 0.05
done
"$NGC_BIN" --no-progress --pg "$DSN" --pg-table shared --count both "$WORK/other.tsv" 2> "$WORK/second.err"
second_rc=$?
wait $first
first_rc=$?
check "two jobs at once: both exit 0 ($first_rc, $second_rc)" test "$first_rc$second_rc" = 00
check "two jobs at once: the second waited, and said so" \
    grep -q "PostgreSQL table \"shared\" is being written by job [0-9]*; waiting for it" "$WORK/second.err"
table_tsv shared > "$WORK/shared.tsv"
check "two jobs at once: the table is the second job's result" cmp -s "$WORK/other.out" "$WORK/shared.tsv"

# Malicious table names are quoted, never executed.
psql_q -c "CREATE TABLE y (a int)"
"$NGC_BIN" --no-progress --pg "$DSN" --pg-table 'x"; drop table y; --' "$WORK/other.tsv" 2>/dev/null
check "malicious name: y survives" test "$(psql_q -c "SELECT count(*) FROM pg_tables WHERE tablename = 'y'")" -eq 1
check "malicious name: table made as named" test "$(psql_q -c "SELECT count(*) FROM pg_tables WHERE tablename = 'x\"; drop table y; --'")" -eq 1

# A table of another shape is an error, not altered.
psql_q -c "CREATE TABLE wrong (ngram text, n int)"
expect_exit "table of another shape" 1 "has another shape" --pg "$DSN" --pg-table wrong "$WORK/other.tsv"
check "wrong table unaltered" test "$(psql_q -c "SELECT count(*) FROM information_schema.columns WHERE table_name = 'wrong'")" -eq 2

# Counts past bigint: an error before the target changes.
printf "huge\t1900\t18446744073709551615\t1\n" > "$WORK/huge.tsv"
expect_exit "count past bigint" 1 "past PostgreSQL's bigint range" --pg "$DSN" --pg-table huge "$WORK/huge.tsv"
check "bigint overflow: target empty" test "$(psql_q -c "SELECT count(*) FROM huge")" -eq 0

# Lookups.
top=$(head -n 1 "$WORK/out.tsv" | cut -f1)
"$NGC_BIN" --pg "$DSN" --lookup "$top" --lookup no-such-word > "$WORK/look.out" 2> "$WORK/look.err"
check "lookup found: exit 0" test $? -eq 0
check "lookup prints ngram, match, volume" test "$(cat "$WORK/look.out")" = "$(head -n 1 "$WORK/out.tsv")"
check "lookup not found on stderr" grep -q "'no-such-word' not found" "$WORK/look.err"
expect_exit "lookup none found" 1 "not found" --pg "$DSN" --lookup no-such-word
PGHOST=$PG_DIR PGPORT=$PG_PORT "$NGC_BIN" --pg '' --lookup "$top" > "$WORK/look.out" 2>/dev/null
check "--pg '' uses the PG* environment" test -s "$WORK/look.out"
"$NGC_BIN" --pg "$DSN" --pg-jobs > "$WORK/jobs.out"
check "--pg-jobs lists the jobs" test "$(grep -c succeeded "$WORK/jobs.out")" -ge 3

# --by-year: a table with a year column, keyed by (ngram, year); rows as the
# TSV output (the key split at its last TAB), with a backslash in an ngram.
"$NGC_GEN" --seed 34 --size 1M --format v3 -o "$WORK/v3.tsv" 2>/dev/null
printf 'a\\b c\t1900,5,1\t850,2,2\n' >> "$WORK/v3.tsv"
"$NGC_BIN" --no-progress --pg "$DSN" --by-year --count both --fold-case -o "$WORK/years.out" -p 2 \
    "$WORK/v3.tsv" 2>/dev/null
check "by-year load exits 0" test $? -eq 0
psql_q -F $'\t' -c "SELECT ngram, lpad(year::text, 4, '0'), match_count, volume_count
    FROM ngram_year_counts ORDER BY ngram COLLATE \"C\", year" > "$WORK/years.tsv"
check "by-year table equals the TSV output" cmp -s "$WORK/years.out" "$WORK/years.tsv"
python3 "$REF" --by-year --count both --fold-case "$WORK/v3.tsv" > "$WORK/years.ref"
check "by-year table equals the reference" cmp -s "$WORK/years.ref" "$WORK/years.tsv"
check "by-year: the backslash ngram, year 850" test "$(psql_q -c "SELECT match_count FROM
    ngram_year_counts WHERE ngram = E'a\\\\b c' AND year = 850")" = 2
check "by-year: primary key (ngram, year)" test "$(psql_q -c "SELECT string_agg(a.attname, ','
    ORDER BY k.i) FROM pg_index x CROSS JOIN LATERAL unnest(x.indkey) WITH ORDINALITY k(att, i)
    JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.att
    WHERE x.indrelid = 'ngram_year_counts'::regclass AND x.indisprimary")" = "ngram,year"
"$NGC_BIN" --no-progress --pg "$DSN" --by-year --pg-mode append --select 'a\b c' "$WORK/v3.tsv" 2>/dev/null
check "by-year append adds per year" test "$(psql_q -c "SELECT match_count FROM
    ngram_year_counts WHERE ngram = E'a\\\\b c' AND year = 1900")" = 10
"$NGC_BIN" --pg "$DSN" --by-year --lookup 'a\b c' > "$WORK/ylook.out" 2>/dev/null
check "by-year lookup: a row per year" test "$(cat "$WORK/ylook.out")" = \
    "$(printf 'a\\b c\t0850\t4\t4\na\\b c\t1900\t10\t2')"
expect_exit "by-year into a totals table" 1 "has another shape" --pg "$DSN" --by-year \
    --pg-table ngram_counts "$WORK/v3.tsv"

# --normalize: the shares --normalize prints go to two double precision
# columns beside the exact counts (the nearest double of each printed
# decimal); append and --by-year refuse it (the README says why).
"$NGC_GEN" --seed 34 --size 3M --totals "$WORK/totals.txt" -o "$WORK/norm.tsv" 2>/dev/null
"$NGC_BIN" --no-progress --pg "$DSN" --pg-table shares --normalize "$WORK/totals.txt" \
    --from-year 1900 --count both -p 2 -o "$WORK/shares.out" "$WORK/norm.tsv" 2> "$WORK/err"
check "--normalize load exits 0" test $? -eq 0
"$NGC_BIN" --no-progress --from-year 1900 --count both -p 2 "$WORK/norm.tsv" > "$WORK/counts.out"
python3 "$REF" --normalize "$WORK/totals.txt" --from-year 1900 --count both "$WORK/norm.tsv" > "$WORK/shares.ref"
check "--normalize with --pg prints what --normalize prints" cmp -s "$WORK/shares.ref" "$WORK/shares.out"
psql_q -F $'\t' -c "SELECT ngram, match_count, volume_count, match_per_million, volume_percent
    FROM shares" > "$WORK/shares.tsv"
check "shares table: a row per ngram" test "$(wc -l < "$WORK/shares.tsv")" -eq "$(wc -l < "$WORK/shares.ref")"
check "shares table: exact counts, each share the nearest double of the printed one" python3 -c "
import sys
counts = {}
for line in open(sys.argv[1], 'rb'):
    k, m, v = line.rstrip(b'\n').split(b'\t')
    counts[k] = (int(m), int(v))
shares = {}
for line in open(sys.argv[2], 'rb'):
    k, m, v = line.rstrip(b'\n').split(b'\t')
    shares[k] = (float(m), float(v))
rows = 0
for line in open(sys.argv[3], 'rb'):
    k, m, v, pm, vp = line.rstrip(b'\n').split(b'\t')
    rows += 1
    if (int(m), int(v)) != counts[k] or (float(pm), float(vp)) != shares[k]:
        sys.exit('row %r: %r %r %r %r' % (k, m, v, pm, vp))
sys.exit(rows != len(shares))" "$WORK/counts.out" "$WORK/shares.ref" "$WORK/shares.tsv"
check "shares table: double precision columns" test "$(psql_q -c "SELECT string_agg(format_type(atttypid,
    atttypmod), ',' ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'shares'::regclass AND attnum > 3
    AND NOT attisdropped")" = "double precision,double precision"
# A target with an index of its own is replaced in place (TRUNCATE + INSERT),
# shares included.
psql_q -c "CREATE INDEX shares_by_share ON shares (match_per_million)" > /dev/null
"$NGC_BIN" --no-progress --pg "$DSN" --pg-table shares --normalize "$WORK/totals.txt" \
    --from-year 1900 -p 2 "$WORK/norm.tsv" 2> "$WORK/err"
check "--normalize in place exits 0" test $? -eq 0
psql_q -F $'\t' -c "SELECT ngram, match_count, volume_count, match_per_million, volume_percent
    FROM shares" > "$WORK/shares2.tsv"
check "--normalize in place: the same rows" cmp -s <(sort "$WORK/shares.tsv") <(sort "$WORK/shares2.tsv")
check "--normalize in place: the index kept" test "$(psql_q -c "SELECT count(*) FROM pg_indexes
    WHERE indexname = 'shares_by_share'")" -eq 1
expect_exit "--normalize into a counts-only table" 1 "has another shape" --pg "$DSN" \
    --normalize "$WORK/totals.txt" "$WORK/norm.tsv"
expect_exit "--normalize with --pg-mode append" 2 "would mix the totals of several jobs" --pg "$DSN" \
    --pg-table shares --pg-mode append --normalize "$WORK/totals.txt" "$WORK/norm.tsv"
expect_exit "--normalize --by-year with --pg" 2 "does not load" --pg "$DSN" --by-year \
    --normalize "$WORK/totals.txt" "$WORK/norm.tsv"
printf '1900,0,0,0\t' > "$WORK/zero-totals.txt"
expect_exit "--normalize with --pg: bad totals fail before any work" 1 "zero-totals" --pg "$DSN" \
    --pg-table shares --normalize "$WORK/zero-totals.txt" "$WORK/norm.tsv"
check "the shares table kept its rows" test "$(psql_q -c "SELECT count(*) FROM shares")" -eq "$(wc -l < "$WORK/shares.ref")"

# The final Slurm step loads its totals (engine/reduce/shuffle.c's reduce files)
# like a whole run: the table equals one run's over the same files; a map or
# a reduce refuses --pg.
S=$WORK/shuffle
mkdir -p "$S/maps" "$S/totals"
"$NGC_BIN" --no-progress --count both --partitions 2 --partition-dir "$S/maps/a" "$WORK/in.tsv" &&
    "$NGC_BIN" --no-progress --count both --partitions 2 --partition-dir "$S/maps/b" "$WORK/other.tsv" &&
    for r in 0 1; do
        "$NGC_BIN" --no-progress --count both --merge-partitions "$S/maps" --partition $r \
            -o "$S/totals/r$r" || exit 1
    done || fail "the map and reduce steps"
"$NGC_BIN" --no-progress --pg "$DSN" --pg-table shuffled --count both --merge-totals "$S/totals" \
    2> "$WORK/err"
check "--merge-totals --pg exits 0" test $? -eq 0
"$NGC_BIN" --no-progress --count both "$WORK/in.tsv" "$WORK/other.tsv" > "$S/one.out"
table_tsv shuffled > "$S/table.tsv"
check "--merge-totals --pg: the table is one run's result" cmp -s "$S/one.out" "$S/table.tsv"
check "--merge-totals --pg: the job succeeded" test "$(psql_q -c "SELECT status FROM ngram_jobs
    ORDER BY id DESC LIMIT 1")" = succeeded
"$NGC_BIN" --no-progress --pg "$DSN" --pg-table shuffled --count both --merge-totals "$S/totals" \
    -o "$S/final.out" 2> "$WORK/err"
check "--merge-totals --pg -o: the file too" cmp -s "$S/one.out" "$S/final.out"
expect_exit "a map refuses --pg" 2 "give it to --merge-totals" --pg "$DSN" --partitions 2 \
    --partition-dir "$S/maps/c" "$WORK/in.tsv"
expect_exit "a reduce refuses --pg" 2 "give it to --merge-totals" --pg "$DSN" \
    --merge-partitions "$S/maps" --partition 0 -o "$S/x"
check "no staging table left after the final steps" test "$(psql_q -c "SELECT count(*) FROM pg_tables
    WHERE tablename LIKE 'ngram_stage_%'")" -eq 0

# Connection failures: before any input is read; messages say where the
# DSN connects, never its password.
expect_exit "bad DSN fails fast" 1 "PostgreSQL \(host=127.0.0.1 port=1 user=bob dbname=db\): cannot connect" \
    --pg 'postgresql://bob:s3cret@127.0.0.1:1/db' "$WORK/no-such-input.tsv"
check "password not printed" bash -c "! grep -q s3cret '$WORK/ngc.err'"
expect_exit "key=value: where it connects, no password" 1 "PostgreSQL \(host=127.0.0.1 port=1 user=bob\): " \
    --pg "host=127.0.0.1 port=1 password=s3cret user=bob" "$WORK/in.tsv"
check "password not printed (key=value)" bash -c "! grep -q s3cret '$WORK/ngc.err'"
expect_exit "URI with a password in its query" 1 "PostgreSQL \(host=127.0.0.1 port=1 dbname=db\): " \
    --pg "postgresql://127.0.0.1:1/db?password=s3cret" "$WORK/in.tsv"
check "password not printed (URI query)" bash -c "! grep -q s3cret '$WORK/ngc.err'"
expect_exit "a DSN libpq cannot read" 1 "PostgreSQL: cannot read the --pg DSN: unterminated quoted string" \
    --pg "host=127.0.0.1 password='s3cret" "$WORK/in.tsv"
check "password not printed (unreadable DSN)" bash -c "! grep -q s3cret '$WORK/ngc.err'"
# libpq's reasons quote the URI or the token they stop at: left out.
expect_exit "unreadable URI: libpq's reason without the URI" 1 \
    'PostgreSQL: cannot read the --pg DSN: end of string reached when looking for matching "]" in IPv6 host address in URI: "..."$' \
    --pg 'postgresql://bob:s3cret@[::1/db' "$WORK/in.tsv"
check "password not printed (unreadable URI)" bash -c "! grep -q s3cret '$WORK/ngc.err'"
expect_exit "bad percent-encoding in the password" 1 'invalid percent-encoded token: "..."$' \
    --pg 'postgresql://bob:s3cret%zz@127.0.0.1:1/db' "$WORK/in.tsv"
check "password not printed (bad percent-encoding)" bash -c "! grep -q s3cret '$WORK/ngc.err'"
expect_exit "key=value: a password without its key" 1 'missing "=" after "..." in connection info string' \
    --pg 'host=127.0.0.1 s3cret' "$WORK/in.tsv"
check "password not printed (no key)" bash -c "! grep -q s3cret '$WORK/ngc.err'"
finish
