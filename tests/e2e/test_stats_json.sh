#!/usr/bin/env bash
# --stats=json: one object on standard error after every run, also a failed
# one (exit status and the error), with phase timings, the resolved options,
# the output path, null for what does not apply, sizes in bytes and in IEC
# text as --memory reads them.
# ctest: labels=quick cost=10
. "$(dirname "$0")/lib.sh"
SRC=$(cd "$HERE/../.." && pwd)
SAMPLE=$SRC/datasets/sample-1gram.tsv

# js FILE EXPR: evaluates the Python expression EXPR over the last line of
# FILE parsed as JSON (s); true if it is.
js() {
    python3 -c '
import json, sys
s = json.loads(open(sys.argv[1]).read().splitlines()[-1])
sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2"
}

rc=0
"$NGC_BIN" --no-progress --stats=json --memory 32M --top 5 "$SAMPLE" -o "$WORK/out.tsv" \
    2> "$WORK/ok.json" || rc=$?
check "ok: exit 0" test $rc -eq 0
check "ok: parses, exit_status 0, error null" js "$WORK/ok.json" 's["exit_status"] == 0 and s["error"] is None'
check "ok: output path" js "$WORK/ok.json" "s['output'] == '$WORK/out.tsv'"
check "ok: --memory 32M is 32 MiB" js "$WORK/ok.json" \
    's["options"]["memory"] == 33554432 and s["options"]["memory_text"] == "32 MiB"'
check "ok: resolved options" js "$WORK/ok.json" \
    's["options"]["top"] == 5 and s["options"]["processes"] >= 1 and s["options"]["format"] == "auto" and s["options"]["chunk_size_text"] == "8 MiB"'
check "ok: no --text: tokens, order null" js "$WORK/ok.json" \
    's["tokens"] is None and s["options"]["order"] is None and s["options"]["pg_table"] is None'
check "ok: phases timed, load and format null" js "$WORK/ok.json" \
    'all(isinstance(s["phases"][k], float) for k in ("setup", "map", "sort", "output")) and s["phases"]["load"] is None and s["phases"]["format"] is None'
check "ok: counts" js "$WORK/ok.json" \
    's["output_lines"] == 5 and s["lines"] == 27516 and s["distinct_ngrams"] == 682 and s["formats"][0]["format"] == "v2"'
check "ok: sizes in IEC" js "$WORK/ok.json" \
    's["reduce_table_bytes_text"].endswith("iB") and s["spilled_bytes_text"] == "0 B"'

"$NGC_BIN" --no-progress --stats=json --text --order 2 "$SAMPLE" > /dev/null 2> "$WORK/text.json"
check "--text: tokens counted, order 2, years null" js "$WORK/text.json" \
    's["tokens"] > 0 and s["options"]["order"] == 2 and s["options"]["from_year"] is None and s["output"] == "standard output"'

# Failures: still one object, with the status and the message.
rc=0
"$NGC_BIN" --no-progress --stats=json "$WORK/missing.tsv" > /dev/null 2> "$WORK/missing.json" || rc=$?
check "missing file: exit 1" test $rc -eq 1
check "missing file: JSON after the message" js "$WORK/missing.json" \
    "s['exit_status'] == 1 and s['error'] == '$WORK/missing.tsv: cannot open: No such file or directory'"
check "missing file: nothing counted is null, not 0" js "$WORK/missing.json" \
    's["lines"] is None and s["tasks"] is None and s["phases"]["map"] is None and s["output_lines"] is None'

printf '\037\213\010\000junk' > "$WORK/bad.gz"
rc=0
"$NGC_BIN" --no-progress --stats=json "$WORK/bad.gz" "$SAMPLE" > /dev/null 2> "$WORK/bad.json" || rc=$?
check "corrupt gzip: exit 1" test $rc -eq 1
check "corrupt gzip: error, map timed, no output lines" js "$WORK/bad.json" \
    's["exit_status"] == 1 and "gzip" in s["error"] and isinstance(s["phases"]["map"], float) and s["output_lines"] is None and s["tasks"] == 2'

# -o into a directory that does not exist: fails before any task.
rc=0
"$NGC_BIN" --no-progress --stats=json -o "$WORK/no/such/dir/out" "$SAMPLE" 2> "$WORK/outdir.json" || rc=$?
check "bad -o: exit 1 and JSON" js "$WORK/outdir.json" "s['exit_status'] == $rc and $rc != 0 and s['error'] is not None"
finish
