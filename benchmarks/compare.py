#!/usr/bin/env python
"""Side-by-side comparison of glovefast with the trainers users would otherwise pick.

Runs, on the same corpus and settings and each in its own process, glovefast, glove_python
(the ``bicleaner-ai-glove`` wheel), gensim ``Word2Vec`` (CBOW and skip-gram) and the PyTorch
formulation of GloVe from the seed notebook; then scores every system's vectors with the
same evaluator (:func:`glovefast.vectors.evaluation.evaluate_all`) and writes one table::

    python -m benchmarks.compare --corpus ../shared/corpus/real8.txt.gz --dim 50 --window 15 --epochs 15

Outputs, in ``--out`` (default ``benchmarks/results/``): ``results.json`` (everything
measured, plus machine information), ``results.md`` (the markdown table, also printed),
``accuracy_vs_time.png`` and ``glovefast_loss.png``, and one log per system in ``logs/``.

The systems, the measurement protocol and the scoring are in :mod:`benchmarks.peer_runs`; the
table, JSON and plots in :mod:`benchmarks.peer_report`.
"""
from __future__ import annotations

import argparse
import importlib
import logging
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import List, Optional, Sequence

if not __package__:  # run as python benchmarks/compare.py, not python -m benchmarks.compare
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    __package__ = "benchmarks"

from ._measure import child_env
from .peer_report import write_outputs
from .peer_runs import (RESTRICT_VOCAB, SHARED_EVAL, SYSTEMS, machine_info, prepare_corpus, resolve_eval_sets,
                        run_system)

log = logging.getLogger("compare")

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_OUT = HERE / "results"


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
