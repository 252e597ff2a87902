#!/usr/bin/env python3
"""An independent reference for ngram-count's e2e tests.

A second implementation, written from the specification rather than from the
engine's code: plain Python dictionaries and exact integers, one process.
Prints `ngram TAB total` (or `ngram TAB match TAB volume`) most frequent
first, ties in byte order. Usage mirrors ngram-count's options.

Google Books formats (--format auto|v1|v2|v3): v1 `ngram TAB year TAB match
TAB page TAB volume`, v2 `ngram TAB year TAB match TAB volume`, v3 `ngram
(TAB year,match,volume)+`; auto picks one per file by a vote of its first
64 KiB. Raw text (--text): the n-grams of order 1..N of every line.
--normalize divides by a totals file exactly (fractions) and prints 17
significant digits. `reference.py --self-test` checks the reference itself.
"""
import argparse
import fractions
import gzip
import hashlib
import io
import json
import os
import pickle
import random
import re
import sys
import unicodedata
from collections import Counter

TAGS = {b"NOUN", b"VERB", b"ADJ", b"ADV", b"PRON", b"DET", b"ADP", b"NUM",
        b"CONJ", b"PRT", b"X", b"."}
TAG_ONLY = {b"_" + t + b"_" for t in TAGS | {b"START", b"END", b"ROOT"}}
NUMBER = re.compile(rb"[0-9]+\Z")
LINE_MAX = 1 << 20
U64 = (1 << 64) - 1
DETECT_BYTES = 64 * 1024


_STDIN = None                   # stdin's content, once read (Cache)


def read_input(path):
    """The whole (inflated) content of a file, or of stdin for '-'."""
    if path == "-" and _STDIN is not None:
        data = _STDIN
        return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
    raw = sys.stdin.buffer if path == "-" else open(path, "rb")
    try:
        head = raw.peek(2)[:2] if hasattr(raw, "peek") else b""
        if head == b"\x1f\x8b":
            with gzip.GzipFile(fileobj=raw) as g:
                return g.read()
        return raw.read()
    finally:
        if raw is not sys.stdin.buffer:
            raw.close()


def split_lines(data):
    """Lines without their LF; the last one may lack it."""
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    return lines


def split_tag(token):
    """(word, tagged?) for one token."""
    if token in TAG_ONLY:
        return token, True
    i = token.rfind(b"_")
    if i > 0 and token[i + 1:] in TAGS:
        return token[:i], True
    return token, False


def transform(key, args):
    if args.pos != "keep":
        tokens = key.split(b" ")
        parts = [split_tag(t) for t in tokens]
        if args.pos == "drop":
            if any(tagged for _, tagged in parts):
                return None
        else:
            if not all(tagged and t not in TAG_ONLY for t, (_, tagged) in zip(tokens, parts)):
                return None
            key = b" ".join(w for w, _ in parts)
    if args.fold_case:
        try:
            key = key.decode("utf-8").casefold().encode("utf-8")
        except UnicodeDecodeError:
            pass
    return key


# --- Google Books formats -------------------------------------------------
# Each parser takes a line without its LF and returns (ngram, [(year, match,
# volume), ...]) or None when the line is malformed.

def numbers(fields):
    """The integers of decimal fields, or None: digits only, no sign."""
    if not all(NUMBER.match(f) for f in fields):
        return None
    return [int(f) for f in fields]


def record(year, match, volume):
    if not 1 <= year <= 9999 or match > U64 or volume > U64:
        return None
    return year, match, volume


def fields_of(line):
    if len(line) > LINE_MAX:
        return None
    if line.endswith(b"\r"):
        line = line[:-1]
    return line.split(b"\t")


def parse_v1(line):
    fields = fields_of(line)
    if fields is None or len(fields) != 5 or not fields[0]:
        return None
    n = numbers(fields[1:])
    if n is None or n[2] > U64:          # page: a number, otherwise ignored
        return None
    r = record(n[0], n[1], n[3])
    return None if r is None else (fields[0], [r])


# v2 is most of the tests' data: one regex call a line (the field rules of
# fields_of and numbers, written as a pattern) takes half the time.
V2_LINE = re.compile(rb"([^\t]+)\t([0-9]+)\t([0-9]+)\t([0-9]+)\r?")


def parse_v2(line):
    m = V2_LINE.fullmatch(line) if len(line) <= LINE_MAX else None
    if m is None:
        return None
    r = record(int(m[2]), int(m[3]), int(m[4]))
    return None if r is None else (m[1], [r])


def parse_v3(line):
    fields = fields_of(line)
    if fields is None or len(fields) < 2 or not fields[0]:
        return None
    records = []
    for triple in fields[1:]:
        parts = triple.split(b",")
        if len(parts) != 3:
            return None
        n = numbers(parts)
        if n is None:
            return None
        r = record(*n)
        if r is None:
            return None
        records.append(r)
    return fields[0], records


PARSERS = {"v1": parse_v1, "v2": parse_v2, "v3": parse_v3}


