"""Reading corpus input: text files and binary streams (tokenised in C), or token lists.

Everything that turns user input into the counter's token-id stream lives here, so the
vocabulary and counting stages (corpus.py) never see paths, streams or documents.
"""
import mmap
import os
import queue
import re
import threading
import time

import numpy as np

from glovefast._kernels import vocab as vocab_kernel
from glovefast._util.progress import progress_bar
from glovefast._util.validation import is_pathlike
from glovefast.errors import CorpusEncodingError, CorpusFormatError, GloveFastError, UnknownWordError
from glovefast.text.sources import (
    TextCheck,
    check_corpus_path,
    decompression_errors,
    is_plain_file,
    open_corpus_file,
    plain_size,
    source_name,
)

#: Bytes handed to the C tokenizer per call.
CHUNK_BYTES = 4 << 20


def source_names(corpus):
    """The files (or stream) a text corpus comes from, for messages; None for token lists."""
    paths = as_paths(corpus)
    if paths is not None:
        return ", ".join(paths)
    if hasattr(corpus, "read"):
        return source_name(corpus)
    return None


def as_paths(corpus):
    """The list of file paths ``corpus`` names, or None when it is not a path input."""
    if is_pathlike(corpus):
        return [check_corpus_path(corpus)]
    if isinstance(corpus, (list, tuple)) and corpus and all(is_pathlike(p) for p in corpus):
        paths = [os.fspath(p) for p in corpus]
        for p in paths:
            if not os.path.exists(p):
                raise CorpusFormatError(
                    f"the corpus is a list of strings but {p!r} is not an existing file. Pass documents as "
                    "lists of tokens (e.g. [text.split() for text in texts]) or paths of files that exist"
                )
            check_corpus_path(p)
        return paths
    return None


def token_bound(sources):
    """At most how many tokens ``sources`` hold, when that is known without reading them: plain
    text files, where a token and its separator take at least 2 bytes. None otherwise
    (compressed files, streams)."""
    total = 0
    for s in sources:
        size = plain_size(s) if is_pathlike(s) else None
        if size is None:
            return None
        total += size
    return total // 2 + 1


def open_binary(path):
    """(file object yielding decompressed bytes, raw file for progress); see :func:`glovefast.text.sources.open_corpus_file`."""
    return open_corpus_file(check_corpus_path(path))


_WHITESPACE = b" \t\n\r\v\f"  # what the C tokenizer splits on (gf_ws in _kernels/vocab.h)
_SPACE = re.compile(b"[" + re.escape(_WHITESPACE) + b"]")
_SPACES = tuple(_WHITESPACE[i:i + 1] for i in range(len(_WHITESPACE)))
_TAIL = 1 << 16
_DONTNEED = getattr(mmap, "MADV_DONTNEED", None)
_DROP_BYTES = 64 << 20
_FIRST_BLOCK = 1 << 19


def _last_space(block, lo=0, hi=None):
    """Index of the last whitespace byte of ``block[lo:hi]`` (-1: none; bytes or mmap). Looks
    at the tail first: a whitespace byte that text never holds (\\v, \\f) would otherwise be
    searched for through the whole block."""
    hi = len(block) if hi is None else hi
    cut = max(block.rfind(c, max(hi - _TAIL, lo), hi) for c in _SPACES)
    if cut < 0 and hi - lo > _TAIL:
        cut = max(block.rfind(c, lo, hi - _TAIL) for c in _SPACES)
    return cut


def mapped_chunks(path, chunk_bytes, name=None):
    """:func:`chunks` of a plain file read through a memory map: the tokenizer reads the page
    cache in place, with no copy into fresh buffers and no reader thread (a 1M-token file took
    1,300 page faults and a 1.5-4 ms wait for its first block the other way). Chunks are
    memoryviews of the map; pages the tokenizer is done with are dropped from the process every
    64 MB, so resident memory does not grow with the file. (A file truncated by another process
    while it is read ends the process with SIGBUS, as any memory-mapped read does.)"""
    with open(path, "rb") as fh:
        if os.fstat(fh.fileno()).st_size == 0:
            return
        mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    size = len(mm)
    view = memoryview(mm)
    check = TextCheck(name or path)
    checked = min(size, chunk_bytes)
    pos = check.region(mm, 0, checked)
    dropped = 0
    try:
        while pos < size:
            end = min(size, pos + chunk_bytes)
            if end > checked:
                check.region(mm, checked, end)
                checked = end
            cut = _last_space(mm, pos, end)
            while cut < 0 and end < size:  # a token longer than a chunk
                more = min(size, end + chunk_bytes)
                check.region(mm, checked, more)
                checked = more
                cut = _last_space(mm, end, more)
                end = more
            if cut < 0:  # the file ends inside a token
                yield bytes(view[pos:size]) + b"\n"
                return
            yield view[pos:cut + 1]
            pos = cut + 1
            if _DONTNEED is not None and pos - dropped >= _DROP_BYTES:
                upto = pos // mmap.PAGESIZE * mmap.PAGESIZE
                mm.madvise(_DONTNEED, dropped, upto - dropped)
                dropped = upto
    finally:
        view.release()
        try:
            mm.close()
        except BufferError:  # the caller still holds a chunk: the map closes with it
            pass


