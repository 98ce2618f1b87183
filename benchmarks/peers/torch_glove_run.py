"""Peer runner: the PyTorch formulation of GloVe from the seed notebook, on CPU.

Model: ``nn.Embedding`` tables for the word vectors ``W``, the context vectors ``W~`` and
the two bias vectors ``b`` and ``b~``; loss over a mini-batch of cooccurrence triples
``(i, j, x_ij)``::

    sum f(x_ij) * (w_i . w~_j + b_i + b~_j - log x_ij) ** 2,   f(x) = min(1, x / x_max) ** alpha

optimised with ``torch.optim.Adagrad(lr=0.05)``, the triples shuffled every epoch and cut
into mini-batches of ``--batch-size`` (default 32768). Vectors handed back: ``W + W~``.

Choices made here, and why:

* Initialisation as Stanford's GloVe (uniform in ``[-0.5, 0.5] / dim`` for vectors and
  biases), not ``nn.Embedding``'s N(0, 1): with unit-variance 50-d vectors the first
  predictions are off by ~7 in log space and Adagrad at 0.05 spends most of the epochs
  undoing the initialisation, which would make the row a measurement of a bad default.
* Both orientations of every off-diagonal pair are trained (``(i, j)`` and ``(j, i)``), as
  Stanford and glovefast do, since ``W`` and ``W~`` are distinct tables.
* Sparse embedding gradients and sparse Adagrad by default (``--dense`` switches to dense
  gradients). Both are the same optimiser mathematically (a row with a zero gradient is
  left unchanged), but dense steps touch the whole ``V x dim`` tables: measured on the
  2-core machine with V = 70k, d = 50, 32k-triple batches, dense runs at ~0.13M
  triples/s and sparse at ~1M; dense only wins for vocabularies of ~10k words.
* The loss curve is the mean of ``f(x) * diff ** 2`` over the epoch's triples.
* The ``train`` stage includes turning the matrix into the triple tensors (``log x`` and
  ``f(x)`` precomputed once), as a notebook would do before its training loop.

Cooccurrence counting (stage ``count``; timed separately from training either way):

``--counter numpy`` (default)
    A self-contained numpy/scipy counter, what a PyTorch user would write: a Python pass
    builds the vocabulary (stage ``vocab``), a second maps tokens to ids and drops
    out-of-vocabulary words (as Stanford's ``cooccur`` does), then for each distance
    ``d = 1..window`` the pairs within a line are weighted ``1 / d`` and summed in scipy
    sparse matrices, chunk by chunk. Symmetric, upper triangle plus diagonal, with the
    diagonal receiving both orientations (``2 / d``), as Stanford's symmetric counts.
``--counter glovefast``
    ``glovefast.Corpus.fit`` (to compare the training step alone on an identical matrix).
"""
from __future__ import annotations

import array
import sys
import time
from typing import List, Tuple

import numpy as np

from . import _common


