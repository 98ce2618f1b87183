"""The C text-vector parser (glovefast._textio) and the reader around it (issue 10 item 1, issue 11 text items)."""
import bz2
import gzip
import logging
import lzma

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import glovefast
from glovefast import _textio, formats
from glovefast.errors import FormatError, InvalidParameterError
from glovefast.vectors import WordVectors


def _parse_one(text, dtype):
    out, words, _, error = _textio.parse_block(b"w " + text.encode() + b"\n", 1, dtype, 10, 1)
    return out, error


FORMATS = ["%r", "%.5f", "%.6g", "%.9g", "%.17g", "%e", "%.3e", "%g", "%.0f", "%.20f"]


@settings(max_examples=400, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False), st.sampled_from(FORMATS))
def test_numbers_equal_python_float_then_rounding(value, fmt):
    text = repr(value) if fmt == "%r" else fmt % value
    out64, err64 = _parse_one(text, np.float64)
    if np.isfinite(float(text)):  # rounding to the format's digits can overflow: then an error
        assert err64 is None and out64[0, 0] == float(text)
    else:
        assert err64 == (_textio.ERR_NONFINITE, 0)
    with np.errstate(over="ignore"):
        expected = np.float32(float(text))
    out32, err32 = _parse_one(text, np.float32)
    if np.isfinite(expected):
        assert err32 is None and out32[0, 0] == expected and np.signbit(out32[0, 0]) == np.signbit(expected)
    else:
        assert err32 == (_textio.ERR_NONFINITE, 0)


@settings(max_examples=400, deadline=None)
@given(st.from_regex(r"\A[-+]?([0-9]{1,30}(\.[0-9]{0,30})?|\.[0-9]{1,30})([eE][-+]?[0-9]{1,3})?\Z"))
def test_arbitrary_decimal_strings_equal_python_float(text):
    out64, err64 = _parse_one(text, np.float64)
    value = float(text)
    if np.isfinite(value):
        assert err64 is None and out64[0, 0] == value
    else:
        assert err64 == (_textio.ERR_NONFINITE, 0)
    with np.errstate(over="ignore"):
        expected = np.float32(value)
    out32, err32 = _parse_one(text, np.float32)
    if np.isfinite(expected):
        assert err32 is None and out32[0, 0] == expected


@pytest.mark.parametrize("token", ["x", "1.2.3", "1e", "--1", "0x10", "1,5", "", ".", "e5", "1e5x", "1_000"])
def test_non_numbers_are_errors(token):
    out, words, _, error = _textio.parse_block(f"a 1 {token}\n".encode(), 2, np.float32, 10, 1)
    if token == "":
        assert error[0] in (_textio.ERR_NO_WORD, _textio.ERR_NUMBER, _textio.ERR_FIELDS)
    else:
        assert error == (_textio.ERR_NUMBER, 0)


@pytest.mark.parametrize("token", ["nan", "inf", "-Infinity", "1e39", "NaN"])
def test_non_finite_values_are_errors(token, tmp_path):
    path = tmp_path / "v.txt"
    path.write_text(f"ok 1 2\nbad 1 {token}\n")
    with pytest.raises(FormatError, match="line 2: the vector of word 'bad' holds NaN or inf"):
        WordVectors.load_glove_format(path)
    if token == "1e39":  # fine in float64
        assert WordVectors.load_glove_format(path, dtype=np.float64)["bad"][1] == 1e39


def _random_vectors(n, d, seed=0):
    rng = np.random.default_rng(seed)
    return WordVectors([f"w{i}" for i in range(n)], rng.standard_normal((n, d)).astype(np.float32))


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_threads_and_block_sizes_give_identical_results(tmp_path, monkeypatch, threads):
    wv = _random_vectors(3000, 7)
    path = tmp_path / "v.txt"
    wv.save_glove_format(path)
    monkeypatch.setattr(formats, "PARSE_CHUNK_BYTES", 64)  # many chunks per block
    for block in (1 << 10, 1 << 14, 1 << 25):
        monkeypatch.setattr(formats, "TEXT_BLOCK_BYTES", block)
        back = WordVectors.load_glove_format(path, no_threads=threads)
        assert back.index_to_key == wv.index_to_key
        np.testing.assert_array_equal(back.vectors, wv.vectors)


