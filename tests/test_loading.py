"""The one loader (glovefast.load_vectors), the bundle format and its defences (issues 10 and 11)."""
import bz2
import gzip
import io
import json
import lzma
import os
import struct
import subprocess
import sys
import tracemalloc
import zipfile

import numpy as np
import pytest
import scipy.sparse as sp

import glovefast
from glovefast import Corpus, Glove, WordVectors
from glovefast.io import bundle
from glovefast._util import memory
from glovefast.errors import FormatError, InvalidParameterError

WORDS = ["the", "king", "queen", "man", "woman", "x y", "日本", "naïve"]


@pytest.fixture
def wv():
    rng = np.random.default_rng(0)
    return WordVectors(WORDS, rng.standard_normal((len(WORDS), 6)).astype(np.float32), counts=range(80, 0, -10))


@pytest.fixture
def model():
    rng = np.random.default_rng(1)
    m = sp.coo_matrix(rng.integers(1, 5, size=(6, 6)).astype(np.float64))
    g = Glove(no_components=4, random_state=0).fit(m, epochs=2, no_threads=1)
    g.add_dictionary({w: i for i, w in enumerate(["a", "b", "c", "d", "e", "f"])})
    return g


def _text_words(wv):
    return WordVectors([w.replace(" ", "_") for w in wv.index_to_key], wv.vectors)


# ---------------------------------------------------------------------------- detection by content
@pytest.mark.parametrize("compress", [None, gzip, bz2, lzma])
def test_every_format_is_recognised_by_content_not_name(tmp_path, wv, compress):
    plain = _text_words(wv)
    writers = {
        "word2vec": lambda p: plain.save_word2vec_format(p),
        "word2vec-binary": lambda p: plain.save_word2vec_format(p, binary=True),
        "glove": lambda p: plain.save_glove_format(p),
    }
    for fmt, write in writers.items():
        src = tmp_path / f"{fmt}.src"
        write(src)
        data = src.read_bytes()
        path = tmp_path / f"{fmt}.npz"  # a misleading name on purpose
        path.write_bytes(compress.compress(data) if compress else data)
        assert glovefast.detect_format(path) == fmt
        back = glovefast.load_vectors(path)
        assert back.index_to_key == plain.index_to_key
        np.testing.assert_array_equal(back.vectors, plain.vectors)
    native = tmp_path / "native.txt"  # misleading too: written under its own name, then renamed
    wv.save(tmp_path / "native.npz")
    os.rename(tmp_path / "native.npz", native)
    assert glovefast.detect_format(native) == "npz"
    assert glovefast.load_vectors(native).index_to_key == WORDS


def test_load_vectors_reads_models_and_refuses_corpora(tmp_path, model):
    model.save(tmp_path / "model.npz")
    got = glovefast.load_vectors(tmp_path / "model.npz", limit=3)
    assert got.index_to_key == ["a", "b", "c"]
    np.testing.assert_array_equal(got.vectors, model.word_vectors[:3])
    corpus = Corpus().fit([["a", "b", "c", "a"]], window=2)
    corpus.save(tmp_path / "corpus.npz")
    with pytest.raises(FormatError, match="cooccurrence matrix"):
        glovefast.load_vectors(tmp_path / "corpus.npz")
    np.savez(tmp_path / "foreign.npz", x=np.arange(3))
    with pytest.raises(FormatError, match="did not write"):
        glovefast.load_vectors(tmp_path / "foreign.npz")
    with pytest.raises(FileNotFoundError):
        glovefast.load_vectors(tmp_path / "missing.txt")
    with pytest.raises(IsADirectoryError):
        glovefast.load_vectors(tmp_path)
    with pytest.raises(InvalidParameterError, match="fmt"):
        glovefast.load_vectors(tmp_path / "model.npz", fmt="pickle")
    (tmp_path / "empty.txt").write_bytes(b"")
    with pytest.raises(FormatError, match="empty"):
        glovefast.load_vectors(tmp_path / "empty.txt")