def detect(data, path):
    """The format of one file: a vote of its complete lines in the first
    64 KiB (the last line counts too when the whole file fits). A file with
    no non-empty line there has nothing to decide and reads as v2."""
    window = data[:DETECT_BYTES]
    lines = window.split(b"\n")
    if len(data) > DETECT_BYTES or lines[-1] == b"":
        lines.pop()                       # cut by the window, or empty
    votes = Counter()
    nonempty = 0
    for line in lines:
        if line in (b"", b"\r"):
            continue
        nonempty += 1
        for name, parse in PARSERS.items():
            if parse(line) is not None:
                votes[name] += 1
    if nonempty == 0:
        return "v2"
    if not votes:
        sys.exit("reference: '%s' is none of v1, v2, v3 (use --format or --text)" % path)
    ranked = votes.most_common()
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        sys.exit("reference: '%s': a tie between %s and %s, which the spec leaves open"
                 % (path, ranked[0][0], ranked[1][0]))
    return ranked[0][0]


# --- Selections (--select, --select-file) ----------------------------------
# Entries get the keys' own treatment: --pos strip removes the tag of each
# tagged token (an untagged word stays), --fold-case folds. A token "*"
# stands for any one token.

def selection_entry(entry, args):
    if args.pos == "strip":
        entry = b" ".join(split_tag(t)[0] if t not in TAG_ONLY else t
                          for t in entry.split(b" "))
    if args.fold_case:
        try:
            entry = entry.decode("utf-8").casefold().encode("utf-8")
        except UnicodeDecodeError:
            pass
    return entry


def read_selection(args):
    """The list of entries, None without a selection."""
    raw = []
    for lst in args.select or []:
        raw += [e.strip(b" ") for e in lst.encode("utf-8", "surrogateescape").split(b",")]
    for path in args.select_file or []:
        with open(path, "rb") as f:
            for line in f.read().split(b"\n"):
                line = line.rstrip(b"\r").strip(b" ")
                if line:
                    raw.append(line)
    if args.select is None and args.select_file is None:
        return None
    if not raw or any(e == b"" for e in raw):
        usage("empty selection")
    return sorted(set(selection_entry(e, args) for e in raw))


def selected(key, selection):
    if selection is None:
        return True
    tokens = key.split(b" ")
    for entry in selection:
        pattern = entry.split(b" ")
        if len(pattern) == len(tokens) and all(p == b"*" or p == t
                                               for p, t in zip(pattern, tokens)):
            return True
    return False


def count_google(data, fmt, args, totals):
    """Adds one file's records to totals; returns its malformed line count."""
    parse = PARSERS[fmt]
    malformed = 0
    lo, hi = args.from_year, args.to_year
    for line in split_lines(data):
        v = parse(line)
        if v is None:
            malformed += 1
            continue
        key, records = v
        if args.by_year:
            # One key per (ngram, year): the ngram, TAB, the year in 4 digits.
            key = transform(key, args)
            if key is None or not selected(key, args.selects):
                continue
            for year, match, volume in records:
                if lo <= year <= hi:
                    yk = key + b"\t%04d" % year
                    tm, tv = totals.get(yk, (0, 0))
                    totals[yk] = (tm + match, tv + volume)
            continue
        m = vol = 0
        seen = False
        for year, match, volume in records:
            if lo <= year <= hi:
                m += match
                vol += volume
                seen = True
        if not seen:
            continue
        key = transform(key, args)
        if key is None or not selected(key, args.selects):
            continue
        tm, tv = totals.get(key, (0, 0))
        totals[key] = (tm + m, tv + vol)
    return malformed


# --- Raw text -------------------------------------------------------------

WHITESPACE_CATS = {"Zs", "Zl", "Zp"}
WHITESPACE_CHARS = {"\t", "\n", "\x0b", "\x0c", "\r", "\x85"}


def char_class(cp):
    """'w' word, 's' whitespace, 'p' a token by itself (the spec's words)."""
    c = chr(cp)
    cat = unicodedata.category(c)
    if c in WHITESPACE_CHARS or cat in WHITESPACE_CATS:
        return "s"
    if cat[0] in "LMN":
        return "w"
    return "p"


def ranges_of(kind):
    """A regex character class body with every code point of that kind."""
    out = []
    start = None
    for cp in range(0x110001):
        inside = cp <= 0x10FFFF and not 0xD800 <= cp <= 0xDFFF and char_class(cp) == kind
        if inside and start is None:
            start = cp
        elif not inside and start is not None:
            end = cp - 1
            out.append(re.escape(chr(start)) if start == end else
                       "%s-%s" % (re.escape(chr(start)), re.escape(chr(end))))
            start = None
    return "".join(out)


_WORDS_RE = None
# ASCII lines (most of them) take a bytes regex built from the same rule.
ASCII_WORDS_RE = re.compile(
    b"[%s]+|[^%s\x80-\xff]" % tuple(
        b"".join(re.escape(bytes([c])) for c in range(128) if char_class(c) == k) for k in "ws"))


