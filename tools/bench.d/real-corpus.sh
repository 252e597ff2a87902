#!/usr/bin/env bash
# real-corpus.sh OUT: real English text that Debian packages install,
# concatenated into OUT for tools/text-bench. The files are taken in byte
# order of their paths, so the same installed packages give the same corpus:
#   /usr/share/common-licenses/*, /usr/share/doc/*/copyright,
#   /usr/share/doc/**/{README,NEWS,changelog,*.txt,*.md}[.gz],
#   English man pages (/usr/share/man/man*/, roff requests and font escapes
#   removed), info manuals (/usr/share/info), Perl's pod files (perl-doc)
#   and Python's reST sources (python3-doc, html/_sources).
# To make every peer read the same tokens: CR, FF, VT and NUL become
# spaces, '<s>' and '</s>' (IRSTLM's sentence markers) become '[s]' and
# '[/s]', and lines over 64 KiB or with a token over 200 bytes are dropped.
# Prints 'files N' to standard error.
set -euo pipefail
out=${1:?usage: real-corpus.sh OUT}
export LC_ALL=C
list=$(mktemp)
trap 'rm -f "$list"' EXIT
{
    find /usr/share/common-licenses -type f
    find /usr/share/doc -name copyright -type f
    find /usr/share/doc -type f \( -name 'README*' -o -name 'NEWS*' -o -name 'changelog*' \
        -o -name '*.txt' -o -name '*.md' -o -name '*.txt.gz' -o -name '*.md.gz' \) \
        ! -path '*/html/*' ! -name '*.html*'
    find /usr/share/doc -path '*/html/_sources/*' -name '*.txt' -type f
    find /usr/share/man -path '/usr/share/man/man*' -type f -name '*.gz'
    find /usr/share/info -type f -name '*.info*'
    find /usr/share/perl /usr/lib/x86_64-linux-gnu/perl /usr/share/perl5 -name '*.pod' -type f 2>/dev/null || true
} | sort -u > "$list"
echo "files $(wc -l < "$list")" >&2
while IFS= read -r f; do
    case $f in
    /usr/share/man/*) zcat -f -- "$f" | sed -e "/^[.']/d" -e 's/\\f[BIRP1-4]//g' -e 's/\\f(..//g' \
                          -e 's/\\(..//g' -e 's/\\-/-/g' -e 's/\\&//g' -e 's/\\e/\\/g' ;;
    *) zcat -f -- "$f" ;;
    esac
done < "$list" |
    tr '\r\f\v\000' '    ' |
    sed -e 's#<s>#[s]#g' -e 's#</s>#[/s]#g' |
    mawk 'length($0) > 65536 { next }
          { for (i = 1; i <= NF; i++) if (length($i) > 200) next; print }' > "$out"
