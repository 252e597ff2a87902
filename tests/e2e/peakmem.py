#!/usr/bin/env python3
"""Runs a command and reports the peak memory of its whole process tree.

Samples every process of the tree every 10 ms and sums their proportional
set sizes (Pss from /proc/PID/smaps_rollup: a shared page counts once across
the processes mapping it, so the shared reduce table is not counted three
times). Prints "peak_pss_kib N" on stderr and exits with the command's status.
Usage: peakmem.py [--out FILE] -- COMMAND...
"""
import os
import subprocess
import sys
import time


def children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def tree(pid):
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children(p))
    return out


def pss_kib(pid):
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def main():
    args = sys.argv[1:]
    out = None
    if args[:1] == ["--out"]:
        out, args = args[1], args[2:]
    if args[:1] == ["--"]:
        args = args[1:]
    proc = subprocess.Popen(args)
    peak = 0
    while proc.poll() is None:
        total = sum(pss_kib(p) for p in tree(proc.pid))
        peak = max(peak, total)
        time.sleep(0.01)
    msg = "peak_pss_kib %d\n" % peak
    sys.stderr.write(msg)
    if out:
        with open(out, "w") as f:
            f.write(msg)
    sys.exit(proc.returncode)


if __name__ == "__main__":
    main()
