"""glovefast.Word2Vec, the public model (issue 19): gensim's names and scikit-learn's shape, every
input Corpus.fit takes and a Corpus's kept tokens (one read for GloVe and word2vec), bit-for-bit
reproducibility and resume, Ctrl-C keeping the last epoch, init=, files, memory, named errors."""
import gzip
import hashlib
import math
import os
import subprocess
import sys

import numpy as np
import pytest

import glovefast
from glovefast import Corpus, Glove, TokenStream, Word2Vec
from glovefast.errors import (DimensionMismatchError, EmptyCorpusError, FormatError, InvalidParameterError,
                              MemoryBudgetError, ResumeError)
from glovefast.models.word2vec import model as w2v_model
from glovefast.text import reading
from glovefast.text.streaming import read_token_stream, select_vocabulary

from conftest import topic_docs, write_corpus

SMALL = dict(vector_size=12, window=3, min_count=1, epochs=3, no_threads=1, random_state=3)


@pytest.fixture(scope="module")
def text(tmp_path_factory):
    """2,000 lines of 30 words drawn from 60: 60,000 tokens."""
    return write_corpus(tmp_path_factory.mktemp("w2v") / "c.txt", n_words=60, n_docs=2000, seed=4)


@pytest.fixture(scope="module")
def docs(text):
    return [line.split() for line in text.read_text().splitlines()]


def _digest(model):
    return hashlib.sha256(model.word_vectors.tobytes()).hexdigest()


@pytest.mark.parametrize("sg", [0, 1])
def test_fit_returns_self_with_gensim_shaped_outputs(text, sg):
    model = Word2Vec(sg=sg, **SMALL)
    assert model.fit(text) is model
    counts = model.word_counts_
    assert model.word_vectors.shape == (60, 12) and model.word_vectors.dtype == np.float32
    assert list(model.wv.index_to_key) == model.wv.index_to_key and len(model.wv) == 60
    assert np.all(np.diff(counts) <= 0), "words are in vocabulary order, most frequent first"
    assert model.n_tokens_ == 60000 == int(counts.sum())
    assert len(model.loss_history_) == model.epochs_trained_ == 3
    assert all(math.isfinite(x) and x > 0 for x in model.loss_history_)
    assert model.loss_history_[-1] < model.loss_history_[0]
    assert model.n_updates_per_epoch_ > 0
    np.testing.assert_array_equal(model.wv["w1"], model.word_vectors[model.dictionary["w1"]])
    assert "sg=1" in repr(model) if sg else "sg=" not in repr(model)
    assert model.get_params()["vector_size"] == 12


def test_defaults_are_gensims_with_word2vec_c_learning_rates():
    model = Word2Vec()
    p = model.get_params()
    assert (p["vector_size"], p["window"], p["min_count"], p["sg"], p["negative"], p["ns_exponent"], p["sample"],
            p["cbow_mean"], p["epochs"], p["shrink_windows"], p["no_threads"]) == (100, 5, 5, 0, 5, 0.75, 1e-3, 1, 5,
                                                                                  True, 0)
    assert model._check_params()["alpha"] == 0.05 and model._check_params()["min_alpha"] == pytest.approx(5e-6)
    model.set_params(sg=1)
    assert model._check_params()["alpha"] == 0.025


def test_learns_topics():
    """Words that share documents end up closer than words that never do."""
    model = Word2Vec(vector_size=16, window=4, min_count=1, epochs=10, sg=1, no_threads=1, random_state=0,
                     sample=0).fit(topic_docs())
    assert {w for w, _ in model.most_similar("cat", number=5)} == {"dog", "pet", "fur", "paw", "tail"}