def numpy_cooccurrence(path: str, min_count: int, window: int, stages: dict, log,
                       chunk_tokens: int = 2_000_000) -> Tuple[List[str], "object"]:
    """Count a symmetric, harmonically weighted cooccurrence matrix with numpy and scipy.

    Parameters
    ----------
    path : str
        Plain or ``.gz`` text, one document per line; windows never cross lines.
    min_count : int
        Minimum word frequency; rarer words are removed before windowing.
    window : int
        Context window on each side.
    stages : dict
        Receives the ``vocab`` and ``count`` stage durations.
    log : logging.Logger
        Progress logger.
    chunk_tokens : int, optional
        Tokens processed per sparse accumulation step (bounds memory).

    Returns
    -------
    words : list of str
        Vocabulary by descending frequency (index = id).
    matrix : scipy.sparse.csr_matrix
        Upper triangle (with diagonal) of the symmetric count matrix, float64.
    """
    import scipy.sparse as sp

    lines = _common.LineCorpus(path)
    with _common.stage(stages, "vocab", log):
        counts = _common.count_words(lines)
        words = _common.frequency_vocabulary(counts, min_count)
    del counts
    if not words:
        raise ValueError(f"no word occurs {min_count} times or more in {path}")
    vocab = {w: i for i, w in enumerate(words)}
    n_words = len(words)

    t0 = time.perf_counter()
    ids = array.array("i")
    lengths = array.array("q")
    get = vocab.get
    for tokens in lines:
        kept = [k for k in map(get, tokens) if k is not None]
        ids.extend(kept)
        lengths.append(len(kept))
    ids_np = np.frombuffer(ids, dtype=np.int32)
    line_of = np.repeat(np.arange(len(lengths), dtype=np.int32),
                        np.frombuffer(lengths, dtype=np.int64))
    n = ids_np.shape[0]
    log.info("%d in-vocabulary tokens mapped in %.2f s", n, time.perf_counter() - t0)

    acc = sp.csr_matrix((n_words, n_words), dtype=np.float64)
    for start in range(0, n, chunk_tokens):
        stop = min(start + chunk_tokens, n)
        rows, cols, vals = [], [], []
        for d in range(1, window + 1):
            end = min(stop, n - d)
            if end <= start:
                break
            same = line_of[start:end] == line_of[start + d:end + d]
            a = ids_np[start:end][same]
            b = ids_np[start + d:end + d][same]
            lo = np.minimum(a, b)
            hi = np.maximum(a, b)
            w = np.where(lo == hi, 2.0 / d, 1.0 / d)
            rows.append(lo)
            cols.append(hi)
            vals.append(w)
        if not rows:
            continue
        chunk = sp.coo_matrix(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
            shape=(n_words, n_words)).tocsr()  # tocsr sums duplicate coordinates
        acc = acc + chunk
    stages["count"] = time.perf_counter() - t0
    log.info("stage count: %.2f s, %d distinct pairs", stages["count"], acc.nnz)
    return words, acc


def glovefast_cooccurrence(path: str, min_count: int, window: int, threads: int,
                           stages: dict, log) -> Tuple[List[str], "object"]:
    """Count cooccurrences with ``glovefast.Corpus`` (stage ``count``).

    Parameters
    ----------
    path : str
        Corpus file.
    min_count, window, threads : int
        Counting settings.
    stages : dict
        Receives the ``count`` stage duration.
    log : logging.Logger
        Progress logger.

    Returns
    -------
    words : list of str
        Vocabulary by id (glovefast ids are frequency-ordered).
    matrix : scipy.sparse.coo_matrix
        Upper triangle (with diagonal) of the symmetric count matrix.
    """
    from glovefast import Corpus

    with _common.stage(stages, "count", log):
        corpus = Corpus().fit(path, window=window, min_count=min_count, no_threads=threads)
    words = [None] * len(corpus.dictionary)
    for w, i in corpus.dictionary.items():
        words[i] = w
    return words, corpus.matrix


