#!/usr/bin/env python
"""Side-by-side comparison of glovefast with the trainers users would otherwise pick.

Runs, on the same corpus and settings and each in its own process, glovefast, glove_python
(the ``bicleaner-ai-glove`` wheel), gensim ``Word2Vec`` (CBOW and skip-gram) and the PyTorch
formulation of GloVe from the seed notebook; then scores every system's vectors with the
same evaluator (:func:`glovefast.evaluation.evaluate_all`) and writes one table::

    python -m benchmarks.compare --corpus ../shared/corpus/real8.txt.gz --dim 50 --window 15 --epochs 15

Outputs, in ``--out`` (default ``benchmarks/results/``): ``results.json`` (everything
measured, plus machine information), ``results.md`` (the markdown table, also printed),
``accuracy_vs_time.png`` and ``glovefast_loss.png``, and one log per system in ``logs/``.

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
import gzip
import importlib
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
import tempfile
import threading
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from ._measure import child_env
from .peers import _common as peers_common

log = logging.getLogger("compare")

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_OUT = HERE / "results"
SHARED_EVAL = REPO.parent / "shared" / "eval"

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
            "exit_code": self.exit_code, "stats": self.stats, "scores": _json_safe(self.scores),
            "eval_seconds": self.eval_seconds, "command": self.command,
        }


def _json_safe(obj):
    """Replace NaN/inf floats by None, recursively (JSON has no NaN)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    return obj


# --------------------------------------------------------------------------- environment

def cpu_model() -> str:
    """CPU model name from ``/proc/cpuinfo`` (falls back to :func:`platform.processor`).

    Returns
    -------
    str
        CPU model, or ``"unknown"``.
    """
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


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