def test_load_vectors_limit_on_native(tmp_path, wv):
    wv.save(tmp_path / "v.npz")
    got = glovefast.load_vectors(tmp_path / "v.npz", limit=2, mmap=True)
    assert got.index_to_key == WORDS[:2] and got.counts.tolist() == [80, 70]


# ---------------------------------------------------------------------------- one bundle format
def test_glove_saves_through_the_bundle_format(tmp_path, model):
    path = tmp_path / "m.npz"
    model.save(path)
    assert bundle.npz_kind(path) == "glovefast.Glove"
    with zipfile.ZipFile(path) as zf:
        assert zf.namelist()[0] == "__glovefast_meta__.npy"
    back = Glove.load(path)
    for name in ("word_vectors", "context_vectors", "word_biases", "context_biases"):
        np.testing.assert_array_equal(getattr(back, name), getattr(model, name))
    assert back.loss_history_ == model.loss_history_ and back.dictionary == model.dictionary
    with pytest.raises(FormatError, match="holds a glovefast.Glove, not a glovefast.WordVectors"):
        WordVectors.load(path)
    model.save(tmp_path / "c.npz", compress=True)
    np.testing.assert_array_equal(Glove.load(tmp_path / "c.npz").word_vectors, model.word_vectors)


def _write_legacy_model(path, model, extra_members=None):
    """The npz layout Glove.save wrote before the bundle format (format 'glovefast.Glove', version 1)."""
    meta = {
        "format": "glovefast.Glove", "version": 1,
        "params": {"no_components": 4, "learning_rate": 0.05, "alpha": 0.75, "max_count": 100.0,
                   "max_loss": 10.0, "dtype": "float32", "vector_mode": "sum"},
        "loss_history": [float(x) for x in model.loss_history_],
        "n_updates_per_epoch": int(model.n_updates_per_epoch_),
        "words": ["a", "b", "c", "d", "e", "f"],
    }
    np.savez(path, meta=np.frombuffer(json.dumps(meta).encode(), np.uint8), word_vectors=model.word_vectors,
             context_vectors=model.context_vectors, word_biases=model.word_biases,
             context_biases=model.context_biases)
    if extra_members:
        with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as zf:
            for name, writer in extra_members.items():
                with zf.open(name, "w", force_zip64=True) as out:
                    writer(out)


def test_old_glove_files_still_load(tmp_path, model):
    path = tmp_path / "old.npz"
    _write_legacy_model(path, model)
    back = Glove.load(path)
    np.testing.assert_array_equal(back.word_vectors, model.word_vectors)
    assert back.dictionary == model.dictionary and back.loss_history_ == model.loss_history_
    assert glovefast.load_vectors(path).index_to_key == ["a", "b", "c", "d", "e", "f"]


def _zeros_writer(n_bytes):
    def write(out):
        block = bytes(1 << 20)
        for _ in range(n_bytes >> 20):
            out.write(block)
    return write


def _peak_bytes(fn):
    tracemalloc.start()
    try:
        fn()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


def test_undeclared_zero_bomb_is_never_decompressed(tmp_path, model, wv):
    """Issue 11 item 7: an undeclared all-zero deflated member (here 64 MiB in ~64 kB)."""
    bomb = {"bomb.npy": _zeros_writer(64 << 20)}
    old = tmp_path / "old.npz"
    _write_legacy_model(old, model, bomb)
    assert old.stat().st_size < 2 << 20
    assert _peak_bytes(lambda: Glove.load(old)) < 8 << 20  # loads, without touching the bomb
    for obj, load in ((model, Glove.load), (wv, WordVectors.load)):
        path = tmp_path / "new.npz"
        obj.save(path)
        with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as zf:
            with zf.open("bomb.npy", "w", force_zip64=True) as out:
                bomb["bomb.npy"](out)

        def refuse():
            with pytest.raises(FormatError, match="bomb"):
                load(path)
        assert _peak_bytes(refuse) < 8 << 20