def chunks(stream, chunk_bytes, name=None):
    """Chunks of ``stream`` that end on whitespace (the partial last token is carried over),
    checked to be UTF-8 text (see :class:`~glovefast.text.sources.TextCheck`).

    A chunk is bytes or a read-only memoryview of a block as read: blocks are not copied to
    cut them (every copy of a 4 MB block is a thousand fresh page faults). The token a block
    ends inside is carried over and yielded, with the head of the next block, as a small chunk
    of its own."""
    carry = b""
    check = TextCheck(name or source_name(stream))
    size = min(chunk_bytes, _FIRST_BLOCK)  # small first blocks, doubling: the tokenizer starts sooner
    while True:
        block = stream.read(size)
        size = min(2 * size, chunk_bytes)
        if not block:
            break
        if isinstance(block, str):
            raise CorpusFormatError("text streams must be opened in binary mode (e.g. sys.stdin.buffer)")
        block = check(block)
        cut = _last_space(block)
        if cut < 0:
            carry = carry + block
            continue
        start = 0
        if carry:
            start = _SPACE.search(block).end()  # found: block[cut] is whitespace
            yield carry + block[:start]
        carry = block[cut + 1:]
        if cut + 1 > start:
            yield memoryview(block)[start:cut + 1]
    if carry:
        yield carry + b"\n"


def read_text(counter, sources, verbose):
    """Tokenise files/streams in C; a reader thread decompresses the next chunk meanwhile."""
    for chunk in iter_text(sources, verbose):
        if chunk is None:
            counter.end_document()
        else:
            counter.feed_text(chunk)


def iter_text(sources, verbose, desc="counting"):
    """The bytes of each source in chunks that end on whitespace, then None at the end of each
    source (a document boundary). Plain text files are memory-mapped (:func:`mapped_chunks`);
    otherwise a reader thread opens and decompresses the next chunk while the caller works on
    this one; it is stopped when the caller stops iterating (also on error or Ctrl-C)."""
    if all(is_pathlike(s) for s in sources):
        paths = [check_corpus_path(s) for s in sources]
        if all(is_plain_file(p) for p in paths):
            yield from _iter_mapped(paths, verbose, desc)
            return
    sizes = []
    for s in sources:
        sizes.append(os.path.getsize(s) if is_pathlike(s) else None)
    total = sum(sizes) if all(x is not None for x in sizes) else None
    bar = progress_bar(verbose, total=total, desc=desc, unit="B", unit_scale=True)
    q = queue.Queue(maxsize=4)
    stop = threading.Event()

    def reader():
        current = "the corpus"
        try:
            for s in sources:
                current = source_name(s)
                if is_pathlike(s):
                    stream, raw = open_binary(s)
                else:
                    stream, raw = s, None
                try:
                    last = 0
                    for chunk in chunks(stream, CHUNK_BYTES, current):
                        if stop.is_set():
                            return
                        pos = raw.tell() if raw is not None else last + len(chunk)
                        q.put(("chunk", chunk, pos - last))
                        last = pos
                finally:
                    if raw is not None:
                        stream.close()
                        raw.close()
                q.put(("end", None, 0))
            q.put(("done", None, 0))
        except BaseException as exc:  # handed to the consumer, which re-raises it
            if isinstance(exc, decompression_errors()) and not isinstance(exc, GloveFastError):
                # e.g. a truncated .gz (EOFError) or a corrupt .xz: say which file
                wrapped = CorpusFormatError(f"cannot read {current}: {exc}")
                wrapped.__cause__ = exc
                exc = wrapped
            q.put(("error", exc, 0))

    thread = threading.Thread(target=reader, name="glovefast-reader", daemon=True)
    thread.start()
    try:
        while True:
            kind, payload, advance = q.get()
            if kind == "chunk":
                yield payload
                bar.update(advance)
            elif kind == "end":
                yield None
            elif kind == "error":
                raise payload
            else:
                break
    finally:
        stop.set()
        # Unblock a reader waiting on a full queue so it sees `stop`. A reader blocked inside
        # read() (an interactive stdin, a stalled pipe) cannot be woken: it is a daemon thread
        # and is left behind after a short wait, so Ctrl-C returns at once instead of hanging.
        deadline = time.monotonic() + 1.0
        while thread.is_alive() and time.monotonic() < deadline:
            try:
                q.get_nowait()
            except queue.Empty:
                thread.join(0.05)
        bar.close()


