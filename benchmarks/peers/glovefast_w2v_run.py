"""Peer runner: glovefast's ``Word2Vec`` (skip-gram with ``--sg 1``, CBOW with ``--sg 0``).

The public model as a user runs it: the corpus path goes to the C reader (plain or ``.gz``; one
document per line) that ``Word2Vec.fit`` uses, giving the token stream of the words seen
``--min-count`` times numbered by descending count; then ``Word2Vec(...).fit(stream)`` trains,
the learning rate decaying linearly over all epochs' tokens. The two calls together are what
``Word2Vec(...).fit(path)`` does, timed apart.

Stages timed: ``read`` (tokenising, vocabulary, the id stream) and ``train`` (tables, start
vectors, every epoch). Vectors are the input vectors (syn0), as word2vec.c and gensim output,
in id order (descending frequency).
"""
from __future__ import annotations

import sys

from . import _common


def main(argv=None) -> int:
    """Train ``glovefast.Word2Vec`` on ``--corpus`` and write vectors and statistics.

    ``argv`` defaults to ``sys.argv[1:]``; returns the process exit code.
    """
    parser = _common.base_parser(__doc__.splitlines()[0], default_window=5)
    parser.set_defaults(epochs=5, dim=100, learning_rate=None)
    parser.add_argument("--sg", type=int, choices=(0, 1), default=1, help="1: skip-gram (default), 0: CBOW.")
    parser.add_argument("--negative", type=int, default=5, help="Negatives per window (default: 5).")
    parser.add_argument("--sample", type=float, default=1e-3, help="Subsampling threshold (default: 1e-3).")
    parser.add_argument("--ns-exponent", type=float, default=0.75, help="Exponent of the negative sampler.")
    parser.add_argument("--min-alpha", type=float, default=None,
                        help="Final learning rate (default: the start's 1e-4, as word2vec.c).")
    parser.add_argument("--cbow-mean", type=int, choices=(0, 1), default=1, help="CBOW: 1 mean, 0 sum.")
    parser.add_argument("--no-shrink", action="store_true", help="Full windows instead of shrunk ones.")
    args = parser.parse_args(argv)
    # --learning-rate: the start alpha (default: 0.025 skip-gram, 0.05 CBOW, word2vec.c's)
    alpha = args.learning_rate if args.learning_rate is not None else (0.025 if args.sg else 0.05)
    min_alpha = args.min_alpha if args.min_alpha is not None else alpha * 1e-4
    name = "glovefast_sg" if args.sg else "glovefast_cbow"
    log = _common.setup_logging(name)
    from glovefast import Word2Vec
    from glovefast._kernels import w2v as _w2v
    from glovefast._util.memory import resolve_budget
    from glovefast.models.word2vec.model import STREAM_SHARE
    from glovefast.text.streaming import read_token_stream

    model = Word2Vec(vector_size=args.dim, window=args.window, min_count=args.min_count, sg=args.sg,
                     negative=args.negative, ns_exponent=args.ns_exponent, sample=args.sample, alpha=alpha,
                     min_alpha=min_alpha, cbow_mean=args.cbow_mean, epochs=args.epochs,
                     shrink_windows=not args.no_shrink, no_threads=args.threads, random_state=args.seed)
    stages: dict = {}
    with _common.stage(stages, "read", log):
        stream = read_token_stream(args.corpus, min_count=args.min_count,
                                   ram_bytes=resolve_budget(None) // STREAM_SHARE, no_threads=args.threads)
    words, n_tokens = stream.words, stream.n_tokens
    log.info("%d words, %d tokens, kernel %s", len(words), n_tokens, _w2v.simd())
    with _common.stage(stages, "train", log):
        model.fit(stream, callback=lambda info: log.info("epoch %d: loss %.4f per example, %d examples", info.epoch,
                                                         info.loss, info.updates))
    losses = model.loss_history_
    syn0 = model.word_vectors
    _common.save_vectors(args.out, words, syn0)
    _common.save_stats(
        args.stats, name, args, stages, updates_per_epoch=n_tokens, epochs=args.epochs,
        throughput_unit="words/s", losses=losses, vocab_size=len(words),
        extra={"alpha": alpha, "min_alpha": min_alpha, "simd": _w2v.simd(), "sample": args.sample,
               "negative": args.negative, "updates_note": "corpus words processed per second"},
        versions=_common.package_versions(["numpy"]),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