def train(upper, n_words: int, args, log):
    """Train GloVe with PyTorch on the triples of an upper-triangular count matrix.

    Parameters
    ----------
    upper : scipy.sparse matrix
        Upper triangle (with diagonal) of the symmetric count matrix.
    n_words : int
        Vocabulary size.
    args : argparse.Namespace
        Hyper-parameters (``dim, epochs, x_max, alpha, learning_rate, batch_size, sparse,
        threads, seed``).
    log : logging.Logger
        Progress logger.

    Returns
    -------
    vectors : numpy.ndarray
        ``W + W~``, float32, ``(n_words, dim)``.
    losses : list of float
        Mean weighted squared error per epoch.
    n_triples : int
        Training triples (updates) per epoch.
    """
    import torch
    from torch import nn

    coo = upper.tocoo()
    off = coo.row != coo.col
    rows = np.concatenate([coo.row, coo.col[off]]).astype(np.int64)
    cols = np.concatenate([coo.col, coo.row[off]]).astype(np.int64)
    x = np.concatenate([coo.data, coo.data[off]])
    del coo, off
    n = rows.shape[0]
    fx = np.minimum(1.0, x / args.x_max) ** args.alpha
    logx = np.log(x)
    del x

    I = torch.from_numpy(rows)
    J = torch.from_numpy(cols)
    FX = torch.from_numpy(fx.astype(np.float32))
    LOGX = torch.from_numpy(logx.astype(np.float32))
    del rows, cols, fx, logx

    gen = torch.Generator().manual_seed(args.seed)
    dim = args.dim
    W = nn.Embedding(n_words, dim, sparse=args.sparse)
    C = nn.Embedding(n_words, dim, sparse=args.sparse)
    bw = nn.Embedding(n_words, 1, sparse=args.sparse)
    bc = nn.Embedding(n_words, 1, sparse=args.sparse)
    with torch.no_grad():
        for table in (W, C, bw, bc):
            table.weight.uniform_(-0.5, 0.5, generator=gen).div_(dim)
    params = [W.weight, C.weight, bw.weight, bc.weight]
    opt = torch.optim.Adagrad(params, lr=args.learning_rate)

    losses = []
    batch = args.batch_size
    for epoch in range(args.epochs):
        t0 = time.perf_counter()
        perm = torch.randperm(n, generator=gen)
        total = 0.0
        for s in range(0, n, batch):
            idx = perm[s:s + batch]
            i = I[idx]
            j = J[idx]
            pred = (W(i) * C(j)).sum(1) + bw(i).squeeze(1) + bc(j).squeeze(1)
            diff = pred - LOGX[idx]
            loss = (FX[idx] * diff * diff).sum()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += float(loss.detach())
        losses.append(total / n)
        log.info("epoch %d/%d: loss %.5f, %.2f s", epoch + 1, args.epochs, losses[-1],
                 time.perf_counter() - t0)
    vectors = (W.weight.detach() + C.weight.detach()).numpy().astype(np.float32)
    return vectors, losses, n


def main(argv=None) -> int:
    """Count, train with PyTorch and write vectors and statistics.

    ``argv`` defaults to ``sys.argv[1:]``; returns the process exit code.
    """
    parser = _common.base_parser(__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=32768,
                        help="Triples per Adagrad step (default: 32768).")
    parser.add_argument("--dense", dest="sparse", action="store_false",
                        help="Dense embedding gradients (default: sparse gradients and sparse "
                             "Adagrad, much faster for real vocabulary sizes).")
    parser.add_argument("--counter", choices=("numpy", "glovefast"), default="numpy",
                        help="Cooccurrence counter: this file's numpy/scipy one (default) or "
                             "glovefast.Corpus.")
    args = parser.parse_args(argv)
    log = _common.setup_logging("torch")
    if args.batch_size < 1:
        parser.error("--batch-size must be positive")
    try:
        import torch
    except ImportError as exc:
        log.error("torch is not installed (pip install torch==2.13.0, the CPU build): %s", exc)
        return 3
    torch.set_num_threads(args.threads)
    # Opt out explicitly (the default) so sparse Adagrad does not warn on every run.
    invariants = getattr(torch.sparse, "check_sparse_tensor_invariants", None)
    if invariants is not None:
        invariants.disable()
    torch.manual_seed(args.seed)

    stages: dict = {}
    if args.counter == "numpy":
        words, upper = numpy_cooccurrence(args.corpus, args.min_count, args.window, stages, log)
    else:
        words, upper = glovefast_cooccurrence(args.corpus, args.min_count, args.window,
                                              args.threads, stages, log)
    nnz_upper = int(upper.nnz)

    with _common.stage(stages, "train", log):
        vectors, losses, n_triples = train(upper, len(words), args, log)

    _common.save_vectors(args.out, words, vectors)
    _common.save_stats(
        args.stats, "torch", args, stages,
        updates_per_epoch=n_triples, epochs=args.epochs, losses=losses,
        vocab_size=len(words),
        extra={"counter": args.counter, "nnz_upper": nnz_upper, "triples_per_epoch": n_triples,
               "batch_size": args.batch_size, "sparse": bool(args.sparse),
               "torch_threads": torch.get_num_threads(),
               "loss_note": "mean of f(x) * (w.w~ + b + b~ - log x)^2 over the epoch's triples",
               "updates_note": "one update = one (i, j) triple; both orientations of off-diagonal pairs"},
        versions=_common.package_versions(["torch", "numpy", "scipy"]),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