def _iter_mapped(paths, verbose, desc):
    bar = progress_bar(verbose, total=sum(os.path.getsize(p) for p in paths), desc=desc, unit="B", unit_scale=True)
    try:
        for path in paths:
            for chunk in mapped_chunks(path, CHUNK_BYTES, source_name(path)):
                yield chunk
                bar.update(len(chunk))
            yield None
    finally:
        bar.close()


def _valid_token(token):
    """A non-empty str that is valid Unicode (a lone surrogate could never be saved as UTF-8)."""
    if not isinstance(token, str) or not token:
        return False
    if token.isascii():
        return True
    try:
        token.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _token_error(token, n_doc, position):
    """The error for a token :func:`_valid_token` refuses (document and position 0-based)."""
    where = f"document {n_doc}, token {position}"
    if isinstance(token, str) and token:
        return CorpusEncodingError(
            f"{where} ({token[:40]!r}) holds a lone surrogate, which is not valid Unicode and could not be saved; "
            "decode the source text with errors='replace' (or 'ignore')"
        )
    if isinstance(token, str):
        return CorpusFormatError(
            f"{where} is an empty string; split text with str.split() (no argument), which never yields empty "
            "tokens (split(' ') does, on double spaces), or drop them: [t for t in tokens if t]"
        )
    if isinstance(token, (bytes, bytearray)):
        return CorpusFormatError(
            f"{where} is bytes ({bytes(token[:40])!r}); tokens must be str: decode the text first "
            "(e.g. line.decode('utf-8').split()), or pass the file's path to read it in C"
        )
    return CorpusFormatError(
        f"{where} is {token!r} of type {type(token).__name__}; tokens must be non-empty str "
        "(convert with str(token) if that is what you mean)"
    )


def read_token_lists(counter, corpus, dictionary, ignore_missing):
    """Stream documents (lists of tokens) into the counter; returns (words, counts) by first-seen id.

    Every token must be a non-empty ``str``; anything else is a CorpusFormatError naming the
    document and position. Only the first occurrence of each distinct token is type-checked (a
    token already in the vocabulary is a valid one), so the check costs per vocabulary word, not
    per token.
    """
    try:
        iterator = iter(corpus)
    except TypeError:
        raise CorpusFormatError(
            f"corpus must be a path, a list of paths, a binary file or an iterable of token lists; got "
            f"{type(corpus).__name__}"
        ) from None
    fixed = dictionary is not None
    word_to_id = dictionary if fixed else {}
    get = word_to_id.get
    sep = vocab_kernel.SEP
    skip = vocab_kernel.SKIP
    buf = []
    append = buf.append
    flush_at = 1 << 20
    for n_doc, doc in enumerate(iterator):
        if isinstance(doc, (str, bytes)) or not hasattr(doc, "__iter__"):
            raise CorpusFormatError(
                f"document {n_doc} is a {type(doc).__name__}, not a list of tokens; split it first "
                "(e.g. text.split()) or pass file paths to read text files"
            )
        start = len(buf)  # the position of a bad token is len(buf) - start: no enumerate in the hot loop
        try:
            _feed_document(doc, n_doc, fixed, get, word_to_id, append, ignore_missing, skip, buf, start)
        except TypeError as exc:  # an unhashable token (a list, a dict...)
            if "unhashable" not in str(exc):
                raise
            position = len(buf) - start
            raise CorpusFormatError(
                f"document {n_doc}, token {position} is unhashable (a list or dict?); tokens must be non-empty "
                "str, so documents are flat lists of str"
            ) from None
        append(sep)
        if len(buf) >= flush_at:
            counter.feed_ids(np.asarray(buf, dtype=np.int32))
            buf.clear()
    if buf:
        counter.feed_ids(np.asarray(buf, dtype=np.int32))
    if fixed:
        # ids are final already; the identity remap keeps them (SKIP stays SKIP)
        words = [None] * len(word_to_id)
        for w, i in word_to_id.items():
            words[i] = w
        counts = counter.stream_counts(len(words))
        return words, counts
    words = list(word_to_id)
    return words, counter.stream_counts(len(words))


def _feed_document(doc, n_doc, fixed, get, word_to_id, append, ignore_missing, skip, buf, start):
    """Append the ids of one document's tokens (new words get the next id unless ``fixed``)."""
    if fixed:
        for w in doc:
            idx = get(w)
            if idx is None:
                if not _valid_token(w):
                    raise _token_error(w, n_doc, len(buf) - start)
                if not ignore_missing:
                    raise UnknownWordError(
                        w,
                        f"word {w!r} (document {n_doc}) is not in the dictionary; pass ignore_missing=True "
                        "to skip unknown words (they keep their position in the window), or add it",
                    )
                idx = skip
            append(idx)
    else:
        for w in doc:
            idx = get(w)
            if idx is None:
                if not _valid_token(w):
                    raise _token_error(w, n_doc, len(buf) - start)
                idx = word_to_id[w] = len(word_to_id)
            append(idx)