def test_every_input_gives_the_same_vectors(text, docs):
    ref = Word2Vec(**SMALL).fit(text)
    gz = text.parent / "c.txt.gz"
    gz.write_bytes(gzip.compress(text.read_bytes()))
    assert _digest(Word2Vec(**SMALL).fit(docs)) == _digest(ref)
    assert _digest(Word2Vec(**SMALL).fit(gz)) == _digest(ref)
    with gzip.open(gz, "rb") as raw:  # a binary stream, read once
        assert _digest(Word2Vec(**SMALL).fit(raw)) == _digest(ref)
    assert _digest(Word2Vec(**SMALL).fit(Corpus().fit(text, min_count=1, keep_tokens=True))) == _digest(ref)
    assert ref.dictionary == Word2Vec(**SMALL).fit(docs).dictionary


def test_one_read_of_the_text_trains_glove_and_word2vec(text, monkeypatch):
    """A Corpus fitted once with keep_tokens=True feeds both models: the tokenizer runs once."""
    reads = []
    real = reading.iter_text

    def counted(*args, **kwargs):
        reads.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(reading, "iter_text", counted)
    corpus = Corpus().fit(text, window=5, min_count=1, keep_tokens=True)
    assert len(reads) == 1
    glove = Glove(no_components=8, random_state=1).fit(corpus.matrix, epochs=2, no_threads=1,
                                                       dictionary=corpus.dictionary)
    w2v = Word2Vec(**SMALL).fit(corpus)
    assert len(reads) == 1, "word2vec read the text again"
    assert w2v.dictionary == glove.dictionary == corpus.dictionary
    assert _digest(w2v) == _digest(Word2Vec(**SMALL).fit(corpus.tokens))


def test_a_kept_stream_is_narrowed_to_the_models_min_count(text):
    corpus = Corpus().fit(text, window=2, min_count=1, keep_tokens=True)
    rare = corpus.inverse_dictionary[-1]
    cut = int(corpus.word_counts[-1]) + 1
    narrowed = Word2Vec(**dict(SMALL, min_count=cut)).fit(corpus)
    assert rare not in narrowed.dictionary
    assert _digest(narrowed) == _digest(Word2Vec(**dict(SMALL, min_count=cut)).fit(text))
    top = Word2Vec(**dict(SMALL, max_vocab=10)).fit(corpus)
    assert len(top.dictionary) == 10 and _digest(top) == _digest(Word2Vec(**dict(SMALL, max_vocab=10)).fit(text))


def test_unknown_word_placeholders_are_dropped():
    docs = [["a", "b", "zz", "c"], ["zz", "zz"], ["c", "a", "b"]] * 30
    fixed = Corpus({"a": 0, "b": 1, "c": 2}).fit(docs, window=2, ignore_missing=True, keep_tokens=True)
    assert (fixed.tokens.ids == TokenStream.SKIP).any()
    model = Word2Vec(**SMALL).fit(fixed)
    plain = Word2Vec(**SMALL).fit([[w for w in d if w != "zz"] for d in docs if set(d) != {"zz"}])
    assert _digest(model) == _digest(plain)


@pytest.mark.parametrize("sg", [0, 1])
def test_one_thread_and_a_seed_reproduce_bit_for_bit(text, sg):
    a = Word2Vec(sg=sg, **SMALL).fit(text)
    b = Word2Vec(sg=sg, **SMALL).fit(text)
    assert _digest(a) == _digest(b)
    assert _digest(Word2Vec(sg=sg, **dict(SMALL, random_state=4)).fit(text)) != _digest(a)


def test_reproducible_across_processes_whatever_the_hash_seed(text):
    """No PYTHONHASHSEED needed: two interpreters with different string hashing agree."""
    code = ("import hashlib, sys; from glovefast import Word2Vec; "
            "m = Word2Vec(vector_size=12, window=3, min_count=1, epochs=2, no_threads=1, random_state=3).fit("
            "[l.split() for l in open(sys.argv[1])]); print(hashlib.sha256(m.word_vectors.tobytes()).hexdigest())")
    out = []
    for hash_seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=hash_seed)
        proc = subprocess.run([sys.executable, "-c", code, str(text)], capture_output=True, text=True, env=env,
                              timeout=120, cwd=os.path.dirname(os.path.dirname(glovefast.__file__)))
        assert proc.returncode == 0, proc.stderr
        out.append(proc.stdout.strip())
    assert out[0] == out[1]
    assert out[0] == _digest(Word2Vec(**dict(SMALL, epochs=2)).fit(str(text)))


