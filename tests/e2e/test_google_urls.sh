#!/usr/bin/env bash
# datasets/google-urls prints Google's published names: the patterns and
# counts cited in its help (2012: googlebooks-eng-all-2gram-20120701-ab.gz;
# 2020: 20200217/eng/2-00000-of-00589.gz; 2009: ...-2gram-20090715-99.csv.zip).
# One Python process runs the script for every case (fast under load); one
# real run checks the command line itself.
# ctest: labels=quick cost=10
. "$(dirname "$0")/lib.sh"
G=$HERE/../../datasets/google-urls

check "the command runs" test "$("$G" --release 2012 --order 2 ab)" = \
    "http://storage.googleapis.com/books/ngrams/books/googlebooks-eng-all-2gram-20120701-ab.gz"
python3 - "$G" > "$WORK/results" 2>&1 <<'PY'
import contextlib, io, re, runpy, sys

G = sys.argv[1]
B = "http://storage.googleapis.com/books/ngrams/books/"
B20 = "https://storage.googleapis.com/books/ngrams/books/20200217/"


def run(*args):
    """(exit status, lines printed)"""
    out, err = io.StringIO(), io.StringIO()
    sys.argv = ["google-urls"] + list(args)
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            runpy.run_path(G, run_name="__main__")
        except SystemExit as e:
            code = 0 if e.code in (None, 0) else 1
    return code, out.getvalue().splitlines()


def check(name, ok):
    print(("PASS " if ok else "FAIL ") + name)


check("2020 eng 2-gram shard 0",
      run("--release", "2020", "--corpus", "eng", "--order", "2", "--shards", "0")
      == (0, [B20 + "eng/2-00000-of-00589.gz"]))
for n, total in ((1, 24), (2, 589), (3, 6881), (4, 6668), (5, 19423)):
    code, urls = run("--release", "2020", "--order", str(n))
    check("2020 eng %d-grams: %d distinct shards" % (n, total),
          code == 0 and len(set(urls)) == len(urls) == total)
    check("2020 eng %d-grams: names" % n,
          urls == [B20 + "eng/%d-%05d-of-%05d.gz" % (n, k, total) for k in range(total)])
pat = re.compile(r"googlebooks-eng-all-(\d)gram-20120701-"
                 r"([0-9]|[a-z]|[a-z][a-z_]|other|pos|punctuation|_[A-Z]+_)\.gz$")
for n, total in ((1, 39), (2, 724), (3, 724), (4, 724), (5, 723)):
    code, urls = run("--release", "2012", "--order", str(n))
    check("2012 %d-grams: %d files" % (n, total), code == 0 and len(set(urls)) == len(urls) == total)
    check("2012 %d-grams: pattern" % n,
          all(u.startswith(B) and pat.search(u) and pat.search(u).group(1) == str(n) for u in urls))
    names = {pat.search(u).group(2) for u in urls}
    if n == 1:
        check("2012 1-grams: 0..9, a..z, other, pos, punctuation",
              {"0", "9", "a", "z", "other", "pos", "punctuation"} <= names)
    else:
        check("2012 %d-grams: a_, zz, _NOUN_, _PRT_, other, punctuation" % n,
              {"a_", "zz", "_NOUN_", "_PRT_", "other", "punctuation"} <= names)
        check("2012 %d-grams: qk only below 5" % n, ("qk" in names) == (n < 5))
for n, total in ((1, 10), (2, 100), (3, 200), (4, 400), (5, 800)):
    code, urls = run("--release", "2009", "--order", str(n))
    check("2009 %d-grams: %d files" % (n, total),
          code == 0 and urls == [B + "googlebooks-eng-all-%dgram-20090715-%d.csv.zip" % (n, k)
                                 for k in range(total)])
check("2020 --shards 3,7-9", len(run("--release", "2020", "--order", "1", "--shards", "3,7-9")[1]) == 4)
check("2012 corpus, prefix and totals",
      run("--release", "2012", "--corpus", "fre", "--order", "1", "--totals", "a")
      == (0, [B + "googlebooks-fre-all-totalcounts-20120701.txt",
              B + "googlebooks-fre-all-1gram-20120701-a.gz"]))
check("2020 totals: the 1-gram totals",
      run("--release", "2020", "--order", "3", "--totals", "--shards", "0")[1][0]
      == B20 + "eng/totalcounts-1")
check("2020 other corpus needs --shards-total",
      run("--release", "2020", "--corpus", "fre", "--order", "1")[0] == 1)
check("2020 --shards-total",
      run("--release", "2020", "--corpus", "fre", "--order", "1", "--shards-total", "6")[1][-1]
      == B20 + "fre/1-00005-of-00006.gz")
check("a 2012 prefix that does not exist", run("--release", "2012", "--order", "1", "zz")[0] == 1)
check("a shard out of range", run("--release", "2020", "--order", "1", "--shards", "24")[0] == 1)
check("prefixes are for 2012 only", run("--release", "2020", "--order", "1", "a")[0] == 1)
PY
while read -r verdict name; do
    if [ "$verdict" = PASS ]; then pass; else fail "$verdict $name"; fi
done < "$WORK/results"
check "the Python checks ran" test "$(grep -c '^PASS' "$WORK/results")" -ge 40
finish
