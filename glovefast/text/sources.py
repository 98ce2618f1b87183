"""Corpus sources: which files, how they are compressed, and whether they hold UTF-8 text at all.

Checked once, where input enters (reading.py calls these), so that a typo'd path, a directory, a
.zip archive or a UTF-16 file gets an error naming the file instead of training on garbage:

* paths must name existing regular files (a string that is not a file is most often text
  meant as a document, and the error says how to pass text);
* compression is detected from the content (magic bytes), not the name: gzip, bzip2 and xz
  with the standard library, zstd with the ``zstandard`` module when it is installed; zip and
  7z archives are refused with a hint;
* every source's first bytes are checked for UTF-16/UTF-32 byte-order marks (a UTF-8 BOM is
  skipped), and every chunk for NUL bytes, which UTF-8 text never holds but UTF-16/32 text and
  binary files always do. ``b"\\0" in chunk`` is a memchr: negligible next to tokenising.
"""
import bz2
import gzip
import io
import lzma
import os
import sys
import zipfile
import zlib

from glovefast.errors import CorpusEncodingError, CorpusFormatError, CorpusPathError

#: Bytes read to recognise a compression format.
MAGIC_BYTES = 6

GZIP_MAGIC = b"\x1f\x8b"
_BZIP2 = b"BZh"
_XZ = b"\xfd7zXZ\x00"
_ZSTD = b"\x28\xb5\x2f\xfd"
_ARCHIVES = ((b"PK\x03\x04", "a zip archive", "unzip -p {name} | glovefast train - ..."),
             (b"PK\x05\x06", "an (empty) zip archive", "unzip it first"),
             (b"7z\xbc\xaf\x27\x1c", "a 7z archive", "7z x -so {name} | glovefast train - ..."))
_UTF8_BOM = b"\xef\xbb\xbf"
# UTF-32-LE's mark starts with UTF-16-LE's, so it is tested first.
_BOMS = ((b"\xff\xfe\x00\x00", "UTF-32LE"), (b"\x00\x00\xfe\xff", "UTF-32BE"),
         (b"\xff\xfe", "UTF-16LE"), (b"\xfe\xff", "UTF-16BE"))
_DECOMPRESSION_ERRORS = (OSError, EOFError, zlib.error, lzma.LZMAError)


#: Compression by file name, for files glovefast *writes* (what it reads is recognised from the
#: content): the suffix and the format's name.
COMPRESSION_SUFFIXES = {".gz": "gzip", ".bz2": "bzip2", ".xz": "xz", ".zst": "zstd"}


def compression_suffix(path):
    """The compression suffix ``path`` ends in (``".gz"``...), or None."""
    suffix = os.path.splitext(os.fspath(path))[1].lower()
    return suffix if suffix in COMPRESSION_SUFFIXES else None


def decompression_errors():
    """Exception types of corrupt or truncated compressed input (zstandard's once it was imported)."""
    zstandard = sys.modules.get("zstandard")
    return _DECOMPRESSION_ERRORS + ((zstandard.ZstdError,) if zstandard is not None else ())


def source_name(source):
    """How a corpus source is named in messages: its path, a stream's file name, or a description."""
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    name = getattr(source, "name", None)
    return name if isinstance(name, str) and name else "the corpus stream"


def check_corpus_path(path):
    """``path`` as a str if it names a readable regular file; else CorpusPathError saying what it is."""
    path = os.fspath(path)
    if not os.path.exists(path):
        hint = ""
        if any(c.isspace() for c in path) or not path:
            hint = (". If this is text rather than a file name, pass documents as lists of tokens, "
                    "e.g. Corpus().fit([text.split() for text in texts])")
        raise CorpusPathError(f"corpus file {path!r} does not exist{hint}")
    if os.path.isdir(path):
        raise CorpusPathError(
            f"corpus path {path!r} is a directory, not a file; pass the files in it, e.g. "
            f"sorted(pathlib.Path({path!r}).glob('*.txt'))"
        )
    if not os.access(path, os.R_OK):
        raise CorpusPathError(f"no permission to read corpus file {path!r}")
    return path


def _zstd_reader(stream, name):
    try:  # optional dependency (glovefast[zstd]): only .zst input needs it
        import zstandard
    except ImportError:
        raise CorpusFormatError(
            f"{name} is zstd-compressed; install the 'zstandard' module (pip install zstandard) to read it "
            "directly, or decompress it first (zstd -d)"
        ) from None
    # buffered: zstandard's reader has no readline() (the word2vec binary header is read with it)
    return io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(stream, read_across_frames=True,
                                                                        closefd=False), 1 << 20)


