"""What the benchmark scripts share: the peak memory a process reports of itself, and the
environment of the fresh child processes each measured stage runs in.

Each measured stage runs in a fresh process (``python -c CHILD_PRELUDE + code`` or
``python -m benchmarks.<script>``) so that its peak belongs to that stage alone. Such a child must
be started with ``env=child_env()`` so that it imports the same glovefast as its parent and finds
this package.
"""
import importlib.util
import os

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def vmhwm():
    """This process's peak resident set size in MiB: Linux's ``VmHWM``, the high-water mark of the
    address space its ``exec`` created (``ru_maxrss`` would start from the parent's size); None
    where there is no ``/proc``."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def glovefast_root():
    """The directory holding the ``glovefast`` package this process imports (or would import),
    or None when there is none."""
    try:
        spec = importlib.util.find_spec("glovefast")
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.origin:
        return None
    return os.path.dirname(os.path.dirname(os.path.abspath(spec.origin)))


def child_env(glovefast_dir=None, env=None):
    """Environment of a child process: ``PYTHONPATH`` starts with the directory of the glovefast to
    measure, then the repository (for ``benchmarks``), then what it held.

    Parameters
    ----------
    glovefast_dir : str, optional
        Directory holding the ``glovefast`` package the child must import (e.g. another source
        tree to compare against); default: the one this process imports (:func:`glovefast_root`),
        so parent and child run the same code whether glovefast is installed or built in place.
    env : dict, optional
        Environment to start from (default: this process's).

    Returns
    -------
    dict
        A copy of ``env`` with ``PYTHONPATH`` set (entries deduplicated, order kept).
    """
    env = dict(os.environ if env is None else env)
    first = glovefast_dir if glovefast_dir is not None else glovefast_root()
    paths = [str(first)] if first else []
    paths += [ROOT] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    return env


#: Start of a ``python -c`` child (run with ``env=child_env()``): :func:`vmhwm` importable.
CHILD_PRELUDE = "import json, sys, time\nfrom benchmarks._measure import vmhwm\n"
