"""The C text-vector parser (glovefast._kernels.textio) and the reader around it (issue 10 item 1, issue 11 text items)."""
import bz2
import gzip
import logging
import lzma

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import glovefast
from glovefast._kernels import textio as _textio
from glovefast.io import formats
from glovefast.errors import FormatError, InvalidParameterError
from glovefast.vectors.word_vectors import WordVectors


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
        assert err64 == (_textio.ERR_NONFINITE, 0, 0)
    with np.errstate(over="ignore"):
        expected = np.float32(float(text))
    out32, err32 = _parse_one(text, np.float32)
    if np.isfinite(expected):
        assert err32 is None and out32[0, 0] == expected and np.signbit(out32[0, 0]) == np.signbit(expected)
    else:
        assert err32 == (_textio.ERR_NONFINITE, 0, 0)


@settings(max_examples=400, deadline=None)
@given(st.from_regex(r"\A[-+]?([0-9]{1,30}(\.[0-9]{0,30})?|\.[0-9]{1,30})([eE][-+]?[0-9]{1,3})?\Z"))
def test_arbitrary_decimal_strings_equal_python_float(text):
    out64, err64 = _parse_one(text, np.float64)
    value = float(text)
    if np.isfinite(value):
        assert err64 is None and out64[0, 0] == value
    else:
        assert err64 == (_textio.ERR_NONFINITE, 0, 0)
    with np.errstate(over="ignore"):
        expected = np.float32(value)
    out32, err32 = _parse_one(text, np.float32)
    if np.isfinite(expected):
        assert err32 is None and out32[0, 0] == expected


def _parse_mid_line(text, dtype):
    """Parse ``text`` as the first of several numbers, so the digit scanner reads it in 8-byte
    words (a number at the end of a line is read byte by byte)."""
    out, words, _, error = _textio.parse_block(b"w " + text.encode() + b" 1 2 3 4 5 6 7 8\n", 9, dtype, 10, 1)
    return (out[:, :1] if error is None else out), error


def _check_both_dtypes(text, parse):
    value = float(text)
    out64, err64 = parse(text, np.float64)
    assert err64 is None and out64[0, 0] == value and np.signbit(out64[0, 0]) == np.signbit(value)
    with np.errstate(over="ignore"):
        expected = np.float32(value)  # float() then rounding: the double rounding is the contract
    out32, err32 = parse(text, np.float32)
    if np.isfinite(expected):
        assert err32 is None and out32[0, 0] == expected and np.signbit(out32[0, 0]) == np.signbit(expected)
    else:
        assert err32 is not None and err32[0] == _textio.ERR_NONFINITE


FAST_PATH_EDGES = [
    "-0.12345", "0.05029", "-0.0", "0.0", "-0", "+0.000", "0.00000000", "12345678", "1234567", "123456789",
    "1234567.1234567", "0.1234567812345678", "12345678901234567", "1234567890123456789",  # 17 and 19 digits
    "12345678901234567890", "0.12345678901234567890123",  # 20+ digits: the mantissa would overflow
    "9007199254740993", "9007199254740992.5", "18446744073709551615", "18446744073709551616",  # 2^53 + 1, 2^64
    "1e22", "1e23", "1.5e-22", "1.5e-23", "123456789e-30", "-4.9e-324", "2.5e-324", "1e-45", "1.4e-45",
    "7e-46", "1.1754943e-38", "3.4028235e38", "3.4028236e38", "1.7976931348623157e308", "0.000001e-5",
    "00000000000000000000001.5", "1.00000000000000000000001", "0.30000000000000004", "1E+05", "5E-3",
]


@pytest.mark.parametrize("text", FAST_PATH_EDGES)
@pytest.mark.parametrize("parse", [_parse_one, _parse_mid_line], ids=["end_of_line", "mid_line"])
def test_fast_path_edges_equal_python_float(text, parse):
    _check_both_dtypes(text, parse)


@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"\A-?[0-9]{1,24}(\.[0-9]{0,24})?([eE][-+]?[0-9]{1,2})?\Z"))
def test_digit_runs_read_eight_at_a_time_equal_python_float(text):
    _check_both_dtypes(text, _parse_mid_line)


@pytest.mark.parametrize("token", ["x", "1.2.3", "1e", "--1", "0x10", "1,5", "", ".", "e5", "1e5x", "1_000"])
def test_non_numbers_are_errors(token):
    out, words, _, error = _textio.parse_block(f"a 1 {token}\n".encode(), 2, np.float32, 10, 1)
    if token == "":
        assert error[0] in (_textio.ERR_NO_WORD, _textio.ERR_NUMBER, _textio.ERR_FIELDS)
    else:
        assert error == (_textio.ERR_NUMBER, 0, 0)


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


@pytest.mark.parametrize("mapped", [True, False], ids=["mapped", "read"])
@pytest.mark.parametrize("threads", [1, 2, 3])
def test_threads_and_block_sizes_give_identical_results(tmp_path, monkeypatch, threads, mapped):
    wv = _random_vectors(3000, 7)
    path = tmp_path / "v.txt"
    wv.save_glove_format(path)
    monkeypatch.setattr(formats, "PARSE_CHUNK_BYTES", 64)  # many chunks per block
    monkeypatch.setattr(formats, "MAP_TEXT_FILES", mapped)
    for block in (1 << 10, 1 << 14, 1 << 25):
        monkeypatch.setattr(formats, "TEXT_BLOCK_BYTES", block)
        monkeypatch.setattr(formats, "MAP_WINDOW_BYTES", block)
        back = WordVectors.load_glove_format(path, no_threads=threads)
        assert back.index_to_key == wv.index_to_key
        np.testing.assert_array_equal(back.vectors, wv.vectors)
        assert back.vectors.flags.c_contiguous and back.vectors.flags.writeable


