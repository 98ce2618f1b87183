"""Corpus.save / Corpus.load: exact round trip, training equivalence, and refusal of bad files."""
import json
import os
import zipfile

import numpy as np
import pytest

from glovefast import Corpus, Glove
from glovefast.errors import FormatError, NotFittedError

DOCS = [
    "the king spoke to the queen in the palace".split(),
    "the queen answered the king".split(),
    "a dog and a cat lived in the palace".split(),
    "naïve café words keep their ünïcode".split(),
]


@pytest.fixture
def corpus():
    return Corpus().fit(DOCS, window=3)


def test_round_trip_is_exact(corpus, tmp_path):
    path = tmp_path / "c.npz"
    corpus.save(path)
    loaded = Corpus.load(path)
    assert loaded.dictionary == corpus.dictionary
    assert list(loaded.dictionary) == list(corpus.dictionary)  # id order preserved, not just the mapping
    np.testing.assert_array_equal(loaded.word_counts, corpus.word_counts)
    assert loaded.word_counts.dtype == np.int64
    assert loaded.matrix.shape == corpus.matrix.shape
    np.testing.assert_array_equal(loaded.matrix.row, corpus.matrix.row)
    np.testing.assert_array_equal(loaded.matrix.col, corpus.matrix.col)
    np.testing.assert_array_equal(loaded.matrix.data, corpus.matrix.data)
    assert loaded.matrix.has_canonical_format
    assert loaded.params == corpus.params
    assert loaded.n_tokens == corpus.n_tokens
    assert loaded.inverse_dictionary == corpus.inverse_dictionary


def test_compressed_round_trip(corpus, tmp_path):
    path = tmp_path / "c.npz"
    corpus.save(path, compress=True)
    np.testing.assert_array_equal(Corpus.load(path).matrix.toarray(), corpus.matrix.toarray())


def test_training_from_loaded_matrix_is_identical(corpus, tmp_path):
    path = tmp_path / "c.npz"
    corpus.save(path)
    loaded = Corpus.load(path)
    a = Glove(no_components=8, random_state=3).fit(corpus.matrix, epochs=3, no_threads=1)
    b = Glove(no_components=8, random_state=3).fit(loaded.matrix, epochs=3, no_threads=1)
    np.testing.assert_array_equal(a.word_vectors, b.word_vectors)
    assert a.loss_history_ == b.loss_history_


def test_save_is_atomic_and_leaves_no_temp_file(corpus, tmp_path):
    path = tmp_path / "c.npz"
    path.write_bytes(b"previous content")
    corpus.save(path)
    assert sorted(os.listdir(tmp_path)) == ["c.npz"]
    assert Corpus.load(path).matrix.nnz == corpus.matrix.nnz


def test_unfitted_corpus_cannot_be_saved(tmp_path):
    with pytest.raises(NotFittedError):
        Corpus().save(tmp_path / "c.npz")
    assert not (tmp_path / "c.npz").exists()


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        Corpus.load(tmp_path / "nope.npz")


@pytest.mark.parametrize("content", [b"", b"hello world\n", b"PK\x03\x04truncated zip"])
def test_garbage_is_format_error(tmp_path, content):
    path = tmp_path / "bad.npz"
    path.write_bytes(content)
    with pytest.raises(FormatError):
        Corpus.load(path)


def test_truncated_file_is_format_error(corpus, tmp_path):
    path = tmp_path / "c.npz"
    corpus.save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(FormatError):
        Corpus.load(path)


def test_other_kind_of_npz_is_refused(corpus, tmp_path):
    # a whole Glove model, a plain numpy npz and WordVectors are all npz files, but not corpora
    model = Glove(no_components=4, random_state=0).fit(corpus.matrix, epochs=1)
    model.save(tmp_path / "model.npz")
    np.savez(tmp_path / "plain.npz", row=np.arange(3))
    from glovefast.vectors.word_vectors import WordVectors

    WordVectors(["a", "b"], np.ones((2, 3))).save(tmp_path / "wv.npz")
    for name in ("model.npz", "plain.npz", "wv.npz"):
        with pytest.raises(FormatError):
            Corpus.load(tmp_path / name)


def _rewrite_bundle(src, dst, edit):
    """Copy a saved corpus, applying ``edit(arrays, header)`` and re-signing it, as a hand-made file would be."""
    from glovefast.io import bundle

    with np.load(src, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    header = json.loads(arrays.pop(bundle.META_MEMBER).tobytes().decode("utf-8"))
    edit(arrays, header["meta"])
    bundle.save_npz_bundle(dst, Corpus.NPZ_KIND, arrays, header["meta"])


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda a, m: a.__setitem__("row", a["row"] + 1000), "outside"),
        (lambda a, m: a.__setitem__("data", -a["data"]), "positive"),
        (lambda a, m: a.__setitem__("word_counts", a["word_counts"][:-1]), "word_counts"),
        (lambda a, m: m.__setitem__("words", m["words"][:-1] + [m["words"][0]]), "repeated"),
        (lambda a, m: a.pop("col"), "col"),
    ],
)
def test_inconsistent_content_is_format_error(corpus, tmp_path, edit, message):
    src, dst = tmp_path / "c.npz", tmp_path / "edited.npz"
    corpus.save(src)
    _rewrite_bundle(src, dst, edit)
    with pytest.raises(FormatError, match=message):
        Corpus.load(dst)


def test_modified_file_fails_digest(corpus, tmp_path):
    path = tmp_path / "c.npz"
    corpus.save(path)
    edited = tmp_path / "edited.npz"
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(edited, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "data.npy":
                data = data[:-8] + np.float64(12345.0).tobytes()
            zout.writestr(item, data)
    with pytest.raises(FormatError, match="digest"):
        Corpus.load(edited)


@pytest.mark.usefixtures("sigint_delivered")
def test_ctrl_c_while_the_reader_is_blocked_returns_promptly():
    """Ctrl-C during a read that never returns (an interactive stdin) must not hang."""
    import io
    import os
    import signal
    import threading
    import time

    release = threading.Event()

    class Blocking(io.RawIOBase):
        def readable(self):
            return True

        def read(self, n=-1):
            release.wait(30)
            return b""

    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    t0 = time.monotonic()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            Corpus().fit(Blocking())
        assert time.monotonic() - t0 < 5
    finally:
        release.set()
        timer.cancel()
