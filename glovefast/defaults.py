"""Default settings, in one place: what ``glovefast train`` and the demo use when not told otherwise,
for GloVe and for word2vec.

The command line, the demo and the benchmark runners read them from here, so a default changed
once changes everywhere (and the benchmarks keep measuring what users get).
"""
from types import MappingProxyType

from glovefast._util.validation import available_cpus

#: ``glovefast train``'s defaults: the best vectors for the time spent in
#: benchmarks/defaults_sweep.py, on real8 (29M tokens) and its first 5M tokens alike
#: (benchmarks/results/defaults_sweep.md). Window 15 and x_max 10 are Stanford demo.sh's; the
#: paper's x_max 100 is for corpora of billions of tokens.
TRAIN_DEFAULTS = MappingProxyType({
    "dim": 100,
    "window": 15,
    "min_count": 5,
    "epochs": 10,
    "x_max": 10,
    "alpha": 0.75,
    "learning_rate": 0.05,
    "max_loss": 10.0,
    "dtype": "float32",
})

#: The demo's settings (:func:`glovefast.demo.run_demo`, ``glovefast demo``): Stanford's demo.sh
#: scaled to a corpus of 338k tokens.
DEMO_DEFAULTS = MappingProxyType({
    "dim": 50,
    "window": 10,
    "min_count": 5,
    "epochs": 25,
    "x_max": 10,
    "alpha": 0.75,
    "learning_rate": 0.05,
    "seed": 1,
    "topn": 6,
})


#: ``glovefast train --model sgns|cbow``'s defaults: gensim's and word2vec.c's (d=100 as gensim, window 5,
#: min_count 5, 5 epochs); the learning rate is the model's own (0.025 skip-gram, 0.05 CBOW; see
#: :data:`glovefast.models.word2vec.model.DEFAULT_ALPHA`).
WORD2VEC_DEFAULTS = MappingProxyType({
    "dim": 100,
    "window": 5,
    "min_count": 5,
    "epochs": 5,
    "negative": 5,
    "ns_exponent": 0.75,
    "sample": 1e-3,
    "cbow_mean": 1,
    "shrink_windows": True,
})

#: ``glovefast demo --model sgns|cbow``'s settings: :data:`WORD2VEC_DEFAULTS` at the demo's smaller
#: dimension (a few seconds on two cores).
WORD2VEC_DEMO_DEFAULTS = MappingProxyType({
    "dim": 50,
    "window": 5,
    "min_count": 5,
    "epochs": 5,
    "seed": 1,
    "topn": 6,
})


def default_threads():
    """The CPUs this process may run on (its affinity mask): what a thread count of 0 or None means.

    Returns
    -------
    int
        At least 1. Thread counts are further capped at ``glovefast._util.validation.MAX_THREADS``.
    """
    return available_cpus()


__all__ = ["DEMO_DEFAULTS", "TRAIN_DEFAULTS", "WORD2VEC_DEFAULTS", "WORD2VEC_DEMO_DEFAULTS", "default_threads"]
