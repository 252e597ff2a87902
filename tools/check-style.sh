#!/usr/bin/env bash
# House-style checks that a compiler does not make: C comments only, no
# trailing whitespace or tabs, header guards named after the path, no
# disabled code, no banned functions. Run by the test suite.
set -u
cd "$(dirname "$0")/.."
status=0
complain() {
    echo "style: $*"
    status=1
}
files=$(git ls-files 'engine/*.[ch]' 'workers/*.[ch]' 'tests/*.c' 'datasets/*.[ch]' 2>/dev/null ||
        ls engine/*.[ch] workers/*.[ch] tests/*.c datasets/gen/*.[ch])
for f in $files; do
    grep -nE '[[:space:]]+$' "$f" | sed "s|^|$f:|;s|$| trailing whitespace|" | head -3 | while read -r l; do echo "style: $l"; done
    grep -qE '[[:space:]]+$' "$f" && status=1
    grep -nP '\t' "$f" > /dev/null && complain "$f: tab characters (indent with spaces)"
    grep -nE '^[^"]*(^|[^:*])//' "$f" | grep -v 'http' > /dev/null && complain "$f: // comment (use /* */)"
    grep -nE '^#if 0' "$f" > /dev/null && complain "$f: #if 0 block"
    grep -nE '\b(sprintf|strcpy|strcat|strtok|atoi)\(' "$f" | grep -v 'deprecated' > /dev/null &&
        complain "$f: banned function"
    case "$f" in
    *.h)
        guard="NGC_$(echo "${f%.h}" | tr 'a-z/.-' 'A-Z___')_H"
        grep -q "#ifndef $guard" "$f" || complain "$f: header guard should be $guard"
        ;;
    esac
done
exit $status
