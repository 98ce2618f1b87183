"""Peer runner: glovefast, through its public ``Corpus`` / ``Glove`` API.

Stages timed separately:

``count``
    ``Corpus().fit(path, window, min_count, no_threads)``: the file path goes to the C
    reader (plain or ``.gz``), vocabulary and cooccurrence counting included.
``train``
    ``Glove(no_components, learning_rate, alpha, max_count=x_max).fit(matrix, epochs,
    no_threads)``.

Settings default to Stanford GloVe's demo (min_count 5, window 15, x_max 10,
learning rate 0.05, alpha 0.75). Updates/s is ``glove.n_updates_per_epoch_ * epochs /
train seconds``, where each stored off-diagonal pair counts twice (it is trained in both
orientations, like Stanford's GloVe). The loss curve is ``glove.loss_history_``. Vectors
are ``glove.word_vectors`` (``W + W~``) in id order, which is descending frequency.
"""
from __future__ import annotations

import sys

from . import _common


def main(argv=None) -> int:
    """Run glovefast on ``--corpus`` and write vectors and statistics.

    ``argv`` defaults to ``sys.argv[1:]``; returns the process exit code.
    """
    parser = _common.base_parser(__doc__.splitlines()[0])
    parser.add_argument("--max-loss", type=float, default=10.0,
                        help="Gradient clipping bound of a single update (default: 10).")
    parser.add_argument("--own-defaults", action="store_true",
                        help="Ignore --dim, --window, --epochs, --min-count, --x-max, --learning-rate "
                             "and --alpha; use glovefast's own defaults (those of `glovefast train`).")
    args = parser.parse_args(argv)
    log = _common.setup_logging("glovefast")
    try:
        from glovefast import Corpus, Glove
    except ImportError as exc:
        log.error("glovefast is not importable (pip install -e . from the repository): %s", exc)
        return 3
    if args.own_defaults:
        from glovefast.defaults import TRAIN_DEFAULTS

        for name in ("dim", "window", "epochs", "min_count", "learning_rate", "alpha"):
            setattr(args, name, TRAIN_DEFAULTS[name])
        args.x_max = float(TRAIN_DEFAULTS["x_max"])
        log.info("glovefast's own defaults: d=%d, window %d, %d epochs, min_count %d, x_max %g, lr %g, alpha %g",
                 args.dim, args.window, args.epochs, args.min_count, args.x_max, args.learning_rate, args.alpha)

    stages: dict = {}
    with _common.stage(stages, "count", log):
        corpus = Corpus().fit(args.corpus, window=args.window, min_count=args.min_count,
                              no_threads=args.threads)
    matrix = corpus.matrix
    n_words = len(corpus.dictionary)
    log.info("%d words, %d stored pairs (upper triangle)", n_words, matrix.nnz)

    with _common.stage(stages, "train", log):
        glove = Glove(no_components=args.dim, learning_rate=args.learning_rate,
                      alpha=args.alpha, max_count=args.x_max, max_loss=args.max_loss,
                      random_state=args.seed)
        glove.fit(matrix, epochs=args.epochs, no_threads=args.threads, verbose=False)

    words = [None] * n_words
    for word, idx in corpus.dictionary.items():
        words[idx] = word
    if any(w is None for w in words):
        raise RuntimeError("glovefast dictionary ids are not exactly 0..n-1")
    counts = corpus.word_counts
    if len(counts) > 1 and (counts[1:] > counts[:-1]).any():
        raise RuntimeError("glovefast ids are not ordered by descending frequency")

    _common.save_vectors(args.out, words, glove.word_vectors)
    _common.save_stats(
        args.stats, "glovefast", args, stages,
        updates_per_epoch=int(glove.n_updates_per_epoch_), epochs=args.epochs,
        losses=list(glove.loss_history_), vocab_size=n_words,
        extra={"nnz_upper": int(matrix.nnz),
               "in_vocabulary_tokens": int(counts.sum()),
               "updates_note": "each stored off-diagonal pair counts twice (both orientations)"},
        versions=_common.package_versions(["glovefast", "numpy", "scipy"]),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
