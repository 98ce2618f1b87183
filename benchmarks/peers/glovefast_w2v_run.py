"""Peer runner: glovefast's word2vec kernel (skip-gram with ``--sg 1``, CBOW with ``--sg 0``).

Until the public ``glovefast.Word2Vec`` exists, this runner drives the kernel the way a fit
will: the corpus path goes to the C reader (plain or ``.gz``; one document per line), the
vocabulary keeps words seen ``--min-count`` times numbered by descending count, the id stream
is renumbered in place, then one kernel call per epoch
(``glovefast.models.word2vec.epochs.run_epoch``)
with the learning rate decaying linearly over all epochs' tokens.

Stages timed: ``read`` (tokenising, vocabulary, the id stream) and ``train`` (tables, start
vectors, every epoch). Vectors are the input vectors (syn0), as word2vec.c and gensim output,
in id order (descending frequency).
"""
from __future__ import annotations

import sys

import numpy as np

from . import _common


def read_ids(path, min_count, threads):
    """(words, counts, ids) of a text corpus: the C reader's id stream, renumbered by the
    vocabulary (words below ``min_count`` dropped, -1 between documents)."""
    from glovefast._kernels import vocab as _core
    from glovefast.text import reading
    from glovefast.text.vocabulary import Vocabulary

    counter = _core.TokenCounter(threads=threads)
    for chunk in reading.iter_text([path], False, desc="reading"):
        if chunk is None:
            counter.end_document()
        else:
            counter.feed_text(chunk)
    vocab = Vocabulary.from_counter(counter, min_count)
    counter.remap(vocab.remap())
    ids = counter.tokens()
    del counter
    return vocab.words_, vocab.counts_, ids


def main(argv=None) -> int:
    """Train glovefast's word2vec kernel on ``--corpus`` and write vectors and statistics.

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
    from glovefast._kernels import w2v as _w2v
    from glovefast.models.word2vec.epochs import Tables, init_rows, run_epoch

    stages: dict = {}
    with _common.stage(stages, "read", log):
        words, counts, ids = read_ids(args.corpus, args.min_count, args.threads)
    n_tokens = int(counts.sum())
    log.info("%d words, %d tokens, kernel %s", len(words), n_tokens, _w2v.simd())
    losses = []
    with _common.stage(stages, "train", log):
        tables = Tables(counts, args.sample, args.ns_exponent)
        syn0, syn1 = init_rows(len(words), args.dim, args.seed)
        done = 0
        for e in range(args.epochs):
            r = run_epoch(syn0, syn1, ids, tables, n_threads=args.threads, sg=bool(args.sg),
                          cbow_mean=bool(args.cbow_mean), dim=args.dim, window=args.window, negative=args.negative,
                          shrink=not args.no_shrink, alpha=alpha, min_alpha=min_alpha, done_before=done,
                          total=n_tokens * args.epochs, seed=args.seed, epoch=e)
            done += r["tokens"]
            losses.append(r["loss"] / max(r["examples"], 1))
            log.info("epoch %d: loss %.4f per example, %d examples", e + 1, losses[-1], r["examples"])
    _common.save_vectors(args.out, words, np.ascontiguousarray(syn0[:, :args.dim]))
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
