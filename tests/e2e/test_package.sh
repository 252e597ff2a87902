#!/usr/bin/env bash
# Label large (a build and a package): the static build (NGC_STATIC=ON,
# NGC_WITH_PG=OFF) is not a dynamic executable, counts under env -i, and
# says it has no PostgreSQL; the .deb of this build (cpack -G DEB) has its
# Depends from dpkg-shlibdeps, installs with dpkg -i, runs, has its man page
# and completions, and is removed again.
# ctest: labels=large cost=40
. "$(dirname "$0")/lib.sh"
BUILD=$(dirname "$NGC_BIN")
SRC=$(cd "$HERE/../.." && pwd)
SAMPLE=$SRC/datasets/sample-1gram.tsv
"$NGC_BIN" --no-progress --top 3 "$SAMPLE" > "$WORK/expected"

# The static build: what it links, not how fast it runs, is under test, so
# unoptimized and only the two programs (half the compile time).
S=$WORK/static
if cmake -S "$SRC" -B "$S" -DNGC_STATIC=ON -DNGC_WITH_PG=OFF -DNGC_TESTS=OFF \
        -DCMAKE_BUILD_TYPE=Debug > "$WORK/static.log" 2>&1 &&
   cmake --build "$S" -j2 --target ngram-count ngram-gen >> "$WORK/static.log" 2>&1; then
    ldd "$S/ngram-count" > "$WORK/ldd" 2>&1
    check "static: not a dynamic executable ($(cat "$WORK/ldd"))" grep -q "not a dynamic executable" "$WORK/ldd"
    check "static: ngram-gen too" sh -c "ldd '$S/datasets/ngram-gen' 2>&1 | grep -q 'not a dynamic'"
    (cd / && env -i "$S/ngram-count" --no-progress --top 3 "$SAMPLE") > "$WORK/static.out" 2>&1
    check "static: counts under env -i" cmp -s "$WORK/expected" "$WORK/static.out"
    rc=0
    env -i "$S/ngram-count" --pg '' "$SAMPLE" > /dev/null 2> "$WORK/nopg.err" || rc=$?
    check "static: --pg exit 2" test "$rc" -eq 2
    check "static: --pg says why" grep -q "built without PostgreSQL support" "$WORK/nopg.err"
else
    fail "static build: $(tail -5 "$WORK/static.log")"
fi

# The Debian package of the build under test.
if [ "$(id -u)" -ne 0 ] && ! sudo -n true 2> /dev/null; then
    fail "dpkg -i needs root or passwordless sudo"
    finish
    exit
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo -n"
if dpkg-query -W ngram-count > /dev/null 2>&1; then
    fail "a package ngram-count is already installed: not touching it"
    finish
    exit
fi
(cd "$BUILD" && cpack -G DEB -B "$WORK/deb") > "$WORK/cpack.log" 2>&1 ||
    fail "cpack: $(tail -5 "$WORK/cpack.log")"
deb=$(ls "$WORK"/deb/ngram-count_*.deb 2> /dev/null | head -1)
check "cpack wrote a .deb" test -n "$deb"
if [ -n "$deb" ]; then
    dpkg-deb -f "$deb" Depends > "$WORK/depends"
    for lib in libc6 libevent-core zlib1g libutf8proc libxxhash; do
        check "Depends has $lib ($(cat "$WORK/depends"))" grep -q "$lib" "$WORK/depends"
    done
    # The libraries opened when a run needs them (engine/base/dlib.h) are
    # not linked: Depends names them all the same.
    for lib in libpq5 libcurl4 libarchive13 libcairo2 libfontconfig1; do
        dpkg-query -W "$lib" > /dev/null 2>&1 || continue
        check "Depends has $lib, which is opened when needed ($(cat "$WORK/depends"))" \
            grep -q "$lib" "$WORK/depends"
    done
    check "the binary links none of them" sh -c \
        "! readelf -d '$BUILD/ngram-count' | grep -E 'NEEDED.*(libpq|libcurl|libarchive|libcairo)'"
    $sudo dpkg -i "$deb" > "$WORK/dpkg.log" 2>&1 || fail "dpkg -i: $(tail -5 "$WORK/dpkg.log")"
    /usr/bin/ngram-count --no-progress --top 3 "$SAMPLE" > "$WORK/deb.out" 2>&1
    check "deb: /usr/bin/ngram-count counts" cmp -s "$WORK/expected" "$WORK/deb.out"
    check "deb: man ngram-count" sh -c "MANWIDTH=80 man ngram-count 2>/dev/null | grep -q SYNOPSIS"
    check "deb: bash completion" test -s /usr/share/bash-completion/completions/ngram-count
    check "deb: zsh completion" test -s /usr/share/zsh/vendor-completions/_ngram-count
    $sudo dpkg -r ngram-count > "$WORK/dpkg-r.log" 2>&1 || fail "dpkg -r: $(tail -3 "$WORK/dpkg-r.log")"
    check "deb: removed" test ! -e /usr/bin/ngram-count
fi
finish