def test_many_chunks_in_one_block_parse_in_parallel(tmp_path):
    # a block of several MB is cut into chunks for the threads; rows must land in file order
    wv = _random_vectors(40000, 12, seed=3)
    path = tmp_path / "v.txt"
    wv.save_word2vec_format(path)
    block = path.read_bytes().split(b"\n", 1)[1]
    out, words, lines, error = _textio.parse_block(block, 12, np.float32, 1 << 40, 2)
    assert error is None and lines == 40000
    assert words.decode().split("\n")[:-1] == wv.index_to_key
    np.testing.assert_array_equal(out, wv.vectors)
    out, words, _, _ = _textio.parse_block(block, 12, np.float32, 12345, 2)  # max_rows across chunks
    assert len(out) == 12345 and words.count(b"\n") == 12345
    np.testing.assert_array_equal(out, wv.vectors[:12345])


@pytest.mark.parametrize("opener", [None, gzip.open, bz2.open, lzma.open])
def test_compressed_files_and_limit(tmp_path, opener):
    wv = _random_vectors(500, 5)
    plain = tmp_path / "plain.txt"
    wv.save_glove_format(plain)
    path = tmp_path / "v.data"  # no telling suffix: compression is recognised by content
    if opener is None:
        path.write_bytes(plain.read_bytes())
    else:
        with opener(path, "wb") as fh:
            fh.write(plain.read_bytes())
    back = WordVectors.load_glove_format(path, limit=123)
    assert back.index_to_key == wv.index_to_key[:123]
    np.testing.assert_array_equal(back.vectors, wv.vectors[:123])
    assert glovefast.load_vectors(path).index_to_key == wv.index_to_key


def test_limit_stops_reading(tmp_path, monkeypatch):
    wv = _random_vectors(2000, 5)
    path = tmp_path / "v.txt"
    wv.save_glove_format(path)
    with open(path, "ab") as fh:
        fh.write(b"this line is garbage and would fail\n")
    monkeypatch.setattr(formats, "TEXT_BLOCK_BYTES", 4096)
    assert len(WordVectors.load_glove_format(path, limit=10)) == 10
    with pytest.raises(FormatError, match="line 2001"):
        WordVectors.load_glove_format(path)


def test_words_with_spaces_crlf_bom_blank_lines_and_no_final_newline(tmp_path, caplog):
    path = tmp_path / "g.txt"
    path.write_bytes(b"\xef\xbb\xbf\r\n. . . 0.1 0.2\r\n\r\nat name@domain.com 1 2\r\n  \r\nnew\tyork -1 -2\r\nlast 3 4")
    with caplog.at_level(logging.WARNING, logger="glovefast.formats"):
        wv = WordVectors.load_glove_format(path)
    assert wv.index_to_key == [". . .", "at name@domain.com", "new\tyork", "last"]
    np.testing.assert_array_equal(wv.vectors, np.array([[0.1, 0.2], [1, 2], [-1, -2], [3, 4]], np.float32))
    assert "may be truncated" in caplog.text


def test_first_word_with_a_space_does_not_decide_the_dimension(tmp_path):
    """Issue 11: a GloVe file whose first word contains a space got the wrong dimension."""
    path = tmp_path / "g.txt"
    path.write_text("new york 1 2 3\nthe 4 5 6\nof 7 8 9\n")
    wv = WordVectors.load_glove_format(path)
    assert wv.vector_size == 3 and wv.index_to_key == ["new york", "the", "of"]


def test_double_spaces_after_the_word_and_between_numbers(tmp_path):
    """Issue 11: 'a  1 2' stored the word 'a '; 'a 1  2' gave '3 numbers where 3 were expected'."""
    path = tmp_path / "g.txt"
    path.write_text("a  1 2\nb 3  4\nc\t5 \t6 \n")
    wv = WordVectors.load_glove_format(path)
    assert wv.index_to_key == ["a", "b", "c"]
    np.testing.assert_array_equal(wv.vectors, [[1, 2], [3, 4], [5, 6]])
    path.write_text("2 2\na  1 2\nb 3  4\n")
    assert WordVectors.load_word2vec_format(path).index_to_key == ["a", "b"]


