"""File formats: atomic writes, word2vec text/binary, Stanford GloVe text, native npz."""
import io
import logging
import os
import stat
import zipfile

import numpy as np
import pytest

from glovefast._util import atomic
from glovefast.io import bundle
from glovefast.io import formats
from glovefast.errors import FormatError, InvalidParameterError
from glovefast.vectors.word_vectors import WordVectors

WORDS = ["the", "naïve", "日本", "café", ",", "x\u00a0y", "émoji🙂", "2"]


@pytest.fixture
def wv():
    rng = np.random.default_rng(5)
    return WordVectors(WORDS, rng.standard_normal((len(WORDS), 6)).astype(np.float32), counts=np.arange(8, 0, -1))


def assert_same(a, b):
    assert a.index_to_key == b.index_to_key
    assert a.vectors.dtype == b.vectors.dtype
    np.testing.assert_array_equal(a.vectors, b.vectors)


# ---------------------------------------------------------------------------- atomic_write
def test_atomic_write_replaces_and_keeps_permissions(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    os.chmod(target, 0o640)
    with atomic.atomic_write(target, "w") as fh:
        fh.write("näive\n")
        assert target.read_text() == "old"  # nothing visible until the block ends
    assert target.read_text(encoding="utf-8") == "näive\n"
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_atomic_write_new_file_honours_umask(tmp_path):
    old = os.umask(0o027)
    try:
        with atomic.atomic_write(tmp_path / "new.bin") as fh:
            fh.write(b"\x00\x01")
    finally:
        os.umask(old)
    assert (tmp_path / "new.bin").read_bytes() == b"\x00\x01"
    assert stat.S_IMODE(os.stat(tmp_path / "new.bin").st_mode) == 0o640


def test_atomic_write_failure_leaves_target_untouched(tmp_path):
    target = tmp_path / "model.bin"
    target.write_bytes(b"precious")
    with pytest.raises(RuntimeError, match="boom"):
        with atomic.atomic_write(target) as fh:
            fh.write(b"half-written")
            raise RuntimeError("boom")
    assert target.read_bytes() == b"precious"
    assert [p.name for p in tmp_path.iterdir()] == ["model.bin"]  # temp file removed
    with pytest.raises(RuntimeError):
        with atomic.atomic_write(tmp_path / "never.bin") as fh:
            raise RuntimeError("boom")
    assert not (tmp_path / "never.bin").exists()


def test_atomic_write_errors_and_symlink(tmp_path):
    with pytest.raises(InvalidParameterError, match="mode"):
        with atomic.atomic_write(tmp_path / "a", "a"):
            pass
    with pytest.raises(IsADirectoryError):
        with atomic.atomic_write(tmp_path):
            pass
    with pytest.raises(FileNotFoundError, match="does not exist"):
        with atomic.atomic_write(tmp_path / "no" / "such" / "file"):
            pass
    real = tmp_path / "real.txt"
    real.write_text("v1")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    with atomic.atomic_write(link, "w") as fh:
        fh.write("v2")
    assert link.is_symlink() and real.read_text() == "v2"


# ---------------------------------------------------------------------------- word2vec / GloVe round trips
@pytest.mark.parametrize("name, binary", [("v.txt", False), ("v.bin", True), ("v.txt.gz", False),
                                          ("v.bin.bz2", True), ("v.txt.xz", False)])
def test_word2vec_round_trip_exact(tmp_path, wv, name, binary):
    path = tmp_path / name
    wv.save_word2vec_format(path, binary=binary)
    back = WordVectors.load_word2vec_format(path, binary=binary)
    assert_same(back, wv)
    first3 = WordVectors.load_word2vec_format(path, binary=binary, limit=3)
    assert first3.index_to_key == WORDS[:3]
    np.testing.assert_array_equal(first3.vectors, wv.vectors[:3])
    assert len(WordVectors.load_word2vec_format(path, binary=binary, limit=0)) == 0


def test_word2vec_text_layout(tmp_path):
    wv = WordVectors(["a", "b"], np.array([[0.5, -1.0], [0.25, 3.0]], dtype=np.float32))
    wv.save_word2vec_format(tmp_path / "v.txt")
    assert (tmp_path / "v.txt").read_text() == "2 2\na 0.5 -1\nb 0.25 3\n"
    wv.save_glove_format(tmp_path / "g.txt")
    assert (tmp_path / "g.txt").read_text() == "a 0.5 -1\nb 0.25 3\n"
    wv.save_word2vec_format(tmp_path / "v.bin", binary=True)
    data = (tmp_path / "v.bin").read_bytes()
    assert data == b"2 2\na " + np.array([0.5, -1.0], "<f4").tobytes() + b"\nb " + \
        np.array([0.25, 3.0], "<f4").tobytes() + b"\n"


def test_float64_and_precision(tmp_path):
    vecs = np.array([[1 / 3, np.pi], [-2 / 7, 1e-12]])
    wv = WordVectors(["a", "b"], vecs)
    wv.save_word2vec_format(tmp_path / "v.txt")
    back = WordVectors.load_word2vec_format(tmp_path / "v.txt", dtype=np.float64)
    np.testing.assert_array_equal(back.vectors, vecs)
    wv.save_glove_format(tmp_path / "g.txt", precision=4)
    assert (tmp_path / "g.txt").read_text().splitlines()[0] == "a 0.3333 3.142"
    np.testing.assert_allclose(WordVectors.load_glove_format(tmp_path / "g.txt").vectors, vecs, rtol=1e-3)
    with pytest.raises(InvalidParameterError, match="precision"):
        wv.save_glove_format(tmp_path / "g.txt", precision=0)
    with pytest.raises(InvalidParameterError, match="dtype"):
        WordVectors.load_glove_format(tmp_path / "g.txt", dtype=np.int32)


def test_glove_round_trip(tmp_path, wv):
    wv.save_glove_format(tmp_path / "g.txt")
    assert_same(WordVectors.load_glove_format(tmp_path / "g.txt"), wv)
    assert WordVectors.load_glove_format(tmp_path / "g.txt", limit=2).index_to_key == WORDS[:2]


@pytest.mark.parametrize("bad", ["a b", "tab\there", "new\nline", "cr\r"])
def test_words_with_whitespace_refused_on_save(tmp_path, bad):
    wv = WordVectors(["ok", bad], np.ones((2, 3)))
    for save in (lambda p: wv.save_word2vec_format(p), lambda p: wv.save_word2vec_format(p, binary=True),
                 lambda p: wv.save_glove_format(p)):
        path = tmp_path / "out"  # a name that fits text and binary alike
        path.write_text("previous")
        with pytest.raises(FormatError, match="cannot be written") as info:
            save(path)
        assert repr(bad) in str(info.value)
        assert path.read_text() == "previous"
    # the native format keeps such words
    wv.save(tmp_path / "v.npz")
    assert WordVectors.load(tmp_path / "v.npz").index_to_key == ["ok", bad]


# ---------------------------------------------------------------------------- reading real-world text
def test_stanford_style_file_with_spaces_in_words(tmp_path):
    text = (
        "the 0.418 0.24968 -0.41242\n"
        ". . . 0.1 0.2 0.3\n"
        "at name@domain.com 1 2 3\n"
        "new york -1 -2 -3\n"
        "ünïcödé 0 0 1e-3\n"
    )
    path = tmp_path / "glove.txt"
    path.write_text(text, encoding="utf-8")
    wv = WordVectors.load_glove_format(path)
    assert wv.index_to_key == ["the", ". . .", "at name@domain.com", "new york", "ünïcödé"]
    np.testing.assert_array_equal(wv["the"], np.array([0.418, 0.24968, -0.41242], dtype=np.float32))
    np.testing.assert_array_equal(wv["new york"], [-1, -2, -3])
    assert wv["ünïcödé"][2] == np.float32(1e-3)


def test_crlf_bom_trailing_spaces_and_blank_lines(tmp_path):
    # fastText .vec files end every line with a space; Windows tools add CRLF and a BOM
    path = tmp_path / "v.vec"
    path.write_bytes(b"\xef\xbb\xbf2 3\r\nfoo 1 2 3 \r\n\r\nbar 4 5 6 \r\n\r\n")
    wv = WordVectors.load_word2vec_format(path)
    assert wv.index_to_key == ["foo", "bar"]
    np.testing.assert_array_equal(wv.vectors, [[1, 2, 3], [4, 5, 6]])
    glove = tmp_path / "g.txt"
    glove.write_bytes(b"\n\nfoo 1 2\nbar 3 x\n")
    with pytest.raises(FormatError, match="line 4: 'x' is not a number"):  # line numbers count blank lines
        WordVectors.load_glove_format(glove)


def test_duplicates_keep_first_and_warn(tmp_path, caplog):
    path = tmp_path / "dup.txt"
    path.write_text("a 1 1\nb 2 2\na 3 3\n")
    with caplog.at_level(logging.WARNING, logger="glovefast.io.formats"):
        wv = WordVectors.load_glove_format(path)
    assert wv.index_to_key == ["a", "b"]
    np.testing.assert_array_equal(wv["a"], [1, 1])
    assert "repeated" in caplog.text


@pytest.mark.parametrize("block_bytes", [64, 4096])
def test_small_blocks_cross_line_boundaries_exactly(tmp_path, monkeypatch, block_bytes):
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(500)]
    wv = WordVectors(words, rng.standard_normal((500, 10)).astype(np.float32))
    wv.save_word2vec_format(tmp_path / "v.txt")
    blocks = []
    real = formats._text_block_reader

    def recording(*args):
        for block, last in real(*args):
            blocks.append(bytes(block))  # the reader reuses its buffer: keep a copy
            yield block, last

    monkeypatch.setattr(formats, "TEXT_BLOCK_BYTES", block_bytes)  # lines longer than a block, or ~30 a block
    monkeypatch.setattr(formats, "_text_block_reader", recording)
    monkeypatch.setattr(formats, "MAP_TEXT_FILES", False)  # a plain file is read as a compressed one would be
    back = WordVectors.load_word2vec_format(tmp_path / "v.txt")
    assert_same(back, wv)
    assert len(blocks) > 5 and all(b.endswith(b"\n") for b in blocks)
    part = WordVectors.load_word2vec_format(tmp_path / "v.txt", limit=70)
    assert part.index_to_key == words[:70]
    np.testing.assert_array_equal(part.vectors, wv.vectors[:70])
    lines = (tmp_path / "v.txt").read_bytes().split(b"\n")
    lines[401] = lines[401].replace(lines[401].split()[3], b"x")  # line 402 holds w400
    (tmp_path / "bad.txt").write_bytes(b"\n".join(lines))
    with pytest.raises(FormatError, match="line 402: 'x' is not a number"):
        WordVectors.load_word2vec_format(tmp_path / "bad.txt")


