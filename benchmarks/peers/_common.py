"""Shared plumbing for the peer runners of ``benchmarks/compare.py``.

Every runner in this folder is started by ``compare.py`` in its own process as::

    python -m benchmarks.peers.<name> --corpus TEXT --dim 50 ... --out vectors.npz --stats stats.json

and hands back two files:

``vectors.npz``
    ``words``: a numpy unicode array (no pickle), ordered by descending corpus frequency,
    so that ``restrict_vocab=30000`` keeps the 30k most frequent words for every system;
    ``vectors``: the ``(len(words), dim)`` embedding matrix users of that system get.
``stats.json``
    Stage timings measured inside the child (``stages``: ordered ``{name: seconds}``), the
    number of training updates behind the throughput figure and its unit, per-epoch losses
    where the system exposes them, and the hyper-parameters and package versions used.

The parent measures the child's wall time; the child reports its own peak RSS
(``peak_rss_mb``, from ``VmHWM``) because ``ru_maxrss`` as seen through ``os.wait4`` starts
from the parent's resident size inherited through fork/exec.
"""
from __future__ import annotations

import argparse
import gzip
import json
import logging
import os
import platform
import sys
import time
from collections import Counter
from contextlib import contextmanager
from importlib import metadata
from typing import Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

import numpy as np

from .._measure import vmhwm

log = logging.getLogger("peers")


def setup_logging(name: str) -> logging.Logger:
    """Configure logging to stderr (the parent keeps stderr as the child's log).

    Parameters
    ----------
    name : str
        System name; the logger is ``peer.<name>`` (a bare ``torch`` would be torch's own).

    Returns
    -------
    logging.Logger
        The configured logger.
    """
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    return logging.getLogger(f"peer.{name}")


def base_parser(description: str, *, default_window: int = 15) -> argparse.ArgumentParser:
    """Return an argument parser with the options every peer runner accepts.

    Parameters
    ----------
    description : str
        Help text of the runner.
    default_window : int, optional
        Default context window (15 for GloVe, 10 for word2vec).

    Returns
    -------
    argparse.ArgumentParser
        Parser with ``--corpus --dim --window --epochs --min-count --x-max --threads
        --learning-rate --alpha --seed --out --stats``.
    """
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--corpus", required=True,
                   help="Text corpus (plain or .gz): one document per line, whitespace-separated tokens.")
    p.add_argument("--dim", type=int, default=50, help="Embedding dimension (default: 50).")
    p.add_argument("--window", type=int, default=default_window,
                   help=f"Context window on each side (default: {default_window}).")
    p.add_argument("--epochs", type=int, default=15, help="Training epochs (default: 15).")
    p.add_argument("--min-count", type=int, default=5,
                   help="Drop words seen fewer times than this (default: 5).")
    p.add_argument("--x-max", type=float, default=10.0,
                   help="GloVe weighting cutoff x_max (default: 10, Stanford's demo setting).")
    p.add_argument("--threads", type=int, default=2, help="Worker threads (default: 2).")
    p.add_argument("--learning-rate", type=float, default=0.05,
                   help="Initial learning rate (default: 0.05, Stanford's GloVe).")
    p.add_argument("--alpha", type=float, default=0.75,
                   help="Exponent of the GloVe weighting function (default: 0.75).")
    p.add_argument("--seed", type=int, default=0, help="Random seed (default: 0).")
    p.add_argument("--out", required=True, help="Where to write the vectors (.npz).")
    p.add_argument("--stats", required=True, help="Where to write the stage timings (.json).")
    return p


def open_text(path: str):
    """Open a plain or gzip-compressed UTF-8 text file for reading.

    Parameters
    ----------
    path : str
        File name; ``.gz`` files are decompressed on the fly.

    Returns
    -------
    io.TextIOBase
        Text stream.
    """
    if path.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8")
    return open(path, "r", encoding="utf-8")


class LineCorpus:
    """Restartable iterable of token lists, one per line of a text file.

    Iterating twice reads the file twice, which is what gensim (vocabulary pass, then
    one pass per epoch) and glove_python (one pass) expect from a corpus.

    Parameters
    ----------
    path : str
        Plain or ``.gz`` text file, one document per line, whitespace tokens.
    """

    def __init__(self, path: str) -> None:
        self.path = path

    def __iter__(self) -> Iterator[List[str]]:
        with open_text(self.path) as fh:
            for line in fh:
                tokens = line.split()
                if tokens:
                    yield tokens


def count_words(sentences: Iterable[Sequence[str]]) -> Counter:
    """Count token frequencies.

    Parameters
    ----------
    sentences : iterable of sequence of str
        Token lists.

    Returns
    -------
    collections.Counter
        word -> count.
    """
    counts: Counter = Counter()
    for tokens in sentences:
        counts.update(tokens)
    return counts


def frequency_vocabulary(counts: Counter, min_count: int) -> List[str]:
    """Words seen at least ``min_count`` times, by descending count (ties: alphabetical).

    Parameters
    ----------
    counts : collections.Counter
        word -> count.
    min_count : int
        Minimum frequency.

    Returns
    -------
    list of str
        The vocabulary; index = word id.
    """
    kept = [(w, c) for w, c in counts.items() if c >= min_count]
    kept.sort(key=lambda wc: (-wc[1], wc[0]))
    return [w for w, _ in kept]


