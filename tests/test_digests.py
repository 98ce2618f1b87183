"""Fixed-seed, one-thread results pinned by SHA-256 digests: the proof that a refactoring changed
no result, bit for bit (issue 18). The digests were taken from main before the package was
reorganised into subpackages; a change of any count, word order, vector or loss fails here.

Counting digests hold on every platform (counts are fixed-point integers). Training digests
depend on the CPU's floating point (the AVX2 kernel's rsqrt differs between CPU vendors, libm
between platforms), so they are recorded per platform key (:func:`platform_key`) and a
platform without a record skips them, printing the digests to record.

Only the public API is used, except the switch to the portable float32 kernel.
"""
import gzip
import hashlib
import os
import platform

import numpy as np
import pytest

from glovefast import Corpus, Glove, WordVectors, load_vectors, simd_info
from glovefast._kernels.glove import _select_f32_kernel
from glovefast.datasets import builtin_path


# ---------------------------------------------------------------------------------------- digests
def digest(*parts):
    """SHA-256 (first 16 hex digits) of arrays, strings and lists of words, with dtypes and shapes."""
    h = hashlib.sha256()
    for part in parts:
        if isinstance(part, np.ndarray):
            a = np.ascontiguousarray(part)
            h.update(f"{a.dtype.str}{a.shape}".encode())
            h.update(a.tobytes())
        elif isinstance(part, (list, tuple)):
            h.update(("\x00".join(map(str, part)) + "\x01").encode("utf-8", "surrogatepass"))
        elif isinstance(part, bytes):
            h.update(part)
        else:
            h.update(repr(part).encode())
    return h.hexdigest()[:16]


def corpus_digest(corpus):
    # a matrix over the budget stays in a store: read it whole here
    m = corpus.store.to_coo(memory=1 << 30) if corpus.store is not None else corpus.matrix
    return digest(corpus.inverse_dictionary, np.asarray(corpus.word_counts, dtype=np.int64), int(corpus.n_tokens),
                  np.asarray(m.row, dtype=np.int32), np.asarray(m.col, dtype=np.int32),
                  np.asarray(m.data, dtype=np.float64))


def model_digest(model):
    return digest(model.word_vectors, model.context_vectors, model.word_biases, model.context_biases,
                  np.asarray(model.loss_history_, dtype=np.float64), int(model.n_updates_per_epoch_),
                  int(model.n_initialized_))


def platform_key():
    vendor = ""
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("vendor_id"):
                    vendor = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{platform.system()}/{platform.machine()}/{vendor}/{simd_info()}"


