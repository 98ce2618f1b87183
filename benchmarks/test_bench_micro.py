"""pytest-benchmark micro-benchmarks on generated data (no ../shared needed).

    python -m pytest benchmarks/test_bench_micro.py --benchmark-columns=mean,stddev,rounds

Throughputs (tokens/s, updates/s) are stored in each benchmark's ``extra_info`` and printed by
``--benchmark-json``; a real8 slice is used when ``../shared/corpus/real8.txt.gz`` exists.
"""
import gzip
import itertools
import os

import numpy as np
import pytest

from glovefast import Corpus, Glove, WordVectors

from ._measure import REAL8


def zipf_corpus(path, n_tokens=2_000_000, vocab=50_000, seed=0):
    """A Zipf(1)-distributed corpus in lines of 1,000 tokens."""
    rng = np.random.default_rng(seed)
    p = 1.0 / np.arange(1, vocab + 1)
    ids = rng.choice(vocab, size=n_tokens, p=p / p.sum())
    words = np.array([f"w{i}" for i in range(vocab)])
    with open(path, "w") as fh:
        for line in words[ids].reshape(-1, 1000):
            fh.write(" ".join(line) + "\n")
    return n_tokens


@pytest.fixture(scope="module")
def zipf(tmp_path_factory):
    path = tmp_path_factory.mktemp("bench") / "zipf.txt"
    n = zipf_corpus(path)
    return str(path), n


@pytest.fixture(scope="module")
def zipf_matrix(zipf):
    return Corpus().fit(zipf[0], window=10, min_count=5).matrix


def _report_rate(benchmark, key, n):
    # benchmark.stats is None under --benchmark-disable (the quick smoke run)
    if benchmark.stats is not None:
        benchmark.extra_info[key] = n / benchmark.stats.stats.mean


@pytest.mark.parametrize("threads", [1, 2])
def test_counting_zipf(benchmark, zipf, threads):
    path, n = zipf
    benchmark.pedantic(lambda: Corpus().fit(path, window=10, min_count=5, no_threads=threads), rounds=3)
    _report_rate(benchmark, "tokens_per_s", n)


@pytest.mark.skipif(not os.path.exists(REAL8), reason="real8 not available")
def test_counting_real8_slice(benchmark, tmp_path):
    path = tmp_path / "slice.txt"
    n = 0
    with gzip.open(REAL8, "rt") as src, open(path, "w") as dst:
        for line in itertools.islice(src, 40_000):
            dst.write(line)
            n += len(line.split())
    benchmark.pedantic(lambda: Corpus().fit(str(path), window=15, min_count=5, no_threads=2), rounds=3)
    _report_rate(benchmark, "tokens_per_s", n)


@pytest.mark.parametrize("dim", [50, 100, 300])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("threads", [1, 2])
def test_training(benchmark, zipf_matrix, dim, dtype, threads):
    g = Glove(no_components=dim, max_count=10, random_state=0, dtype=dtype)
    benchmark.pedantic(lambda: g.fit(zipf_matrix, epochs=2, no_threads=threads), rounds=2)
    benchmark.extra_info["updates_per_s"] = g.n_updates_per_epoch_ * 2 / g.training_seconds_


def test_most_similar_70k(benchmark):
    rng = np.random.default_rng(0)
    wv = WordVectors([f"w{i}" for i in range(70_000)], rng.standard_normal((70_000, 100)).astype(np.float32))
    wv.most_similar("w1", topn=10)  # build the normalised cache outside the timing
    benchmark(lambda: wv.most_similar("w12345", topn=10))
