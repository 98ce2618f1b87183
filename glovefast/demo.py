"""Offline demo: train on the bundled King James Bible excerpt and show nearest neighbours.

The corpus (``glovefast/data/kjv.txt.gz``, Genesis to 2 Chronicles, public domain, about
338k tokens) ships with the package, so the demo needs no network. With the default
settings (:data:`glovefast.defaults.DEMO_DEFAULTS`) it trains in a few seconds on two cores. It
is also available as the data set name ``"kjv"`` (see :mod:`glovefast.datasets`).

Example
-------
>>> from glovefast.demo import run_demo
>>> result = run_demo(epochs=25)  # doctest: +SKIP
"""
import logging
import sys
import time
from dataclasses import dataclass, field

from glovefast import datasets
from glovefast._util.progress import plural
from glovefast._util.validation import check_choice, check_int, check_threads
from glovefast.corpus import Corpus
from glovefast.defaults import WORD2VEC_DEMO_DEFAULTS
from glovefast.defaults import DEMO_DEFAULTS, default_threads  # noqa: F401 (default_threads: public here before)
from glovefast.models.glove.model import Glove
from glovefast.models.word2vec.model import Word2Vec
from glovefast.vectors.word_vectors import WordVectors

logger = logging.getLogger(__name__)

#: Data set name of the demo corpus.
DEMO_CORPUS = "kjv"

#: Words whose neighbours the demo prints: frequent in the corpus, with clear relatives.
DEMO_WORDS = ("king", "son", "egypt", "gold", "sword", "mother")

#: The models the demo trains: GloVe, word2vec skip-gram with negative sampling, word2vec CBOW.
DEMO_MODELS = ("glove", "sgns", "cbow")


@dataclass
class DemoResult:
    """What :func:`run_demo` trained and found.

    Attributes
    ----------
    corpus : Corpus or None
        The counted corpus (GloVe); None for word2vec, which reads the text itself.
    model : Glove or Word2Vec
        Trained, with the corpus dictionary attached.
    vectors : WordVectors
    neighbours : dict of str to list of (str, float)
        Nearest neighbours of each demo word present in the vocabulary.
    count_seconds, train_seconds : float
        Wall-clock time of counting (word2vec: reading) and training.
    """

    corpus: object
    model: object
    vectors: object
    neighbours: dict = field(default_factory=dict)
    count_seconds: float = 0.0
    train_seconds: float = 0.0


def run_demo(words=DEMO_WORDS, dim=None, epochs=None, threads=None, seed=DEMO_DEFAULTS["seed"],
             topn=DEMO_DEFAULTS["topn"], verbose=False, file=None, callback=None, model="glove"):
    """Count, train and query the bundled corpus, printing what happens.

    GloVe's settings follow Stanford's demo.sh scaled to a small corpus: window 10, min_count 5,
    x_max 10 (the paper's 100 suits corpora of billions of tokens); word2vec's are gensim's
    (window 5, min_count 5, 5 epochs) at the demo's dimension
    (:data:`glovefast.defaults.WORD2VEC_DEMO_DEFAULTS`).

    Parameters
    ----------
    words : sequence of str, optional
        Words whose nearest neighbours are printed. Words not in the vocabulary are reported
        and skipped.
    dim : int, optional
        Vector dimension (default: 50).
    epochs : int, optional
        Default: 25 for GloVe, 5 for word2vec.
    threads : int, optional
        0 or None (default): all CPUs available to the process; at most 256.
    seed : int or None, optional
        Random seed (None for a different model each run). Only with ``threads=1`` does a seed
        give the same vectors every run: threads race (Hogwild), and the report says so.
    topn : int, optional
        Neighbours shown per word.
    verbose : bool, optional
        Show progress bars.
    file : file object, optional
        Where the report is printed (default ``sys.stdout``).
    callback : callable, optional
        Called after each training epoch, as by :meth:`glovefast.Glove.fit`.
    model : {"glove", "sgns", "cbow"}, optional
        GloVe (default), word2vec skip-gram or word2vec CBOW, both with negative sampling.

    Returns
    -------
    DemoResult
    """
    check_choice("model", model, DEMO_MODELS)
    defaults = DEMO_DEFAULTS if model == "glove" else WORD2VEC_DEMO_DEFAULTS
    dim = check_int("dim", defaults["dim"] if dim is None else dim, minimum=1)
    epochs = check_int("epochs", defaults["epochs"] if epochs is None else epochs, minimum=1)
    threads = check_threads(threads, "threads")
    topn = check_int("topn", topn, minimum=1)
    out = sys.stdout if file is None else file
    path = datasets.builtin_path(DEMO_CORPUS)

    print(f"glovefast demo: {datasets.available()[DEMO_CORPUS]['description']}", file=out)
    if model == "glove":
        corpus, trained, vectors, count_seconds, train_seconds = _glove(path, dim, epochs, threads, seed, verbose,
                                                                        callback, out)
    else:
        corpus = None
        trained, vectors, count_seconds, train_seconds = _word2vec(path, model, dim, epochs, threads, seed, verbose,
                                                                   callback, out)
    neighbours = _show_neighbours(vectors, words, topn, out)
    if threads > 1:
        # Seeding each thread would not help: the threads' updates race (Hogwild), so the result
        # depends on their timing, not only on the seed.
        print(f"\n(on {threads} threads the updates race, so the last digits and the order of near-ties change "
              f"from run to run even with --seed {seed}; --threads 1 gives the same output every run)", file=out)
    print(f"\ntotal {count_seconds + train_seconds:.2f} s. Train on your own text with: "
          f"glovefast train CORPUS.txt -o vectors.txt{'' if model == 'glove' else ' --model ' + model}", file=out)
    return DemoResult(corpus=corpus, model=trained, vectors=vectors, neighbours=neighbours,
                      count_seconds=count_seconds, train_seconds=train_seconds)


