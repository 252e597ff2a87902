# lib.sh: shared helpers for the end-to-end tests. Each test script sources
# it, runs the real binary on real files, and compares with reference.py.
# Environment: NGC_BIN (ngram-count), NGC_GEN (ngram-gen), set by ctest.
# NGC_TRUSTED_DIR (optional): a release build of the same sources, whose
# tests passed (tools/run-tests gives the sanitizer stages the release
# stage's tree). $YARDSTICK, the ngram-count a test's own "the in-memory
# run is the reference" uses, is its binary; under TSan its ngram-gen makes
# the inputs too (the generator is one thread: nothing for TSan to check,
# at 10x the time; ASan keeps checking the build's own, which ships).
# Without it both are the build's own.
set -u
: "${NGC_BIN:?set NGC_BIN to the ngram-count binary}"
: "${NGC_GEN:?set NGC_GEN to the ngram-gen binary}"
YARDSTICK=$NGC_BIN
if [ -n "${NGC_TRUSTED_DIR:-}" ]; then
    YARDSTICK=$NGC_TRUSTED_DIR/ngram-count
    [ "${NGC_SANITIZER:-}" = tsan ] && NGC_GEN=$NGC_TRUSTED_DIR/datasets/ngram-gen
    [ -x "$NGC_GEN" ] && [ -x "$YARDSTICK" ] || {
        echo "FAIL: NGC_TRUSTED_DIR=$NGC_TRUSTED_DIR holds no ngram-gen and ngram-count" >&2
        exit 1
    }
fi
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REF="$HERE/reference.py"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ngc-e2e.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
# reference.py looks up a result it has worked out before (same code, same
# options, same input bytes) here; tools/run-tests shares one directory
# between all the tests of all its builds.
export NGC_REF_CACHE=${NGC_REF_CACHE:-$WORK/refcache}
export LC_ALL=C
# Debian's interpreter, which tools/setup --test gives its modules: a
# version manager's python3 on the PATH (a pyenv shim) costs a quarter of a
# second a start, and the tests start it hundreds of times. A directory
# holding only a python3 link goes first on the PATH (not a shell function:
# `python3 server.py &` must leave the server's own pid in $!). The link is
# made once, by a rename, so tests starting together never miss it.
if [ -x /usr/bin/python3 ]; then
    NGC_PYBIN=${TMPDIR:-/tmp}/ngc-python.$(id -u)
    if [ "$(readlink "$NGC_PYBIN/python3" 2>/dev/null)" != /usr/bin/python3 ]; then
        mkdir -p "$NGC_PYBIN" &&
            ln -sfn /usr/bin/python3 "$NGC_PYBIN/python3.$$" &&
            mv -f "$NGC_PYBIN/python3.$$" "$NGC_PYBIN/python3"
    fi
    case ":$PATH:" in
    *":$NGC_PYBIN:"*) ;;
    *) export PATH="$NGC_PYBIN:$PATH" ;;
    esac
fi
PASSED=0
FAILED=0

fail() {
    echo "FAIL: $*" >&2
    FAILED=$((FAILED + 1))
}

pass() {
    PASSED=$((PASSED + 1))
}

# check NAME CONDITION-COMMAND...: runs the command, counts the result.
check() {
    local name=$1
    shift
    if "$@"; then pass; else fail "$name"; fi
}

# same_output NAME REF_ARGS -- NGC_ARGS: the engine's stdout must equal the
# reference's, byte for byte, and the engine must exit 0.
same_output() {
    local name=$1
    shift
    local ref_args=() ngc_args=()
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do ref_args+=("$1"); shift; done
    shift
    ngc_args=("$@")
    python3 "$REF" "${ref_args[@]}" > "$WORK/ref.out" || { fail "$name: reference failed"; return; }
    local rc=0
    "$NGC_BIN" --no-progress "${ngc_args[@]}" > "$WORK/ngc.out" 2> "$WORK/ngc.err" || rc=$?
    if [ "$rc" -ne 0 ]; then
        fail "$name: ngram-count exited $rc: $(head -c 500 "$WORK/ngc.err")"
        return
    fi
    if cmp -s "$WORK/ref.out" "$WORK/ngc.out"; then
        pass
    else
        fail "$name: output differs from the reference ($(wc -l < "$WORK/ngc.out") vs $(wc -l < "$WORK/ref.out") lines)"
        diff "$WORK/ref.out" "$WORK/ngc.out" | head -5 >&2
    fi
}

