"""What the benchmark scripts share: where the shared data is, the peak memory a process reports of
itself, the fresh child processes each measured stage runs in, and how results are summarised and
written.

Each measured stage runs in a fresh process (``python -c CHILD_PRELUDE + code`` or
``python -m benchmarks.<script>``) so that its peak belongs to that stage alone. Such a child must
be started with ``env=child_env()`` so that it imports the same glovefast as its parent and finds
this package.
"""
import importlib.util
import json
import os
import platform
import statistics
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def _shared_dir():
    # ../shared next to the repository; a worktree (e.g. wt/NAME) sits one level deeper
    for parent in (os.path.dirname(ROOT), os.path.dirname(os.path.dirname(ROOT))):
        if os.path.isdir(os.path.join(parent, "shared")):
            return os.path.join(parent, "shared")
    return os.path.join(os.path.dirname(ROOT), "shared")


#: The data the benchmarks read (corpora, evaluation sets): ``../shared``, not part of the repository.
SHARED = _shared_dir()
#: real8, the 29M-token corpus most benchmarks default to.
REAL8 = os.path.join(SHARED, "corpus", "real8.txt.gz")
#: Evaluation sets that glovefast does not ship (e.g. ``simlex999.txt``).
SHARED_EVAL = os.path.join(SHARED, "eval")


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


def cpu_model():
    """CPU model name from ``/proc/cpuinfo`` (else :func:`platform.processor`, else ``"unknown"``)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


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


def alternate_trees(code, argv, trees, repeats):
    """Run ``python -c code *argv`` (which prints seconds) in a fresh process for each source tree
    in turn (``trees``: name -> directory holding the ``glovefast`` to import), ``repeats`` rounds,
    so machine drift hits every tree alike. Returns {name: [seconds of each round]}."""
    import sys

    rows = {name: [] for name in trees}
    for _ in range(repeats):
        for name, root in trees.items():
            out = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, check=True,
                                 env=child_env(root))
            rows[name].append(float(out.stdout))
    return rows


def print_alternation(what, rows):
    """Print :func:`alternate_trees`' medians and spreads, and the ratio of the first tree to the
    second, round by round (median, min, max)."""
    for name, times in rows.items():
        print(f"{what} {name:>10}: median {statistics.median(times):.3f}s (min {min(times):.3f}, "
              f"max {max(times):.3f})")
    first, second = list(rows.values())[:2]
    ratios = [a / b for a, b in zip(first, second)]
    names = list(rows)
    print(f"{what} ratio {names[0]}/{names[1]} per round: median {statistics.median(ratios):.3f}, "
          f"min {min(ratios):.3f}, max {max(ratios):.3f}")


#: Start of a ``python -c`` child (run with ``env=child_env()``): :func:`vmhwm` importable.
CHILD_PRELUDE = "import json, sys, time\nfrom benchmarks._measure import vmhwm\n"


def run_json(cmd, what, timeout=None):
    """Run ``cmd`` (a fresh Python child: ``CHILD_PRELUDE`` code or a ``-m`` module) with
    ``env=child_env()`` and return the JSON object on the last line of its standard output.

    Raises
    ------
    RuntimeError
        The child failed; the message names ``what`` and ends with its standard error.
    """
    proc = subprocess.run(list(cmd), capture_output=True, text=True, timeout=timeout, env=child_env())
    if proc.returncode != 0:
        raise RuntimeError(f"{what} failed (exit code {proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])



def add_real8_budget_options(parser):
    """The corpus, budget and model options that out_of_core.py and stanford_budget.py share, with
    the same defaults, so both measure the same real8-at-512M setting unless told otherwise."""
    parser.add_argument("--corpus", default=REAL8)
    parser.add_argument("--memory", default="512M")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--window", type=int, default=15)
    parser.add_argument("--min-count", type=int, default=5)
    parser.add_argument("--dim", type=int, default=50)


def spread(values):
    """``{"min", "median", "max"}`` of repeated measurements (on a shared machine the spread is
    part of the result)."""
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


def write_json(path, obj, indent=2):
    """Write ``obj`` as JSON to ``path``, creating its directory."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as fh:
        json.dump(obj, fh, indent=indent)