def _glove(path, dim, epochs, threads, seed, verbose, callback, out):
    """Count and train GloVe; (corpus, model, vectors, count seconds, train seconds)."""
    t0 = time.perf_counter()
    window, min_count = DEMO_DEFAULTS["window"], DEMO_DEFAULTS["min_count"]
    corpus = Corpus().fit(path, window=window, min_count=min_count, no_threads=threads, verbose=verbose)
    count_seconds = time.perf_counter() - t0
    print(f"counted {plural(corpus.n_tokens, 'token')}: {plural(len(corpus.dictionary), 'word')} seen at least "
          f"{min_count} times, {plural(corpus.matrix.nnz, 'cooccurring pair')} in {count_seconds:.2f} s", file=out)

    t1 = time.perf_counter()
    model = Glove(no_components=dim, learning_rate=DEMO_DEFAULTS["learning_rate"], alpha=DEMO_DEFAULTS["alpha"],
                  max_count=DEMO_DEFAULTS["x_max"], random_state=seed)
    model.fit(corpus.matrix, epochs=epochs, no_threads=threads, verbose=verbose, callback=callback)
    train_seconds = time.perf_counter() - t1
    model.add_dictionary(corpus.dictionary)
    rate = model.n_updates_per_epoch_ * epochs / max(model.training_seconds_, 1e-9)
    print(f"trained {dim}-dimensional vectors for {plural(epochs, 'epoch')} on {plural(threads, 'thread')} in "
          f"{train_seconds:.2f} s "
          f"({rate / 1e6:.1f}M updates/s), final loss {model.loss_history_[-1]:.4f}", file=out)

    vectors = WordVectors.from_dictionary(corpus.dictionary, model.word_vectors, counts=corpus.word_counts)
    return corpus, model, vectors, count_seconds, train_seconds


def _word2vec(path, kind, dim, epochs, threads, seed, verbose, callback, out):
    """Read and train word2vec (``kind`` "sgns" or "cbow"); (model, vectors, read seconds, train seconds)."""
    settings = WORD2VEC_DEMO_DEFAULTS
    t0 = time.perf_counter()
    model = Word2Vec(vector_size=dim, window=settings["window"], min_count=settings["min_count"],
                     sg=int(kind == "sgns"), epochs=epochs, no_threads=threads, random_state=seed, verbose=verbose)
    model.fit(path, callback=callback)
    train_seconds = model.training_seconds_
    read_seconds = time.perf_counter() - t0 - train_seconds
    print(f"read {plural(model.n_tokens_, 'token')}: {plural(len(model.dictionary), 'word')} seen at least "
          f"{settings['min_count']} times, with the sampling tables and start vectors in {read_seconds:.2f} s",
          file=out)
    rate = model.n_tokens_ * epochs / max(train_seconds, 1e-9)
    print(f"trained {dim}-dimensional {'skip-gram' if kind == 'sgns' else 'CBOW'} vectors for "
          f"{plural(epochs, 'epoch')} on {plural(threads, 'thread')} in {train_seconds:.2f} s "
          f"({rate / 1e6:.1f}M words/s), final loss {model.loss_history_[-1]:.4f}", file=out)
    vectors = WordVectors.from_dictionary(model.dictionary, model.word_vectors, counts=model.word_counts_)
    return model, vectors, read_seconds, train_seconds


def _show_neighbours(vectors, words, topn, out):
    neighbours = {}
    print("\nnearest neighbours (cosine similarity):", file=out)
    width = max((len(w) for w in words), default=0)
    for word in words:
        if word not in vectors:
            print(f"  {word:<{width}}  (not in the vocabulary)", file=out)
            continue
        neighbours[word] = vectors.most_similar(word, topn=topn)
        shown = ", ".join(f"{w} {s:.2f}" for w, s in neighbours[word])
        print(f"  {word:<{width}}  {shown}", file=out)
    return neighbours


__all__ = ["DEMO_CORPUS", "DEMO_MODELS", "DEMO_WORDS", "DemoResult", "default_threads", "run_demo"]