def words_re():
    global _WORDS_RE
    if _WORDS_RE is None:
        _WORDS_RE = re.compile(words_re_source())
    return _WORDS_RE


def words_re_source():
    """The words regex: classifying every code point takes a second or two,
    so with NGC_REF_CACHE it is worked out once per Unicode version."""
    build = lambda: "[%s]+|[^%s]" % (ranges_of("w"), ranges_of("s"))
    cache = os.environ.get("NGC_REF_CACHE")
    if not cache:
        return build()
    with open(os.path.abspath(__file__), "rb") as f:
        h = hashlib.sha256(f.read())
    h.update(("%s %s" % (sys.version, unicodedata.unidata_version)).encode())
    path = os.path.join(cache, h.hexdigest() + ".wordsre")
    try:
        with open(path, encoding="utf-8", newline="") as f:
            return f.read()
    except FileNotFoundError:
        pass
    src = build()
    os.makedirs(cache, exist_ok=True)
    tmp = "%s.%d.tmp" % (path, os.getpid())
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        f.write(src)
    os.replace(tmp, path)
    return src


def tokenize_words_slow(s):
    """The spec's words rule, one character at a time (checks words_re)."""
    out, run = [], []
    for c in s:
        k = char_class(ord(c))
        if k == "w":
            run.append(c)
            continue
        if run:
            out.append("".join(run))
            run = []
        if k == "p":
            out.append(c)
    if run:
        out.append("".join(run))
    return out


def fold_bytes_token(t):
    try:
        return t.decode("utf-8").casefold().encode("utf-8")
    except UnicodeDecodeError:
        return t


def tokens_of(line, args):
    """The tokens of one line (bytes), or None when the line is malformed."""
    if len(line) > LINE_MAX:
        return None
    if args.tokenize == "space":
        if args.fold_case:
            try:
                # Folding never makes or removes ASCII whitespace (self-test),
                # so folding the line equals folding each token.
                line = line.decode("utf-8").casefold().encode("utf-8")
            except UnicodeDecodeError:
                return [fold_bytes_token(t) for t in line.split()]
        return line.split()     # bytes.split(): space TAB LF VT FF CR only
    if line.isascii():
        toks = ASCII_WORDS_RE.findall(line)
        return [t.lower() for t in toks] if args.fold_case else toks
    try:
        s = line.decode("utf-8")
    except UnicodeDecodeError:
        return None
    toks = words_re().findall(s)
    if not toks:
        return toks
    joined = "\n".join(toks)              # no token holds an LF
    if args.fold_case:
        joined = joined.casefold()        # per character: equals per token
    return joined.encode("utf-8").split(b"\n")


def count_text(data, args, counts):
    """Adds one file's n-grams to counts; returns its malformed line count."""
    order, only = args.order, args.only_order
    markers = args.sentence_markers
    malformed = 0
    for line in split_lines(data):
        toks = tokens_of(line, args)
        if toks is None:
            malformed += 1
            continue
        if not toks:
            continue
        if markers:
            toks = [b"<s>"] + toks + [b"</s>"]
        grams = toks
        if not only or order == 1:
            counts.update(grams)
        for n in range(2, order + 1):
            if len(grams) < 2:
                break
            grams = [a + b" " + b for a, b in zip(grams, toks[n - 1:])]
            if not only or n == order:
                counts.update(grams)
    return malformed


# --- --normalize ----------------------------------------------------------

def read_totals(path, lo, hi):
    """(M, V): the sums of match and volume of the years within [lo, hi]."""
    m = v = 0
    for year, (a, b) in read_year_totals(path, dups=True):
        if lo <= year <= hi:
            m += a
            v += b
    return m, v


def format17(x):
    """x (a non-negative Fraction) rounded to 17 significant digits, half to
    even, in positional notation without trailing zeros."""
    if x == 0:
        return "0"
    n, d = x.numerator, x.denominator
    assert n > 0 and d > 0
    e = len(str(n)) - len(str(d))       # floor(log10(x)) is e or e - 1

    def below(k):                         # x < 10^k ?
        return n * 10 ** -k < d if k < 0 else n < d * 10 ** k
    if below(e):
        e -= 1
    assert not below(e) and below(e + 1)
    shift = 16 - e                        # x * 10^shift has 17 integer digits
    num, den = (n * 10 ** shift, d) if shift >= 0 else (n, d * 10 ** -shift)
    q, r = divmod(num, den)
    if 2 * r > den or (2 * r == den and q % 2 == 1):
        q += 1
    if shift <= 0:
        return str(q * 10 ** -shift)
    digits = str(q).rjust(shift + 1, "0")
    whole, frac = digits[:-shift], digits[-shift:].rstrip("0")
    return whole + "." + frac if frac else whole


def format17_decimal(x):
    """format17 another way (decimal's correctly rounded division)."""
    import decimal
    ctx = decimal.Context(prec=17, rounding=decimal.ROUND_HALF_EVEN)
    q = ctx.divide(decimal.Decimal(x.numerator), decimal.Decimal(x.denominator))
    s = "{:f}".format(q)
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s


