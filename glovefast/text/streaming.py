"""A corpus read straight into a :class:`~glovefast.text.tokens.TokenStream`, without counting
cooccurrences: what a model that trains on the running text (word2vec) needs from its input.

:func:`read_token_stream` takes what ``Corpus.fit`` takes (paths, plain or compressed, a binary
stream, token lists) and gives the stream of final word ids, numbered as the
:class:`~glovefast.text.vocabulary.Vocabulary` numbers them (descending count). The reading is
the one ``Corpus.fit`` does (the C tokenizer, a first pass that keeps the ids of first-seen
words): files are read once while their ids fit ``ram_bytes``; past it, files are read a second
time with the final vocabulary and other inputs spill their ids to ``tmp_dir``. The final stream
stays in RAM up to ``ram_bytes``, beyond it in a memory-mapped unlinked file
(:class:`~glovefast.text.tokens.TokenWriter`).

:func:`select_vocabulary` applies a ``min_count``/``max_vocab`` to a stream that is already built
(a ``Corpus``'s kept tokens counted with other settings), so one read serves models that select
their vocabularies differently.
"""
import numpy as np

from glovefast._kernels import vocab as vocab_kernel
from glovefast._util.files import TempSpace
from glovefast.errors import EmptyCorpusError
from glovefast.text import reading
from glovefast.text.tokens import IdStream, TokenWriter
from glovefast.text.vocabulary import Vocabulary

#: Ids handled per step (4 MiB of int32): bounded temporaries beside a stream of any size.
_CHUNK = 1 << 20


def read_token_stream(corpus, *, min_count=1, max_vocab=None, ram_bytes, tmp_dir=None, no_threads=1,
                      verbose=False):
    """The token stream of ``corpus`` (see the module docstring); EmptyCorpusError when it has no
    tokens, and the vocabulary's own error when ``min_count``/``max_vocab`` keep no word."""
    paths = reading.as_paths(corpus)
    text = paths is not None or hasattr(corpus, "read")
    writer = TokenWriter(ram_bytes, tmp_dir)
    try:
        with TempSpace(tmp_dir) as space:
            counter = vocab_kernel.TokenCounter(threads=no_threads)
            first = IdStream(space, ram_bytes, counter)
            reread = False
            if text:
                reread = read_first_pass(paths if paths is not None else [corpus], first, paths is not None, verbose,
                                         "reading words")
                if not counter.n_words:
                    raise EmptyCorpusError("the corpus contains no tokens; check the input is not empty")
                vocab = Vocabulary.from_counter(counter, min_count, max_vocab)
            else:
                words, counts = reading.read_token_lists(first, corpus, None, False)
                if not words:
                    raise EmptyCorpusError("the corpus contains no tokens; check the input is not empty")
                vocab = Vocabulary.from_counts((words, counts), min_count, max_vocab)
            if reread:
                del counter, first
                _read_again(paths, vocab, writer, ram_bytes, verbose)
            elif first.in_memory:
                n = counter.remap(vocab.remap())
                for a in range(0, n, _CHUNK):  # bounded temporaries beside the counter's ids
                    writer.add(counter.ids()[a:a + _CHUNK])
            else:
                remap = vocab.remap()
                for ids in first.iter_file(_CHUNK):
                    word = ids >= 0
                    ids[word] = remap[ids[word]]
                    writer.add(ids)
            counter = first = None  # the first pass's ids go before the stream is assembled
        return writer.finish(vocab.counts_, vocab.words_)
    except BaseException:
        writer.close()
        raise


def read_first_pass(sources, first, rereadable, verbose, desc):
    """Tokenise text ``sources`` into ``first.counter``, keeping the first-seen ids in ``first`` (an
    :class:`~glovefast.text.tokens.IdStream`, which spills them to a file past its share of the
    budget). When the sources can be read again (files: ``rereadable``), ids past that share are
    not kept at all: returns True, and the caller reads the files a second time with the final
    vocabulary."""
    counter, reread = first.counter, False
    for chunk in reading.iter_text(sources, verbose, desc=desc):
        if chunk is None:
            counter.end_document()
            continue
        counter.feed_text(chunk)
        if reread:
            continue
        if rereadable and first.in_memory and counter.n_tokens * 4 > first.stream_bytes:
            counter.count_only()
            reread = True
        else:
            first.check()
    return reread


def _read_again(paths, vocab, writer, ram_bytes, verbose):
    """The second pass over files too large for a first pass's ids: the final ids, chunk by chunk."""
    counter = vocab_kernel.TokenCounter()
    counter.load_words(vocab.encoded_words())
    chunk_tokens = max(1 << 16, ram_bytes // 16)
    for chunk in reading.iter_text(paths, verbose, desc="reading ids"):
        if chunk is None:
            counter.end_document()
        else:
            counter.feed_known(chunk, vocab_kernel.DROP)
        if counter.n_tokens >= chunk_tokens:
            writer.add(counter.ids())
            counter.keep_tail(0)
    writer.add(counter.ids())
    counter.keep_tail(0)


def select_vocabulary(stream, min_count=1, max_vocab=None, ram_bytes=1 << 62, tmp_dir=None):
    """``stream`` with only the words ``min_count`` and ``max_vocab`` keep (the most frequent,
    ties by id), renumbered as a :class:`~glovefast.text.vocabulary.Vocabulary` numbers them
    (descending count, ties by the earlier id). Returns ``stream`` itself when every word is
    kept and the ids are already in that order; the new stream is in RAM up to ``ram_bytes``,
    memory-mapped from ``tmp_dir`` beyond."""
    counts = stream.counts
    order = np.argsort(-counts, kind="stable")
    order = order[counts[order] >= min_count]
    if max_vocab is not None:
        order = order[:max_vocab]
    if not len(order):
        raise EmptyCorpusError(f"no word of the token stream occurs at least min_count={min_count} times; "
                               "lower min_count")
    if len(order) == len(counts) and np.array_equal(order, np.arange(len(counts))):
        return stream
    remap = np.full(len(counts), vocab_kernel.DROP, dtype=np.int32)
    remap[order] = np.arange(len(order), dtype=np.int32)
    writer = TokenWriter(ram_bytes, tmp_dir)
    try:
        for a in range(0, len(stream.ids), _CHUNK):
            ids = np.array(stream.ids[a:a + _CHUNK])
            word = ids >= 0
            ids[word] = remap[ids[word]]
            writer.add(ids)  # drops DROP, and the separators of documents left empty
        words = None if stream.words is None else [stream.words[i] for i in order]
        return writer.finish(counts[order], words)
    except BaseException:
        writer.close()
        raise


__all__ = ["read_first_pass", "read_token_stream", "select_vocabulary"]
