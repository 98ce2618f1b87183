"""Corpus input that is not UTF-8 text, paths that are not files, other compressions (issue 11,
item 4 and the low items): a named error naming the file, or the right result, never garbage."""
import bz2
import gzip
import io
import lzma
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

import glovefast
from glovefast import Corpus
from glovefast.text import reading
from glovefast.cli import main
from glovefast.datasets import builtin_path
from glovefast.errors import CorpusEncodingError, CorpusFormatError, CorpusPathError

PACKAGE_ROOT = Path(glovefast.__file__).resolve().parent.parent
KJV = builtin_path("kjv")
TEXT = "in the beginning god created the heaven and the earth\nand the earth was without form\n" * 50


@pytest.fixture(scope="module")
def kjv_text():
    with gzip.open(KJV, "rb") as fh:
        return fh.read().decode("utf-8")


def fit(path_or_stream, **kwargs):
    return Corpus().fit(path_or_stream, window=3, no_threads=1, **kwargs)


def same_counts(a, b):
    assert a.dictionary == b.dictionary
    assert (a.matrix != b.matrix).nnz == 0


# ---------------------------------------------------------------------------- encodings
ENCODINGS = [("utf-16", "UTF-16LE"), ("utf-16-le", "UTF-16LE"), ("utf-16-be", "UTF-16BE"),
             ("utf-32", "UTF-32LE"), ("utf-32-le", "UTF-32LE"), ("utf-32-be", "UTF-32BE")]


@pytest.mark.parametrize("codec, named", ENCODINGS)
def test_utf16_and_utf32_text_is_a_named_error(tmp_path, codec, named, kjv_text):
    """The audit's repro: a UTF-16 copy of the KJV trained into words like '\\x00t\\x00h\\x00e\\x00'."""
    path = tmp_path / "kjv16.txt"
    path.write_bytes(kjv_text[:200000].encode(codec))
    for kwargs in ({}, {"min_count": 5}):  # min_count used to hide the evidence
        with pytest.raises(CorpusFormatError) as info:
            fit(path, **kwargs)
        message = str(info.value)
        assert str(path) in message and named in message and "UTF-8" in message