# --- Year series (--by-year with --select, --normalize, --smoothing) -----

def read_year_totals(path, dups=False):
    """year -> (match, volume) of a totals file of any release: tuples
    'year,match[,pages],volume' (2012, 2020), or after '#' lines one row
    'year TAB match TAB pages TAB volume' per line (2009). With dups, the
    list of (year, (match, volume)), a year any number of times."""
    with open(path, "rb") as f:
        data = f.read()
    years = {}
    seq = []
    arity = None
    for line in data.split(b"\n"):
        if line.strip().startswith(b"#"):
            continue
        words = line.split()
        tuples = [w.split(b",") for w in words] if b"," in line else ([words] if words else [])
        for t in tuples:
            n = numbers(t)
            if (n is None or len(n) not in (3, 4) or not 1 <= n[0] <= 9999 or
                    (n[0] in years and not dups) or (arity is not None and len(n) != arity)):
                sys.exit("reference: bad totals tuple %r in '%s'" % (t, path))
            arity = len(n)
            years[n[0]] = (n[1], n[-1])
            seq.append((n[0], (n[1], n[-1])))
    return seq if dups else years


def series(rows, args):
    """Every year of the range for each ngram: ([names], [(key, [values])])."""
    F = fractions.Fraction
    per = {}
    for key, (m, v) in rows:
        ngram, year = key.rsplit(b"\t", 1)
        per.setdefault(ngram, {})[int(year)] = (m, v)
    years = [y for d in per.values() for y in d]
    lo = args.from_year if args.from_year > 1 else min(years, default=0)
    hi = args.to_year if args.to_year < 9999 else max(years, default=0)
    if not per:
        lo = hi = 0
    cols = [0, 1] if args.count == "both" else [1] if args.count == "volume" else [0]
    totals = read_year_totals(args.normalize) if args.normalize else None
    smooth = args.smoothing or 0
    unit = "percent" if totals else "mean" if smooth else "count"
    names = ["%s_%s" % ("match" if c == 0 else "volume", unit) for c in cols]
    out = []
    for ngram in sorted(per):
        vals = []
        for y in range(lo, hi + 1):
            counts = per[ngram].get(y, (0, 0))
            row = []
            for c in cols:
                x = counts[c]
                if totals is not None and x > 0:
                    t = totals.get(y, (0, 0))[c]
                    if t == 0:
                        sys.stderr.write("reference: no total for year %d\n" % y)
                        sys.exit(1)
                    row.append(F(x * 100, t))
                else:
                    row.append(F(x))
            vals.append(row)
        for k, y in enumerate(range(lo, hi + 1)):
            if smooth:
                win = vals[max(0, k - smooth):k + smooth + 1]
                row = [sum(r[i] for r in win) / len(win) for i in range(len(cols))]
            else:
                row = vals[k]
            text = [format17(x).encode() if (totals or smooth) else b"%d" % x for x in row]
            out.append((ngram + b"\t%04d" % y, text))
    return names, out


def json_string(b):
    """A JSON string of bytes b: valid UTF-8 kept, other bytes \\u00XX."""
    out = ['"']
    for ch in b.decode("utf-8", errors="surrogateescape"):
        o = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif o < 0x20 or o == 0x7f:
            out.append("\\u%04x" % o)
        elif 0xdc80 <= o <= 0xdcff:
            out.append("\\u%04x" % (o - 0xdc00))
        else:
            out.append(ch)
    out.append('"')
    return "".join(out).encode("utf-8", errors="surrogatepass")


def render(lines, names, args):
    """The output lines of (key, [value bytes]) in --output-format."""
    fmt = args.output_format
    if fmt == "tsv":
        for key, vals in lines:
            yield key + b"".join(b"\t" + v for v in vals) + b"\n"
        return
    if fmt == "csv":
        yield (",".join(["ngram"] + (["year"] if args.by_year else []) + names) + "\n").encode()
    for key, vals in lines:
        year = None
        if args.by_year:
            key, year = key.rsplit(b"\t", 1)
            year = b"%d" % int(year)
        if fmt == "csv":
            if any(c in key for c in b'",\r\n'):
                key = b'"' + key.replace(b'"', b'""') + b'"'
            yield b",".join([key] + ([year] if year else []) + vals) + b"\n"
        else:
            parts = [b'"ngram":' + json_string(key)]
            if year:
                parts.append(b'"year":' + year)
            parts += [b'"%s":%s' % (n.encode(), v) for n, v in zip(names, vals)]
            yield b"{" + b",".join(parts) + b"}\n"


# --- Self-test ------------------------------------------------------------

