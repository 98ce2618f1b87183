"""Default settings, in one place: what ``glovefast train`` and the demo use when not told otherwise.

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


def default_threads():
    """The CPUs this process may run on (its affinity mask): what a thread count of 0 or None means.

    Returns
    -------
    int
        At least 1. Thread counts are further capped at ``glovefast._util.validation.MAX_THREADS``.
    """
    return available_cpus()


__all__ = ["DEMO_DEFAULTS", "TRAIN_DEFAULTS", "default_threads"]