# same_as NAME REF_FILE NGC_ARGS...: the engine exits 0 and prints REF_FILE.
# A test that may hang sets SAME_AS_LIMIT=SECONDS: a run past it fails as hung.
same_as() {
    local name=$1 ref=$2 rc=0 limit=()
    shift 2
    [ -n "${SAME_AS_LIMIT:-}" ] && limit=(timeout "$SAME_AS_LIMIT")
    "${limit[@]}" "$NGC_BIN" --no-progress "$@" > "$WORK/ngc.out" 2> "$WORK/ngc.err" || rc=$?
    if [ "$rc" -eq 124 ] && [ ${#limit[@]} -gt 0 ]; then
        fail "$name: hung (killed after $SAME_AS_LIMIT s)"
    elif [ "$rc" -ne 0 ]; then
        fail "$name: ngram-count exited $rc: $(head -c 300 "$WORK/ngc.err")"
    elif cmp -s "$ref" "$WORK/ngc.out"; then
        pass
    else
        fail "$name: output differs from the reference ($(wc -l < "$WORK/ngc.out") vs $(wc -l < "$ref") lines)"
        diff "$ref" "$WORK/ngc.out" | head -5 >&2
    fi
}

# expect_exit NAME CODE STDERR_PATTERN ARGS...: exit status and message.
expect_exit() {
    local name=$1 code=$2 pattern=$3
    shift 3
    local rc=0
    "$NGC_BIN" --no-progress "$@" > "$WORK/ngc.out" 2> "$WORK/ngc.err" || rc=$?
    if [ "$rc" -ne "$code" ]; then
        fail "$name: exit $rc, expected $code; stderr: $(head -c 300 "$WORK/ngc.err")"
    elif ! grep -qE -- "$pattern" "$WORK/ngc.err"; then
        fail "$name: stderr lacks /$pattern/: $(head -c 300 "$WORK/ngc.err")"
    else
        pass
    fi
}

# kill_workers COORD LOG [slow]: SIGKILLs a random worker of the run COORD
# (started with -v, stderr in LOG) every 0-59 ms (slow: 0.3-0.7 s) until its
# sort phase is done; KILLS says how many died. Workers only: after the
# sort phase a child of the coordinator can be a sanitizer's own helper.
kill_workers() {
    local coord=$1 log=$2 slow=${3:-} kids
    KILLS=0
    sleep 0.0$((RANDOM % 5))
    while kill -0 "$coord" 2>/dev/null && ! grep -q "sort phase done" "$log"; do
        mapfile -t kids < <(pgrep -P "$coord")
        if [ ${#kids[@]} -gt 0 ]; then
            kill -KILL "${kids[$((RANDOM % ${#kids[@]}))]}" 2>/dev/null && KILLS=$((KILLS + 1))
        fi
        if [ -n "$slow" ]; then
            sleep 0.$((RANDOM % 5 + 3))
        else
            sleep 0.0$((RANDOM % 6))$((RANDOM % 10))
        fi
    done
}

# reduced: true under a sanitizer (tools/run-tests sets NGC_SANITIZER), where
# the point is memory and thread errors on each code path, and in the quick
# loop (tools/run-tests --quick sets NGC_QUICK): a test may then run one
# representative of an option matrix that the full release stage runs whole.
reduced() {
    [ -n "${NGC_SANITIZER:-}" ] || [ -n "${NGC_QUICK:-}" ]
}

# under_tsan: true under ThreadSanitizer, where only the -L proc tests run
# and a section with nothing concurrent to check (paths, formats, file
# systems, which the release and ASan builds cover) may be left out.
under_tsan() {
    [ "${NGC_SANITIZER:-}" = tsan ]
}

finish() {
    echo "$PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ]
}