def self_test():
    F = fractions.Fraction
    for value, want in [(F(10 ** 6, 3), "333333.33333333333"), (F(5 * 10 ** 6, 10 ** 8), "0.05"),
                        (F(10 ** 6, 7), "142857.14285714286"), (F(0), "0"), (F(1), "1"),
                        (F(10 ** 20), "100000000000000000000"), (F(123456789012345678), "123456789012345680"),
                        (F(123456789012345675), "123456789012345680"), (F(123456789012345665), "123456789012345660"),
                        (F(99999999999999999, 10), "9999999999999999.9"), (F(999999999999999995, 10), "100000000000000000"),
                        (F(1, 10 ** 30), "0.000000000000000000000000000001"), (F(25, 1000), "0.025"),
                        (F(2, 3 * 10 ** 5), "0.0000066666666666666667")]:
        got = format17(value)
        assert got == want, (value, got, want)
    rnd = random.Random(6)
    for _ in range(20000):
        x = F(rnd.randrange(0, 10 ** rnd.randrange(1, 30)), rnd.randrange(1, 10 ** rnd.randrange(1, 30)))
        if rnd.random() < 0.1:           # exact ties at the 18th digit
            x = F(rnd.randrange(10 ** 17, 10 ** 18) * 10 + 5, 10 ** rnd.randrange(0, 40))
        assert format17(x) == format17_decimal(x), (x, format17(x), format17_decimal(x))

    # Casefold never creates or removes ASCII whitespace or LF.
    ws = set(" \t\n\r\x0b\x0c")
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        c = chr(cp)
        assert (c in ws) == any(ch in ws for ch in c.casefold()), hex(cp)

    # The spec's example, and words_re against the per-character rule.
    assert tokenize_words_slow("Don't stop\u2014now!") == ["Don", "'", "t", "stop", "\u2014", "now", "!"]
    assert words_re().findall("Don't stop\u2014now!") == ["Don", "'", "t", "stop", "\u2014", "now", "!"]
    pool = [chr(c) for c in range(0, 0x300)] + list("\u0085\u00a0\u1680\u2000\u2028\u2029\u202f\u3000"
                                                  "\u200b\u0301\u0663\u4e2d\u00e9\u03a3\u2014\u2019\ufeff"
                                                  "\U0001f600\U00010400\u1e9e\u0130\ue000\U000e0001")
    for _ in range(20000):
        if rnd.random() < 0.5:
            s = "".join(rnd.choice(pool) for _ in range(rnd.randrange(0, 30)))
        else:
            s = "".join(chr(rnd.choice([rnd.randrange(0, 0xD800), rnd.randrange(0xE000, 0x110000)]))
                        for _ in range(rnd.randrange(0, 30)))
        assert words_re().findall(s) == tokenize_words_slow(s), repr(s)
    # tokens_of (with its ASCII path) against the per-character rule.
    ascii_pool = [chr(c) for c in range(128) if c != 10] * 3 + ["\u00e9", "\u00a0", "\u2014"]
    for i in range(20000):
        s = "".join(rnd.choice(ascii_pool) for _ in range(rnd.randrange(0, 40)))
        fold = i % 2 == 0
        a = argparse.Namespace(tokenize="words", fold_case=fold)
        want = [(t.casefold() if fold else t).encode() for t in tokenize_words_slow(s)]
        assert tokens_of(s.encode(), a) == want, repr(s)

    # Hand-made inputs with known answers.
    def text(data, **kw):
        a = argparse.Namespace(order=3, only_order=False, sentence_markers=False,
                               tokenize="space", fold_case=False)
        vars(a).update(kw)
        c = Counter()
        bad = count_text(data, a, c)
        return dict(c), bad
    assert text(b"a b\n", order=2, sentence_markers=True) == (
        {b"<s>": 1, b"a": 1, b"b": 1, b"</s>": 1, b"<s> a": 1, b"a b": 1, b"b </s>": 1}, 0)
    assert text(b"a b a b\r\n\n  \t\r\nb a", order=2) == (
        {b"a": 3, b"b": 3, b"a b": 2, b"b a": 2}, 0)
    assert text(b"a b c d", order=3, only_order=True) == ({b"a b c": 1, b"b c d": 1}, 0)
    assert text(b"a b\nc", order=3, only_order=True, sentence_markers=True) == (
        {b"<s> a b": 1, b"a b </s>": 1, b"<s> c </s>": 1}, 0)
    assert text(b"x\x1cy z\xff\x0bZ\xc3\x89", fold_case=True, order=1) == (
        {b"x\x1cy": 1, b"z\xff": 1, b"z\xc3\xa9": 1}, 0)
    assert text(b"x\x1cy z\xff\x0bZ\xc3\x89\n\xc3\x89", fold_case=True, order=1, tokenize="words") == (
        {b"\xc3\xa9": 1}, 1)
    assert text(b"Stra\xc3\x9fe STRASSE\n", fold_case=True, order=1, tokenize="words") == (
        {b"strasse": 2}, 0)
    assert text(b"a" * LINE_MAX + b"\n" + b"b" * (LINE_MAX + 1) + b"\nc\r", order=1) == (
        {b"a" * LINE_MAX: 1, b"c": 1}, 1)
    assert text(b"a\xc2\xa0b\xe2\x80\x83c\xc2\x85d\x1fe", order=1, tokenize="words") == (
        {b"a": 1, b"b": 1, b"c": 1, b"d": 1, b"\x1f": 1, b"e": 1}, 0)

    def google(data, fmt, **kw):
        a = argparse.Namespace(from_year=1, to_year=9999, pos="keep", fold_case=False,
                               by_year=False, selects=None)
        vars(a).update(kw)
        t = {}
        bad = count_google(data, fmt, a, t)
        return t, bad
    # --by-year and selections, worked by hand.
    assert google(b"a b\t850\t2\t1\nA b\t850\t3\t1\nc\t1\t1\t1\n", "v2", by_year=True,
                  fold_case=True) == ({b"a b\t0850": (5, 2), b"c\t0001": (1, 1)}, 0)
    assert google(b"x\t1900,1,1\t1901,2,2\t1900,4,4\n", "v3", by_year=True, to_year=1900) == (
        {b"x\t1900": (5, 5)}, 0)
    sel = [selection_entry(e, argparse.Namespace(pos="strip", fold_case=True))
           for e in (b"Of_ADP *", b"the")]
    assert sel == [b"of *", b"the"]
    assert selected(b"of books", sel) and not selected(b"of", sel)
    assert not selected(b"of a b", sel) and selected(b"the", sel)
    v1 = b"w x\t1900\t3\t9\t2\nw x\t1901\t4\tp\t1\nw x\t2000\t5\t1\t1\r\n\t1900\t1\t1\t1\nw x\t1900\t1\t1\n"
    assert google(v1, "v1") == ({b"w x": (8, 3)}, 3)
    assert google(v1, "v1", to_year=1999) == ({b"w x": (3, 2)}, 3)
    v3 = (b"a\t1900,1,1\t1950,2,1\t2000,4,3\n"
          b"b\t1900,1,1\t1950,2\n"            # a bad triple spoils the line
          b"c\t1900,1,1\t\n"                  # an empty triple too
          b"d\t1950,7,7\r\n"
          b"\t1950,1,1\n"
          b"e\t0,1,1\n"
          b"f\t1900,18446744073709551616,1\n"
          b"g\t1900,18446744073709551615,1\n"
          b"h\n")
    assert google(v3, "v3") == ({b"a": (7, 5), b"d": (7, 7), b"g": (U64, 1)}, 6)
    assert google(v3, "v3", from_year=1940, to_year=1960) == ({b"a": (2, 1), b"d": (7, 7)}, 6)
    assert detect(v1, "v1") == "v1" and detect(v3, "v3") == "v3"
    assert detect(b"a\t1\t1\t1\nb\t2,2,2\nc\t3\t3\t3\n", "x") == "v2"
    assert detect(b"", "x") == "v2"
    print("reference self-test passed")


