"""Peer runner: glove_python (the ``bicleaner-ai-glove`` wheel, imported as ``glove``).

The original ``glove_python`` no longer builds on Python 3.11; ``bicleaner-ai-glove`` is a
maintained fork with the same code and API (``pip install bicleaner-ai-glove``).

What is timed, in three stages:

``vocab``
    glove_python has no ``min_count``: a first pass over the text counts words with a
    ``collections.Counter``, keeps those seen ``--min-count`` times or more and numbers them
    by descending frequency. The dictionary is therefore already frequency-ordered, which is
    what the parent's ``restrict_vocab=30000`` needs, and no reordering is required later.
``count``
    ``Corpus(dictionary=...).fit(lines, window=..., ignore_missing=True)`` over a streamed,
    whitespace-split reading of the file (how glove_python users feed it).
``train``
    ``Glove(no_components, learning_rate, alpha, max_count=x_max).fit(corpus.matrix, epochs,
    no_threads)``.

How glove_python differs from Stanford GloVe and glovefast (facts of the package, measured
here, not tuned away):

* Its matrix holds the strict upper triangle only (no diagonal), and a single, tied vector
  table serves as both word and context vectors: one update per stored entry touches both
  words. Updates per epoch are therefore ``matrix.nnz``; an epoch visits each pair once,
  where Stanford and glovefast visit ``(i, j)`` and ``(j, i)``.
* Its counter can store the same pair more than once (a binary-search insertion bug), so
  ``matrix.nnz`` may exceed the number of distinct pairs; training iterates over all stored
  entries, so those are the updates it performs. Both numbers go into ``stats.json``.
* Out-of-vocabulary words keep their position (window distances are those of the full
  text), where Stanford drops them before windowing.
* Vectors handed back are ``glove.word_vectors``: what its users get.
"""
from __future__ import annotations

import sys

import numpy as np

from . import _common


def main(argv=None) -> int:
    """Run glove_python on ``--corpus`` and write vectors and statistics.

    ``argv`` defaults to ``sys.argv[1:]``; returns the process exit code.
    """
    parser = _common.base_parser(__doc__.splitlines()[0])
    args = parser.parse_args(argv)
    log = _common.setup_logging("glove_python")
    try:
        from glove import Corpus, Glove
    except ImportError as exc:  # reported as "skipped" by the parent, which checks first
        log.error("glove_python is not installed (pip install bicleaner-ai-glove): %s", exc)
        return 3

    stages: dict = {}
    lines = _common.LineCorpus(args.corpus)

    with _common.stage(stages, "vocab", log):
        counts = _common.count_words(lines)
        words = _common.frequency_vocabulary(counts, args.min_count)
        dictionary = {w: i for i, w in enumerate(words)}
    if not words:
        log.error("no word occurs %d times or more in %s", args.min_count, args.corpus)
        return 2
    log.info("%d tokens, %d types, %d kept at min_count %d",
             sum(counts.values()), len(counts), len(words), args.min_count)
    del counts

    with _common.stage(stages, "count", log):
        corpus = Corpus(dictionary=dictionary)
        corpus.fit(lines, window=args.window, ignore_missing=True)
    matrix = corpus.matrix
    nnz_stored = int(matrix.nnz)
    log.info("cooccurrence matrix: %d stored entries", nnz_stored)

    with _common.stage(stages, "train", log):
        glove = Glove(no_components=args.dim, learning_rate=args.learning_rate,
                      alpha=args.alpha, max_count=args.x_max, random_state=args.seed)
        glove.fit(matrix, epochs=args.epochs, no_threads=args.threads, verbose=False)

    # Facts about the matrix, computed after the timed stages.
    dedup = matrix.tocsr()  # sums duplicate coordinates
    dedup.sum_duplicates()
    extra = {
        "nnz_stored": nnz_stored,
        "nnz_distinct_pairs": int(dedup.nnz),
        "diagonal_entries": int(np.count_nonzero(matrix.row == matrix.col)),
        "lower_triangle_entries": int(np.count_nonzero(matrix.row > matrix.col)),
        "updates_note": "one update per stored upper-triangle entry (tied word/context vectors)",
    }
    del dedup

    _common.save_vectors(args.out, words, glove.word_vectors)
    _common.save_stats(
        args.stats, "glove_python", args, stages,
        updates_per_epoch=nnz_stored, epochs=args.epochs,
        vocab_size=len(words), extra=extra,
        versions=_common.package_versions(["bicleaner-ai-glove", "numpy", "scipy"]),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
