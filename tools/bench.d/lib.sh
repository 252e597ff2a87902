# Shell helpers of tools/text-bench and tools/pg-load-bench, which source
# this file from the repository's root.

# need_build TOOL BIN: stops TOOL when BIN (the ngram-count it times) is not built.
need_build() {
    [ -x "$2" ] || { echo "$1: build first (cmake --build build)" >&2; exit 2; }
}
# now: wall-clock seconds, for since.
now() { date +%s.%N; }
# since T [FORMAT]: the seconds from T (a now) to now, printed with printf's
# FORMAT (default: as awk prints a number, 6 significant digits).
since() {
    awk -v a="$1" -v b="$(now)" -v f="${2:-}" 'BEGIN { if (f == "") print b - a; else printf f, b - a }'
}
# median: the median of the numbers on standard input, one a line (of an
# even count, the lower of the two in the middle).
median() { sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
# spread: "min-max" of the numbers on standard input, one a line.
spread() { sort -n | awk 'NR==1{a=$1} {b=$1} END{print a "-" b}'; }
