"""Outputs are compressed by their name, or refused when the name says something else (issue 20).

The audit: ``convert kjv.vec kjv.vec.zst`` wrote plain text, ``train -o x.npz --format glove``
wrote GloVe text under an .npz name, both silently; .gz was written at level 9 (16.6 s where
``gzip -6`` took 5.7 s).
"""
import os
import re
import sys

import numpy as np
import pytest

from glovefast import Corpus, WordVectors, load_vectors
from glovefast.vectors.loading import save_vectors
from glovefast.errors import InvalidParameterError

MAGIC = {".gz": b"\x1f\x8b", ".bz2": b"BZh", ".xz": b"\xfd7zXZ\x00", ".zst": b"\x28\xb5\x2f\xfd"}


@pytest.fixture
def wv():
    rng = np.random.default_rng(0)
    return WordVectors([f"w{i}" for i in range(200)], rng.normal(size=(200, 10)).astype(np.float32))


def train(cli, corpus_file, out, *extra):
    return cli("train", corpus_file, "-o", out, "--dim", "4", "--epochs", "1", "--min-count", "1", "--threads", "1",
               "-q", *extra)


@pytest.mark.parametrize("suffix", sorted(MAGIC))
@pytest.mark.parametrize("name, fmt", [("v.vec", "word2vec"), ("v.txt", "glove"), ("v.bin", "word2vec-binary")])
def test_every_writer_compresses_by_suffix(tmp_path, wv, suffix, name, fmt):
    path = tmp_path / (name + suffix)
    save_vectors(wv, path, fmt)
    assert path.read_bytes().startswith(MAGIC[suffix])
    back = load_vectors(path)
    assert back.index_to_key == wv.index_to_key and np.array_equal(back.vectors, wv.vectors)


@pytest.mark.parametrize("suffix", sorted(MAGIC))
def test_convert_and_train_compress_by_suffix(cli, tmp_path, wv, corpus_file, suffix):
    wv.save_word2vec_format(tmp_path / "kjv.vec")
    out = tmp_path / ("kjv.vec" + suffix)
    assert cli("convert", tmp_path / "kjv.vec", out).returncode == 0
    assert out.read_bytes().startswith(MAGIC[suffix])
    assert np.array_equal(load_vectors(out).vectors, wv.vectors)
    out = tmp_path / ("trained.txt" + suffix)
    assert train(cli, corpus_file, out).returncode == 0
    assert out.read_bytes().startswith(MAGIC[suffix]) and len(load_vectors(out)) == 40


def test_gzip_is_written_at_gzip_s_default_level(tmp_path, wv):
    """The header's XFL byte says 2 for level 9 (what Python's gzip uses unless told), 0 for 2..8."""
    save_vectors(wv, tmp_path / "v.vec.gz")
    assert (tmp_path / "v.vec.gz").read_bytes()[8] == 0


def test_zst_without_zstandard_is_said_before_the_work(cli, tmp_path, wv, corpus_file, monkeypatch):
    monkeypatch.setitem(sys.modules, "zstandard", None)  # import zstandard now raises ImportError
    with pytest.raises(InvalidParameterError, match="pip install zstandard"):
        save_vectors(wv, tmp_path / "v.vec.zst")
    result = train(cli, corpus_file, tmp_path / "x.txt.zst")
    assert result.returncode == 2 and "pip install zstandard" in result.stderr and "counting" not in result.stderr
    assert os.listdir(tmp_path) == ["c.txt"]


MISMATCHES = {
    "glove text as .npz": (["train", "-o", "x.npz", "--format", "glove"], "the name says glovefast's native format"),
    "an npz as .txt": (["train", "-o", "x.txt", "--format", "npz"], "the name says text"),
    "text as .bin": (["train", "-o", "x.bin", "--format", "word2vec"], "the name says word2vec binary"),
    "an npz under .gz": (["train", "-o", "x.npz.gz"], "an .npz file is not compressed by its name"),
    "a model under .gz": (["train", "-o", "x.txt", "--save-model", "m.npz.gz"], "--save-model m.npz.gz: an .npz"),
    "a store under .gz": (["train", "-o", "x.txt", "--save-matrix", "m.npz.gz"], "a cooccurrence store is a directory"),
    "convert glove to .npz": (["convert", "-o", "v.npz", "--to", "glove"], "leave --to out"),
    "convert binary to .vec": (["convert", "-o", "v.vec", "--to", "word2vec-binary"], "name it 'v.bin'"),
}