# --- Counting -------------------------------------------------------------

def count_all(args):
    """(totals, malformed, formats) of every input: ngram -> (match, volume)."""
    totals = {}
    counts = Counter()          # text: ngram -> count
    malformed = 0
    formats = []
    for path in args.files:
        data = read_input(path)
        if args.format == "text":
            malformed += count_text(data, args, counts)
            formats.append([path, "text"])
            continue
        fmt = detect(data, path) if args.format == "auto" else args.format
        formats.append([path, fmt])
        malformed += count_google(data, fmt, args, totals)
    if args.format == "text":
        totals = {k: (c, 0) for k, c in counts.items()}
    return totals, malformed, formats


# --- Cache ----------------------------------------------------------------
# Not part of the reference's reading of the spec: with NGC_REF_CACHE=DIR,
# a result already worked out is looked up instead of computed again (the
# e2e tests ask for the same one many times, and again under each
# sanitizer). Keys are SHA-256 digests of this file, the Python and Unicode
# versions, the options and the bytes of every input (stdin included), so a
# hit is the very output the same computation would print. Two levels: the
# whole output (and --malformed-out, --stats-out), and the totals before
# the output options (--sort, --top, --min-count, --count, --normalize).

PARSE_OPTS = ("format", "from_year", "to_year", "pos", "fold_case", "order",
              "only_order", "sentence_markers", "tokenize", "by_year", "selects")
OUTPUT_OPTS = ("count", "min_count", "top", "sort", "output_format", "smoothing")


