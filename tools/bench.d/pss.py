#!/usr/bin/env python3
"""Peak PSS of a process tree: the memory sampler of tools/bench and
tools/text-bench. Standard library only (smaps_rollup gives the Pss that
psutil's memory_full_info() would read from the slower full smaps).

As a module: PssSampler(root_pid, interval).start() ... .done.set(); .join();
then .peak_kb. tests/e2e/peakmem.py imports it too.

As a command, for shell scripts:
    pss.py --peak-kb FILE [--interval-ms 20] -- COMMAND [ARG...]
runs COMMAND in a session of its own, writes the peak summed Pss (kB) of it
and all its descendants to FILE, and exits with COMMAND's status (128+N when
killed by signal N). SIGINT and SIGTERM stop the command's whole session.
"""
import os
import signal
import subprocess
import sys
import threading

TREE_EARLY_SCANS = 5              # the first samples each rescan /proc for the tree,
TREE_RESCAN_EVERY = 25            # later ones only every this many (children come early)


def proc_table():
    """pid -> (ppid, session id) for every process."""
    table = {}
    for d in os.listdir('/proc'):
        if not d.isdigit():
            continue
        try:
            with open(f'/proc/{d}/stat', 'rb') as f:
                s = f.read()
        except OSError:
            continue
        fields = s[s.rindex(b')') + 2:].split()
        table[int(d)] = (int(fields[1]), int(fields[3]))
    return table


def process_tree(root):
    """root and its descendants (by parent, and by session: each measured
    command runs in a session of its own, which also catches reparented
    orphans)."""
    table = proc_table()
    children = {}
    for pid, (ppid, sid) in table.items():
        children.setdefault(ppid, []).append(pid)
    tree = {pid for pid, (_, sid) in table.items() if sid == root}
    todo = [root]
    while todo:
        pid = todo.pop()
        if pid in table:
            tree.add(pid)
        todo.extend(c for c in children.get(pid, ()) if c not in tree)
    return tree


def descendants(root):
    """root and its descendants by /proc/PID/task/TID/children: cheap
    enough for every sample, but blind to orphans (see process_tree)."""
    tree, todo = set(), [root]
    while todo:
        pid = todo.pop()
        tree.add(pid)
        try:
            tids = os.listdir(f'/proc/{pid}/task')
        except OSError:
            continue
        for tid in tids:
            try:
                with open(f'/proc/{pid}/task/{tid}/children', 'rb') as f:
                    todo.extend(int(c) for c in f.read().split() if int(c) not in tree)
            except (OSError, ValueError):
                pass
    return tree


def pss_kb(pid):
    try:
        with open(f'/proc/{pid}/smaps_rollup', 'rb') as f:
            for line in f:
                if line.startswith(b'Pss:'):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


class PssSampler(threading.Thread):
    """Peak of the summed Pss of a process tree, sampled every interval
    seconds. Reading smaps_rollup makes the kernel walk the page tables (some
    25 ms per GB resident), so timed runs should not be sampled."""

    def __init__(self, root, interval):
        super().__init__(daemon=True)
        self.root = root
        self.interval = interval
        self.peak_kb = 0
        self.done = threading.Event()

    def run(self):
        tree = {self.root}
        n = 0
        while True:
            if n < TREE_EARLY_SCANS or n % TREE_RESCAN_EVERY == 0:
                tree = process_tree(self.root) or tree
            else:
                # A child born since the last full scan (a respawned worker)
                # counts from its first sample on.
                tree |= descendants(self.root)
            self.peak_kb = max(self.peak_kb, sum(pss_kb(p) for p in tree))
            n += 1
            if self.done.wait(self.interval):
                return


def main(argv):
    usage = 'usage: pss.py --peak-kb FILE [--interval-ms N] -- COMMAND [ARG...]'
    out, interval_ms = None, 20
    i = 0
    while i < len(argv) and argv[i] != '--':
        if argv[i] == '--peak-kb' and i + 1 < len(argv):
            out = argv[i + 1]
        elif argv[i] == '--interval-ms' and i + 1 < len(argv) and argv[i + 1].isdigit():
            interval_ms = int(argv[i + 1])
        else:
            sys.stderr.write(f"pss.py: unknown option '{argv[i]}'\n{usage}\n")
            return 2
        i += 2
    cmd = argv[i + 1:]
    if out is None or not cmd or interval_ms < 1:
        sys.stderr.write(usage + '\n')
        return 2
    p = subprocess.Popen(cmd, start_new_session=True)

    def stop(signum, frame):
        try:
            os.killpg(p.pid, signum)
        except OSError:
            pass
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    sampler = PssSampler(p.pid, interval_ms / 1000)
    sampler.start()
    rc = p.wait()
    sampler.done.set()
    sampler.join()
    with open(out, 'w') as f:
        f.write(f'{sampler.peak_kb}\n')
    return rc if rc >= 0 else 128 - rc


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