def test_mapped_windows_end_at_line_ends_and_the_matrix_grows_past_its_estimate(tmp_path, monkeypatch):
    # short lines first, then long ones: the rows reserved from the first window's bytes per row
    # overshoot; long lines first, then short ones: they fall short and the matrix grows
    rng = np.random.default_rng(5)
    short = WordVectors([f"s{i}" for i in range(2000)], np.zeros((2000, 4), np.float32))
    long = WordVectors([f"l{i}" for i in range(2000)], rng.standard_normal((2000, 4)).astype(np.float32))
    windows = []
    real = formats._mapped_windows

    def recording(*args):
        for view, last in real(*args):
            windows.append(bytes(view))
            yield view, last

    monkeypatch.setattr(formats, "MAP_WINDOW_BYTES", 4096)
    monkeypatch.setattr(formats, "_mapped_windows", recording)
    for parts in ((short, long), (long, short)):
        path = tmp_path / "v.txt"
        path.write_bytes(b"".join(_glove_bytes(p) for p in parts))
        windows.clear()
        back = WordVectors.load_glove_format(path)
        assert back.index_to_key == parts[0].index_to_key + parts[1].index_to_key
        np.testing.assert_array_equal(back.vectors, np.vstack([parts[0].vectors, parts[1].vectors]))
        assert len(windows) > 10 and all(w.endswith(b"\n") for w in windows)
        assert back.vectors.flags.c_contiguous and back.vectors.flags.writeable


def _glove_bytes(wv):
    return "".join(f"{w} " + " ".join(repr(float(x)) for x in row) + "\n"
                   for w, row in zip(wv.index_to_key, wv.vectors)).encode()


@pytest.mark.parametrize("form", ["%.5f", "%.8f", "%.3f", "%.1f", "%.0f", "%.7g"])
def test_many_short_decimals_in_one_block_equal_python_float(form):
    """The float32 fast path (no division unless a float32 midpoint is near) on many numbers at
    once, as they come in real files: rows long enough for the space-mask scanner."""
    rng = np.random.default_rng(11)
    values = np.concatenate([rng.standard_normal(60000), rng.uniform(-9999999, 9999999, 20000),
                             rng.uniform(-1e-3, 1e-3, 20000)])
    tokens = [form % v for v in values]
    # float32 midpoints (ties: round to even) and their neighbours, which need the exact division
    tokens[:8] = ["1048576.0625", "-1048576.1875", "1048577.0625", "2097151.9375", "524288.03125",
                  "0.5", "1048576.06250001", "1048576.06249999"]
    dim = 100
    text = "".join(f"w{i} " + " ".join(tokens[i * dim:(i + 1) * dim]) + "\n" for i in range(len(tokens) // dim))
    out, words, _, error = _textio.parse_block(text.encode(), dim, np.float32, 1 << 40, 2)
    assert error is None
    expected = np.array([float(t) for t in tokens], np.float64).astype(np.float32).reshape(-1, dim)
    np.testing.assert_array_equal(out, expected)
    assert (np.signbit(out) == np.signbit(expected)).all()
    out64, _, _, _ = _textio.parse_block(text.encode(), dim, np.float64, 1 << 40, 2)
    np.testing.assert_array_equal(out64, np.array([float(t) for t in tokens]).reshape(-1, dim))


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


@pytest.mark.parametrize("block", [4096, 1 << 25])
def test_truncated_gzip_is_an_error_from_the_reader_thread(tmp_path, monkeypatch, block):
    # the next block is decompressed in a reader thread; its error must reach the caller
    wv = _random_vectors(3000, 5)
    plain = tmp_path / "plain.txt"
    wv.save_glove_format(plain)
    data = gzip.compress(plain.read_bytes())
    path = tmp_path / "v.txt.gz"
    path.write_bytes(data[:len(data) * 2 // 3])
    monkeypatch.setattr(formats, "TEXT_BLOCK_BYTES", block)
    with pytest.raises(FormatError, match="truncated or its compressed data are corrupted"):
        WordVectors.load_glove_format(path)


@pytest.mark.parametrize("mapped", [True, False], ids=["mapped", "read"])
def test_limit_stops_reading(tmp_path, monkeypatch, mapped):
    wv = _random_vectors(2000, 5)
    path = tmp_path / "v.txt"
    wv.save_glove_format(path)
    with open(path, "ab") as fh:
        fh.write(b"this line is garbage and would fail\n")
    monkeypatch.setattr(formats, "MAP_TEXT_FILES", mapped)
    monkeypatch.setattr(formats, "TEXT_BLOCK_BYTES", 4096)
    monkeypatch.setattr(formats, "MAP_WINDOW_BYTES", 4096)
    assert len(WordVectors.load_glove_format(path, limit=10)) == 10
    with pytest.raises(FormatError, match="line 2001"):
        WordVectors.load_glove_format(path)


def test_words_with_spaces_crlf_bom_blank_lines_and_no_final_newline(tmp_path, caplog):
    path = tmp_path / "g.txt"
    path.write_bytes(b"\xef\xbb\xbf\r\n. . . 0.1 0.2\r\n\r\nat name@domain.com 1 2\r\n  \r\nnew\tyork -1 -2\r\nlast 3 4")
    with caplog.at_level(logging.WARNING, logger="glovefast.io.formats"):
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
    with caplog.at_level(logging.WARNING, logger="glovefast.io.formats"):
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
