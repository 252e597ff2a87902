#!/usr/bin/env bash
# House-style checks of the C code, run by the test suite (test 'style').
# Layout is clang-format's, with the repository's .clang-format: a file it
# would change fails. The rest is what clang-format does not check: C
# comments only, no trailing whitespace or tabs inside comments and strings
# (clang-format leaves those), header guards named after the path, no
# disabled code, no banned functions.
#
# usage: tools/check-style.sh [--fix] [FILE...]
# Without FILEs it checks every C file of engine/, workers/, datasets/ and
# tests/. --fix rewrites the files in clang-format's layout first (the other
# checks still only complain), and says how many lines it changed.
set -u
# The checks below pipe into complain, which must set status in this shell.
shopt -s lastpipe
cd "$(dirname "$0")/.."
fix=false
if [ "${1:-}" = --fix ]; then
    fix=true
    shift
fi
case "${1:-}" in
-h|--help)
    sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
    exit 0 ;;
-*)
    echo "usage: tools/check-style.sh [--fix] [FILE...]" >&2
    exit 2 ;;
esac
status=0
complain() {
    echo "style: $*"
    status=1
}
if [ $# -gt 0 ]; then
    files=("$@")
else
    mapfile -t files < <(git ls-files 'engine/*.[ch]' 'workers/*.[ch]' 'tests/*.[ch]' \
                                      'datasets/*.[ch]' 2>/dev/null)
    [ ${#files[@]} -gt 0 ] ||
        mapfile -t files < <(find engine workers tests datasets -name "*.[ch]" | sort)
fi

# clang-format 14 is what Debian 12 (and so CI, through tools/setup --test)
# installs; other versions lay out a few constructs differently.
cf=${CLANG_FORMAT:-}
if [ -z "$cf" ]; then
    cf=clang-format
    command -v clang-format-14 > /dev/null && cf=clang-format-14
fi
if ! command -v "$cf" > /dev/null; then
    complain "$cf not found (tools/setup --test installs it)"
elif $fix; then
    changed=0
    for f in "${files[@]}"; do
        n=$("$cf" --style=file "$f" | diff -U0 "$f" - | grep -c '^-[^-]')
        if [ "$n" -gt 0 ]; then
            "$cf" --style=file -i "$f"
            changed=$((changed + n))
        fi
    done
    echo "style: clang-format changed $changed lines"
else
    # One run for all files; its complaints start "file:line:col: error:".
    out=$("$cf" --style=file --dry-run --Werror "${files[@]}" 2>&1)
    rc=$?
    bad=$(printf '%s\n' "$out" | sed -n 's/^\([^:]*\):[0-9]*:[0-9]*: error: .*/\1/p' | uniq)
    for f in $bad; do
        complain "$f: not in clang-format's layout (see: $cf --style=file $f | diff $f -;" \
                 "tools/check-style.sh --fix $f rewrites it)"
    done
    [ $rc -eq 0 ] || [ -n "$bad" ] || complain "$cf failed: $(printf '%s\n' "$out" | head -3)"
fi

# Each check reads every file in one grep (a process per file and check
# cost the suite 15 s); a check names the files it fails.
per_file() { # per_file MESSAGE: complains once per file named on stdin
    local f
    while IFS= read -r f; do
        complain "$f: $1"
    done < <(cut -d: -f1 | uniq)
}
trailing=$(grep -nE '[[:space:]]+$' "${files[@]}" /dev/null)
if [ -n "$trailing" ]; then
    printf '%s\n' "$trailing" | head -10 | sed 's/^/style: /; s/$/ trailing whitespace/'
    status=1
fi
grep -lP '\t' "${files[@]}" /dev/null | per_file "tab characters (indent with spaces)"
grep -nE '^[^"]*(^|[^:*])//' "${files[@]}" /dev/null | grep -v 'http' |
    per_file "// comment (use /* */)"
grep -lE '^#if 0' "${files[@]}" /dev/null | per_file "#if 0 block"
grep -nE '\b(sprintf|strcpy|strcat|strtok|atoi)\(' "${files[@]}" /dev/null | grep -v 'deprecated' |
    per_file "banned function"
for f in "${files[@]}"; do
    case "$f" in
    *.h)
        guard=${f%.h}
        guard=${guard^^}
        guard="NGC_${guard//[\/.-]/_}_H"
        IFS= read -r -d '' text < "$f" || true
        [[ $text == *"#ifndef $guard"* ]] || complain "$f: header guard should be $guard"
        ;;
    esac
done
exit $status