@pytest.mark.parametrize("sg", [0, 1])
def test_five_plus_five_epochs_equal_ten(text, tmp_path, sg):
    params = dict(SMALL, sg=sg, epochs=10)
    full = Word2Vec(**params).fit(text)
    half = Word2Vec(**params).fit(text, callback=lambda info: info.epoch == 5)
    assert half.epochs_trained_ == 5
    half.save(tmp_path / "half.npz", training_state=True)
    resumed = Word2Vec.load(tmp_path / "half.npz")
    assert resumed.has_training_state and resumed.epochs_trained_ == 5
    assert resumed.no_threads == 0  # a setting of the machine, not saved
    resumed.set_params(no_threads=1)
    resumed.fit(text, resume=True)
    assert resumed.epochs_trained_ == 10 and len(resumed.loss_history_) == 10
    assert _digest(resumed) == _digest(full)
    assert resumed.loss_history_ == full.loss_history_
    # in the same process, without a file, too
    half2 = Word2Vec(**params).fit(text, callback=lambda info: info.epoch == 5)
    assert _digest(half2.fit(text, resume=True)) == _digest(full)


def test_resume_needs_epochs_left_and_the_same_vocabulary(text, docs):
    model = Word2Vec(**SMALL).fit(text)
    with pytest.raises(ResumeError, match="set epochs higher"):
        model.fit(text, resume=True)
    model.set_params(epochs=5)
    with pytest.raises(ResumeError, match="vocabulary"):
        model.fit([d[:5] for d in docs[:3]], resume=True)
    model.fit(text, resume=True)  # a finished run trained further: the schedule of 5 epochs goes on
    assert model.epochs_trained_ == 5
    with pytest.raises(ResumeError, match="no training state"):
        Word2Vec(**SMALL).fit(text, resume=True)


def test_ctrl_c_in_an_epoch_keeps_the_last_completed_one(text, monkeypatch):
    two = Word2Vec(**SMALL).fit(text, callback=lambda info: info.epoch == 2)
    real = w2v_model.run_epoch
    calls = []

    def interrupted(syn0, syn1, *args, **kwargs):
        calls.append(1)
        result = real(syn0, syn1, *args, **kwargs)
        if len(calls) == 3:  # the third epoch ran (rows changed), then Ctrl-C
            raise KeyboardInterrupt
        return result

    monkeypatch.setattr(w2v_model, "run_epoch", interrupted)
    model = Word2Vec(**SMALL)
    with pytest.raises(KeyboardInterrupt):
        model.fit(text)
    assert model.interrupted_ and model.epochs_trained_ == 2 and len(model.loss_history_) == 2
    assert _digest(model) == _digest(two)
    monkeypatch.setattr(w2v_model, "run_epoch", real)
    model.fit(text, resume=True)  # and the run goes on from there
    assert _digest(model) == _digest(Word2Vec(**SMALL).fit(text))


def test_callback_sees_each_epoch(text):
    seen = []
    Word2Vec(**SMALL).fit(text, callback=lambda info: seen.append(
        (info.epoch, info.epochs, info.loss, info.updates, info.model.word_vectors.copy())))
    assert [s[:2] for s in seen] == [(1, 3), (2, 3), (3, 3)]
    assert not np.array_equal(seen[0][4], seen[2][4])
    assert all(s[3] > 0 for s in seen)