def open_text(path: Path):
    """Open a plain or ``.gz`` UTF-8 text file for reading."""
    if str(path).endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8")
    return open(path, "r", encoding="utf-8")


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
        with open_text(src) as fh:
            for line in fh:
                n = len(line.split())
                if n:
                    tokens += n
                    lines += 1
    else:
        dst = work_dir / "corpus.txt"
        with open_text(src) as fh, open(dst, "w", encoding="utf-8") as out:
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
        :func:`glovefast.evaluation.evaluate_all` with ``restrict_vocab=30000``: ``analogy``
        (fraction), ``ws353`` and ``simlex`` (Spearman), plus their details.
    """
    import numpy as np
    from glovefast.evaluation import evaluate_all
    from glovefast.vectors import WordVectors

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


# --------------------------------------------------------------------------- reporting

def _fmt(value, fmt: str, empty: str = "–") -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return empty
    return format(value, fmt)


def _fmt_rate(value: Optional[float], unit: str) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    if value >= 1e6:
        return f"{value / 1e6:.2f}M {unit}"
    if value >= 1e3:
        return f"{value / 1e3:.1f}k {unit}"
    return f"{value:.0f} {unit}"


def prepare_seconds(stats: dict) -> Tuple[Optional[float], str]:
    """Seconds spent before training (vocabulary + counting stages) and their breakdown.

    Parameters
    ----------
    stats : dict
        A child's statistics (``stages``: ordered name -> seconds).

    Returns
    -------
    total : float or None
        Sum of every stage except ``train``.
    detail : str
        ``"vocab 1.2 + count 3.4"`` when there are several such stages, else ``""``.
    """
    stages = {k: v for k, v in (stats.get("stages") or {}).items() if k != "train"}
    if not stages:
        return None, ""
    total = float(sum(stages.values()))
    detail = " + ".join(f"{k} {v:.1f}" for k, v in stages.items()) if len(stages) > 1 else ""
    return total, detail


def status_text(r: RunResult) -> str:
    """Status cell: ``ok``, ``skipped (...)`` or ``failed: ...`` (pipes escaped)."""
    if r.status == "ok":
        return "ok"
    if r.status == "skipped":
        text = f"skipped ({r.reason})"
    else:
        text = f"failed: {r.reason}"
    return text.replace("|", "\\|")


def settings_line(settings: dict) -> str:
    """One-line summary of the comparison settings for the markdown header."""
    return (f"d={settings['dim']}, GloVe window {settings['window']} / {settings['epochs']} epochs / "
            f"x_max {settings['x_max']:g} / lr {settings['learning_rate']:g}, "
            f"word2vec window {settings['w2v_window']} / {settings['w2v_epochs']} epochs, "
            f"min_count {settings['min_count']}, {settings['threads']} threads")


def format_markdown(results: dict) -> str:
    """Render the comparison as markdown: context lines, the table, and footnotes.

    Parameters
    ----------
    results : dict
        As written to ``results.json``: ``machine``, ``settings``, ``corpus``, ``eval_sets``,
        ``systems`` (list of :meth:`RunResult.to_dict`).

    Returns
    -------
    str
        Markdown text.
    """
    m, s, c = results["machine"], results["settings"], results["corpus"]
    pk = m.get("packages", {})
    versions = ", ".join(f"{k} {v}" for k, v in pk.items() if v)
    lines = [
        "## Peer comparison",
        "",
        f"Corpus: `{Path(c['source']).name}`"
        + (f" (first {c['tokens']:,} tokens)" if c.get("max_tokens") else f", {c['tokens']:,} tokens")
        + f", {c['lines']:,} lines. Settings: {settings_line(s)}.",
        "",
        f"Machine: {m['cpu']}, {m['cores']} logical cores"
        + (f" ({m['cores_usable']} usable)" if m.get("cores_usable") not in (None, m["cores"]) else "")
        + (f", {m['memory_gib']} GiB" if m.get("memory_gib") else "")
        + f"; Python {m['python']}; {versions}. Run {m['date']}.",
        "",
        "| System | Vocab + count (s) | Train (s) | Total wall (s) | Train throughput | Peak RSS (MiB) "
        "| Analogy (%) | WS353 ρ | SimLex ρ | Status |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results["systems"]:
        st = r.get("stats") or {}
        sc = r.get("scores") or {}
        prep, detail = prepare_seconds(st)
        prep_cell = _fmt(prep, ".1f") + (f" ({detail})" if detail else "")
        train = (st.get("stages") or {}).get("train")
        analogy = sc.get("analogy")
        row = [
            r["label"],
            prep_cell,
            _fmt(train, ".1f"),
            _fmt(r.get("wall_seconds"), ".1f"),
            _fmt_rate(st.get("throughput"), st.get("throughput_unit", "updates/s")),
            _fmt(r.get("peak_rss_mb"), ".0f"),
            _fmt(None if analogy is None else 100.0 * analogy, ".1f"),
            _fmt(sc.get("ws353"), ".3f"),
            _fmt(sc.get("simlex"), ".3f"),
            status_text(_as_run_result(r)),
        ]
        lines.append("| " + " | ".join(row) + " |")
    lines += [
        "",
        "- *Vocab + count*: building the vocabulary and the cooccurrence matrix (GloVe systems) "
        "or the vocabulary pass (word2vec), timed inside the child. *Train*: all epochs. "
        "*Total wall*: the whole child process as seen by the parent (start-up, reading, "
        "saving the vectors included).",
        "- *Train throughput*: GloVe systems in cooccurrence updates per second (one update = one "
        "`(i, j)` entry visited; glovefast, Stanford and the PyTorch run train each off-diagonal pair "
        "in both orientations, glove_python visits each stored upper-triangle entry once with tied "
        "vectors); word2vec in corpus words per second. The two units are not comparable: compare "
        "wall times.",
        "- *Peak RSS*: the child process's own maximum resident memory (`VmHWM` of its address "
        "space, read by the child at its end).",
        f"- Scores from `glovefast.evaluation.evaluate_all` for every system: analogy accuracy on "
        f"questions-words with candidates and questions restricted to the {RESTRICT_VOCAB:,} most "
        "frequent words (3CosAdd, case-insensitive, out-of-vocabulary questions skipped); "
        "Spearman's ρ on WS353 and SimLex-999 over the pairs whose words are among them too.",
    ]
    for r in results["systems"]:
        p = (r.get("stats") or {}).get("params") or {}
        if p.get("own_defaults"):
            lines.append(
                f"- *{r['label']}*: the settings `glovefast train` uses when given none: d={p['dim']}, "
                f"window {p['window']}, {p['epochs']} epochs, x_max {p['x_max']:g}, lr {p['learning_rate']:g}, "
                f"min_count {p['min_count']}; the other rows use the settings above.")
    return "\n".join(lines) + "\n"


def _as_run_result(d: dict) -> RunResult:
    return RunResult(name=d["name"], label=d["label"], status=d.get("status", "ok"),
                     reason=d.get("reason", ""))


def plot_accuracy_vs_time(results: dict, path: Path) -> bool:
    """Scatter each system's scores against its total wall time.

    Three panels: analogy accuracy, WS353 and SimLex-999 Spearman, each against the child's
    wall time (log scale). Systems without a score are left out of that panel only.

    Parameters
    ----------
    results : dict
        Comparison results (see :func:`format_markdown`).
    path : pathlib.Path
        PNG to write.

    Returns
    -------
    bool
        Whether a plot was written (False if matplotlib is missing or no system succeeded).
    """
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log.warning("matplotlib is not installed (%s): no plots", INSTALL_HINT)
        return False
    ok = [r for r in results["systems"] if r["status"] == "ok" and r.get("wall_seconds")]
    if not ok:
        log.warning("no system finished: %s not written", path.name)
        return False
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    panels = [("analogy", "Analogy accuracy (%)", 100.0), ("ws353", "WS353 Spearman ρ", 1.0),
              ("simlex", "SimLex-999 Spearman ρ", 1.0)]
    fig, axes = plt.subplots(1, 3, figsize=(15, 5.2))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    markers = "osD^vP*X"
    walls = [r["wall_seconds"] for r in ok]
    lo, hi = min(walls) / 1.6, max(walls) * 1.6
    handles = {}
    for ax, (key, title, scale) in zip(axes, panels):
        for k, r in enumerate(ok):
            value = (r.get("scores") or {}).get(key)
            if value is None or not math.isfinite(value):
                continue
            h = ax.scatter([r["wall_seconds"]], [value * scale], s=70, zorder=3,
                           color=colors[k % len(colors)], marker=markers[k % len(markers)])
            handles.setdefault(r["label"], h)
        ax.set_xscale("log")
        ax.set_xlim(lo, hi)
        ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel("total wall time of the system (s, log scale)")
        ax.set_title(title)
        ax.grid(True, which="major", alpha=0.3)
    fig.legend(list(handles.values()), list(handles.keys()), loc="lower center",
               ncol=min(len(handles), 5), frameon=False, fontsize=9)
    c = results["corpus"]
    fig.suptitle(f"Quality vs time on {Path(c['source']).name} ({c['tokens']:,} tokens), "
                 f"{settings_line(results['settings'])}", fontsize=9)
    fig.tight_layout(rect=(0, 0.07, 1, 0.95))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def plot_glovefast_loss(results: dict, path: Path) -> bool:
    """Plot glovefast's training loss per epoch (``Glove.loss_history_``).

    Parameters
    ----------
    results : dict
        Comparison results.
    path : pathlib.Path
        PNG to write.

    Returns
    -------
    bool
        Whether a plot was written (False without matplotlib or without glovefast losses).
    """
    run = next((r for r in results["systems"] if r["name"] == "glovefast" and r["status"] == "ok"), None)
    losses = ((run or {}).get("stats") or {}).get("losses") or []
    if not losses:
        log.warning("no glovefast loss history: %s not written", path.name)
        return False
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log.warning("matplotlib is not installed (%s): no plots", INSTALL_HINT)
        return False
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    epochs = list(range(1, len(losses) + 1))
    from matplotlib.ticker import MaxNLocator

    ax.plot(epochs, losses, marker="o")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss (Glove.loss_history_)")
    ax.set_title(f"glovefast training loss, {Path(results['corpus']['source']).name}, "
                 f"d={results['settings']['dim']}", fontsize=10)
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def write_outputs(results: dict, out_dir: Path) -> str:
    """Write ``results.json``, ``results.md`` and the two plots; return the markdown.

    Parameters
    ----------
    results : dict
        Comparison results.
    out_dir : pathlib.Path
        Output directory (created if needed).

    Returns
    -------
    str
        The markdown table.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    plots = {}
    if plot_accuracy_vs_time(results, out_dir / "accuracy_vs_time.png"):
        plots["accuracy_vs_time"] = "accuracy_vs_time.png"
    if plot_glovefast_loss(results, out_dir / "glovefast_loss.png"):
        plots["glovefast_loss"] = "glovefast_loss.png"
    results["plots"] = plots
    md = format_markdown(results)
    if plots:
        md += "\n" + "\n".join(f"![{k}]({v})" for k, v in plots.items()) + "\n"
    with open(out_dir / "results.json", "w", encoding="utf-8") as fh:
        json.dump(_json_safe(results), fh, indent=2, allow_nan=False)
    with open(out_dir / "results.md", "w", encoding="utf-8") as fh:
        fh.write(md)
    return md


