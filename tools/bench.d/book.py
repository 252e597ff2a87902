#!/usr/bin/env python3
"""The book's peer of tools/bench: the MapReduce word count of chapter 6 of
"Python Concurrency with asyncio" (Matthew Fowler, Manning 2022), listing 6.8,
ported as written: read every line into memory, cut the lines into partitions
of 60,000, map each partition in a ProcessPoolExecutor through asyncio's
run_in_executor, gather, and reduce the dictionaries with functools.reduce.

Deliberately not optimized. The only changes to the listing: the file names
come from the command line (several files are read one after another into the
same list, gzip ones through the gzip module), the pool has --processes
workers, and instead of printing one word it writes every total as
'ngram TAB total', most frequent first, ties in byte order, as ngram-count does.

    book.py FILE... [--processes N] [--partition-size 60000] [-o OUT]
"""
import argparse
import asyncio
import concurrent.futures
import functools
import gzip
import os
import sys
from typing import Dict, List


def partition(data: List,
              chunk_size: int) -> List:
    for i in range(0, len(data), chunk_size):
        yield data[i:i + chunk_size]


def map_frequencies(chunk: List[str]) -> Dict[str, int]:
    counter = {}
    for line in chunk:
        word, _, count, _ = line.split('\t')
        if counter.get(word):
            counter[word] = counter[word] + int(count)
        else:
            counter[word] = int(count)
    return counter


def merge_dictionaries(first: Dict[str, int],
                       second: Dict[str, int]) -> Dict[str, int]:
    merged = first
    for key in second:
        if key in merged:
            merged[key] = merged[key] + second[key]
        else:
            merged[key] = second[key]
    return merged


def open_text(path: str):
    with open(path, 'rb') as f:
        magic = f.read(2)
    if magic == b'\x1f\x8b':
        return gzip.open(path, 'rt', encoding='utf-8')
    return open(path, encoding='utf-8')


def write_totals(totals: Dict[str, int], out) -> None:
    # Python compares str by code point, which for UTF-8 is byte order.
    for word, total in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0])):
        out.write(f'{word}\t{total}\n')


async def main(files: List[str], partition_size: int, processes: int, out) -> None:
    contents = []
    for name in files:
        with open_text(name) as f:
            contents.extend(f.readlines())
    loop = asyncio.get_running_loop()
    tasks = []
    with concurrent.futures.ProcessPoolExecutor(max_workers=processes) as pool:
        for chunk in partition(contents, partition_size):
            tasks.append(loop.run_in_executor(pool, functools.partial(map_frequencies, chunk)))

        intermediate_results = await asyncio.gather(*tasks)
        final_result = functools.reduce(merge_dictionaries, intermediate_results)

    write_totals(final_result, out)


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description='the MapReduce word count of "Python Concurrency '
                                             'with asyncio", chapter 6, over ngram v2 files')
    ap.add_argument('files', nargs='+', metavar='FILE')
    ap.add_argument('--processes', type=int, default=os.cpu_count(),
                    help='pool workers (default: CPUs)')
    ap.add_argument('--partition-size', type=int, default=60000,
                    help='lines per map task (default 60000, as in the book)')
    ap.add_argument('-o', '--output', help='write here instead of standard output')
    a = ap.parse_args()
    if a.output:
        with open(a.output, 'w', encoding='utf-8', newline='\n') as out:
            asyncio.run(main(a.files, a.partition_size, a.processes, out))
    else:
        sys.stdout.reconfigure(encoding='utf-8', newline='\n')
        asyncio.run(main(a.files, a.partition_size, a.processes, sys.stdout))