# ---------------------------------------------------------------------------------------- inputs
def synthetic_lines(n_tokens=1_400_000, n_words=8_000, line_tokens=997):
    """A corpus with many distinct pairs (so a 16 MB budget spills runs and re-reads the file),
    generated with integer arithmetic only (splitmix64), so it is the same on every platform and
    numpy version."""
    x = np.arange(n_tokens, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(12345)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    x = x ^ (x >> np.uint64(31))
    v = np.uint64(n_words)
    ids = ((x % v) * ((x >> np.uint64(32)) % v) // v).astype(np.int64)  # skewed towards small ids
    names = np.array([f"w{i}" for i in range(n_words)], dtype=object)
    return [" ".join(names[ids[a:a + line_tokens]]) for a in range(0, n_tokens, line_tokens)]


@pytest.fixture(scope="module")
def kjv():
    return builtin_path("kjv")


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    path = tmp_path_factory.mktemp("digests") / "synthetic.txt"
    path.write_text("\n".join(synthetic_lines()) + "\n")
    return str(path)


# ---------------------------------------------------------------------------------------- counting
COUNTING = {
    "kjv": "b33542a551eb5c1d",
    "kjv npz": "b33542a551eb5c1d",
    "kjv flat": "a85ecb584c0e8c1a",
    "kjv left": "a8afd3f07c5cb132",
    "kjv token lists": "b33542a551eb5c1d",
    "kjv fixed dictionary": "f291024b9768d82e",
    "kjv fixed dictionary token lists": "f291024b9768d82e",
    "synthetic": "e5d7b13e7c332f29",
    "synthetic 16M": "e5d7b13e7c332f29",
    "synthetic 16M token lists": "e5d7b13e7c332f29",
    "synthetic store": "e5d7b13e7c332f29",
}


def test_counting_digests(kjv, synthetic, tmp_path, caplog):
    import logging

    got = {}
    ram = Corpus().fit(kjv, window=10, min_count=2, no_threads=1)
    got["kjv"] = corpus_digest(ram)
    ram.save(tmp_path / "kjv.npz")
    got["kjv npz"] = corpus_digest(Corpus.load(tmp_path / "kjv.npz"))
    got["kjv flat"] = corpus_digest(Corpus().fit(kjv, window=10, min_count=2, distance_weighting="flat",
                                                 no_threads=1))
    got["kjv left"] = corpus_digest(Corpus().fit(kjv, window=10, min_count=2, symmetric=False, no_threads=1))
    with gzip.open(kjv, "rt", encoding="utf-8") as fh:
        docs = [line.split() for line in fh]
    got["kjv token lists"] = corpus_digest(Corpus().fit(docs, window=10, min_count=2, no_threads=1))
    # a fixed dictionary of every other word: unknown words keep their positions
    fixed = {w: i for i, w in enumerate(ram.inverse_dictionary[::2])}
    got["kjv fixed dictionary"] = corpus_digest(Corpus(fixed).fit(kjv, window=10, ignore_missing=True,
                                                                   no_threads=1))
    got["kjv fixed dictionary token lists"] = corpus_digest(Corpus(fixed).fit(docs, window=10, ignore_missing=True,
                                                                              no_threads=1))
    spill = tmp_path / "spill"
    spill.mkdir()
    got["synthetic"] = corpus_digest(Corpus().fit(synthetic, window=5, no_threads=1))
    # 16 MB: the id stream outgrows its share (the file is read twice) and runs spill to disk
    with caplog.at_level(logging.INFO, logger="glovefast"):
        got["synthetic 16M"] = corpus_digest(Corpus().fit(synthetic, window=5, no_threads=1, memory="16M",
                                                          tmp_dir=spill))
    spilled = [r.getMessage() for r in caplog.records if "spilled" in r.getMessage()]
    assert spilled and " 0 runs spilled" not in spilled[-1], spilled
    with open(synthetic) as fh:
        lines = [line.split() for line in fh]
    got["synthetic 16M token lists"] = corpus_digest(Corpus().fit(lines, window=5, no_threads=1, memory="16M",
                                                                  tmp_dir=spill))
    del lines
    stored = Corpus().fit(synthetic, window=5, no_threads=1, memory="16M", tmp_dir=spill,
                          store=tmp_path / "store")
    assert stored.store is not None
    got["synthetic store"] = corpus_digest(Corpus.load(tmp_path / "store"))
    assert os.listdir(spill) == []
    assert got == COUNTING


# ---------------------------------------------------------------------------------------- training
TRAINING = {
    "Linux/x86_64/AuthenticAMD/avx2+fma, rsqrt (runtime dispatch)": {
        "float32": "069e1ee6bdb8531b",
        "float32 portable": "4730f1ff275f29e1",
        "float64": "6c47a3e68abc7591",
        "word mode": "591aeeb37441d62c",
        "init vectors + mittens": "256457e6134e8d7d",
        "init glove": "6a6891348814cbb9",
        "init file + mittens word mode": "35d0146d26c8b091",
        "resumed": "069e1ee6bdb8531b",
        "resumed mittens": "256457e6134e8d7d",
        "word2vec text": "374fb43fd33f70f8",
    },
}

D = 50  # with 5,092 words, the triples of a 16 MB budget are shuffled on disk


def _glove(**kwargs):
    kwargs.setdefault("no_components", D)
    kwargs.setdefault("random_state", 7)
    return Glove(learning_rate=0.05, max_count=10, **kwargs)


@pytest.fixture(scope="module")
def kjv_corpus(kjv):
    return Corpus().fit(kjv, window=10, min_count=2, no_threads=1)


def test_training_digests(kjv_corpus, tmp_path, caplog):
    import logging

    expected = TRAINING.get(platform_key())
    matrix, words = kjv_corpus.matrix, kjv_corpus.dictionary
    got = {}
    ref = _glove().fit(matrix, epochs=3, no_threads=1, dictionary=words)
    got["float32"] = model_digest(ref)
    # out of core: the same bits
    with caplog.at_level(logging.INFO, logger="glovefast"):
        ooc = _glove().fit(matrix, epochs=3, no_threads=1, memory="16M", tmp_dir=tmp_path)
    assert "shuffled on disk" in caplog.text
    assert model_digest(ooc) == got["float32"]
    # from a store, in RAM and out of core
    kjv_corpus.save(tmp_path / "store")
    for memory in (None, "16M"):
        stored = _glove().fit(str(tmp_path / "store"), epochs=3, no_threads=1, memory=memory, tmp_dir=tmp_path)
        assert model_digest(stored) == got["float32"]
    try:
        _select_f32_kernel(False)
        got["float32 portable"] = model_digest(_glove().fit(matrix, epochs=3, no_threads=1))
    finally:
        _select_f32_kernel(True)
    got["float64"] = model_digest(_glove(dtype=np.float64).fit(matrix, epochs=2, no_threads=1))
    got["word mode"] = model_digest(_glove(vector_mode="word").fit(matrix, epochs=2, no_threads=1))

    # fine-tuning: from vectors (a WordVectors of another run), from a Glove, from a file
    other = _glove(random_state=3).fit(matrix, epochs=1, no_threads=1, dictionary=words)
    half = {w: i for i, w in enumerate(kjv_corpus.inverse_dictionary[::2])}
    pretrained = WordVectors(list(half), other.word_vectors[::2].copy())
    tuned = _glove(mittens=0.5).fit(matrix, epochs=2, no_threads=1, init=pretrained, dictionary=words)
    got["init vectors + mittens"] = model_digest(tuned)
    got["init glove"] = model_digest(_glove().fit(matrix, epochs=2, no_threads=1, init=other, dictionary=words))
    pretrained.save_word2vec_format(tmp_path / "pretrained.txt")
    got["init file + mittens word mode"] = model_digest(
        _glove(mittens=0.2, vector_mode="word").fit(matrix, epochs=2, no_threads=1, init=tmp_path / "pretrained.txt",
                                                    dictionary=words))

    # resume through a saved training state: 2 + 1 epochs are the 3-epoch run
    first = _glove().fit(matrix, epochs=2, no_threads=1, dictionary=words)
    first.save(tmp_path / "state.npz", training_state=True)
    resumed = Glove.load(tmp_path / "state.npz").fit(matrix, epochs=1, no_threads=1, resume=True)
    got["resumed"] = model_digest(resumed)
    assert got["resumed"] == got["float32"]
    first = _glove(mittens=0.5).fit(matrix, epochs=1, no_threads=1, init=pretrained, dictionary=words)
    first.save(tmp_path / "mittens.npz", training_state=True)
    resumed = Glove.load(tmp_path / "mittens.npz").fit(matrix, epochs=1, no_threads=1, resume=True)
    got["resumed mittens"] = model_digest(resumed)
    assert got["resumed mittens"] == got["init vectors + mittens"]

    # what users write and read: a word2vec text file of the vectors
    ref.wv.save_word2vec_format(tmp_path / "vectors.txt")
    got["word2vec text"] = digest((tmp_path / "vectors.txt").read_bytes())
    again = load_vectors(tmp_path / "vectors.txt")
    assert again.index_to_key == ref.wv.index_to_key
    if expected is None:
        pytest.skip(f"no training digests recorded for {platform_key()!r}; this platform gives {got}")
    assert got == expected