# Documents whose text sits in a container (a zip of XML, PDF objects, an OLE2 file): read as text,
# they would train on markup. What they are, by the first entry of a zip or the magic bytes.
_OOXML = (("word/", "a Word document (.docx)"), ("xl/", "an Excel workbook (.xlsx)"),
          ("ppt/", "a PowerPoint presentation (.pptx)"))
_ODF = (("application/vnd.oasis.opendocument.", "an OpenDocument file (.odt, .ods, .odp)"),
        ("application/epub+zip", "an EPUB book"))
_EXTRACT = ("extract its text first, e.g. pandoc {name} -t plain -o {stem}.txt or soffice --headless "
            "--convert-to txt {name}")
_DOCUMENT_MAGIC = ((b"%PDF-", "a PDF document", "extract its text first, e.g. pdftotext {name} {stem}.txt"),
                   (b"\xd0\xcf\x11\xe0", "an old-format Microsoft Office document (.doc, .xls or .ppt)", _EXTRACT),
                   (b"{\\rtf", "an RTF document", _EXTRACT))


def document_kind(stream, head, name):
    """``(what, how to get its text)`` when ``stream`` (seekable, at its start, beginning with
    ``head``) is a Word, Excel, PowerPoint, OpenDocument, EPUB, PDF or RTF document, else None.
    ``stream`` is left at its start."""
    stem = os.path.splitext(os.path.basename(name))[0] or "document"
    for magic, what, how in _DOCUMENT_MAGIC:
        if head.startswith(magic):
            return what, how.format(name=name, stem=stem)
    if not head.startswith(b"PK\x03\x04") or not getattr(stream, "seekable", lambda: False)():
        return None
    try:
        with zipfile.ZipFile(stream) as archive:
            names = archive.namelist()
            mimetype = archive.read("mimetype")[:100].decode("ascii", "replace") if "mimetype" in names else ""
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, EOFError, RuntimeError, NotImplementedError):
        return None
    finally:
        stream.seek(0)
    what = None
    if "[Content_Types].xml" in names:
        what = next((kind for prefix, kind in _OOXML if any(n.startswith(prefix) for n in names)),
                    "an Office Open XML document (.docx, .xlsx, .pptx)")
    elif mimetype:
        what = next((kind for prefix, kind in _ODF if mimetype.startswith(prefix)), None)
    return None if what is None else (what, _EXTRACT.format(name=name, stem=stem))


def decompressing(stream, head, name):
    """``stream`` (positioned at its start, whose first bytes are ``head``) decompressed by its magic bytes."""
    document = document_kind(stream, head, name)
    if document is not None:
        raise CorpusFormatError(f"{name} is {document[0]}, not plain text (read as text, it would train on its "
                                f"markup); {document[1]}, then train on that file")
    for magic, what, how in _ARCHIVES:
        if head.startswith(magic):
            unseen = "" if getattr(stream, "seekable", lambda: False)() else (
                " (a Word, Excel or OpenDocument file is a zip of XML too: extract its text instead, e.g. with pandoc)")
            raise CorpusFormatError(
                f"{name} is {what}, not text; glovefast reads plain, gzip, bzip2, xz or zstd-compressed text. "
                f"Extract it first, e.g. {how.format(name=name)}{unseen}"
            )
    if head.startswith(GZIP_MAGIC):
        return gzip.GzipFile(fileobj=stream, mode="rb")
    if head.startswith(_BZIP2) and head[3:4].isdigit():
        return bz2.BZ2File(stream, mode="rb")
    if head.startswith(_XZ):
        return lzma.LZMAFile(stream, mode="rb")
    if head.startswith(_ZSTD):
        return _zstd_reader(stream, name)
    return stream


def is_plain_file(path):
    """Whether ``path`` is a regular file of uncompressed text, which can be memory-mapped and
    read in place. Archives raise :class:`CorpusFormatError` as :func:`open_corpus_file` does."""
    if not os.path.isfile(path):
        return False
    with open(path, "rb") as raw:
        head = raw.read(MAGIC_BYTES)
        raw.seek(0)
        if _compressed(head):
            return False
        decompressing(raw, head, path)  # an archive: the error that says how to extract it
    return True


def _compressed(head):
    """Whether a file starting with ``head`` is compressed text (gzip, bzip2, xz, zstd)."""
    return head.startswith((GZIP_MAGIC, _XZ, _ZSTD)) or (head.startswith(_BZIP2) and head[3:4].isdigit())


def plain_size(path):
    """Bytes of ``path`` when it holds uncompressed text, else None (compressed: its text size is
    not known before reading it)."""
    with open(path, "rb") as raw:
        head = raw.read(MAGIC_BYTES)
    if _compressed(head):
        return None
    return os.path.getsize(path)


