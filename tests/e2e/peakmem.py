#!/usr/bin/env python3
"""Runs a command and reports the peak memory of its whole process tree.

Samples every process of the tree every 10 ms and sums their proportional
set sizes (Pss from /proc/PID/smaps_rollup: a shared page counts once across
the processes mapping it, so the shared reduce table is not counted three
times), with tools/bench.d/pss.py's sampler. Prints "peak_pss_kib N" on
stderr and exits with the command's status.
Usage: peakmem.py [--out FILE] -- COMMAND...
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "tools", "bench.d"))
sys.dont_write_bytecode = True  # no __pycache__ in tools/bench.d
from pss import PssSampler  # noqa: E402


def main():
    args = sys.argv[1:]
    out = None
    if args[:1] == ["--out"]:
        out, args = args[1], args[2:]
    if args[:1] == ["--"]:
        args = args[1:]
    proc = subprocess.Popen(args)
    sampler = PssSampler(proc.pid, 0.01)
    sampler.start()
    proc.wait()
    sampler.done.set()
    sampler.join()
    msg = "peak_pss_kib %d\n" % sampler.peak_kb
    sys.stderr.write(msg)
    if out:
        with open(out, "w") as f:
            f.write(msg)
    sys.exit(proc.returncode)


if __name__ == "__main__":
    main()
