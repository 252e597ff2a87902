#!/usr/bin/env bash
# http(s) inputs against tests/e2e/http-server.py on 127.0.0.1 (started here,
# stopped by pid on exit) with injected faults: cuts at random offsets, a
# server that ignores Range, a slow one, a stalled one, a body shorter than
# its Content-Length, 500s that pass, 404, 403, 500: totals byte-identical
# to the local run, exit codes and messages as documented.
# ctest: cost=40 cpu=0
. "$(dirname "$0")/lib.sh"

mkdir "$WORK/www"
"$NGC_GEN" --seed 31 --size 400K -o "$WORK/www/a.tsv"
"$NGC_GEN" --seed 32 --size 300K --format v3 -o "$WORK/www/b.v3"
gzip -c "$WORK/www/a.tsv" > "$WORK/www/a.tsv.gz"
xz -c "$WORK/www/b.v3" > "$WORK/www/b.v3.xz"
"$NGC_BIN" --no-progress "$WORK/www/a.tsv.gz" > "$WORK/ref.a"
"$NGC_BIN" --no-progress "$WORK/www/b.v3.xz" > "$WORK/ref.b"
"$NGC_BIN" --no-progress "$WORK/www/a.tsv" "$WORK/www/b.v3" > "$WORK/ref.ab"
python3 "$REF" "$WORK/www/a.tsv" | cmp -s - "$WORK/ref.a" || fail "local a.tsv.gz differs from the reference"

python3 "$HERE/http-server.py" "$WORK/www" "$WORK/port" "$WORK/server.log" 13 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 200); do [ -s "$WORK/port" ] && break; sleep 0.05; done
[ -s "$WORK/port" ] || { fail "the test server did not start"; finish; exit 1; }
U=http://127.0.0.1:$(cat "$WORK/port")

for mode in ok cut norange slow trunc flaky; do
    same_as "$mode: a.tsv.gz" "$WORK/ref.a" --stall-timeout 5 "$U/$mode/a.tsv.gz"
    same_as "$mode: b.v3.xz" "$WORK/ref.b" --stall-timeout 5 "$U/$mode/b.v3.xz"
done
check "cut: resumed with Range requests" grep -qE '^cut a.tsv.gz [1-9][0-9]* 206$' "$WORK/server.log"
check "cut: 4 cuts, 5 requests per file" test "$(grep -c '^cut a.tsv.gz ' "$WORK/server.log")" -eq 5
check "norange: fetched whole again" test "$(grep -c '^norange b.v3.xz 0 200$' "$WORK/server.log")" -ge 4
same_as "stalled: cut after --stall-timeout 1, resumed" "$WORK/ref.a" --stall-timeout 1 "$U/stall/a.tsv.gz"

# Progress counts bytes against the Content-Length: the plain line written
# every 5 s, while the transfer stalls for 6 s, shows "done/total".
"$NGC_BIN" --progress --stall-timeout 6 "$U/stall/b.v3.xz" > "$WORK/ngc.out" 2> "$WORK/progress.err"
check "progress: bytes of the Content-Length" grep -qE '^read/map .* [0-9.]+ [KM]?i?B/[0-9.]+ KiB' "$WORK/progress.err"
check "progress: the output still exact" cmp -s "$WORK/ngc.out" "$WORK/ref.b"

# Several URLs at once, one task each, with a local file; and --inputs.
same_as "URLs and a file in parallel" "$WORK/ref.ab" -p 2 -t 2 "$U/cut/a.tsv" "$U/slow/b.v3.xz"
printf '# a list\n%s\n\n  %s  \n' "$U/ok/a.tsv.gz" "$WORK/www/b.v3" > "$WORK/list"
same_as "--inputs: a URL and a path" "$WORK/ref.ab" --inputs "$WORK/list"
expect_exit "--inputs: a missing list" 2 "cannot open '$WORK/nolist'" --inputs "$WORK/nolist"

# --stats: bytes, resumes, retries.
"$NGC_BIN" --no-progress --stats=json "$U/trunc/a.tsv" > /dev/null 2> "$WORK/stats.json"
check "--stats=json: downloaded bytes, a resume, a retry" python3 -c "
import json, os, sys
s = json.loads(open(sys.argv[1]).read().splitlines()[-1])
size = os.path.getsize(sys.argv[2])
assert s['downloaded_bytes'] == size and s['download_resumes'] == 1 and s['download_retries'] == 1, s
" "$WORK/stats.json" "$WORK/www/a.tsv"

# Errors: exit 1 naming the URL and the status, nothing written.
expect_exit "404" 1 "^ngram-count: $U/404/a.tsv.gz: cannot fetch: HTTP 404\$" \
    -o "$WORK/out.tsv" "$WORK/www/a.tsv" "$U/404/a.tsv.gz"
check "404: nothing written" test ! -e "$WORK/out.tsv"
expect_exit "403" 1 "$U/403/a.tsv.gz: cannot fetch: HTTP 403\$" "$U/403/a.tsv.gz"
expect_exit "500 after retries" 1 "$U/500/a.tsv.gz: cannot fetch: HTTP 500 \(3 attempts in a row, --max-retries 2\)" \
    --max-retries 2 "$U/500/a.tsv.gz"
check "500: tried 3 times" test "$(grep -c '^500 a.tsv.gz ' "$WORK/server.log")" -eq 3
expect_exit "a file not on the server" 1 "$U/ok/none.gz: cannot fetch: HTTP 404" "$U/ok/none.gz"
check "nothing left in the work directory" test -z "$(ls -A "$WORK" | grep -v -e '^www$' -e '^ref' -e '^port$' \
    -e '^server.log$' -e '^ngc\.' -e '^list$' -e '^stats.json$' -e '^progress.err$' -e '^refcache$')"

finish