def _rewrite(src, dst, header_edit=None, members=None, resign=False, compress=False):
    """Copy a bundle, editing its JSON header and/or replacing members (bytes)."""
    with zipfile.ZipFile(src) as zin:
        header = json.loads(np.load(io.BytesIO(zin.read("__glovefast_meta__.npy"))).tobytes())
        data = {name: zin.read(name) for name in zin.namelist() if name != "__glovefast_meta__.npy"}
    if header_edit is not None:
        header_edit(header)
    data.update(members or {})
    if resign:
        arrays = {n[:-4]: np.load(io.BytesIO(b)) for n, b in data.items()}
        header.pop("sha256", None)
        header["sha256"] = bundle._digest(arrays, header)
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    with zipfile.ZipFile(dst, "w", compression=zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED) as zout:
        buf = io.BytesIO()
        np.save(buf, np.frombuffer(raw, np.uint8))
        zout.writestr("__glovefast_meta__.npy", buf.getvalue())
        for name, blob in data.items():
            zout.writestr(name, blob)


def _npy(arr):
    buf = io.BytesIO()
    np.save(buf, arr)
    return buf.getvalue()


def test_declared_member_whose_header_lies_is_refused_before_reading(tmp_path, wv):
    path, bad = tmp_path / "v.npz", tmp_path / "bad.npz"
    wv.save(path)
    # the .npy header claims 2**24 rows (and the data are there, deflated), the metadata 8
    lying = np.zeros((1 << 22, 6), np.float32)
    _rewrite(path, bad, members={"vectors.npy": _npy(lying)}, compress=True)
    del lying

    def refuse():
        with pytest.raises(FormatError, match="metadata say"):
            WordVectors.load(bad)
    assert _peak_bytes(refuse) < 8 << 20