@pytest.mark.parametrize("case", sorted(MISMATCHES))
def test_a_name_that_says_another_format_is_refused(cli, tmp_path, wv, corpus_file, case, monkeypatch):
    args, fragment = MISMATCHES[case]
    monkeypatch.chdir(tmp_path)
    wv.save_word2vec_format("in.vec")
    command, _, out, *extra = args
    if command == "train":
        result = train(cli, corpus_file, out, *extra)
    else:
        result = cli("convert", "in.vec", out, *extra)
    assert result.returncode == 2 and fragment in result.stderr, result.stderr
    assert "counting" not in result.stderr and "loaded" not in result.stderr  # refused before the work
    assert sorted(os.listdir(tmp_path)) == ["c.txt", "in.vec"]


def test_train_writes_word2vec_binary_for_bin(cli, tmp_path, corpus_file):
    """-o v.bin used to write word2vec text under a .bin name."""
    assert train(cli, corpus_file, tmp_path / "v.bin").returncode == 0
    from glovefast.vectors.loading import detect_format

    assert detect_format(tmp_path / "v.bin") == "word2vec-binary"


def test_the_library_refuses_the_same_mismatches(tmp_path, wv):
    with pytest.raises(InvalidParameterError, match="name it .*x.txt"):
        save_vectors(wv, tmp_path / "x.npz", "glove")
    for save in (wv.save, lambda p: Corpus().fit([["a", "b", "a"]], window=2).save(p)):
        with pytest.raises(InvalidParameterError, match="not compressed by its name|a cooccurrence store is a dir"):
            save(tmp_path / "x.npz.gz")
    assert os.listdir(tmp_path) == []


# gensim's save_word2vec_format writes whatever name it is given; ours refuses a name that says
# another format (x.npz would be word2vec text under glovefast's native name), naming one that fits.
@pytest.mark.parametrize("name, binary, fragment", [
    ("x.npz", False, "name it 'x.vec', or use save()"),
    ("x.npz", True, "name it 'x.bin', or use save()"),
    ("x.npz.gz", False, "name it 'x.vec.gz'"),
    ("x.bin", False, "pass binary=True"),
    ("x.vec", True, "pass binary=False"),
    ("x.txt.xz", True, "name it 'x.bin.xz', or pass binary=False"),
    ("x.npy", False, "a NumPy array"),
    ("x.zip", True, "a zip archive"),
    ("x.pkl", False, "a pickle"),
])
def test_save_word2vec_format_refuses_a_name_of_another_format(tmp_path, wv, name, binary, fragment, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InvalidParameterError, match=re.escape(fragment)):
        wv.save_word2vec_format(name, binary=binary)
    assert os.listdir(tmp_path) == []


def test_the_other_writers_refuse_such_names_too(tmp_path, wv, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InvalidParameterError, match="name it 'x.txt'"):
        wv.save_glove_format("x.npz")
    with pytest.raises(InvalidParameterError, match="name it 'x.npz', or write text"):
        wv.save("x.vec")
    with pytest.raises(InvalidParameterError, match="name it 'x.npz'"):  # not 'x.bin', which says binary
        wv.save("x.bin.gz")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("name, binary", [("x.vec", False), ("x.txt.gz", False), ("x.bin", True), ("x.model", False),
                                          ("x", True), ("x.w2v", False)])
def test_save_word2vec_format_writes_the_format_asked_under_other_names(tmp_path, wv, name, binary):
    # documented: any name that says no other format gets the format asked for
    wv.save_word2vec_format(tmp_path / name, binary=binary)
    back = WordVectors.load_word2vec_format(tmp_path / name, binary=binary)
    assert back.index_to_key == wv.index_to_key and np.array_equal(back.vectors, wv.vectors)


def test_saving_over_the_loaded_file_keeps_the_vectors(tmp_path, wv):
    # the write replaces the file atomically: vectors mapped from it stay valid and are written whole
    wv.save(tmp_path / "x.npz")
    mapped = WordVectors.load(tmp_path / "x.npz", mmap=True)
    mapped.save(tmp_path / "x.npz")
    assert np.array_equal(WordVectors.load(tmp_path / "x.npz").vectors, wv.vectors)
    wv.save_word2vec_format(tmp_path / "x.vec")
    text = WordVectors.load_word2vec_format(tmp_path / "x.vec")
    text.save_word2vec_format(tmp_path / "x.vec")
    assert np.array_equal(WordVectors.load_word2vec_format(tmp_path / "x.vec").vectors, wv.vectors)
