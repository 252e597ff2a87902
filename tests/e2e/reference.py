#!/usr/bin/env python3
"""An independent reference for ngram-count's e2e tests.

A second implementation, written from the specification rather than from the
engine's code: plain Python dictionaries and exact integers, one process.
Prints `ngram TAB total` (or `ngram TAB match TAB volume`) most frequent
first, ties in byte order. Usage mirrors ngram-count's options.
"""
import argparse
import gzip
import re
import sys

TAGS = {b"NOUN", b"VERB", b"ADJ", b"ADV", b"PRON", b"DET", b"ADP", b"NUM",
        b"CONJ", b"PRT", b"X", b"."}
TAG_ONLY = {b"_" + t + b"_" for t in TAGS | {b"START", b"END", b"ROOT"}}
NUMBER = re.compile(rb"[0-9]+\Z")
LINE_MAX = 1 << 20
U64 = (1 << 64) - 1


def open_input(path):
    raw = sys.stdin.buffer if path == "-" else open(path, "rb")
    head = raw.peek(2)[:2] if hasattr(raw, "peek") else b""
    if head == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=raw)
    return raw


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


def valid(line):
    """(ngram, year, match, volume) or None when malformed."""
    if len(line) > LINE_MAX:
        return None
    if line.endswith(b"\r"):
        line = line[:-1]
    fields = line.split(b"\t")
    if len(fields) != 4 or not fields[0]:
        return None
    if not all(NUMBER.match(f) for f in fields[1:]):
        return None
    year, match, volume = (int(f) for f in fields[1:])
    if not 1 <= year <= 9999 or match > U64 or volume > U64:
        return None
    return fields[0], year, match, volume


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("files", nargs="+")
    ap.add_argument("--from-year", type=int, default=1)
    ap.add_argument("--to-year", type=int, default=9999)
    ap.add_argument("--count", default="match")
    ap.add_argument("--pos", default="keep")
    ap.add_argument("--fold-case", action="store_true")
    ap.add_argument("--min-count", type=int, default=0)
    ap.add_argument("--top", type=int, default=0)
    ap.add_argument("--malformed-out", help="write the malformed line count here")
    args = ap.parse_args()

    totals = {}
    malformed = 0
    for path in args.files:
        with open_input(path) as f:
            for line in f:
                if line.endswith(b"\n"):
                    line = line[:-1]
                v = valid(line)
                if v is None:
                    malformed += 1
                    continue
                key, year, match, volume = v
                if not args.from_year <= year <= args.to_year:
                    continue
                key = transform(key, args)
                if key is None:
                    continue
                m, vol = totals.get(key, (0, 0))
                totals[key] = (m + match, vol + volume)
    for key, (m, v) in totals.items():
        if m > U64 or v > U64:
            sys.exit("reference: total of %r passes 2^64-1" % key)

    if args.count == "volume":
        sort_key = lambda kv: (-kv[1][1], kv[0])
        value = lambda m, v: b"%d" % v
    elif args.count == "both":
        sort_key = lambda kv: (-kv[1][0], -kv[1][1], kv[0])
        value = lambda m, v: b"%d\t%d" % (m, v)
    else:
        sort_key = lambda kv: (-kv[1][0], kv[0])
        value = lambda m, v: b"%d" % m
    selected = (lambda m, v: v) if args.count == "volume" else (lambda m, v: m)
    rows = [kv for kv in totals.items() if selected(*kv[1]) >= args.min_count]
    rows.sort(key=sort_key)
    if args.top:
        rows = rows[:args.top]
    out = sys.stdout.buffer
    for key, (m, v) in rows:
        out.write(key + b"\t" + value(m, v) + b"\n")
    if args.malformed_out:
        with open(args.malformed_out, "w") as f:
            f.write("%d\n" % malformed)


if __name__ == "__main__":
    main()
