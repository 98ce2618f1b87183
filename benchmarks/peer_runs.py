"""Running the peers of ``benchmarks.compare``: the systems, the corpus they all read, one child
process per system (wall time, peak RSS, log) and the scores of the vectors it wrote.

Measurement protocol
--------------------
* The corpus is materialised once as plain text in a scratch directory (decompressed if
  ``.gz``, cut to the first ``--max-tokens`` tokens if asked), so that every system reads
  the very same bytes and none pays for decompression.
* Systems run one after the other, never concurrently. Each child is started with
  :class:`subprocess.Popen` and reaped with :func:`os.wait4`; the parent measures its wall
  time (interpreter start-up and saving included). The child reports its stage timings and
  its own peak resident set size: ``VmHWM``, the high-water mark of the address space its
  ``exec`` created. ``ru_maxrss`` from ``os.wait4`` is kept in the JSON but not used in the
  table: on Linux it starts from the parent's resident size inherited through fork/exec
  (a 13 MiB child of a 500 MiB parent reports 500 MiB).
* Evaluation happens in the parent after the child has exited, so it never overlaps a
  timed run. Every system's words are ordered by descending corpus frequency, so
  ``restrict_vocab=30000`` means the same thing for all of them.
* A system whose package is missing is reported as skipped; one whose process fails is
  reported with the last line of its log. Neither is dropped from the table.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import importlib.util
import json
import logging
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from . import _measure
from ._measure import cpu_model
from .peers import _common as peers_common

log = logging.getLogger("compare")

SHARED_EVAL = Path(_measure.SHARED_EVAL)

#: Install hint shown for systems whose package is missing.
INSTALL_HINT = "pip install .[bench]"

#: Analogy questions may only use the 30k most frequent words (word2vec's convention).
RESTRICT_VOCAB = 30000

#: Evaluation data sets: result key -> (built-in name in glovefast.datasets, file name in an eval dir).
EVAL_SETS = {
    "analogy": ("questions-words", "questions-words.txt"),
    "ws353": ("wordsim353", "wordsim353.tsv"),
    "simlex": ("simlex999", "simlex999.txt"),
}

#: Distributions whose versions are recorded with the results.
VERSIONED = ("glovefast", "numpy", "scipy", "bicleaner-ai-glove", "gensim", "torch", "matplotlib")


@dataclass(frozen=True)
class System:
    """A system under comparison.

    Parameters
    ----------
    name : str
        Key used on the command line (``--systems``) and in the results.
    label : str
        Human-readable name in the table and plots.
    script : str
        Runner module in ``benchmarks/peers/`` (run as ``python -m benchmarks.peers.<script>``).
    modules : tuple of str
        Top-level modules that must be importable for the system to run.
    distributions : tuple of str
        PyPI distributions, any of which provides the modules (empty: do not check).
    kind : str
        ``"glove"`` (gets GloVe's window and epochs) or ``"word2vec"``.
    extra_args : tuple of str
        Additional runner arguments.
    """

    name: str
    label: str
    script: str
    modules: Tuple[str, ...]
    distributions: Tuple[str, ...] = ()
    kind: str = "glove"
    extra_args: Tuple[str, ...] = ()


SYSTEMS: Dict[str, System] = {
    s.name: s
    for s in (
        System("glovefast", "glovefast", "glovefast_run", ("glovefast",)),
        System("glovefast_defaults", "glovefast, own defaults", "glovefast_run", ("glovefast",),
               extra_args=("--own-defaults",)),
        # the settings that did best on real8 in a short sweep (README): more dimensions, fewer epochs
        System("glovefast_d100", "glovefast, d=100, 10 epochs", "glovefast_run", ("glovefast",),
               extra_args=("--dim", "100", "--epochs", "10")),
        System("glove_python", "glove_python (bicleaner-ai-glove)", "glove_python_run", ("glove",),
               ("bicleaner-ai-glove", "glove_python", "glove-python", "glove-python-binary")),
        System("gensim_cbow", "gensim Word2Vec CBOW", "gensim_run", ("gensim",), ("gensim",),
               kind="word2vec", extra_args=("--sg", "0")),
        System("gensim_sg", "gensim Word2Vec skip-gram", "gensim_run", ("gensim",), ("gensim",),
               kind="word2vec", extra_args=("--sg", "1")),
        System("torch", "PyTorch GloVe (seed notebook, CPU)", "torch_glove_run", ("torch",), ("torch",)),
    )
}


@dataclass
class RunResult:
    """Outcome of one system: status, parent-side measurements, child statistics, scores.

    Attributes
    ----------
    name, label : str
        System key and display name.
    status : str
        ``"ok"``, ``"skipped"`` or ``"failed"``.
    reason : str
        Why it was skipped or failed (empty when ok).
    wall_seconds : float or None
        Wall time of the child process, as measured by the parent.
    peak_rss_mb : float or None
        Peak resident set size of the child process (MiB), as the child measured it
        (``VmHWM``); None when it did not report one (e.g. it failed).
    wait4_maxrss_mb : float or None
        ``ru_maxrss`` of the child from ``os.wait4``: an upper bound, since on Linux it
        includes the parent's resident size inherited through fork/exec.
    exit_code : int or None
        Child exit code (negative: killed by that signal).
    stats : dict
        The child's ``stats.json``.
    scores : dict
        Output of ``evaluate_all``.
    eval_seconds : float or None
        Time spent evaluating (not part of the system's time).
    command : list of str
        The child's command line.
    """

    name: str
    label: str
    status: str = "ok"
    reason: str = ""
    wall_seconds: Optional[float] = None
    peak_rss_mb: Optional[float] = None
    wait4_maxrss_mb: Optional[float] = None
    exit_code: Optional[int] = None
    stats: dict = field(default_factory=dict)
    scores: dict = field(default_factory=dict)
    eval_seconds: Optional[float] = None
    command: List[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """Return a JSON-serialisable dict (NaN scores become ``None``)."""
        return {
            "name": self.name, "label": self.label, "status": self.status, "reason": self.reason,
            "wall_seconds": self.wall_seconds, "peak_rss_mb": self.peak_rss_mb,
            "wait4_maxrss_mb": self.wait4_maxrss_mb,
            "exit_code": self.exit_code, "stats": self.stats, "scores": json_safe(self.scores),
            "eval_seconds": self.eval_seconds, "command": self.command,
        }


def json_safe(obj):
    """Replace NaN/inf floats by None, recursively (JSON has no NaN)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    return obj


# --------------------------------------------------------------------------- environment

def memory_total_gib() -> Optional[float]:
    """Total physical memory in GiB from ``/proc/meminfo``, or None if unknown."""
    try:
        with open("/proc/meminfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 1024 ** 2, 1)
    except (OSError, ValueError, IndexError):
        pass
    return None


def package_versions(names: Sequence[str] = VERSIONED) -> Dict[str, Optional[str]]:
    """Installed versions of ``names`` (None when a distribution is not installed)."""
    return peers_common.package_versions(names)


def machine_info() -> dict:
    """Describe the machine and software the comparison ran on.

    Returns
    -------
    dict
        ``cpu``, ``cores`` (logical CPUs), ``cores_usable`` (CPU affinity), ``memory_gib``,
        ``platform``, ``python``, ``packages`` (versions), ``date`` (UTC, ISO 8601).
    """
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count()
    packages = package_versions()
    gf = sys.modules.get("glovefast")
    if packages.get("glovefast") is None and gf is not None:  # imported from a source tree
        packages["glovefast"] = f"{getattr(gf, '__version__', '?')} (source tree)"
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "cores_usable": usable,
        "memory_gib": memory_total_gib(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "packages": packages,
        "date": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
    }


def missing_requirement(system: System) -> Optional[str]:
    """Return what is missing for ``system`` to run, or None if it can run.

    Parameters
    ----------
    system : System
        The system to check.

    Returns
    -------
    str or None
        A short description of the missing module or distribution.
    """
    for module in system.modules:
        try:
            spec = importlib.util.find_spec(module)
        except (ImportError, ValueError):
            spec = None
        if spec is None:
            return f"module {module!r}"
    if system.distributions:
        for dist in system.distributions:
            try:
                metadata.version(dist)
                return None
            except metadata.PackageNotFoundError:
                continue
        return f"distribution {system.distributions[0]!r}"
    return None


# --------------------------------------------------------------------------- corpus

def prepare_corpus(src: Path, work_dir: Path, max_tokens: int = 0) -> Tuple[Path, dict]:
    """Materialise the corpus all systems will read, and describe it.

    A plain-text ``src`` used whole is read in place; otherwise the text (decompressed,
    and cut after ``max_tokens`` tokens when ``max_tokens > 0``) is written to
    ``work_dir/corpus.txt`` with single spaces between tokens. Empty lines are dropped.

    Parameters
    ----------
    src : pathlib.Path
        Plain or ``.gz`` text, one document per line, whitespace-separated tokens.
    work_dir : pathlib.Path
        Scratch directory.
    max_tokens : int, optional
        If positive, keep only the first ``max_tokens`` tokens (the last line is cut).

    Returns
    -------
    path : pathlib.Path
        The plain-text file to hand to every system.
    info : dict
        ``source``, ``path``, ``tokens``, ``lines``, ``bytes``, ``max_tokens``.

    Raises
    ------
    FileNotFoundError
        ``src`` does not exist.
    ValueError
        ``max_tokens`` is negative, or the corpus holds no tokens.
    """
    if max_tokens < 0:
        raise ValueError(f"max_tokens must be >= 0, got {max_tokens}")
    if not src.is_file():
        raise FileNotFoundError(f"corpus not found: {src}")
    tokens = lines = 0
    if max_tokens == 0 and not str(src).endswith(".gz"):
        dst = src
        with peers_common.open_text(str(src)) as fh:
            for line in fh:
                n = len(line.split())
                if n:
                    tokens += n
                    lines += 1
    else:
        dst = work_dir / "corpus.txt"
        with peers_common.open_text(str(src)) as fh, open(dst, "w", encoding="utf-8") as out:
            for line in fh:
                toks = line.split()
                if not toks:
                    continue
                if max_tokens and tokens + len(toks) > max_tokens:
                    toks = toks[:max_tokens - tokens]
                out.write(" ".join(toks))
                out.write("\n")
                tokens += len(toks)
                lines += 1
                if max_tokens and tokens >= max_tokens:
                    break
    if tokens == 0:
        raise ValueError(f"corpus {src} holds no tokens")
    info = {"source": str(src), "path": str(dst), "tokens": tokens, "lines": lines,
            "bytes": dst.stat().st_size, "max_tokens": max_tokens}
    return dst, info


# --------------------------------------------------------------------------- children

# "2026-01-01 12:00:00,123 peer.glove_python ERROR " as written by the runners' logging.
_LOG_PREFIX = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \S+ (?:CRITICAL|ERROR|WARNING|INFO|DEBUG) ")


def last_line(path: Path, max_bytes: int = 65536) -> str:
    """Last non-empty line of a text file (its tail only is read, a logging prefix is removed), or ``""``."""
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - max_bytes))
            tail = fh.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
    for line in reversed(tail.splitlines()):
        if line.strip():
            return _LOG_PREFIX.sub("", line.strip())
    return ""


def run_child(cmd: Sequence[str], log_path: Path, env: Optional[dict] = None,
              timeout: Optional[float] = None) -> Tuple[int, float, float, bool]:
    """Run a command, measuring its wall time and its own peak RSS.

    The child is reaped with :func:`os.wait4`, whose resource usage covers that child only
    (and descendants it waited for), unlike ``getrusage(RUSAGE_CHILDREN)`` which keeps
    the maximum over every child the parent ever had. Its ``ru_maxrss`` is still not the
    child's alone on Linux: it starts from the resident size of the parent inherited through
    fork/exec, so it is an upper bound; the runners report their exact ``VmHWM`` themselves.

    Parameters
    ----------
    cmd : sequence of str
        Command line.
    log_path : pathlib.Path
        Receives the child's stdout and stderr.
    env : dict, optional
        Environment of the child.
    timeout : float, optional
        Seconds after which the child is killed.

    Returns
    -------
    exit_code : int
        Exit status (negative: killed by that signal).
    wall_seconds : float
        Wall time from start to exit.
    maxrss_mb : float
        ``ru_maxrss`` of the child, in MiB (an upper bound of its peak RSS, see above).
    timed_out : bool
        Whether the child was killed for exceeding ``timeout``.
    """
    timed_out = threading.Event()
    with open(log_path, "wb") as logf:
        t0 = time.perf_counter()
        proc = subprocess.Popen(list(cmd), stdout=logf, stderr=subprocess.STDOUT, env=env,
                                stdin=subprocess.DEVNULL)
        timer = None
        if timeout:
            def _kill() -> None:
                timed_out.set()
                proc.kill()
            timer = threading.Timer(timeout, _kill)
            timer.daemon = True
            timer.start()
        try:
            while True:
                try:
                    _, status, usage = os.wait4(proc.pid, 0)
                    break
                except InterruptedError:  # pragma: no cover - retried by Python >= 3.5 anyway
                    continue
        except BaseException:  # e.g. Ctrl-C: do not leave the child running or unreaped
            proc.kill()
            proc.wait()
            raise
        finally:
            if timer is not None:
                timer.cancel()
        wall = time.perf_counter() - t0
    exit_code = os.waitstatus_to_exitcode(status)
    proc.returncode = exit_code  # reaped by us; keep Popen from waiting again
    # ru_maxrss is in KiB on Linux, in bytes on macOS.
    rss_mb = usage.ru_maxrss / (1024 ** 2 if sys.platform == "darwin" else 1024)
    return exit_code, wall, rss_mb, timed_out.is_set()


def child_command(system: System, args: argparse.Namespace, corpus: Path,
                  vectors: Path, stats: Path) -> List[str]:
    """Command line of a system's runner for the comparison settings.

    Parameters
    ----------
    system : System
        System to run.
    args : argparse.Namespace
        Parsed options of ``compare.py``.
    corpus, vectors, stats : pathlib.Path
        Corpus to read, and where the child writes its vectors and statistics.

    Returns
    -------
    list of str
        ``[python, -m, benchmarks.peers.<runner>, options...]``; run it with ``env=child_env()``.
    """
    w2v = system.kind == "word2vec"
    cmd = [
        sys.executable, "-m", f"{__package__}.peers.{system.script}",
        "--corpus", str(corpus),
        "--dim", str(args.dim),
        "--window", str(args.w2v_window if w2v else args.window),
        "--epochs", str(args.w2v_epochs if w2v else args.epochs),
        "--min-count", str(args.min_count),
        "--threads", str(args.threads),
        "--seed", str(args.seed),
        "--out", str(vectors),
        "--stats", str(stats),
    ]
    if not w2v:
        cmd += ["--x-max", str(args.x_max), "--learning-rate", str(args.learning_rate),
                "--alpha", str(args.alpha)]
    if system.name == "torch":
        cmd += ["--batch-size", str(args.torch_batch_size)]
    cmd += list(system.extra_args)
    return cmd


# --------------------------------------------------------------------------- evaluation

def resolve_eval_sets(eval_dir: Optional[Path]) -> Dict[str, Optional[str]]:
    """Choose the evaluation files: ``--eval-dir`` first, then glovefast's built-ins, then ``../shared/eval``.

    Parameters
    ----------
    eval_dir : pathlib.Path or None
        Directory holding ``questions-words.txt``, ``wordsim353.tsv``, ``simlex999.txt``.

    Returns
    -------
    dict
        Result key -> file path (str), or None when a data set was found nowhere (that
        score is then NaN for every system).
    """
    from glovefast import datasets
    from glovefast.errors import DataNotFoundError

    chosen: Dict[str, Optional[str]] = {}
    for key, (builtin, filename) in EVAL_SETS.items():
        path: Optional[Path] = None
        if eval_dir is not None and (eval_dir / filename).is_file():
            path = eval_dir / filename
        if path is None:
            try:
                path = Path(datasets.builtin_path(builtin))
            except DataNotFoundError:
                path = None
        if path is None and (SHARED_EVAL / filename).is_file():
            path = SHARED_EVAL / filename
        if path is None:
            log.warning("no %s data set found (looked in --eval-dir, glovefast's data, %s): "
                        "its column will be empty", filename, SHARED_EVAL)
        chosen[key] = None if path is None else str(path)
    return chosen


def evaluate_vectors(npz_path: Path, eval_sets: Dict[str, Optional[str]]) -> dict:
    """Score a child's vectors with the one evaluator every system goes through.

    Parameters
    ----------
    npz_path : pathlib.Path
        ``.npz`` with ``words`` (unicode array, by descending frequency) and ``vectors``.
    eval_sets : dict
        Output of :func:`resolve_eval_sets`.

    Returns
    -------
    dict
        :func:`glovefast.vectors.evaluation.evaluate_all` with ``restrict_vocab=30000``: ``analogy``
        (fraction), ``ws353`` and ``simlex`` (Spearman), plus their details.
    """
    import numpy as np
    from glovefast.vectors.evaluation import evaluate_all
    from glovefast.vectors.word_vectors import WordVectors

    with np.load(npz_path, allow_pickle=False) as data:
        words = [str(w) for w in data["words"]]
        vectors = data["vectors"]
    wv = WordVectors(words, vectors)
    pairs = {k: v for k, v in eval_sets.items() if k != "analogy" and v is not None}
    scores = evaluate_all(wv, restrict_vocab=RESTRICT_VOCAB, analogies=eval_sets.get("analogy"),
                          pairs=pairs)
    for key in EVAL_SETS:
        scores.setdefault(key, math.nan)
    scores["vocab_size"] = len(words)
    return scores


def run_system(system: System, args: argparse.Namespace, corpus: Path, work_dir: Path,
               log_dir: Path, env: dict, eval_sets: Dict[str, Optional[str]]) -> RunResult:
    """Run one system in its own process, then evaluate its vectors.

    Parameters
    ----------
    system : System
        System to run.
    args : argparse.Namespace
        Options of ``compare.py``.
    corpus : pathlib.Path
        The plain-text corpus.
    work_dir, log_dir : pathlib.Path
        Scratch directory (vectors, stats) and log directory.
    env : dict
        Environment of the child.
    eval_sets : dict
        Evaluation files (see :func:`resolve_eval_sets`).

    Returns
    -------
    RunResult
        Status, measurements and scores.
    """
    result = RunResult(system.name, system.label)
    missing = missing_requirement(system)
    if missing:
        result.status = "skipped"
        result.reason = f"not installed: {INSTALL_HINT}"
        log.warning("%s skipped: %s is not installed", system.name, missing)
        return result
    vectors = work_dir / f"{system.name}.npz"
    stats_path = work_dir / f"{system.name}.json"
    log_path = log_dir / f"{system.name}.log"
    cmd = child_command(system, args, corpus, vectors, stats_path)
    result.command = cmd
    log.info("running %s: %s", system.name, " ".join(cmd))
    code, wall, rss, timed_out = run_child(cmd, log_path, env=env, timeout=args.timeout)
    result.exit_code, result.wall_seconds, result.wait4_maxrss_mb = code, wall, rss
    if timed_out:
        result.status, result.reason = "failed", f"timed out after {args.timeout:g} s"
    elif code != 0:
        result.status = "failed"
        result.reason = last_line(log_path) or f"exit code {code}"
    elif not (vectors.is_file() and stats_path.is_file()):
        result.status, result.reason = "failed", "the runner wrote no vectors or statistics"
    if result.status == "failed":
        log.error("%s failed (see %s): %s", system.name, log_path, result.reason)
        return result
    with open(stats_path, encoding="utf-8") as fh:
        result.stats = json.load(fh)
    result.peak_rss_mb = result.stats.get("peak_rss_mb")
    log.info("%s finished in %.1f s, peak RSS %s MiB; evaluating", system.name, wall,
             "–" if result.peak_rss_mb is None else f"{result.peak_rss_mb:.0f}")
    t0 = time.perf_counter()
    try:
        result.scores = evaluate_vectors(vectors, eval_sets)
    except Exception as exc:  # one bad vector file must not lose the other rows
        log.exception("evaluation of %s failed", system.name)
        result.status, result.reason = "failed", f"evaluation: {type(exc).__name__}: {exc}"
    result.eval_seconds = time.perf_counter() - t0
    if result.status == "ok":
        sc = result.scores
        log.info("%s: analogy %.1f%%, WS353 %.3f, SimLex %.3f", system.name,
                 100 * sc.get("analogy", math.nan), sc.get("ws353", math.nan), sc.get("simlex", math.nan))
    if args.keep_vectors:
        shutil.copy2(vectors, log_dir.parent / f"{system.name}.npz")
    return result