def _forge_uncompressed_size(path, member, size):
    """Patch a member's uncompressed size in the local header and the central directory."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    for sig, size_at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        pos = data.find(sig)
        while pos >= 0:
            name_len_at = 26 if sig == b"PK\x03\x04" else 28
            name_len = struct.unpack_from("<H", data, pos + name_len_at)[0]
            start = pos + (30 if sig == b"PK\x03\x04" else 46)
            if data[start:start + name_len] == name:
                struct.pack_into("<I", data, pos + size_at, size)
            pos = data.find(sig, pos + 4)
    path.write_bytes(bytes(data))


def test_member_claiming_more_than_deflate_can_produce_is_refused(tmp_path, wv):
    path = tmp_path / "v.npz"
    wv.save(path, compress=True)
    _forge_uncompressed_size(path, "vectors.npy", 4_000_000_000)
    with pytest.raises(FormatError, match="more than deflate can produce"):
        WordVectors.load(path)


def test_declared_arrays_larger_than_memory_are_refused_before_allocating(tmp_path, wv, monkeypatch):
    path = tmp_path / "v.npz"
    wv.save(path)
    monkeypatch.setattr(memory, "available_memory", lambda: 100)
    with pytest.raises(FormatError, match="GiB of memory"):
        WordVectors.load(path)
    assert len(WordVectors.load(path, mmap=True)) == len(wv)  # mapping needs no memory up front


# ---------------------------------------------------------------------------- metadata schema (issue 11 #6)
def _set(path_in_header, value):
    def edit(header):
        node = header
        for key in path_in_header[:-1]:
            node = node[key]
        node[path_in_header[-1]] = value
    return edit


MODEL_EDITS = [
    (_set(["meta", "n_updates_per_epoch"], "abc"), "meta.n_updates_per_epoch"),
    (_set(["arrays"], ["word_vectors"]), "header.arrays"),
    (_set(["meta", "words"], 12), "meta.words"),
    (_set(["meta", "words"], {"a": 0}), "meta.words"),
    (_set(["meta", "words"], ["a", "b", 3, "d", "e", "f"]), r"meta.words\[2\]"),
    (_set(["meta", "loss_history"], "0.1 0.2"), "meta.loss_history"),
    (_set(["meta", "params"], {"no_components": 4, "bogus": 1}), "meta.params.bogus"),
    (_set(["meta", "params"], {"no_components": 4, "learning_rate": -1.0}), "meta.params"),
    (_set(["meta", "params"], {"no_components": 4, "dtype": "int8"}), "meta.params.dtype"),
    (_set(["meta", "params"], "fast"), "meta.params"),
    (_set(["meta", "n_updates_per_epoch"], -3), "meta.n_updates_per_epoch"),
    (_set(["meta", "words"], ["a"]), "meta.words"),
    (_set(["format_version"], "1"), "header.format_version"),
    (_set(["kind"], None), "header.kind"),
    (_set(["arrays", "word_vectors", "shape"], [6, "4"]), r"shape\[1\]"),
    (_set(["arrays", "word_vectors", "dtype"], "<U4"), "dtype"),
    (_set(["arrays", "word_vectors", "dtype"], "|b1"), "dtype"),
    (_set(["arrays", "word_vectors", "dtype"], "<c8"), "dtype"),
    (_set(["arrays", "word_biases", "dtype"], "<i8"), "word_biases.dtype"),
    (_set(["arrays", "word_biases", "shape"], [6, 1]), "word_biases.shape"),
    (_set(["arrays", "mystery"], {"dtype": "<f4", "shape": [1]}), "mystery"),
]


@pytest.mark.parametrize("edit, field", MODEL_EDITS)
def test_malformed_model_metadata_is_a_format_error_naming_the_field(tmp_path, model, edit, field):
    path, bad = tmp_path / "m.npz", tmp_path / "bad.npz"
    model.save(path)
    _rewrite(path, bad, header_edit=edit, resign=True)  # re-signed, as a hand-made file would be
    with pytest.raises(FormatError, match=field) as info:
        Glove.load(bad)
    assert str(bad) in str(info.value)


@pytest.mark.parametrize("raw, message", [
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    (b'{"kind": "glovefast.Glove", "format_version": 1' + b"1" * 5000 + b"}", "5001 digits"),
    (b'{"kind": "glovefast.Glove", "format_version": 1, "arrays": {}, "meta": {}, "sha256": "x", "x": 1}', "x"),
    (b"\xff\xfe", "unreadable"),
    (b"[1, 2]", "expected an object"),
])
def test_hostile_json_is_a_format_error(tmp_path, model, raw, message):
    path, bad = tmp_path / "m.npz", tmp_path / "bad.npz"
    model.save(path)
    _rewrite(path, bad, header_edit=lambda h: None)
    with zipfile.ZipFile(bad) as zin:
        data = {n: zin.read(n) for n in zin.namelist()}
    data["__glovefast_meta__.npy"] = _npy(np.frombuffer(raw, np.uint8))
    with zipfile.ZipFile(bad, "w") as zout:
        for name, blob in data.items():
            zout.writestr(name, blob)
    with pytest.raises(FormatError, match=message):
        Glove.load(bad)


@pytest.mark.parametrize("dtype", ["<U3", "|b1", "<c8", "|S4"])
def test_non_real_vector_arrays_are_refused(tmp_path, wv, dtype):
    path, bad = tmp_path / "v.npz", tmp_path / "bad.npz"
    wv.save(path)
    member = np.zeros((len(WORDS), 6), dtype=dtype)
    _rewrite(path, bad, header_edit=_set(["arrays", "vectors", "dtype"], np.dtype(dtype).str),
             members={"vectors.npy": _npy(member)}, resign=True)
    with pytest.raises(FormatError, match="vectors.dtype"):
        WordVectors.load(bad)
    _rewrite(path, bad, members={"vectors.npy": _npy(member)})  # header not updated: the member lies
    with pytest.raises(FormatError, match="metadata say"):
        WordVectors.load(bad)


@pytest.mark.parametrize("edit, field", [
    (_set(["meta", "keys"], 5), "meta.keys"),
    (_set(["meta", "keys"], WORDS[:-1]), "rows for 7 words"),
    (_set(["meta", "keys"], WORDS[:-1] + [None]), r"meta.keys\[7\]"),
    (_set(["meta", "extra"], 1), "meta.extra"),
    (_set(["arrays", "counts", "shape"], [3]), "counts"),
])
def test_malformed_vectors_metadata(tmp_path, wv, edit, field):
    path, bad = tmp_path / "v.npz", tmp_path / "bad.npz"
    wv.save(path)
    _rewrite(path, bad, header_edit=edit)
    with pytest.raises(FormatError, match=field):
        WordVectors.load(bad)


def test_cli_reports_a_malformed_file_in_one_line_with_exit_2(tmp_path, model):
    path, bad = tmp_path / "m.npz", tmp_path / "bad.npz"
    model.save(path)
    _rewrite(path, bad, header_edit=_set(["meta", "n_updates_per_epoch"], "abc"))
    proc = subprocess.run([sys.executable, "-m", "glovefast", "similar", str(bad), "a"], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "n_updates_per_epoch" in lines[0] and "Traceback" not in proc.stderr


def test_lone_surrogate_word_is_a_named_error_at_save_time(tmp_path):
    wv = WordVectors(["ok", "bad\ud800"], np.ones((2, 2), np.float32))
    with pytest.raises(InvalidParameterError, match=r"meta\['keys'\]\[1\].*surrogate"):
        wv.save(tmp_path / "v.npz")
    for save in (wv.save_word2vec_format, wv.save_glove_format):
        with pytest.raises(FormatError, match="surrogate"):
            save(tmp_path / "v.txt")
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------- memory-mapped opening
def test_mmap_opens_the_vectors_in_place(tmp_path, wv):
    path = tmp_path / "v.npz"
    wv.save(path)
    mapped = WordVectors.load(path, mmap=True)
    assert isinstance(mapped.vectors, np.memmap) and not mapped.vectors.flags.writeable
    assert mapped.vectors.ctypes.data % bundle.ALIGN == 0
    np.testing.assert_array_equal(mapped.vectors, wv.vectors)
    assert mapped.index_to_key == WORDS and mapped.counts.tolist() == wv.counts.tolist()
    assert mapped.most_similar("king", topn=3) == wv.most_similar("king", topn=3)
    with np.load(path) as z:  # still an ordinary npz
        np.testing.assert_array_equal(z["vectors"], wv.vectors)
    WordVectors.load(path, mmap=True, verify=True)


def test_mmap_of_compressed_or_truncated_files(tmp_path, wv, caplog):
    path = tmp_path / "c.npz"
    wv.save(path, compress=True)
    got = WordVectors.load(path, mmap=True)
    assert not isinstance(got.vectors, np.memmap) and "compressed" in caplog.text
    wv.save(tmp_path / "v.npz")
    data = (tmp_path / "v.npz").read_bytes()
    for cut in range(0, len(data), 37):
        (tmp_path / "cut.npz").write_bytes(data[:cut])
        with pytest.raises(FormatError):
            WordVectors.load(tmp_path / "cut.npz", mmap=True)


@pytest.mark.parametrize("vectors, message", [
    (np.array([[1, 2], [np.nan, 0], [3, 4]], np.float32), "NaN or inf .* 'b'"),
    (np.zeros((3, 0), np.float32), "at least one column"),
])
def test_mmap_with_verify_refuses_what_load_refuses(tmp_path, vectors, message):
    """A signed bundle with a NaN row (every score 0.0) or no columns: load() refuses it, and so
    does load(mmap=True, verify=True), whose digest reads every page anyway."""
    path = tmp_path / "v.npz"
    bundle.save_npz_bundle(path, WordVectors.NPZ_KIND, {"vectors": vectors}, {"keys": ["a", "b", "c"]})
    for kwargs in ({}, {"mmap": True, "verify": True}):
        with pytest.raises(FormatError, match=message):
            WordVectors.load(path, **kwargs)
    if vectors.shape[1] == 0:  # the shape costs nothing to check: refused even unverified
        with pytest.raises(FormatError, match=message):
            WordVectors.load(path, mmap=True)


# ---------------------------------------------------------------------------- glovefast convert
def test_convert_between_every_format(tmp_path, wv, capsys):
    from glovefast.cli import main

    plain = _text_words(wv)
    src = tmp_path / "glove.txt"
    plain.save_glove_format(src)
    chain = [("v.npz", None, "npz"), ("v.bin", None, "word2vec-binary"), ("v.txt.gz", "glove", "glove"),
             ("v.vec", None, "word2vec"), ("back.npz", None, "npz")]
    previous = src
    for name, to, fmt in chain:
        out = tmp_path / name
        argv = ["convert", str(previous), str(out), "-q"] + (["--to", to] if to else [])
        assert main(argv) == 0
        assert glovefast.detect_format(out) == fmt
        back = glovefast.load_vectors(out)
        assert back.index_to_key == plain.index_to_key
        np.testing.assert_array_equal(back.vectors, plain.vectors)  # exact through every format
        previous = out
    mapped = WordVectors.load(tmp_path / "back.npz", mmap=True)
    assert isinstance(mapped.vectors, np.memmap)
    assert main(["convert", str(src), str(tmp_path / "few.npz"), "--limit", "3", "-q"]) == 0
    assert WordVectors.load(tmp_path / "few.npz").index_to_key == plain.index_to_key[:3]


def test_convert_errors_are_one_line_with_exit_2(tmp_path, wv, capsys):
    from glovefast.cli import main

    wv.save(tmp_path / "spaces.npz")  # "x y" cannot be written as text
    assert main(["convert", str(tmp_path / "spaces.npz"), str(tmp_path / "out.txt")]) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("glovefast: error")]
    assert len(err) == 1 and err[0].startswith("glovefast: error: ") and "'x y'" in err[0]
    assert "cannot be written" in err[0]
    assert not (tmp_path / "out.txt").exists()
    assert main(["convert", str(tmp_path / "missing.txt"), str(tmp_path / "o.npz")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["convert", str(tmp_path / "spaces.npz"), str(tmp_path / "o.npz"), "--precision", "3"]) == 2
    assert "--precision" in capsys.readouterr().err


# ---------------------------------------------------------------------------- gensim both ways
def test_gensim_both_ways_without_a_file(wv):
    gensim_models = pytest.importorskip("gensim.models")
    kv = wv.to_gensim()
    assert isinstance(kv, gensim_models.KeyedVectors)
    assert kv.index_to_key == WORDS and kv.vectors is wv.vectors
    assert [w for w, _ in kv.most_similar("king", topn=3)] == [w for w, _ in wv.most_similar("king", topn=3)]
    assert kv.get_vecattr("queen", "count") == 60
    same = WordVectors.from_gensim(kv)
    assert same.index_to_key == WORDS and same.counts.tolist() == wv.counts.tolist()
    assert same.vectors is wv.vectors  # shared both ways, no copy
    kv.add_vectors(["extra"], np.ones((1, 6), np.float32))  # gensim can keep working with it
    back = WordVectors.from_gensim(kv)
    assert back.index_to_key == WORDS + ["extra"]
    np.testing.assert_array_equal(back.vectors[:-1], wv.vectors)


def test_from_gensim_models_and_bad_input():
    gensim_models = pytest.importorskip("gensim.models")
    sentences = [["the", "king", "rules"], ["the", "queen", "rules"]] * 20
    model = gensim_models.Word2Vec(sentences, vector_size=8, min_count=1, workers=1, seed=1, epochs=2)
    wv = WordVectors.from_gensim(model)  # a model: its .wv
    assert wv.index_to_key == model.wv.index_to_key and wv.counts.tolist() == [
        model.wv.get_vecattr(w, "count") for w in wv.index_to_key]
    kv = gensim_models.KeyedVectors(3)
    kv.add_vectors([1, 2], np.eye(2, 3, dtype=np.float32))  # gensim allows integer keys; we need words
    with pytest.raises(glovefast.InvalidDictionaryError, match="must be a str"):
        WordVectors.from_gensim(kv)
    with pytest.raises(InvalidParameterError, match="KeyedVectors"):
        WordVectors.from_gensim({"a": [1.0]})


def test_to_gensim_without_gensim_names_the_install(wv, monkeypatch):
    monkeypatch.setitem(sys.modules, "gensim", None)
    monkeypatch.setitem(sys.modules, "gensim.models", None)
    with pytest.raises(ImportError, match="pip install gensim"):
        wv.to_gensim()