def test_init_starts_from_pretrained_vectors(text, tmp_path):
    source = Word2Vec(**SMALL).fit(text)
    still = dict(SMALL, alpha=1e-9, min_alpha=0.0, epochs=1)
    model = Word2Vec(**still).fit(text, init=source.wv)
    assert model.n_initialized_ == 60
    np.testing.assert_allclose(model.word_vectors, source.word_vectors, atol=1e-6)
    source.wv.save_word2vec_format(tmp_path / "v.txt")
    from_file = Word2Vec(**still).fit(text, init=tmp_path / "v.txt")
    np.testing.assert_allclose(from_file.word_vectors, source.word_vectors, atol=1e-5)
    partial = Word2Vec(**still).fit([["w1", "w2", "new"], ["new", "w1"]] * 5, init=source)
    assert partial.n_initialized_ == 2
    with pytest.raises(DimensionMismatchError, match="vector_size=12"):
        Word2Vec(**dict(SMALL, vector_size=5)).fit(text, init=source.wv)
    with pytest.raises(InvalidParameterError, match="one of them"):
        source.fit(text, init=source.wv, resume=True)


def test_files_load_convert_and_refuse_the_other_kind(text, tmp_path):
    model = Word2Vec(**SMALL).fit(text)
    path = tmp_path / "m.npz"
    model.save(path)
    back = Word2Vec.load(path)
    assert back.get_params() == dict(model.get_params(), no_threads=0, verbose=False, random_state=None)
    np.testing.assert_array_equal(back.word_vectors, model.word_vectors)
    assert back.dictionary == model.dictionary and back.loss_history_ == model.loss_history_
    assert not back.has_training_state
    wv = glovefast.load_vectors(path)
    assert wv.index_to_key == model.wv.index_to_key
    np.testing.assert_array_equal(wv.vectors, model.word_vectors)
    with pytest.raises(FormatError, match=r"holds a glovefast.Word2Vec, not a glovefast.Glove; load it with "
                                           r"Word2Vec.load\(path\), or its word vectors with glovefast.load_vectors"):
        Glove.load(path)
    glove_path, corpus_path = tmp_path / "g.npz", tmp_path / "c.npz"
    corpus = Corpus().fit(text, window=2)
    corpus.save(corpus_path)
    with pytest.raises(FormatError, match=r"holds a glovefast.Corpus, not a glovefast.Word2Vec; load it with "
                                          r"Corpus.load\(path\)$"):
        Word2Vec.load(corpus_path)
    Glove(no_components=4).fit(corpus.matrix, epochs=1).save(glove_path)
    with pytest.raises(FormatError, match=r"holds a glovefast.Glove, not a glovefast.Word2Vec; load it with Glove"):
        Word2Vec.load(glove_path)


def test_memory_check_before_allocating(text):
    with pytest.raises(MemoryBudgetError, match=r"needs at least .*MiB.*memory budget \(16\.0 MiB\)"):
        Word2Vec(**dict(SMALL, vector_size=200_000, memory="16M")).fit(text)


