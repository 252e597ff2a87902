"""What tools/bench and tools/scaling-test both need to know of the machine
(CPU model, memory) and to do to their inputs before timing them (read them
into the page cache). Standard library only."""
import os

READ_SIZE = 1 << 20               # bytes a read() while warming up


def meminfo():
    """/proc/meminfo as a dict: name -> kB ({} where it cannot be read)."""
    info = {}
    try:
        with open('/proc/meminfo') as f:
            for line in f:
                k, v = line.split(':', 1)
                info[k] = int(v.split()[0])
    except (OSError, ValueError, IndexError):
        pass
    return info


def cpu_model(default=None):
    """The CPU's name from /proc/cpuinfo (x86 and ARM spellings); default,
    or the machine's architecture, when it has none."""
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                k, _, v = line.partition(':')
                if k.strip() in ('model name', 'Hardware', 'Processor', 'cpu model'):
                    return ' '.join(v.split())
    except OSError:
        pass
    return default if default is not None else os.uname().machine


def warm_up(paths):
    """Reads every file once, so that timed runs find them in the page cache;
    returns the bytes read."""
    total = 0
    buf = bytearray(READ_SIZE)
    for path in sorted(set(paths)):
        with open(path, 'rb', buffering=0) as f:
            while True:
                n = f.readinto(buf)
                if not n:
                    break
                total += n
    return total
