"""Vector files that are not what they claim (issue 20): endless or huge first lines, decompression
bombs, lying headers, CR-only line ends, Python-only number syntax, very wide rows, documents.

Each used to hang, eat gigabytes or end in a raw MemoryError; each must now end quickly in a
named error that says what the file is, or load correctly.
"""
import bz2
import gzip
import subprocess
import sys
import tracemalloc
import zipfile

import numpy as np
import pytest

from glovefast import Corpus, WordVectors, load_vectors
from glovefast.io import formats
from glovefast.vectors.loading import detect_format
from glovefast.errors import CorpusFormatError, FormatError, MemoryBudgetError

MB = 1 << 20


def gzip_of_repeats(path, header, piece, times):
    """A small gzip file holding ``header`` then ``piece`` ``times`` over (one member per piece: a
    1 GiB stream is built in well under a second)."""
    member = gzip.compress(piece, 9)
    with open(path, "wb") as fh:
        fh.write(gzip.compress(header))
        for _ in range(times):
            fh.write(member)
    return path


# ---------------------------------------------------------------------------- first lines
def test_similar_on_dev_zero_ends_with_a_named_error():
    """It used to read /dev/zero forever, 64 KB at a time, copying the whole head each time."""
    for extra in ([], ["--format", "glove"], ["--format", "word2vec"]):
        result = subprocess.run([sys.executable, "-m", "glovefast", "similar", "/dev/zero", "w1", *extra],
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 2, result.stderr
        assert "NUL" in result.stderr and "binary data" in result.stderr, result.stderr


def test_a_gigabyte_first_line_in_a_small_gzip_is_refused(tmp_path):
    path = gzip_of_repeats(tmp_path / "line.txt.gz", b"", b"a" * (16 * MB), 64)  # 1 GiB, no newline
    assert path.stat().st_size < 2 * MB
    for load in (load_vectors, WordVectors.load_glove_format, WordVectors.load_word2vec_format):
        with pytest.raises(FormatError, match="no line end in the first .*MAX_LINE_BYTES"):
            load(path)


def test_a_long_first_line_is_read_in_doubling_pieces(tmp_path, monkeypatch):
    """Linear, not quadratic: a 20 MB first line takes a handful of reads (it took 320 reads of 64 KB,
    each copying everything read so far), and the file loads."""
    dim = 1_000_000
    path = tmp_path / "wide.txt"
    path.write_bytes(b"w " + b"1.2345678901234 " * dim + b"\nv " + b"0 " * dim + b"\n")
    sizes = []
    real = formats.read_head

    def recording(fh, size, where):
        sizes.append(size)
        return real(fh, size, where)

    monkeypatch.setattr(formats, "read_head", recording)
    wv = load_vectors(path)
    assert wv.vectors.shape == (2, dim) and wv["w"][0] == np.float32(1.2345678901234)
    assert len(sizes) < 12, sizes


def test_lines_ending_in_a_lone_cr_are_named(tmp_path):
    """Old Mac OS line ends made three rows one word, with only a "no final newline" warning."""
    for name, text in (("w2v.txt", b"3 2\ra 1 2\rb 3 4\rc 5 6\r"), ("glove.txt", b"a 1 2\rb 3 4\rc 5 6\r")):
        (tmp_path / name).write_bytes(text)
        with pytest.raises(FormatError, match=r"lone CR .* tr '\\r' '\\n'"):
            load_vectors(tmp_path / name)
    (tmp_path / "crlf.txt").write_bytes(b"2 2\r\na 1 2\r\nb 3 4\r\n")  # Windows line ends stay fine
    assert load_vectors(tmp_path / "crlf.txt").index_to_key == ["a", "b"]


@pytest.mark.parametrize("text, line", [(b"2 3\na 1_000 2 3\nb 1 2 3\n", 2), (b"a 1_000 2 3\nb 1 2 3\nc 1 2 3\n", 1)])
def test_python_only_number_syntax_is_named(tmp_path, text, line):
    """float() takes "1_000"; the parser does not: the message said "3 numbers where 3 were expected"."""
    (tmp_path / "v.txt").write_bytes(text)
    with pytest.raises(FormatError, match=f"line {line}: '1_000' is not a number"):
        load_vectors(tmp_path / "v.txt")


@pytest.mark.parametrize("compressed", [False, True])
def test_two_very_wide_rows_load(tmp_path, compressed):
    """At least 1024 rows were reserved: 2 rows of 10^7 dimensions asked for 40 GB (raw MemoryError)."""
    dim = 10 ** 7
    text = b"2 %d\na" % dim + b" 0" * dim + b"\nb" + b" 1" * dim + b"\n"
    path = tmp_path / ("v.txt.gz" if compressed else "v.txt")
    path.write_bytes(gzip.compress(text, 1) if compressed else text)
    wv = load_vectors(path)
    assert wv.vectors.shape == (2, dim) and wv["b"][-1] == 1.0


# ---------------------------------------------------------------------------- word2vec binary bombs
def test_a_gzip_bomb_whose_header_claims_more_than_it_can_hold(tmp_path):
    """1 MB of gzip cannot hold more than ~1 GB (DEFLATE's 1032:1); it took 26 s and 2.1 GB to say so."""
    for header in (b"1 1000000000000\n", b"1000000 1000\n"):
        path = gzip_of_repeats(tmp_path / "bomb.bin.gz", header, bytes(16 * MB), 64)
        with pytest.raises(FormatError, match="the header claims .* a gzip file of .* holds at most"):
            load_vectors(path)
        with pytest.raises(FormatError, match="holds at most"):
            WordVectors.load_word2vec_format(path, binary=True)


def test_a_header_larger_than_memory_is_refused_before_reading(tmp_path):
    """bzip2 has no useful ratio bound: the declared shape must fit in memory."""
    path = tmp_path / "bomb.bin.bz2"
    path.write_bytes(bz2.compress(b"1 1000000000000\n" + bytes(64 * MB)))
    with pytest.raises(MemoryBudgetError, match="3.6 TiB as float32.*limit=N"):
        load_vectors(path)
    (tmp_path / "bomb.txt.bz2").write_bytes(bz2.compress(b"1000000000000 4\nw 1 2 3 4\n"))
    with pytest.raises(MemoryBudgetError, match="header declares"):
        WordVectors.load_word2vec_format(tmp_path / "bomb.txt.bz2")


def test_zeros_without_a_word_end_are_refused_in_bounded_memory(tmp_path):
    """Zeros after a plausible header: the reader looked for the word's space over the whole stream,
    concatenating 32 MB blocks (a 3 MB bomb ended in a raw MemoryError at 3.7 GB)."""
    path = tmp_path / "zeros.bin.bz2"
    path.write_bytes(bz2.compress(b"1000 300\n" + bytes(256 * MB), 1))
    tracemalloc.start()
    try:
        with pytest.raises(FormatError, match="record 1: no space within 65,536 bytes"):
            WordVectors.load_word2vec_format(path, binary=True)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * formats.TEXT_BLOCK_BYTES  # one block read, the buffer it joins, the decompressor's


def test_a_binary_file_still_loads_across_block_boundaries(tmp_path, monkeypatch):
    """The bounded buffer still reads records split across blocks, compressed or not."""
    monkeypatch.setattr(formats, "TEXT_BLOCK_BYTES", 1000)
    rng = np.random.default_rng(0)
    wv = WordVectors([f"w{i}" for i in range(500)], rng.normal(size=(500, 37)).astype(np.float32))
    for name in ("v.bin", "v.bin.gz", "v.bin.bz2"):
        wv.save_word2vec_format(tmp_path / name, binary=True)
        back = WordVectors.load_word2vec_format(tmp_path / name, binary=True)
        assert back.index_to_key == wv.index_to_key and np.array_equal(back.vectors, wv.vectors)


# ---------------------------------------------------------------------------- documents
def docx(path):
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document><w:t>the king</w:t></w:document>")
    return path


def odt(path):
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        z.writestr("content.xml", "<office:document-content/>")
    return path


def starting_with(head):
    def make(path):
        path.write_bytes(head)
        return path

    return make


DOCUMENTS = {
    "report.docx": (docx, "a Word document"),
    "report.odt": (odt, "an OpenDocument file"),
    "report.pdf": (starting_with(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"), "a PDF document"),
    "report.doc": (starting_with(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600)),
                   "an old-format Microsoft Office document"),
}


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_documents_are_named_with_what_to_do(tmp_path, cli, name):
    make, what = DOCUMENTS[name]
    path = make(tmp_path / name)
    result = cli("similar", path, "king")
    assert result.returncode == 2 and what in result.stderr and "not word vectors" in result.stderr, result.stderr
    assert "extract its text first" in result.stderr
    result = cli("train", path, "-o", tmp_path / "v.txt")
    assert result.returncode == 2 and what in result.stderr and "extract its text first" in result.stderr
    assert "unzip -p" not in result.stderr  # which would train on XML markup
    with pytest.raises(CorpusFormatError, match=what):
        Corpus().fit(str(path))
    with pytest.raises(FormatError, match=what):
        load_vectors(path, fmt="npz" if name.endswith(("x", "t")) else "glove")
    assert not (tmp_path / "v.txt").exists()


def test_a_document_on_standard_input_is_mentioned_in_the_zip_hint(tmp_path):
    path = docx(tmp_path / "report.docx")
    result = subprocess.run([sys.executable, "-m", "glovefast", "train", "-", "-o", str(tmp_path / "v.txt")],
                            stdin=open(path, "rb"), capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "a zip archive" in result.stderr and "Word" in result.stderr, result.stderr


def test_glovefast_npz_files_are_not_documents(tmp_path):
    wv = WordVectors(["a", "b"], np.eye(2, dtype=np.float32))
    wv.save(tmp_path / "v.npz")
    assert load_vectors(tmp_path / "v.npz").index_to_key == ["a", "b"]
    assert detect_format(tmp_path / "v.npz") == "npz"
