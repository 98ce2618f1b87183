"""What the benchmark scripts share: the peak memory a process reports of itself.

Each measured stage runs in a fresh process (``python -c CHILD_PRELUDE + code`` or the script
itself) so that its peak belongs to that stage alone.
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def vmhwm():
    """This process's peak resident set size in MiB: Linux's ``VmHWM``, the high-water mark of the
    address space its ``exec`` created (``ru_maxrss`` would start from the parent's size)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return None


#: Start of a ``python -c`` child: the glovefast of this source tree and :func:`vmhwm` importable.
CHILD_PRELUDE = f"import json, sys, time\nsys.path[:0] = [{ROOT!r}, {HERE!r}]\nfrom _measure import vmhwm\n"