def open_corpus_file(path):
    """(stream of decompressed bytes, raw file whose ``tell()`` gives the progress in bytes read)."""
    raw = open(path, "rb")
    try:
        head = raw.read(MAGIC_BYTES)
        raw.seek(0)
        return decompressing(raw, head, path), raw
    except BaseException:
        raw.close()
        raise


class _PrefixedReader(io.RawIOBase):
    """``head`` (bytes already read), then the rest of ``raw``."""

    name = "standard input"

    def __init__(self, head, raw):
        super().__init__()
        self._head = head
        self._raw = raw

    def readable(self):
        return True

    def readinto(self, buffer):
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        return self._raw.readinto(buffer)

    def close(self):
        self._raw.close()
        super().close()


def open_stdin():
    """Standard input as a binary stream, decompressed on the fly if its first bytes say so.

    It is read through a duplicate of descriptor 0, never through ``sys.stdin``: after Ctrl-C or
    SIGTERM the reader thread may be left blocked in read(), and if that read held ``sys.stdin``'s
    lock the interpreter would abort at exit ("could not acquire lock ... at interpreter shutdown").
    """
    if sys.stdin is None:
        raise CorpusPathError("there is no standard input to read the corpus from")
    raw = io.FileIO(os.dup(sys.stdin.fileno()), "rb")
    head = b""
    while len(head) < MAGIC_BYTES:  # a pipe may deliver a few bytes at a time
        more = raw.read(MAGIC_BYTES - len(head))
        if not more:
            break
        head += more
    stream = io.BufferedReader(_PrefixedReader(head, raw), buffer_size=1 << 20)
    return decompressing(stream, head, "standard input")


def _nul_encoding(sample):
    """The encoding NUL-bearing ``sample`` most likely is in, or None (then it is probably binary)."""
    n = len(sample) // 4 * 4
    if n < 8:
        return None
    zeros = [sample[i:n:4].count(0) / (n // 4) for i in range(4)]
    if zeros[1] > 0.9 and zeros[2] > 0.9 and zeros[3] > 0.9 and zeros[0] < 0.5:
        return "UTF-32LE"
    if zeros[0] > 0.9 and zeros[1] > 0.9 and zeros[2] > 0.9 and zeros[3] < 0.5:
        return "UTF-32BE"
    even = (zeros[0] + zeros[2]) / 2
    odd = (zeros[1] + zeros[3]) / 2
    if odd > 0.3 and even < 0.1:
        return "UTF-16LE"
    if even > 0.3 and odd < 0.1:
        return "UTF-16BE"
    return None


def _reencode_hint(name, encoding):
    return f"Convert it to UTF-8 first, e.g. iconv -f {encoding} -t UTF-8 {name} > corpus.utf8.txt"


class TextCheck:
    """Checks the successive blocks of one source; :meth:`__call__` returns the block to tokenise."""

    def __init__(self, name):
        self.name = name
        self.offset = 0

    def __call__(self, block):
        if self.offset == 0:
            for bom, encoding in _BOMS:
                if block.startswith(bom):
                    raise CorpusEncodingError(
                        f"{self.name} is {encoding} text (it starts with a {encoding} byte-order mark), but "
                        f"glovefast reads UTF-8. {_reencode_hint(self.name, encoding)}", self.name
                    )
            if block.startswith(_UTF8_BOM):  # a UTF-8 byte-order mark (Windows editors write one)
                self.offset += len(_UTF8_BOM)
                block = block[len(_UTF8_BOM):]
        if b"\0" in block:
            at = self.offset + block.index(b"\0")
            encoding = _nul_encoding(block[:1 << 16])
            if encoding is not None:
                raise CorpusEncodingError(
                    f"{self.name} holds NUL bytes (the first at byte {at:,}): it looks like {encoding} text without "
                    f"a byte-order mark, but glovefast reads UTF-8. {_reencode_hint(self.name, encoding)}", self.name
                )
            raise CorpusEncodingError(
                f"{self.name} holds NUL bytes (the first at byte {at:,}), which UTF-8 text never does: it is a "
                "binary file or text in another encoding (UTF-16, UTF-32). Give a UTF-8 text file", self.name
            )
        self.offset += len(block)
        return block

    def region(self, buf, start, end):
        """Check ``buf[start:end)`` of a memory-mapped file in place (searched, not copied), as
        :meth:`__call__` checks a block; returns where its text starts (after a UTF-8 byte-order
        mark at the file's start). Regions must come in order."""
        if start == 0:
            head = buf[:4]
            if head.startswith(_UTF8_BOM):
                self.offset = start = len(_UTF8_BOM)
            elif any(head.startswith(bom) for bom, _ in _BOMS):
                self(head)  # raises, naming the encoding
        at = buf.find(b"\0", start, end)
        if at >= 0:
            self(buf[start:max(at + 1, min(end, start + (1 << 16)))])  # raises, with the offset
        self.offset += end - start
        return start