def test_a_stream_beyond_its_budget_share_is_memory_mapped(text, docs, tmp_path):
    ram = read_token_stream(text, min_count=1, ram_bytes=1 << 30)
    assert not isinstance(ram.ids, np.memmap)
    for source in (text, docs):  # a file read twice; token lists spilled to tmp_dir
        mapped = read_token_stream(source, min_count=1, ram_bytes=4096, tmp_dir=tmp_path)
        assert isinstance(mapped.ids, np.memmap)
        np.testing.assert_array_equal(mapped.ids, ram.ids)
        assert mapped.words == ram.words and np.array_equal(mapped.counts, ram.counts)
    # the model trains on the mapped stream as it is (no copy in RAM) and gets the same vectors
    assert mapped.without_skips() is mapped and select_vocabulary(mapped, 1) is mapped
    assert _digest(Word2Vec(**SMALL).fit(mapped)) == _digest(Word2Vec(**SMALL).fit(text))
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("params, message", [
    (dict(window=0), "window must be >= 1"),
    (dict(negative=-1), "negative must be >= 1"),
    (dict(negative=0), "negative must be >= 1"),
    (dict(sample=-1e-3), "sample must be >= 0"),
    (dict(ns_exponent=float("nan")), "ns_exponent must be finite"),
    (dict(ns_exponent=float("inf")), "ns_exponent must be finite"),
    (dict(vector_size=0), "vector_size must be >= 1"),
    (dict(alpha=0.0), "alpha must be > 0"),
    (dict(alpha=-0.1), "alpha must be > 0"),
    (dict(min_alpha=-1e-4), "min_alpha must be >= 0"),
    (dict(alpha=0.01, min_alpha=0.02), r"min_alpha \(0.02\) must not exceed alpha \(0.01\)"),
    (dict(epochs=0), "epochs must be >= 1"),
    (dict(sg=2), "sg must be <= 1"),
    (dict(cbow_mean=3), "cbow_mean must be <= 1"),
    (dict(shrink_windows="yes"), "shrink_windows must be True or False"),
    (dict(min_count=0), "min_count must be >= 1"),
    (dict(no_threads=-1), "no_threads must be >= 0"),
    (dict(memory="1K"), "glovefast needs a budget of at least"),
    (dict(tmp_dir="/no/such/dir"), "not an existing directory"),
    (dict(random_state=-1), "random_state must be a non-negative integer"),
])
def test_parameters_out_of_range_are_named_errors(corpus_file, params, message):
    with pytest.raises(InvalidParameterError, match=message):
        Word2Vec(**dict(SMALL, **params)).fit(corpus_file)


def test_corpora_it_cannot_train_on_are_named_errors(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n")
    with pytest.raises(EmptyCorpusError, match="no tokens"):
        Word2Vec(**SMALL).fit(empty)
    with pytest.raises(EmptyCorpusError, match="no tokens"):
        Word2Vec(**SMALL).fit([[], []])
    with pytest.raises(EmptyCorpusError, match="single word .'only'.*at least 2"):
        Word2Vec(**SMALL).fit([["only", "only"], ["only"]])
    with pytest.raises(EmptyCorpusError, match="single word"):
        Word2Vec(**dict(SMALL, min_count=3)).fit([["a", "a", "a", "b"]])
    with pytest.raises(InvalidParameterError, match="keep_tokens=True"):
        Word2Vec(**SMALL).fit(Corpus().fit([["a", "b"]], window=2))
    with pytest.raises(InvalidParameterError, match="callback must be a function"):
        Word2Vec(**SMALL).fit([["a", "b"]], callback=3)


def test_an_interrupted_wait_returns_only_once_the_kernel_has_stopped():
    """A signal that interrupts the wait for the kernel (CPython then marks the waited-for thread
    stopped while it runs) must not hand back rows that a kernel thread still writes."""
    import signal
    import time

    from glovefast.models.word2vec.epochs import Tables, init_rows, run_epoch

    rng = np.random.default_rng(1)
    ids = rng.integers(0, 1000, size=60_000).astype(np.int32)
    tables = Tables(np.bincount(ids, minlength=1000).astype(np.int64), 0.0, 0.75)
    syn0, syn1 = init_rows(1000, 300, seed=0)  # wide rows, big windows: blocks of ~0.1 s

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.15)
        with pytest.raises(KeyboardInterrupt):
            run_epoch(syn0, syn1, ids, tables, n_threads=1, sg=True, cbow_mean=True, dim=300, window=10,
                      negative=20, shrink=False, alpha=0.025, min_alpha=0.0, done_before=0, total=len(ids), seed=1,
                      epoch=0)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    returned = syn0.copy()
    time.sleep(0.5)
    assert np.array_equal(syn0, returned), "a kernel thread still wrote the rows after run_epoch returned"