@pytest.mark.parametrize("codec, named", ENCODINGS[:3])
def test_cli_names_the_file_and_encoding(tmp_path, capsys, codec, named):
    path = tmp_path / "corpus.txt"
    path.write_bytes(TEXT.encode(codec))
    assert main(["train", str(path), "-o", str(tmp_path / "v.txt"), "--epochs", "1", "-q"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert str(path) in err and named in err and "iconv" in err
    assert not (tmp_path / "v.txt").exists()


def test_compressed_utf16_is_caught_after_decompression(tmp_path):
    path = tmp_path / "c.txt.gz"
    path.write_bytes(gzip.compress(TEXT.encode("utf-16-le")))
    with pytest.raises(CorpusFormatError, match="UTF-16LE"):
        fit(path)


def test_utf16_stream_and_stdin(tmp_path):
    with pytest.raises(CorpusFormatError, match="UTF-16LE"):
        fit(io.BytesIO(TEXT.encode("utf-16")))
    proc = subprocess.run([sys.executable, "-m", "glovefast", "train", "-", "-o", str(tmp_path / "v.txt")],
                          input=TEXT.encode("utf-16"), capture_output=True, timeout=120,
                          env=dict(os.environ, PYTHONPATH=str(PACKAGE_ROOT)))
    assert proc.returncode == 2
    assert b"standard input is UTF-16LE text" in proc.stderr


def test_utf8_bom_is_skipped(tmp_path):
    plain = tmp_path / "plain.txt"
    plain.write_text(TEXT, encoding="utf-8")
    bom = tmp_path / "bom.txt"
    bom.write_bytes(b"\xef\xbb\xbf" + TEXT.encode("utf-8"))
    corpus = fit(bom)
    assert "in" in corpus.dictionary and "\ufeffin" not in corpus.dictionary
    same_counts(corpus, fit(plain))
    # once per file: two files with a mark each
    same_counts(fit([bom, bom]), fit([plain, plain]))


def test_nul_bytes_anywhere_are_found(tmp_path, monkeypatch):
    """NULs are checked in every chunk, not only the first; the message gives the byte offset."""
    monkeypatch.setattr(reading, "CHUNK_BYTES", 256)
    data = TEXT.encode("utf-8")
    path = tmp_path / "late_nul.txt"
    path.write_bytes(data[:3000] + b"\x00\x01\x02binary" + data[3000:])
    with pytest.raises(CorpusFormatError) as info:
        fit(path)
    assert str(path) in str(info.value) and "byte 3,000" in str(info.value)
    assert "NUL" in str(info.value)


def test_utf8_text_with_nul_free_non_ascii_is_accepted(tmp_path):
    path = tmp_path / "accents.txt"
    path.write_text("café naïve 東京 café\n" * 20, encoding="utf-8")
    assert "東京" in fit(path).dictionary


# ---------------------------------------------------------------------------- compression
def _zstd(data):
    zstandard = pytest.importorskip("zstandard")
    return zstandard.ZstdCompressor().compress(data)


COMPRESSORS = {
    "gzip": gzip.compress,
    "gzip, two members": lambda d: gzip.compress(d[:1000]) + gzip.compress(d[1000:]),
    "bzip2": bz2.compress,
    "xz": lzma.compress,
    "zstd": _zstd,
}


@pytest.mark.parametrize("kind", sorted(COMPRESSORS))
def test_compressed_input_is_detected_by_content(tmp_path, kind):
    data = TEXT.encode("utf-8")
    plain = tmp_path / "plain.txt"
    plain.write_bytes(data)
    packed = tmp_path / "no_suffix"  # detected from the magic bytes, not the name
    packed.write_bytes(COMPRESSORS[kind](data))
    same_counts(fit(packed), fit(plain))


@pytest.mark.parametrize("kind", ["bzip2", "xz", "zstd"])
def test_cli_reads_compressed_files_and_stdin(tmp_path, kind):
    data = TEXT.encode("utf-8")
    packed = COMPRESSORS[kind](data)
    path = tmp_path / "corpus.bin"
    path.write_bytes(packed)
    env = dict(os.environ, PYTHONPATH=str(PACKAGE_ROOT))
    base = [sys.executable, "-m", "glovefast", "train", "--dim", "4", "--epochs", "1", "--threads", "1",
            "--seed", "1", "--min-count", "1"]
    from_file = subprocess.run(base + [str(path), "-o", str(tmp_path / "a.txt")], capture_output=True, env=env,
                               timeout=120)
    from_stdin = subprocess.run(base + ["-", "-o", str(tmp_path / "b.txt")], input=packed, capture_output=True,
                                env=env, timeout=120)
    assert from_file.returncode == 0, from_file.stderr
    assert from_stdin.returncode == 0, from_stdin.stderr
    assert (tmp_path / "a.txt").read_text() == (tmp_path / "b.txt").read_text()
    assert (tmp_path / "a.txt").read_text().startswith("11 4\n")


def test_zstd_without_the_module_says_what_to_install(tmp_path):
    path = tmp_path / "c.txt.zst"
    path.write_bytes(_zstd(TEXT.encode("utf-8")))
    code = f"""
import sys
sys.modules["zstandard"] = None  # as if it were not installed
from glovefast import Corpus
from glovefast.errors import CorpusFormatError
try:
    Corpus().fit({str(path)!r})
except CorpusFormatError as exc:
    print(exc)
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, PYTHONPATH=str(PACKAGE_ROOT)))
    assert proc.returncode == 0, proc.stderr
    assert str(path) in proc.stdout and "zstd-compressed" in proc.stdout and "pip install zstandard" in proc.stdout


def test_zip_archives_are_refused_with_a_hint(tmp_path, capsys):
    path = tmp_path / "corpus.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("corpus.txt", TEXT)
    with pytest.raises(CorpusFormatError, match="zip archive") as info:
        fit(path)
    assert str(path) in str(info.value) and "unzip -p" in str(info.value)
    assert main(["train", str(path), "-o", str(tmp_path / "v.txt")]) == 2
    assert "zip archive" in capsys.readouterr().err


@pytest.mark.parametrize("kind", ["gzip", "bzip2", "xz"])
def test_truncated_compressed_file_names_the_file(tmp_path, kind):
    path = tmp_path / "cut.bin"
    path.write_bytes(COMPRESSORS[kind](TEXT.encode("utf-8") * 20)[:-40])
    with pytest.raises(CorpusFormatError) as info:
        fit(path)
    assert f"cannot read {path}" in str(info.value)


# ---------------------------------------------------------------------------- paths
def test_text_instead_of_a_path_hints_at_token_lists():
    with pytest.raises(CorpusPathError) as info:
        Corpus().fit("the cat sat")
    message = str(info.value)
    assert isinstance(info.value, FileNotFoundError)
    assert "'the cat sat'" in message and "does not exist" in message and "lists of tokens" in message


def test_missing_path_names_it(tmp_path):
    with pytest.raises(CorpusPathError, match="nope.txt' does not exist"):
        Corpus().fit(tmp_path / "nope.txt")


def test_directory_says_it_is_a_directory(tmp_path):
    with pytest.raises(CorpusPathError, match="is a directory") as info:
        Corpus().fit(tmp_path)
    assert "does not exist" not in str(info.value)
    (tmp_path / "a.txt").write_text(TEXT)
    with pytest.raises(CorpusPathError, match="is a directory"):
        Corpus().fit([tmp_path / "a.txt", tmp_path])


def test_unreadable_file_is_named(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root reads any file")
    path = tmp_path / "secret.txt"
    path.write_text(TEXT)
    path.chmod(0)
    with pytest.raises(CorpusPathError, match="no permission"):
        Corpus().fit(path)


def test_token_list_results_unchanged():
    # the path checks must not catch lists of tokens
    corpus = Corpus().fit([["the", "cat"], ["the", "dog"]], window=2)
    assert set(corpus.dictionary) == {"the", "cat", "dog"}
    assert np.isclose(corpus.matrix.sum(), 2.0)


# ---------------------------------------------------------------------------- token lists
@pytest.mark.parametrize("docs, doc, pos, fragment", [
    ([["", "a", "", "b", "a"]], 0, 0, "empty string"),          # the audit's repro (line.split(' '))
    ([["a", "b"], ["a", "", "b"]], 1, 1, "empty string"),
    ([["a", 1, "b"]], 0, 1, "1 of type int"),
    ([["a"], ["b", None]], 1, 1, "None of type NoneType"),
    ([["a", b"a"]], 0, 1, "is bytes"),
    ([[b"a", "a"]], 0, 0, "is bytes"),
    ([["a", 2.5]], 0, 1, "2.5 of type float"),
    ([["a", ["nested"]]], 0, 1, "unhashable"),
    ([["a", "b"], ("c", 3)], 1, 1, "3 of type int"),
])
def test_bad_tokens_name_document_and_position(docs, doc, pos, fragment):
    with pytest.raises(CorpusFormatError, match=fragment) as info:
        Corpus().fit(docs, window=2)
    assert f"document {doc}, token {pos}" in str(info.value)


def test_bad_tokens_with_a_fixed_dictionary():
    for ignore_missing in (False, True):
        with pytest.raises(CorpusFormatError, match="document 0, token 1 is 7 of type int"):
            Corpus(dictionary={"a": 0, "b": 1}).fit([["a", 7, "b"]], window=2, ignore_missing=ignore_missing)
        with pytest.raises(CorpusFormatError, match="empty string"):
            Corpus(dictionary={"a": 0}).fit([["a", ""]], window=2, ignore_missing=ignore_missing)


def test_valid_tokens_train_and_save(tmp_path):
    """After validation, what fits can be queried and saved, and loads back (the audit's failure)."""
    from glovefast import Glove

    corpus = Corpus().fit([["a", "b", "c", "a", "b"], ["c", "a"]], window=2)
    corpus.save(tmp_path / "c.npz")
    assert Corpus.load(tmp_path / "c.npz").dictionary == corpus.dictionary
    model = Glove(no_components=3, random_state=0).fit(corpus.matrix, epochs=2, no_threads=1)
    model.add_dictionary(corpus.dictionary)
    assert len(model.most_similar("a", number=2)) == 2


def test_str_subclasses_are_tokens():
    corpus = Corpus().fit([[np.str_("a"), "b", "a"]], window=2)
    assert set(corpus.dictionary) == {"a", "b"}


def test_lone_surrogate_token_is_refused_at_fit():
    """It trained, then every save failed: refuse it where it enters."""
    with pytest.raises(CorpusFormatError, match="document 0, token 1 .* lone surrogate"):
        Corpus().fit([["a", "b\ud800", "a"]], window=2)


def test_invalid_utf8_word_names_the_files(tmp_path):
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_bytes(b"good words here\n")
    second.write_bytes(b"more \xff\xfe words\n")
    with pytest.raises(CorpusEncodingError, match="not valid UTF-8") as info:
        fit([first, second])
    assert f"in {first}, {second}" in str(info.value)
    assert info.value.path == f"{first}, {second}"
    utf16 = tmp_path / "u16.txt"
    utf16.write_bytes(TEXT.encode("utf-16"))
    with pytest.raises(CorpusEncodingError, match="UTF-16LE") as info:
        fit(utf16)
    assert info.value.path == str(utf16)
