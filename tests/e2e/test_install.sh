#!/usr/bin/env bash
# cmake --install into a temporary prefix: the binaries run from there, the
# man page renders and lists every option of --help (it is written from
# --help), and the bash and zsh completions load and know every long option.
# ctest: labels=quick cost=10
. "$(dirname "$0")/lib.sh"
BUILD=$(dirname "$NGC_BIN")
SRC=$(cd "$HERE/../.." && pwd)
P=$WORK/prefix

cmake --install "$BUILD" --prefix "$P" > "$WORK/install.log" 2>&1 ||
    fail "cmake --install: $(tail -3 "$WORK/install.log")"
for f in bin/ngram-count bin/ngram-gen share/man/man1/ngram-count.1 \
         share/bash-completion/completions/ngram-count share/zsh/site-functions/_ngram-count \
         share/doc/ngram-count/README.md share/doc/ngram-count/ARCHITECTURE.md; do
    check "installed $f" test -s "$P/$f"
done

# The installed binary runs and counts.
"$P/bin/ngram-count" --no-progress --top 1 "$SRC/datasets/sample-1gram.tsv" > "$WORK/top" 2>&1
check "installed binary counts" grep -q "^the	" "$WORK/top"
"$P/bin/ngram-count" --version > "$WORK/version"
check "--version" grep -qE '^ngram-count [0-9]+\.[0-9]+\.[0-9]+$' "$WORK/version"

# Every long option of --help, as the completions and the man page must know them.
"$NGC_BIN" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u > "$WORK/opts"
check "--help lists options" test "$(wc -l < "$WORK/opts")" -gt 30

MANWIDTH=100 man -l "$P/share/man/man1/ngram-count.1" > "$WORK/man.txt" 2> "$WORK/man.err"
check "man -l renders" test -s "$WORK/man.txt"
check "man: no warnings" test ! -s "$WORK/man.err"
for s in NAME SYNOPSIS DESCRIPTION EXAMPLES; do
    check "man: section $s" grep -q "^$s" "$WORK/man.txt"
done
# man hyphenates and may break a long option over two lines: join them.
tr -d '\n‐' < "$WORK/man.txt" | tr -s ' ' > "$WORK/man.flat"
while read -r o; do
    check "man page has $o" grep -qF -- "$o" "$WORK/man.flat"
done < "$WORK/opts"

# bash: the completion loads, registers, and completes options and values.
BC=$P/share/bash-completion/completions/ngram-count
out=$(bash -c "source '$BC' && complete -p ngram-count")
check "bash: complete -p" test "$out" = "complete -F _ngram_count ngram-count"
bash_complete() {
    bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _ngram_count;
             printf "%s\n" "${COMPREPLY[@]}"' _ "$BC" "$@"
}
check "bash: --po" test "$(bash_complete ngram-count --po | tr '\n' ' ')" = "--pos "
check "bash: --pos values" test "$(bash_complete ngram-count --pos '' | tr '\n' ' ')" = "keep drop strip "
check "bash: --format values" test "$(bash_complete ngram-count --format v | tr '\n' ' ')" = "v1 v2 v3 "
mkdir "$WORK/files" && touch "$WORK/files/a.tsv.gz"
check "bash: files" test "$(cd "$WORK/files" && bash_complete ngram-count a)" = "a.tsv.gz"
bash_complete ngram-count -- > "$WORK/bash.opts"
while read -r o; do
    check "bash completes $o" grep -qxF -- "$o" "$WORK/bash.opts"
done < "$WORK/opts"

# zsh: compinit finds the function in the installed directory and it loads.
ZD=$P/share/zsh/site-functions
if command -v zsh > /dev/null; then
    out=$(zsh -fc "fpath=('$ZD' \$fpath); autoload -Uz compinit; compinit -u -d '$WORK/zcd';
                   print -r -- \${_comps[ngram-count]}; autoload +X _ngram-count && print loaded" 2>&1)
    check "zsh: compinit registers _ngram-count ($out)" test "$out" = "_ngram-count
loaded"
    while read -r o; do
        check "zsh completes $o" grep -qE -- "(^|[{'(),*])$o(\[|=|,|\+|})" "$ZD/_ngram-count"
    done < "$WORK/opts"
else
    fail "zsh is not installed (tools/setup --test installs it)"
fi
finish