def test_unicode_errors(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("caf\xe9 1 2\nok 3 4\n".encode("latin-1"))
    with pytest.raises(FormatError, match=r"line 1.*not valid UTF-8.*unicode_errors"):
        WordVectors.load_glove_format(path)
    wv = WordVectors.load_glove_format(path, unicode_errors="replace")
    assert wv.index_to_key == ["caf\ufffd", "ok"]


# ---------------------------------------------------------------------------- bad text/binary files
@pytest.mark.parametrize(
    "content, loader, fragment",
    [
        (b"3 2\na 1 2\nb 3 4\n", "w2v", "promises 3 words but the file ends after 2"),
        (b"2 2\na 1 2\nb 3 x\n", "w2v", "line 3: 'x' is not a number"),
        (b"2 2\na 1 2\nb 3\n", "w2v", "line 3"),
        (b"2 2\na 1 2\nb 3 4 5\n", "w2v", "line 3: 3 numbers where 2 were expected"),
        (b"a 1 2\nb 3 4\n", "w2v", "header"),
        (b"", "w2v", "empty"),
        (b"2 2\na 1 2\nb nan 4\n", "w2v", "'b' holds NaN"),
        (b"2 2\na 1 2\nb 3 4\n", "glove", "looks like a word2vec header"),
        (b"a 1 2\nb 3 4 5\n", "glove", "line 2"),
        (b"a\n", "glove", "no numbers"),
        (b"2 2\na 1 2\nb 3 4\n", "binary", "text, not binary"),
        (b"two 2\n", "binary", "header"),
    ],
)
def test_malformed_files_give_format_error(tmp_path, content, loader, fragment):
    path = tmp_path / "bad"
    path.write_bytes(content)
    load = {
        "w2v": lambda: WordVectors.load_word2vec_format(path),
        "glove": lambda: WordVectors.load_glove_format(path),
        "binary": lambda: WordVectors.load_word2vec_format(path, binary=True),
    }[loader]
    with pytest.raises(FormatError) as info:
        load()
    assert fragment in str(info.value)


@pytest.mark.parametrize("binary", [False, True])
def test_every_truncation_is_detected(tmp_path, wv, binary, caplog):
    path = tmp_path / "v"
    wv.save_word2vec_format(path, binary=binary)
    data = path.read_bytes()
    # In text, a cut inside the last number still leaves a number: that can only be warned about.
    last_number = data.rstrip(b"\n").rfind(b" ") + 1 if not binary else len(data) - 1
    cut_path = tmp_path / "cut"
    for cut in range(1, len(data) - 1):
        cut_path.write_bytes(data[:cut])
        if cut > last_number:
            caplog.clear()
            with caplog.at_level(logging.WARNING, logger="glovefast.io.formats"):
                try:
                    back = WordVectors.load_word2vec_format(cut_path, binary=binary)
                except FormatError:  # e.g. the cut left just "-"
                    continue
            assert "may be truncated" in caplog.text and len(back) == len(wv)
            continue
        with pytest.raises(FormatError):
            WordVectors.load_word2vec_format(cut_path, binary=binary)


def test_truncated_gzip_is_a_format_error(tmp_path, wv):
    path = tmp_path / "v.txt.gz"
    wv.save_word2vec_format(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(FormatError, match="truncated"):
        WordVectors.load_word2vec_format(path)


# ---------------------------------------------------------------------------- gensim interoperability
@pytest.mark.parametrize("binary", [False, True])
def test_gensim_reads_our_files_and_we_read_gensims(tmp_path, wv, binary):
    gensim_models = pytest.importorskip("gensim.models")
    ours = tmp_path / "ours"
    wv.save_word2vec_format(ours, binary=binary)
    kv = gensim_models.KeyedVectors.load_word2vec_format(str(ours), binary=binary)
    assert kv.index_to_key == WORDS
    np.testing.assert_array_equal(kv.vectors, wv.vectors)
    theirs = tmp_path / "theirs"
    kv.save_word2vec_format(str(theirs), binary=binary)
    assert_same(WordVectors.load_word2vec_format(theirs, binary=binary), wv)


def test_gensim_reads_our_glove_file(tmp_path, wv):
    gensim_models = pytest.importorskip("gensim.models")
    wv.save_glove_format(tmp_path / "g.txt")
    kv = gensim_models.KeyedVectors.load_word2vec_format(str(tmp_path / "g.txt"), no_header=True)
    assert kv.index_to_key == WORDS
    np.testing.assert_array_equal(kv.vectors, wv.vectors)


# ---------------------------------------------------------------------------- native npz
def test_native_round_trip_keeps_everything(tmp_path):
    keys = ["a b", "tab\tword", "日本", "naïve", "line\nbreak"]
    vecs = np.arange(15, dtype=np.float64).reshape(5, 3) / 7
    wv = WordVectors(keys, vecs, counts=[10, 9, 8, 7, 6])
    for compress in (False, True):
        path = tmp_path / f"v{compress}.gfv"
        wv.save(path, compress=compress)
        back = WordVectors.load(path)
        assert_same(back, wv)
        assert back.counts.tolist() == [10, 9, 8, 7, 6]
    assert not (tmp_path / "vFalse.gfv.npz").exists()  # saved exactly at the given path
    no_counts = WordVectors(["x"], np.ones((1, 2), dtype=np.float32))
    no_counts.save(tmp_path / "nc.npz")
    assert WordVectors.load(tmp_path / "nc.npz").counts is None


def _rezip(src, dst, replace):
    """Copy an npz, replacing some members' bytes (with valid zip CRCs: a deliberate edit)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for item in zin.infolist():
            data = replace.get(item.filename, zin.read(item.filename))
            zout.writestr(item.filename, data)


def _npy_bytes(arr, allow_pickle=False):
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=allow_pickle)
    return buf.getvalue()


def test_tampered_files_are_rejected(tmp_path, wv):
    path = tmp_path / "v.npz"
    wv.save(path)
    edited = tmp_path / "edited.npz"
    _rezip(path, edited, {"vectors.npy": _npy_bytes(wv.vectors + 1)})
    with pytest.raises(FormatError, match="SHA-256"):
        WordVectors.load(edited)
    back = WordVectors.load(edited, verify=False)  # the escape hatch works
    np.testing.assert_array_equal(back.vectors, wv.vectors + 1)
    _rezip(path, edited, {"vectors.npy": _npy_bytes(np.ones((3, 3), dtype=np.float32))})
    with pytest.raises(FormatError, match="metadata say"):
        WordVectors.load(edited)
    _rezip(path, edited, {"counts.npy": _npy_bytes(np.array([object()] * 8), allow_pickle=True)})
    with pytest.raises(FormatError, match="pickle"):
        WordVectors.load(edited)
    _rezip(path, edited, {"__glovefast_meta__.npy": _npy_bytes(np.frombuffer(b"{not json", np.uint8))})
    with pytest.raises(FormatError, match="metadata are unreadable"):
        WordVectors.load(edited)


def test_wrong_kind_and_foreign_files(tmp_path, wv):
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, vectors=wv.vectors)
    with pytest.raises(FormatError, match="not written by glovefast"):
        WordVectors.load(foreign)
    other = tmp_path / "model.npz"
    bundle.save_npz_bundle(other, "glovefast.Glove", {"word_vectors": wv.vectors}, {"no_components": 6})
    with pytest.raises(FormatError, match="holds a glovefast.Glove, not a glovefast.WordVectors"):
        WordVectors.load(other)
    arrays, meta = bundle.load_npz_bundle(other, "glovefast.Glove")
    assert meta == {"no_components": 6}
    np.testing.assert_array_equal(arrays["word_vectors"], wv.vectors)
    npy = tmp_path / "bare.npy"
    np.save(npy, wv.vectors)
    with pytest.raises(FormatError, match="bare .npy"):
        WordVectors.load(npy)
    txt = tmp_path / "vectors.txt"
    wv.save_glove_format(txt)
    with pytest.raises(FormatError, match="load_glove_format"):
        WordVectors.load(txt)
    empty = tmp_path / "empty.npz"
    empty.write_bytes(b"")
    with pytest.raises(FormatError):
        WordVectors.load(empty)
    with pytest.raises(FileNotFoundError):
        WordVectors.load(tmp_path / "missing.npz")
    with pytest.raises(InvalidParameterError, match="object"):
        bundle.save_npz_bundle(tmp_path / "x.npz", "k", {"a": np.array([object()])})


def test_newer_format_version_rejected(tmp_path, wv, monkeypatch):
    monkeypatch.setattr(bundle, "NPZ_FORMAT_VERSION", 99)
    wv.save(tmp_path / "future.npz")
    monkeypatch.setattr(bundle, "NPZ_FORMAT_VERSION", 1)
    with pytest.raises(FormatError, match="upgrade glovefast"):
        WordVectors.load(tmp_path / "future.npz")


def test_truncated_or_corrupted_native_file_never_crashes(tmp_path, wv):
    path = tmp_path / "v.npz"
    wv.save(path)
    data = path.read_bytes()
    bad = tmp_path / "bad.npz"
    for cut in range(0, len(data), max(1, len(data) // 40)):
        bad.write_bytes(data[:cut])
        with pytest.raises(FormatError):
            WordVectors.load(bad)
    rng = np.random.default_rng(1)
    for pos in rng.integers(0, len(data), size=40):
        flipped = bytearray(data)
        flipped[pos] ^= 0xFF
        bad.write_bytes(bytes(flipped))
        try:
            back = WordVectors.load(bad)
        except FormatError:
            continue
        assert_same(back, wv)  # a flip in unused zip fields is harmless; content must be intact
