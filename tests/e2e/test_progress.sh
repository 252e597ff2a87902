#!/usr/bin/env bash
# The progress line watched in tmux at 60, 80 and 200 columns (resized to
# 70 during the run: SIGWINCH) and under TERM=dumb: capture-pane snapshots
# every 0.2 s. Every row of every snapshot starts with a phase name (a
# wrapped line would start a row with its tail), fits the width, never says
# 100%, and the phases come in order; the dumb terminal's bytes (recorded
# by script(1)) hold no escape code; --progress off a terminal writes plain
# lines. A run is slowed by NGC_TEST_DELAY_MS, not by big data.
# ctest: labels=quick cost=20 cpu=0
. "$(dirname "$0")/lib.sh"
command -v tmux > /dev/null || { fail "tmux is not installed (tools/setup --test)"; finish; exit; }
"$NGC_GEN" --seed 3 --vocab 60K --size 2M -o "$WORK/in.tsv" 2> /dev/null
python3 "$REF" "$WORK/in.tsv" > "$WORK/ref"
DELAY=60
SOCK=ngc-e2e-$$
trap 'tmux -L "$SOCK" kill-server 2> /dev/null; [ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT
KEEP=${KEEP:-}
PHASES='^(read/map|sort|merge|spill-merge|output|PostgreSQL load) +[0-9]{1,2}%( |$)'

# watch NAME WIDTH TERM OUTPUT_MODE [RESIZE]: runs the job in a tmux pane of
# WIDTH columns, snapshots in $WORK/NAME/.
watch() {
    local name=$1 width=$2 term=$3 mode=$4 resize=${5:-} dir=$WORK/$1 i=0
    mkdir -p "$dir"
    cat > "$dir/run.sh" << EOS
export TERM=$term NGC_TEST_OUTPUT=$mode NGC_TEST_DELAY_MS=$DELAY
script -q -c "'$NGC_BIN' -p 2 -t 1 -c 64K '$WORK/in.tsv' -o '$dir/out'" '$dir/typescript'
echo "EXIT=\$?"
sleep 60
EOS
    tmux -L "$SOCK" new-session -d -s "$name" -x "$width" -y 6 "bash '$dir/run.sh'"
    while :; do
        tmux -L "$SOCK" capture-pane -p -t "$name" > "$dir/snap.$(printf %03d $i)"
        grep -q '^EXIT=' "$dir/snap.$(printf %03d $i)" && break
        if [ -n "$resize" ] && [ $i -eq 5 ]; then
            tmux -L "$SOCK" resize-window -t "$name" -x "$resize"
            width=$resize
            echo "$i" > "$dir/resized"
        fi
        i=$((i + 1))
        [ $i -gt 400 ] && { fail "$name: no end after 80 s"; break; }
        sleep 0.2
    done
    tmux -L "$SOCK" kill-session -t "$name"
    check "$name: exit 0 ($(grep -h '^EXIT=' "$dir"/snap.* | head -1))" grep -qx 'EXIT=0' "$dir/snap.$(printf %03d $i)"
    check "$name: output right" cmp -s "$WORK/ref" "$dir/out"
    # Rows: phase lines (each within the width) and the final EXIT line.
    local bad=0 s n w=$2
    for s in "$dir"/snap.*; do
        n=${s##*.}
        [ -f "$dir/resized" ] && [ $((10#$n)) -gt $(($(cat "$dir/resized") + 1)) ] && w=$resize
        while IFS= read -r row; do
            [ -z "$row" ] && continue
            [[ $row == EXIT=* ]] && continue
            if ! [[ $row =~ $PHASES ]] || [ ${#row} -ge "$w" ] || [[ $row == *100%* ]]; then
                echo "bad row in $s (width $w): '$row'" >&2
                bad=1
            fi
        done < "$s"
    done
    check "$name: every row a whole phase line within the width, never 100%" test $bad -eq 0
    # Every line drawn, from the terminal's bytes: each phase shows at once.
    tr '\r' '\n' < "$dir/typescript" | grep -oE "$PHASES" | sed -E 's/ +[0-9]+%.*//' | uniq > "$dir/phases"
    cp "$dir/snap.$(printf %03d $i)" "$dir/last"
    check "$name: the last snapshot has no progress line left" test "$(grep -cvE '^(EXIT=0)?$' "$dir/last")" -eq 0
}

seen() { tr '\n' ' ' < "$WORK/$1/phases"; }

watch w80 80 xterm serial
check "80 columns: read/map, sort, merge in order ($(seen w80))" \
    test "$(seen w80)" = "read/map sort merge "
check "80 columns: an ETA" grep -q "ETA [0-9]m[0-9][0-9]s" "$WORK/w80/typescript"
check "80 columns: the bar" grep -qE '\[#+\.+\]' "$WORK"/w80/snap.*
check "80 columns: escape codes on a terminal" grep -q $'\033\\[K' "$WORK/w80/typescript"

watch w60 60 xterm parallel
check "60 columns: read/map, sort, output ($(seen w60))" \
    test "$(seen w60)" = "read/map sort output "

watch w200 200 xterm serial 70
check "200 columns: wide lines before the resize" sh -c "grep -hE '^read/map' '$WORK'/w200/snap.00[0-4] | awk 'length > 80' | grep -q ."

watch dumb 80 dumb serial
check "TERM=dumb: phases ($(seen dumb))" test "$(seen dumb)" = "read/map sort merge "
check "TERM=dumb: no escape code written" sh -c "! grep -q $'\033' '$WORK/dumb/typescript'"

# Off a terminal: --progress writes whole lines, nothing else.
NGC_TEST_OUTPUT=serial NGC_TEST_DELAY_MS=$DELAY "$NGC_BIN" --progress -p 2 -t 1 -c 64K \
    "$WORK/in.tsv" -o "$WORK/plain.out" 2> "$WORK/plain.err"
check "plain: no CR or escape" sh -c "! grep -q $'[\r\033]' '$WORK/plain.err'"
check "plain: a line per phase" test "$(grep -oE '^(read/map|sort|merge) ' "$WORK/plain.err" | uniq | tr -d '\n')" = "read/map sort merge "
check "plain: no 100%" sh -c "! grep -q '100%' '$WORK/plain.err'"
finish