# --------------------------------------------------------------------------- orchestration

def import_glovefast() -> Path:
    """Import glovefast and return the directory holding it (the children get it first on their
    ``PYTHONPATH``, so that they run the same glovefast).

    Raises
    ------
    SystemExit
        glovefast cannot be imported: the evaluator lives in it.
    """
    try:
        module = importlib.import_module("glovefast")
    except ImportError as exc:
        raise SystemExit(
            f"compare needs glovefast (its evaluator scores every system): {exc}. Build it in place "
            f"(python setup.py build_ext --inplace) or install it (pip install -e '.[bench]'), "
            f"from {REPO}") from None
    return Path(module.__file__).resolve().parent.parent


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
             _fmt(result.peak_rss_mb, ".0f"))
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


def parse_systems(text: str) -> List[str]:
    """Parse ``--systems``: comma-separated names from :data:`SYSTEMS`, duplicates removed.

    Raises
    ------
    argparse.ArgumentTypeError
        An unknown name, or an empty list.
    """
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in SYSTEMS]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown system(s) {', '.join(unknown)}; choose from {', '.join(SYSTEMS)}")
    if not names:
        raise argparse.ArgumentTypeError("no system given")
    return list(dict.fromkeys(names))


def build_parser() -> argparse.ArgumentParser:
    """Command-line interface of ``compare.py``."""
    p = argparse.ArgumentParser(
        description="Compare glovefast with glove_python, gensim Word2Vec and a PyTorch GloVe on one "
                    "corpus: time per stage, throughput, peak memory and vector quality.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--corpus", type=Path, required=True,
                   help="Text corpus, plain or .gz: one document per line, whitespace-separated tokens.")
    p.add_argument("--dim", type=int, default=50, help="Embedding dimension for every system.")
    p.add_argument("--window", type=int, default=15, help="GloVe context window (each side).")
    p.add_argument("--epochs", type=int, default=15, help="GloVe training epochs.")
    p.add_argument("--min-count", type=int, default=5, help="Minimum word frequency for every system.")
    p.add_argument("--x-max", type=float, default=10.0, help="GloVe weighting cutoff.")
    p.add_argument("--learning-rate", type=float, default=0.05, help="GloVe (Adagrad) learning rate.")
    p.add_argument("--alpha", type=float, default=0.75, help="GloVe weighting exponent.")
    p.add_argument("--w2v-window", type=int, default=10,
                   help="word2vec window (10, as in the reference CBOW run; not GloVe's 15).")
    p.add_argument("--w2v-epochs", type=int, default=5, help="word2vec epochs (gensim's default).")
    p.add_argument("--threads", type=int, default=2, help="Worker threads for every system.")
    p.add_argument("--max-tokens", type=int, default=0,
                   help="If > 0, every system reads only the first N tokens (written to a scratch file).")
    p.add_argument("--systems", type=parse_systems, default=",".join(SYSTEMS),
                   help=f"Comma-separated systems to run, among: {','.join(SYSTEMS)}.")
    p.add_argument("--eval-dir", type=Path, default=None,
                   help="Directory with questions-words.txt, wordsim353.tsv, simlex999.txt; files missing "
                        f"there come from glovefast's built-in data, else from {SHARED_EVAL}.")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="Output directory.")
    p.add_argument("--torch-batch-size", type=int, default=32768, help="Triples per Adagrad step (PyTorch).")
    p.add_argument("--seed", type=int, default=0, help="Random seed passed to every system.")
    p.add_argument("--timeout", type=float, default=None,
                   help="Kill a system after this many seconds and report it as failed.")
    p.add_argument("--work-dir", type=Path, default=None,
                   help="Scratch directory for the corpus copy and vectors; if unset, a temporary one, "
                        "removed at the end.")
    p.add_argument("--keep-vectors", action="store_true", help="Copy every system's vectors.npz to --out.")
    p.add_argument("-q", "--quiet", action="store_true", help="Only warnings and the table.")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="Also show the evaluator's per-section log lines.")
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the comparison; return the process exit code (0 if it ran, even with failed peers)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if not args.verbose:  # per-section evaluation details go to results.json instead
        logging.getLogger("glovefast").setLevel(logging.WARNING)
    logging.getLogger("matplotlib").setLevel(logging.WARNING)
    for name in ("dim", "window", "epochs", "min_count", "threads", "w2v_window", "w2v_epochs",
                 "torch_batch_size"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1")
    if args.max_tokens < 0:
        parser.error("--max-tokens must be >= 0")
    if not args.corpus.is_file():
        parser.error(f"corpus not found: {args.corpus}")

    glovefast_dir = import_glovefast()
    env = child_env(str(glovefast_dir))
    env.setdefault("PYTHONUNBUFFERED", "1")
    eval_sets = resolve_eval_sets(args.eval_dir)

    out_dir = args.out.resolve()
    log_dir = out_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    own_work = args.work_dir is None
    work_dir = Path(tempfile.mkdtemp(prefix="glovefast-compare-")) if own_work else args.work_dir.resolve()
    work_dir.mkdir(parents=True, exist_ok=True)
    try:
        t0 = time.perf_counter()
        corpus, corpus_info = prepare_corpus(args.corpus.resolve(), work_dir, args.max_tokens)
        log.info("corpus: %s tokens, %s lines (%s), prepared in %.1f s", f"{corpus_info['tokens']:,}",
                 f"{corpus_info['lines']:,}", corpus, time.perf_counter() - t0)
        settings = {k: getattr(args, k) for k in (
            "dim", "window", "epochs", "min_count", "x_max", "learning_rate", "alpha", "w2v_window",
            "w2v_epochs", "threads", "max_tokens", "torch_batch_size", "seed")}
        settings["systems"] = list(args.systems)
        settings["restrict_vocab"] = RESTRICT_VOCAB
        results = {"machine": machine_info(), "settings": settings, "corpus": corpus_info,
                   "eval_sets": eval_sets, "glovefast_path": str(glovefast_dir), "systems": []}
        for name in args.systems:
            res = run_system(SYSTEMS[name], args, corpus, work_dir, log_dir, env, eval_sets)
            results["systems"].append(res.to_dict())
        md = write_outputs(results, out_dir)
    finally:
        if own_work:
            shutil.rmtree(work_dir, ignore_errors=True)
    print(md)
    log.info("results written to %s", out_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
