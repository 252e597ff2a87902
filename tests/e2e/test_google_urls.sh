#!/usr/bin/env bash
# datasets/google-urls prints Google's published names: the patterns and
# counts cited in its help (2012: googlebooks-eng-all-2gram-20120701-ab.gz;
# 2020: 20200217/eng/2-00000-of-00589.gz; 2009: ...-2gram-20090715-99.csv.zip).
. "$(dirname "$0")/lib.sh"
G=$HERE/../../datasets/google-urls
B=http://storage.googleapis.com/books/ngrams/books
B20=https://storage.googleapis.com/books/ngrams/books/20200217

check "2012 2-gram 'ab'" test "$("$G" --release 2012 --order 2 ab)" = "$B/googlebooks-eng-all-2gram-20120701-ab.gz"
check "2020 eng 2-gram shard 0" test "$("$G" --release 2020 --corpus eng --order 2 --shards 0)" = "$B20/eng/2-00000-of-00589.gz"
for n in "1 24" "2 589" "3 6881" "4 6668" "5 19423"; do
    set -- $n
    "$G" --release 2020 --order $1 > "$WORK/u"
    check "2020 eng $1-grams: $2 shards" test "$(wc -l < "$WORK/u")" -eq $2
    check "2020 eng $1-grams: names" test "$(tail -n 1 "$WORK/u")" = "$B20/eng/$1-$(printf %05d $(($2 - 1)))-of-$(printf %05d $2).gz"
    check "2020 eng $1-grams: distinct" test "$(sort -u "$WORK/u" | wc -l)" -eq $2
done
for n in "1 39" "2 724" "3 724" "4 724" "5 723"; do
    set -- $n
    "$G" --release 2012 --order $1 > "$WORK/u"
    check "2012 $1-grams: $2 files" test "$(wc -l < "$WORK/u")" -eq $2
    check "2012 $1-grams: pattern" test -z "$(grep -vE "^$B/googlebooks-eng-all-$1gram-20120701-([0-9]|[a-z]|[a-z][a-z_]|other|pos|punctuation|_[A-Z]+_)\.gz\$" "$WORK/u")"
done
check "2012 1-grams have pos, 2-grams _NOUN_ and a_, 5-grams no qk" bash -c \
    "'$G' --release 2012 --order 1 | grep -q -- '-pos.gz\$' && '$G' --release 2012 --order 2 | grep -q -- '-_NOUN_.gz\$' &&
     '$G' --release 2012 --order 2 | grep -q -- '-a_.gz\$' && ! '$G' --release 2012 --order 5 | grep -q -- '-qk.gz\$'"
for n in "1 10" "2 100" "3 200" "4 400" "5 800"; do
    set -- $n
    "$G" --release 2009 --order $1 > "$WORK/u"
    check "2009 $1-grams: $2 files" test "$(wc -l < "$WORK/u")" -eq $2
    check "2009 $1-grams: last" test "$(tail -n 1 "$WORK/u")" = "$B/googlebooks-eng-all-$1gram-20090715-$(($2 - 1)).csv.zip"
done
check "2020 --shards 3,7-9" test "$("$G" --release 2020 --order 1 --shards 3,7-9 | wc -l)" -eq 4
check "2012 corpus and totals" test "$("$G" --release 2012 --corpus fre --order 1 --totals a)" = \
    "$B/googlebooks-fre-all-totalcounts-20120701.txt
$B/googlebooks-fre-all-1gram-20120701-a.gz"
check "2020 other corpus needs --shards-total" bash -c "! '$G' --release 2020 --corpus fre --order 1 2>/dev/null"
check "2020 --shards-total" test "$("$G" --release 2020 --corpus fre --order 1 --shards-total 6 | tail -n 1)" = "$B20/fre/1-00005-of-00006.gz"
check "a 2012 prefix that does not exist" bash -c "! '$G' --release 2012 --order 1 zz 2>/dev/null"
check "a shard out of range" bash -c "! '$G' --release 2020 --order 1 --shards 24 2>/dev/null"
finish