class Cache:
    def __init__(self, args):
        self.args = args
        self.dir = os.environ["NGC_REF_CACHE"]
        os.makedirs(self.dir, exist_ok=True)
        base = hashlib.sha256()
        with open(os.path.abspath(__file__), "rb") as f:
            base.update(f.read())
        base.update(("%s %s" % (sys.version, unicodedata.unidata_version)).encode())
        for path in args.files:
            if path == "-":
                global _STDIN
                if _STDIN is None:
                    _STDIN = sys.stdin.buffer.read()
                data = _STDIN
            else:
                with open(path, "rb") as f:
                    data = f.read()
            base.update(b"file %s\n" % hashlib.sha256(data).hexdigest().encode())
        for opt in PARSE_OPTS:
            base.update(("%s=%r\n" % (opt, getattr(args, opt))).encode())
        self.totals_key = base.hexdigest()
        for opt in OUTPUT_OPTS:
            base.update(("%s=%r\n" % (opt, getattr(args, opt))).encode())
        if args.normalize:
            with open(args.normalize, "rb") as f:
                base.update(b"normalize %s\n" % hashlib.sha256(f.read()).hexdigest().encode())
        self.output_key = base.hexdigest()
        self.buf = None

    def _path(self, key, kind):
        return os.path.join(self.dir, key + "." + kind)

    def _write(self, key, kind, obj):
        path = self._path(key, kind)
        tmp = "%s.%d.tmp" % (path, os.getpid())
        with open(tmp, "wb") as f:
            pickle.dump(obj, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)             # atomic: a parallel test sees all or nothing

    def _read(self, key, kind):
        try:
            with open(self._path(key, kind), "rb") as f:
                return pickle.load(f)
        except FileNotFoundError:
            return None

    def _side_outputs(self, malformed, fmts):
        if self.args.malformed_out:
            with open(self.args.malformed_out, "w") as f:
                f.write("%d\n" % malformed)
        if self.args.stats_out:
            with open(self.args.stats_out, "w") as f:
                json.dump({"malformed": malformed,
                           "formats": [list(x) for x in zip(self.args.files, fmts)]}, f)
                f.write("\n")

    def replay(self):
        hit = self._read(self.output_key, "out")
        if hit is None:
            return False
        out, malformed, fmts = hit
        sys.stdout.buffer.write(out)
        sys.stdout.buffer.flush()
        self._side_outputs(malformed, fmts)
        return True

    def count(self):
        hit = self._read(self.totals_key, "totals")
        if hit is not None:
            totals, malformed, fmts = hit
            return totals, malformed, [list(x) for x in zip(self.args.files, fmts)]
        totals, malformed, formats = count_all(self.args)
        self._write(self.totals_key, "totals", (totals, malformed, [f for _, f in formats]))
        return totals, malformed, formats

    def output(self, out):
        """A buffer for the output, kept for store()."""
        self.buf = io.BytesIO()
        self.real_out = out
        return self.buf

    def store(self, malformed, formats):
        data = self.buf.getvalue()
        self.real_out.write(data)
        self.real_out.flush()
        self._write(self.output_key, "out", (data, malformed, [f for _, f in formats]))


def self_test_cached():
    """The self-test once per cache: its inputs are fixed (seeded)."""
    if not os.environ.get("NGC_REF_CACHE"):
        self_test()
        return
    h = hashlib.sha256()
    with open(os.path.abspath(__file__), "rb") as f:
        h.update(f.read())
    h.update(("%s %s" % (sys.version, unicodedata.unidata_version)).encode())
    mark = os.path.join(os.environ["NGC_REF_CACHE"], h.hexdigest() + ".selftest")
    if os.path.exists(mark):
        print("reference self-test passed (cached: %s)" % os.path.basename(mark))
        return
    self_test()
    os.makedirs(os.environ["NGC_REF_CACHE"], exist_ok=True)
    open(mark, "w").close()


# --- main -----------------------------------------------------------------