@contextmanager
def stage(stages: Dict[str, float], name: str, logger: Optional[logging.Logger] = None):
    """Time a block with ``time.perf_counter`` and store the seconds in ``stages[name]``.

    Parameters
    ----------
    stages : dict
        Receives ``name -> seconds``.
    name : str
        Stage name (``"vocab"``, ``"count"``, ``"train"``...).
    logger : logging.Logger, optional
        If given, logs the duration.
    """
    t0 = time.perf_counter()
    try:
        yield
    finally:
        stages[name] = time.perf_counter() - t0
        if logger is not None:
            logger.info("stage %s: %.2f s", name, stages[name])


def package_versions(names: Sequence[str]) -> Dict[str, Optional[str]]:
    """Installed versions of distributions (``None`` when not installed).

    Parameters
    ----------
    names : sequence of str
        Distribution names as on PyPI.

    Returns
    -------
    dict
        name -> version string or None.
    """
    out: Dict[str, Optional[str]] = {}
    for n in names:
        try:
            out[n] = metadata.version(n)
        except metadata.PackageNotFoundError:
            out[n] = None
    return out


def peak_rss() -> Tuple[Optional[float], str]:
    """This process's peak resident set size, in MiB, and how it was measured.

    ``VmHWM`` in ``/proc/self/status`` is the high-water mark of the address space created
    by ``exec``, so it counts this process only. ``ru_maxrss`` (the fallback, and what
    ``os.wait4`` gives the parent) also starts from the parent's resident size inherited
    through fork/exec on Linux, which would put a floor under every child's figure.

    Returns
    -------
    mib : float or None
        Peak RSS in MiB (None if it cannot be measured).
    source : str
        ``"VmHWM"`` or ``"ru_maxrss"``.
    """
    mib = vmhwm()
    if mib is not None:
        return mib, "VmHWM"
    try:
        import resource
    except ImportError:  # not POSIX
        return None, "ru_maxrss"
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss / (1024.0 ** 2 if sys.platform == "darwin" else 1024.0), "ru_maxrss"


def save_vectors(path: str, words: Sequence[str], vectors: np.ndarray) -> None:
    """Write ``words`` and ``vectors`` to an ``.npz`` file readable without pickle.

    Parameters
    ----------
    path : str
        Output file.
    words : sequence of str
        Vocabulary, ordered by descending frequency.
    vectors : numpy.ndarray
        ``(len(words), dim)`` embeddings.

    Raises
    ------
    ValueError
        If the shapes disagree or the vectors are not finite.
    """
    vectors = np.asarray(vectors)
    if vectors.ndim != 2 or vectors.shape[0] != len(words):
        raise ValueError(f"vectors of shape {vectors.shape} do not match {len(words)} words")
    if not np.isfinite(vectors).all():
        raise ValueError("non-finite values in the trained vectors")
    np.savez(path, words=np.asarray(list(words), dtype=str), vectors=vectors)


def save_stats(path: str, system: str, args: argparse.Namespace, stages: Dict[str, float],
               *, updates_per_epoch: Optional[int], epochs: int, train_stage: str = "train",
               throughput_unit: str = "updates/s", losses: Optional[List[float]] = None,
               vocab_size: Optional[int] = None, extra: Optional[dict] = None,
               versions: Optional[Dict[str, Optional[str]]] = None) -> dict:
    """Write the child's statistics as JSON and return them.

    Call it last: it also records the process's peak RSS so far (see :func:`peak_rss`).

    Parameters
    ----------
    path : str
        Output file.
    system : str
        System name.
    args : argparse.Namespace
        The runner's parsed arguments (stored as ``params``).
    stages : dict
        Ordered stage name -> seconds.
    updates_per_epoch : int or None
        Training updates (or words, for word2vec) per epoch.
    epochs : int
        Epochs trained.
    train_stage : str, optional
        Stage whose duration is the denominator of the throughput.
    throughput_unit : str, optional
        ``"updates/s"`` (GloVe: one update = one cooccurrence entry) or ``"words/s"``.
    losses : list of float, optional
        Per-epoch training loss.
    vocab_size : int, optional
        Number of words with a vector.
    extra : dict, optional
        System-specific facts (matrix nnz...).
    versions : dict, optional
        Package versions used by the child.

    Returns
    -------
    dict
        The statistics written.
    """
    rss_mib, rss_source = peak_rss()  # called last, after the vectors were saved
    updates = None if updates_per_epoch is None else int(updates_per_epoch) * int(epochs)
    train_s = stages.get(train_stage)
    throughput = (updates / train_s) if (updates is not None and train_s) else None
    stats = {
        "system": system,
        "stages": stages,
        "updates_per_epoch": None if updates_per_epoch is None else int(updates_per_epoch),
        "epochs": int(epochs),
        "updates": updates,
        "throughput": throughput,
        "throughput_unit": throughput_unit,
        "losses": [float(x) for x in (losses or [])],
        "vocab_size": vocab_size,
        "peak_rss_mb": rss_mib,
        "peak_rss_source": rss_source,
        "params": {k: v for k, v in vars(args).items() if k not in ("out", "stats")},
        "extra": extra or {},
        "versions": {"python": platform.python_version(), **(versions or {})},
        "pid": os.getpid(),
    }
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(stats, fh, indent=2)
    return stats