@pytest.mark.parametrize("content, fragment", [
    ("a 1 2\nb 3 4 5\n", "line 2: 3 numbers where 2 were expected"),
    ("a 1 2\nb 3\n", "line 2: 1 numbers after the word where 2 were expected"),
    ("a 1 2\n1 2\n", "line 2: 2 numbers but no word"),
    ("a 1 2\nb x 2\n", "line 2: 'x' is not a number"),
    ("a 1 2\n  1 2\n", "line 2: 2 numbers but no word"),
])
def test_malformed_line_messages_say_what_is_wrong(tmp_path, content, fragment):
    path = tmp_path / "g.txt"
    path.write_text(content)
    with pytest.raises(FormatError) as info:
        WordVectors.load_glove_format(path)
    assert fragment in str(info.value)


def test_word_2_with_dimension_1_round_trips(tmp_path):
    """Issue 11: a GloVe file written by glovefast with the word '2' and dimension 1 could not be read back."""
    wv = WordVectors(["2", "x"], np.array([[1.0], [0.5]], np.float32))
    path = tmp_path / "g.txt"
    wv.save_glove_format(path)
    for back in (WordVectors.load_glove_format(path), glovefast.load_vectors(path)):
        assert back.index_to_key == ["2", "x"]
        np.testing.assert_array_equal(back.vectors, wv.vectors)
    wv.save_word2vec_format(path)  # and as word2vec, the header "2 1" is still a header
    assert glovefast.detect_format(path) == "word2vec"
    assert glovefast.load_vectors(path).index_to_key == ["2", "x"]


def test_duplicates_keep_the_first_and_warn_with_the_count(tmp_path, caplog):
    path = tmp_path / "g.txt"
    path.write_text("a 1 1\nb 2 2\na 3 3\nc 4 4\nb 5 5\n")
    with caplog.at_level(logging.WARNING, logger="glovefast.formats"):
        wv = WordVectors.load_glove_format(path)
    assert wv.index_to_key == ["a", "b", "c"]
    np.testing.assert_array_equal(wv.vectors, [[1, 1], [2, 2], [4, 4]])
    assert "ignored 2 empty or repeated words" in caplog.text


def test_invalid_utf8_policies(tmp_path):
    path = tmp_path / "g.txt"
    path.write_bytes(b"ok 1 2\n\ncaf\xe9 3 4\n\xff\xfe 5 6\n")
    with pytest.raises(FormatError, match=r"line 3: word b'caf\\xe9' is not valid UTF-8"):
        WordVectors.load_glove_format(path)
    assert WordVectors.load_glove_format(path, unicode_errors="replace").index_to_key == [
        "ok", "caf\ufffd", "\ufffd\ufffd"]
    ignored = WordVectors.load_glove_format(path, unicode_errors="ignore")
    assert ignored.index_to_key == ["ok", "caf"]  # the all-invalid word became empty and was dropped
    with pytest.raises(InvalidParameterError):
        WordVectors.load_glove_format(path, unicode_errors="surrogateescape")


def test_word2vec_binary_header_claims_are_bounded_by_the_file(tmp_path):
    """Issue 11: a header claiming 10^12 words or 10^10 dimensions pre-allocated from the header."""
    wv = _random_vectors(3, 4)
    path = tmp_path / "v.bin"
    wv.save_word2vec_format(path, binary=True)
    body = path.read_bytes().split(b"\n", 1)[1]
    for header in (b"1000000000000 4\n", b"3 10000000000\n"):
        path.write_bytes(header + body)
        with pytest.raises(FormatError, match="the header claims"):
            WordVectors.load_word2vec_format(path, binary=True)
        gz = tmp_path / "v.bin.gz"
        gz.write_bytes(gzip.compress(header + body))
        with pytest.raises(FormatError, match="truncated"):
            WordVectors.load_word2vec_format(gz, binary=True)


def test_word2vec_header_promising_more_than_present(tmp_path):
    path = tmp_path / "v.txt"
    path.write_text("1000000000000 2\na 1 2\n")
    with pytest.raises(FormatError, match="promises 1000000000000 words"):
        WordVectors.load_word2vec_format(path)
    assert len(WordVectors.load_word2vec_format(path, limit=1)) == 1
    path.write_text("1 10000000000\na 1 2\n")
    with pytest.raises(FormatError, match="vector size 10,000,000,000"):
        WordVectors.load_word2vec_format(path)
    path.write_text("1 1000000\na 1 2\n")
    with pytest.raises(FormatError, match="line 2"):
        WordVectors.load_word2vec_format(path)