def usage(msg):
    print("reference: " + msg, file=sys.stderr)
    sys.exit(2)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("files", nargs="*")
    ap.add_argument("--format", choices=["auto", "v1", "v2", "v3", "text"], default="auto")
    ap.add_argument("--text", action="store_true", help="same as --format text")
    ap.add_argument("--from-year", type=int)
    ap.add_argument("--to-year", type=int)
    ap.add_argument("--count")
    ap.add_argument("--pos")
    ap.add_argument("--fold-case", action="store_true")
    ap.add_argument("--min-count", type=int, default=0)
    ap.add_argument("--top", type=int, default=0)
    ap.add_argument("--sort", choices=["count", "ngram"])
    ap.add_argument("--normalize", metavar="TOTALS_FILE")
    ap.add_argument("--order", type=int)
    ap.add_argument("--only-order", action="store_true")
    ap.add_argument("--sentence-markers", action="store_true")
    ap.add_argument("--tokenize", choices=["space", "words"])
    ap.add_argument("--malformed-out", help="write the malformed line count here")
    ap.add_argument("--stats-out", help="write {malformed, formats: [[file, format]...]} as JSON here")
    ap.add_argument("--self-test", action="store_true")
    ap.add_argument("--by-year", action="store_true")
    ap.add_argument("--output-format", choices=["tsv", "csv", "jsonl"], default="tsv")
    ap.add_argument("--smoothing", type=int)
    ap.add_argument("--select", action="append")
    ap.add_argument("--select-file", action="append")
    ap.add_argument("--batch", metavar="FILE",
                    help="run each line 'OUTPUT ARGS...' of FILE, its output to OUTPUT")
    args = ap.parse_args(argv)
    if args.batch:
        batch(args.batch)
        return
    if args.self_test:
        self_test_cached()
        return
    if not args.files:
        usage("no input files")
    if args.text:
        args.format = "text"
    text = args.format == "text"
    if text:
        for opt in ("from_year", "to_year", "pos", "normalize"):
            if getattr(args, opt) is not None:
                usage("--%s is not for --text" % opt.replace("_", "-"))
        if args.count not in (None, "match"):
            usage("--count %s is not for --text" % args.count)
        if args.order is not None and not 1 <= args.order <= 9:
            usage("--order must be 1..9")
        args.order = args.order or 3
        args.tokenize = args.tokenize or "space"
    else:
        for opt in ("order", "tokenize"):
            if getattr(args, opt) is not None:
                usage("--%s needs --text" % opt)
        if args.only_order or args.sentence_markers:
            usage("--only-order and --sentence-markers need --text")
    if args.by_year and text:
        usage("--by-year is not for --text")
    if args.sort is None:
        args.sort = "ngram" if args.by_year and not args.top else "count"
    if args.top and args.sort == "ngram":
        usage("--top with --sort ngram")
    args.from_year = 1 if args.from_year is None else args.from_year
    args.to_year = 9999 if args.to_year is None else args.to_year
    args.count = args.count or "match"
    args.pos = args.pos or "keep"
    args.selects = read_selection(args)

    cache = Cache(args) if os.environ.get("NGC_REF_CACHE") else None
    if cache and cache.replay():
        return
    totals, malformed, formats = cache.count() if cache else count_all(args)
    # Only a counted total may not pass 2^64-1; the other is never printed.
    for key, (m, v) in totals.items():
        if (args.count != "volume" and m > U64) or (args.count != "match" and v > U64):
            sys.exit("reference: total of %r passes 2^64-1" % key)

    # The count order: what --count counts, descending (match, then volume
    # for both), ties by key.
    if args.count == "volume":
        counted = lambda kv: kv[1][1]
        value = lambda m, v: b"%d" % v
    elif args.count == "both":
        counted = lambda kv: kv[1]
        value = lambda m, v: b"%d\t%d" % (m, v)
    else:
        counted = lambda kv: kv[1][0]
        value = lambda m, v: b"%d" % m
    if args.normalize and not (args.by_year and args.normalize):
        mt, vt = read_totals(args.normalize, args.from_year, args.to_year)
        if (args.count != "volume" and mt == 0) or (args.count != "match" and vt == 0):
            sys.exit("reference: zero denominator in '%s'" % args.normalize)
        F = fractions.Fraction
        per_million = lambda m: format17(F(m * 10 ** 6, mt)).encode()
        percent = lambda v: format17(F(v * 100, vt)).encode()
        if args.count == "volume":
            value = lambda m, v: percent(v)
        elif args.count == "both":
            value = lambda m, v: per_million(m) + b"\t" + percent(v)
        else:
            value = lambda m, v: per_million(m)
    selected = (lambda m, v: v) if args.count == "volume" else (lambda m, v: m)
    rows = [kv for kv in totals.items() if selected(*kv[1]) >= args.min_count]
    # By key, then (stable) by count: no tuple of keys built per row, a
    # third of the time of one sort on half a million rows.
    rows.sort(key=lambda kv: kv[0])
    if args.sort != "ngram":
        rows.sort(key=counted, reverse=True)
    if args.top:
        rows = rows[:args.top]
    out = sys.stdout.buffer
    if cache:
        out = cache.output(out)
    if args.by_year and (args.selects or args.normalize or args.smoothing is not None):
        names, lines = series(rows, args)
    else:
        if args.count == "both":
            names = ["per_million" if args.normalize else "count",
                     "percent" if args.normalize else "count"]
            names = ["match_" + names[0], "volume_" + names[1]]
        elif args.count == "volume":
            names = ["volume_percent" if args.normalize else "volume_count"]
        else:
            names = ["match_per_million" if args.normalize else "match_count"]
        if args.output_format == "tsv":
            # render()'s TSV, in one piece: a row at a time was most of the
            # time on half a million rows.
            out.write(b"".join([key + b"\t" + value(m, v) + b"\n" for key, (m, v) in rows]))
            lines = []
        else:
            lines = [(key, value(m, v).split(b"\t")) for key, (m, v) in rows]
    out.writelines(render(lines, names, args))
    out.flush()
    if cache:
        cache.store(malformed, formats)
    if args.malformed_out:
        with open(args.malformed_out, "w") as f:
            f.write("%d\n" % malformed)
    if args.stats_out:
        with open(args.stats_out, "w") as f:
            json.dump({"malformed": malformed, "formats": formats}, f)
            f.write("\n")


class _Stdout:
    def __init__(self, f):
        self.buffer = f


def batch(path):
    """Many runs in one process (the tests pay Python's start-up once)."""
    import shlex
    with open(path) as f:
        jobs = [shlex.split(line) for line in f if line.strip()]
    saved = sys.stdout
    try:
        for job in jobs:
            with open(job[0], "wb") as out:
                sys.stdout = _Stdout(out)
                main(job[1:])
    finally:
        sys.stdout = saved


if __name__ == "__main__":
    main()
