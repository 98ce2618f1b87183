"""Peer runner: gensim ``Word2Vec`` (CBOW with ``--sg 0``, skip-gram with ``--sg 1``).

word2vec is the model users pick instead of GloVe, so it is compared with its own usual
settings, not GloVe's:

* window 10 by default (the reference CBOW run in issue 3 used ``-window 10``; GloVe's
  15 is not a natural word2vec setting). ``--window`` overrides it;
* 5 epochs by default (gensim's default and the reference run), not GloVe's 15; set
  ``--epochs`` to override. ``compare.py`` passes ``--w2v-epochs`` here;
* gensim defaults otherwise: negative sampling with 5 noise words, ``sample=1e-3``,
  ``alpha=0.025`` (ignores ``--learning-rate``, ``--x-max`` and ``--alpha``, which are
  GloVe settings).

Two input modes (``--mode``):

``corpus_file`` (default for plain text)
    gensim's C++ line reader, each worker thread reading its own part of the file. This is
    gensim's documented fast path and scales with threads because no Python producer
    thread feeds the workers; it needs an uncompressed file (``compare.py`` always hands
    the children a plain-text copy).
``iterable``
    ``gensim.models.word2vec.LineSentence`` (restartable, reads ``.gz`` too), the classic
    API. Used automatically for ``.gz`` input.

Both modes split lines longer than 10,000 tokens into 10,000-token sentences, as
gensim's word2vec kernels cannot take longer ones.

Stages timed: ``vocab`` (``build_vocab``: one pass counting words and setting up the
tables) and ``train`` (``train`` for all epochs). Throughput is reported in corpus words
per second (``corpus_total_words * epochs / train seconds``), which is not comparable with
GloVe's cooccurrence updates per second; compare wall times instead.
"""
from __future__ import annotations

import os
import sys

from . import _common


def _check_vocab(model, args) -> None:
    """Fail with a clear message when no word survives ``min_count``.

    Raises
    ------
    ValueError
        The vocabulary is empty (gensim would only say it has none to train on).
    """
    if len(model.wv) == 0:
        raise ValueError(f"no word occurs {args.min_count} times or more in {args.corpus}")


def main(argv=None) -> int:
    """Train gensim Word2Vec on ``--corpus`` and write vectors and statistics.

    ``argv`` defaults to ``sys.argv[1:]``; returns the process exit code.
    """
    parser = _common.base_parser(__doc__.splitlines()[0], default_window=10)
    parser.set_defaults(epochs=5)
    parser.add_argument("--sg", type=int, choices=(0, 1), default=0,
                        help="0: CBOW (default), 1: skip-gram.")
    parser.add_argument("--negative", type=int, default=5,
                        help="Negative samples per positive (default: 5, gensim's default).")
    parser.add_argument("--mode", choices=("auto", "corpus_file", "iterable"), default="auto",
                        help="Input path: gensim's corpus_file reader (plain text only) or a "
                             "LineSentence iterable; auto picks corpus_file unless the file is .gz.")
    args = parser.parse_args(argv)
    name = "gensim_sg" if args.sg else "gensim_cbow"
    log = _common.setup_logging(name)
    try:
        from gensim.models import Word2Vec
        from gensim.models.word2vec import LineSentence
    except ImportError as exc:
        log.error("gensim is not installed (pip install gensim): %s", exc)
        return 3

    mode = args.mode
    if mode == "auto":
        mode = "iterable" if args.corpus.endswith(".gz") else "corpus_file"
    if mode == "corpus_file" and args.corpus.endswith(".gz"):
        parser.error("--mode corpus_file needs an uncompressed file")
    if not os.path.exists(args.corpus):
        parser.error(f"corpus not found: {args.corpus}")
    log.info("mode %s, sg=%d, window %d, %d epochs, %d workers",
             mode, args.sg, args.window, args.epochs, args.threads)

    model = Word2Vec(vector_size=args.dim, window=args.window, min_count=args.min_count,
                     workers=args.threads, sg=args.sg, negative=args.negative,
                     epochs=args.epochs, seed=args.seed)
    stages: dict = {}
    if mode == "corpus_file":
        with _common.stage(stages, "vocab", log):
            model.build_vocab(corpus_file=args.corpus)
        _check_vocab(model, args)
        with _common.stage(stages, "train", log):
            model.train(corpus_file=args.corpus, total_words=model.corpus_total_words,
                        total_examples=model.corpus_count, epochs=args.epochs)
    else:
        sentences = LineSentence(args.corpus)
        with _common.stage(stages, "vocab", log):
            model.build_vocab(sentences)
        _check_vocab(model, args)
        with _common.stage(stages, "train", log):
            model.train(sentences, total_examples=model.corpus_count, epochs=args.epochs)

    wv = model.wv
    words = list(wv.index_to_key)  # gensim sorts its vocabulary by descending count
    counts = [wv.get_vecattr(w, "count") for w in words[:2]]
    if len(counts) == 2 and counts[0] < counts[1]:
        raise RuntimeError("gensim vocabulary is not sorted by frequency")
    _common.save_vectors(args.out, words, wv.vectors)
    _common.save_stats(
        args.stats, name, args, stages,
        updates_per_epoch=int(model.corpus_total_words), epochs=args.epochs,
        throughput_unit="words/s", vocab_size=len(words),
        extra={"mode": mode, "corpus_total_words": int(model.corpus_total_words),
               "sample": model.sample, "negative": model.negative,
               "updates_note": "corpus words processed per second (word2vec), not GloVe updates"},
        versions=_common.package_versions(["gensim", "numpy", "scipy"]),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
