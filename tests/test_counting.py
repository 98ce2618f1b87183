"""Counting in a memory budget: spilled runs and the k-way merge give exactly the in-RAM matrix,
temp files never outlive a fit, a full disk is a clear error, and the distributed seam
(Vocabulary, count_files, merge_runs, CooccurrenceStore.assemble) equals one-machine counting."""
import gzip
import io
import os
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

import glovefast.cooc.counting as counting
from conftest import PACKAGE_ROOT
from glovefast import Corpus
from glovefast.cooc.counting import CountingPlan, count_files, merge_runs, plan_counting
from glovefast.errors import MemoryBudgetError, StorageError, UnknownWordError
from glovefast.cooc.store import CooccurrenceStore, is_store
from glovefast.text.vocabulary import Vocabulary
# tests/ is no package: pytest puts it on the path, so this works from the sdist and wheel runs too
from test_corpus import assert_same_counts, reference_counts, reference_vocabulary


def _docs(n_docs=120, vocab=40, seed=0):
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(vocab)]
    p = 1.0 / np.arange(1, vocab + 1)
    p /= p.sum()
    return [list(rng.choice(words, size=rng.integers(0, 30), p=p)) for _ in range(n_docs)]


def _write(path, docs, gz=False):
    text = "\n".join(" ".join(d) for d in docs) + "\n"
    opener = gzip.open if gz else open
    with opener(path, "wt", encoding="utf-8") as fh:
        fh.write(text)
    return path


@pytest.fixture
def tiny_plan(monkeypatch):
    """A plan that makes every path run on small data: overflow for almost every pair, a spill
    after every chunk of a few tokens, id streams spilled or files re-read, more runs than the
    merge fan-in (so runs are merged in groups first) and merge blocks of a few entries."""
    real = counting.plan_counting

    def tiny(budget, n_words, window, n_threads, n_positions=None, held_bytes=0):
        plan = real(budget, n_words, window, n_threads, n_positions, held_bytes)
        return CountingPlan(budget=plan.budget, dense_bytes=64, buffer_entries=7, run_bytes=16 * 4,
                            chunk_tokens=9, stream_bytes=40, merge_entries=6)

    monkeypatch.setattr(counting, "plan_counting", tiny)
    monkeypatch.setattr(counting, "MAX_FANIN", 3)
    spills = []
    real_spill = counting.Spiller.spill

    def counted(self):
        before = len(self.runs)
        real_spill(self)
        spills.append(len(self.runs) - before)

    monkeypatch.setattr(counting.Spiller, "spill", counted)
    return spills


def _assert_identical(a, b):
    a, b = a.tocoo(), b.tocoo()
    np.testing.assert_array_equal(a.row, b.row)
    np.testing.assert_array_equal(a.col, b.col)
    np.testing.assert_array_equal(a.data, b.data)  # bit for bit: fixed point sums in any order


@pytest.fixture(params=["packed", "wide"])
def overflow_layout(request):
    """Both overflow buffer layouts: 8-byte packed entries, and the 16-byte one that vocabularies of
    over ~190M words use (forced here)."""
    counting.cooc_kernel._force_wide_overflow(request.param == "wide")
    yield request.param
    counting.cooc_kernel._force_wide_overflow(False)


@pytest.mark.parametrize("symmetric", [True, False])
@pytest.mark.parametrize("threads", [1, 3])
def test_tiny_budget_spills_and_equals_in_ram_and_brute_force(tmp_path, tiny_plan, symmetric, threads,
                                                               overflow_layout):
    docs = _docs()
    path = _write(tmp_path / "c.txt.gz", docs, gz=True)
    spill_dir = tmp_path / "spill"
    spill_dir.mkdir()
    small = Corpus().fit(str(path), window=5, min_count=2, symmetric=symmetric, no_threads=threads,
                         tmp_dir=spill_dir)
    assert sum(tiny_plan) > counting.MAX_FANIN  # runs were spilled, and merged in groups
    assert os.listdir(spill_dir) == []
    tiny_plan.clear()
    big = Corpus().fit([" ".join(d).split() for d in docs], window=5, min_count=2, symmetric=symmetric,
                       no_threads=threads, tmp_dir=spill_dir)  # token lists: the id stream spills too
    assert sum(tiny_plan) > 0 and os.listdir(spill_dir) == []
    _assert_identical(small.matrix, big.matrix)
    dictionary = reference_vocabulary(docs, 2)
    assert small.dictionary == dictionary
    np.testing.assert_array_equal(small.word_counts, big.word_counts)
    assert_same_counts(small.matrix, reference_counts(docs, dictionary, 5, symmetric=symmetric))


def test_tiny_budget_matches_the_default_budget_exactly(tmp_path, monkeypatch):
    docs = _docs(seed=1)
    path = _write(tmp_path / "c.txt", docs)
    ref = Corpus().fit(str(path), window=7, no_threads=2)
    real = counting.plan_counting
    monkeypatch.setattr(counting, "plan_counting", lambda *a, **k: CountingPlan(
        budget=real(*a, **k).budget, dense_bytes=512, buffer_entries=16, run_bytes=16 * 30, chunk_tokens=50,
        stream_bytes=400, merge_entries=40))
    got = Corpus().fit(str(path), window=7, no_threads=2, tmp_dir=tmp_path)
    _assert_identical(ref.matrix, got.matrix)
    assert ref.dictionary == got.dictionary and ref.n_tokens == got.n_tokens


def test_unreadable_twice_stream_spills_its_ids(tmp_path, tiny_plan):
    docs = _docs(seed=2)
    data = ("\n".join(" ".join(d) for d in docs) + "\n").encode()
    got = Corpus().fit(io.BytesIO(data), window=4, min_count=3, tmp_dir=tmp_path)
    dictionary = reference_vocabulary(docs, 3)
    assert got.dictionary == dictionary
    assert_same_counts(got.matrix, reference_counts(docs, dictionary, 4))
    assert os.listdir(tmp_path) == []


def test_fixed_dictionary_text_counts_in_one_pass(tmp_path, tiny_plan):
    docs = _docs(seed=3)
    path = _write(tmp_path / "c.txt", docs)
    dictionary = {w: i for i, w in enumerate(sorted({w for d in docs for w in d})[::2])}
    got = Corpus(dictionary).fit(str(path), window=3, ignore_missing=True, tmp_dir=tmp_path)
    ref = Corpus(dictionary).fit(docs, window=3, ignore_missing=True)
    _assert_identical(got.matrix, ref.matrix)
    np.testing.assert_array_equal(got.word_counts, ref.word_counts)
    assert_same_counts(got.matrix, reference_counts(docs, dictionary, 3, drop_unknown=False))
    with pytest.raises(UnknownWordError):
        Corpus(dictionary).fit(str(path), window=3, tmp_dir=tmp_path)
    assert os.listdir(tmp_path) == ["c.txt"]


def _interrupting(docs, after, exc):
    for k, d in enumerate(docs):
        if k == after:
            raise exc
        yield d


@pytest.mark.parametrize("exc", [KeyboardInterrupt(), RuntimeError("reader failed")])
def test_temp_files_are_removed_on_error_and_interrupt(tmp_path, tiny_plan, exc):
    docs = _docs(n_docs=300, seed=4)
    with pytest.raises(type(exc)):
        Corpus().fit(_interrupting(docs, 250, exc), window=5, tmp_dir=tmp_path)
    assert os.listdir(tmp_path) == []


def test_interrupt_during_counting_removes_spilled_runs(tmp_path, tiny_plan, monkeypatch):
    docs = _docs(n_docs=200, seed=5)
    path = _write(tmp_path / "c.txt", docs)
    spill_dir = tmp_path / "spill"
    spill_dir.mkdir()
    real = counting.Spiller.check
    calls = []

    def check(self):
        real(self)
        calls.append(1)
        if len(calls) == 20:
            assert os.listdir(spill_dir)  # runs are on disk by now
            raise KeyboardInterrupt

    monkeypatch.setattr(counting.Spiller, "check", check)
    with pytest.raises(KeyboardInterrupt):
        Corpus().fit(str(path), window=5, tmp_dir=spill_dir)
    assert os.listdir(spill_dir) == []


def test_full_temp_disk_is_a_storage_error_and_leaves_nothing(tmp_path):
    """A real write failure: the file-size limit makes writes past 64 KiB fail with EFBIG."""
    spill_dir = tmp_path / "spill"
    spill_dir.mkdir()
    script = textwrap.dedent(f"""
        import os, resource, signal, sys
        sys.path.insert(0, {PACKAGE_ROOT!r})
        import numpy as np
        import glovefast.cooc.counting as counting
        from glovefast import Corpus
        from glovefast.errors import StorageError
        real = counting.plan_counting
        counting.plan_counting = lambda *a, **k: counting.CountingPlan(
            budget=real(*a, **k).budget, dense_bytes=64, buffer_entries=64, run_bytes=16 * 2000,
            chunk_tokens=500, stream_bytes=1 << 20, merge_entries=1000)
        rng = np.random.default_rng(0)
        docs = [[f"w{{i}}" for i in rng.integers(0, 3000, 50)] for _ in range(2000)]
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 << 10, 64 << 10))
        try:
            Corpus().fit(docs, window=10, tmp_dir={str(spill_dir)!r})
        except StorageError as exc:
            print("StorageError:", exc)
            sys.exit(0)
        sys.exit("no StorageError")
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert str(spill_dir) in proc.stdout and "full" in proc.stdout
    assert os.listdir(spill_dir) == []


def test_fit_into_a_store_and_save_load(tmp_path, tiny_plan):
    docs = _docs(seed=6)
    path = _write(tmp_path / "c.txt", docs)
    ref = Corpus().fit(str(path), window=5)
    store_path = tmp_path / "counts"
    c = Corpus().fit(str(path), window=5, store=store_path, tmp_dir=tmp_path)
    assert is_store(store_path) and c.store.nnz == ref.matrix.nnz
    assert c.store.words() == ref.inverse_dictionary and c.store.params == ref.params
    _assert_identical(c.matrix, ref.matrix)
    with pytest.raises(ValueError, match="already exists"):
        Corpus().fit(str(path), window=5, store=store_path)
    # the replaced store's files are gone: use the Corpus that wrote the new one (the shard layout
    # depends on how the threads shared the work, so an old manifest would not fit the new files)
    c = Corpus().fit(str(path), window=5, store=store_path, overwrite=True, tmp_dir=tmp_path)
    _assert_identical(c.matrix, ref.matrix)
    # save: a store directory (linked from the fitted store), or the old npz format by suffix
    c.save(tmp_path / "saved")
    ref.save(tmp_path / "saved2")
    ref.save(tmp_path / "saved.npz")
    for p in ("saved", "saved2", "saved.npz"):
        loaded = Corpus.load(tmp_path / p)
        _assert_identical(loaded.matrix, ref.matrix)
        assert loaded.dictionary == ref.dictionary and loaded.params == ref.params
        np.testing.assert_array_equal(loaded.word_counts, ref.word_counts)
    assert is_store(tmp_path / "saved") and os.path.isfile(tmp_path / "saved.npz")
    assert sorted(os.listdir(tmp_path)) == ["c.txt", "counts", "saved", "saved.npz", "saved2"]


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_merge_split_by_row_ranges_across_threads_equals_in_ram(tmp_path, tiny_plan, threads):
    docs = _docs(n_docs=200, seed=13)
    path = _write(tmp_path / "c.txt", docs)
    ref = Corpus().fit(str(path), window=5, no_threads=1)
    c = Corpus().fit(str(path), window=5, store=tmp_path / "s", tmp_dir=tmp_path, no_threads=threads)
    _assert_identical(c.store.to_coo(), ref.matrix)
    shards = c.store.shards
    assert shards[0].row_start == 0 and shards[-1].row_end == len(ref.dictionary)
    assert all(a.row_end == b.row_start for a, b in zip(shards, shards[1:]))
    in_ram = Corpus().fit(str(path), window=5, tmp_dir=tmp_path, no_threads=threads)  # spilled runs, merged to a COO
    _assert_identical(in_ram.matrix, ref.matrix)
    assert sorted(os.listdir(tmp_path)) == ["c.txt", "s"]


def test_a_failing_merge_thread_stops_the_others_and_leaves_nothing(tmp_path, tiny_plan, monkeypatch):
    docs = _docs(n_docs=200, seed=14)
    path = _write(tmp_path / "c.txt", docs)
    real = counting.cooc_kernel.merge_block
    calls = []

    def failing(*args, **kwargs):
        if threading.current_thread().name == "glovefast-merge-2":  # the last row range's thread
            calls.append(1)
            raise OSError(28, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(counting.cooc_kernel, "merge_block", failing)
    with pytest.raises(OSError, match="No space"):
        Corpus().fit(str(path), window=5, store=tmp_path / "s", tmp_dir=tmp_path, no_threads=3)
    assert calls and os.listdir(tmp_path) == ["c.txt"]


def test_matrix_larger_than_the_budget_says_so(tmp_path, monkeypatch):
    docs = _docs(seed=7)
    c = Corpus().fit(docs, window=5, store=tmp_path / "s")
    c.matrix = None
    monkeypatch.setattr("glovefast.cooc.store.COO_ENTRY_BYTES", 1 << 40)
    with pytest.raises(MemoryBudgetError, match="entries"):
        c.matrix


def test_result_too_large_for_the_budget_goes_to_a_temporary_store(tmp_path, monkeypatch):
    docs = _docs(seed=8)
    ref = Corpus().fit(docs, window=5)
    real = counting.plan_counting
    monkeypatch.setattr(counting, "plan_counting", lambda *a, **k: real(*a, **k).__class__(
        **{**real(*a, **k).__dict__, "budget": 64}))
    c = Corpus().fit(docs, window=5, tmp_dir=tmp_path)
    assert c.store is not None and c.store.path.startswith(str(tmp_path))
    _assert_identical(c.store.to_coo(), ref.matrix)
    parent = os.path.dirname(c.store.path)
    del c
    import gc
    gc.collect()
    assert not os.path.exists(parent)


def test_plan_keeps_small_corpora_small_and_stays_in_budget():
    budget = 512 << 20
    small = plan_counting(budget, 1000, 10, 2, n_positions=10_000)
    assert small.dense_bytes <= 10_000 * 10 and small.buffer_entries <= 10_000 * 10
    big = plan_counting(budget, 300_000, 15, 2, n_positions=10**9)
    entry = counting.cooc_kernel.overflow_entry_bytes(300_000)
    assert entry == 16 and counting.cooc_kernel.overflow_entry_bytes(1 << 28) == 32  # packed below ~190M words
    held = (big.dense_bytes + big.dense_bytes // 128 + entry * 2 * big.buffer_entries + big.run_bytes
            + 16 * big.chunk_tokens * 15 + counting._IO_BYTES + counting.VOCAB_WORD_BYTES * 300_000)
    assert held <= budget
    assert plan_counting(4 << 30, 300_000, 15, 2).dense_bytes > big.dense_bytes


# ------------------------------------------------------------------------------------------ the seam
def test_vocabulary_merge_of_parts_equals_the_whole(tmp_path):
    docs = _docs(seed=9)
    whole = Vocabulary(min_count=2, max_vocab=25).fit(docs)
    a = Vocabulary(min_count=2, max_vocab=25).fit(docs[:50])
    b = Vocabulary().fit(_write(tmp_path / "b.txt", docs[50:]))  # bytes words from text merge with str
    merged = a.merge(b)
    assert merged.words_ == whole.words_ and merged.dictionary_ == whole.dictionary_
    np.testing.assert_array_equal(merged.counts_, whole.counts_)
    assert merged.n_tokens_ == sum(len(d) for d in docs)
    assert Corpus().fit(docs, window=3, min_count=2, max_vocab=25).dictionary == whole.dictionary_
    import pickle

    assert pickle.loads(pickle.dumps(merged)).words_ == merged.words_


def test_count_files_and_merge_by_row_ranges_equal_one_machine(tmp_path, tiny_plan):
    docs = _docs(n_docs=200, seed=10)
    parts = [_write(tmp_path / f"p{k}.txt", docs[k::3]) for k in range(3)]
    ref = Corpus().fit([str(p) for p in parts], window=6, min_count=2)
    vocab = Vocabulary(min_count=2).merge(*[Vocabulary().fit(str(p)) for p in parts])
    assert vocab.dictionary_ == ref.dictionary
    run_dir = tmp_path / "runs"
    run_dir.mkdir()
    results = [count_files([str(parts[0]), str(parts[1])], vocab, run_dir, window=6, prefix="a", no_threads=2),
               count_files([str(parts[2])], vocab, run_dir, window=6, prefix="b", no_threads=1)]
    assert sum(r["n_tokens"] for r in results) == ref.n_tokens
    runs = [run for r in results for run in r["runs"]]
    n = len(vocab)
    shard_dir = tmp_path / "shards"
    shard_dir.mkdir()
    shards = []
    for k, (r0, r1) in enumerate([(0, 3), (3, 3), (3, n)]):
        shards += merge_runs(runs, n, r0, r1, shard_dir, prefix=f"part{k}", tmp_dir=tmp_path)
    store = CooccurrenceStore.assemble(tmp_path / "store", n, True, shards, words=vocab.words_,
                                       word_counts=vocab.counts_, params=ref.params, n_tokens=ref.n_tokens)
    _assert_identical(store.to_coo(), ref.matrix)
    assert os.listdir(shard_dir) == []  # moved into the store
    assert Corpus.load(tmp_path / "store").dictionary == ref.dictionary


def test_count_files_removes_its_runs_on_failure(tmp_path, tiny_plan):
    docs = _docs(seed=11)
    path = _write(tmp_path / "c.txt", docs)
    vocab = Vocabulary().fit(str(path))
    run_dir = tmp_path / "runs"
    run_dir.mkdir()
    with pytest.raises(Exception):
        count_files([str(path), str(tmp_path / "missing.txt")], vocab, run_dir, window=5)
    assert os.listdir(run_dir) == []
    with pytest.raises(StorageError, match="does not exist"):
        count_files([str(path)], vocab, tmp_path / "nope", window=5)


def test_cli_counts_into_a_store_in_a_budget_and_trains_from_it(tmp_path):
    docs = _docs(n_docs=300, seed=12)
    path = _write(tmp_path / "c.txt", docs)
    spill = tmp_path / "spill"
    spill.mkdir()

    def run(*args):
        proc = subprocess.run([sys.executable, "-m", "glovefast", "train", *map(str, args), "--dim", "4",
                               "--epochs", "2", "--seed", "1", "--threads", "1", "-q"],
                              capture_output=True, text=True, cwd=tmp_path, timeout=120)
        assert proc.returncode == 0, proc.stderr

    run(path, "-o", tmp_path / "a.txt", "--memory", "32M", "--tmp-dir", spill, "--save-matrix", tmp_path / "st",
        "--min-count", "1", "--window", "5")
    assert is_store(tmp_path / "st") and os.listdir(spill) == []
    ref = Corpus().fit(str(path), window=5)
    _assert_identical(Corpus.load(tmp_path / "st").matrix, ref.matrix)
    run("--matrix", tmp_path / "st", "-o", tmp_path / "b.txt")
    assert (tmp_path / "a.txt").read_text() == (tmp_path / "b.txt").read_text()


def test_the_vocabulary_table_tells_apart_words_sharing_their_first_bytes(tmp_path):
    """Words are compared by length and their first 8 bytes before the rest: words that share a
    prefix, differ only past byte 8, or are prefixes of each other stay apart, across table growth."""
    from collections import Counter

    rng = np.random.default_rng(15)
    stems = ["abcdefgh", "abcdefg", "abcdefghi", "zz", "\u00e9t\u00e9\u00e9t\u00e9", "x" * 40]
    words = np.array([f"{s}{k}" for s in stems for k in range(20_000)] + stems, dtype=object)
    docs = [list(rng.choice(words, size=50)) for _ in range(3000)] + [stems]
    path = _write(tmp_path / "c.txt", docs)
    c = Corpus().fit(str(path), window=2)
    counts = Counter(w for d in docs for w in d)
    assert len(c.dictionary) == len(counts)
    assert {w: int(c.word_counts[i]) for w, i in c.dictionary.items()} == counts
    fixed = Corpus(c.dictionary).fit(str(path), window=2)  # the counting pass looks each word up
    _assert_identical(fixed.matrix, c.matrix)


def test_a_fixed_dictionary_sizes_tables_from_plain_files(tmp_path, monkeypatch):
    """Counting with a fixed dictionary reads the text once: the size of plain files bounds its
    tokens, so a small corpus does not get tables sized for a large one (compressed input cannot
    tell, and keeps the budget's sizes)."""
    docs = _docs(seed=16)
    plain = _write(tmp_path / "c.txt", docs)
    packed = _write(tmp_path / "c.txt.gz", docs, gz=True)
    seen = []
    real = counting.plan_counting

    def spy(budget, n_words, window, n_threads, n_positions=None, held_bytes=0):
        seen.append(n_positions)
        return real(budget, n_words, window, n_threads, n_positions, held_bytes)

    monkeypatch.setattr(counting, "plan_counting", spy)
    dictionary = Corpus().fit(str(plain), window=3).dictionary
    seen.clear()
    a = Corpus(dictionary).fit(str(plain), window=3)
    assert seen[-1] is not None and a.n_tokens <= seen[-1] <= os.path.getsize(plain) // 2 + 1
    b = Corpus(dictionary).fit(str(packed), window=3)
    assert seen[-1] is None
    _assert_identical(a.matrix, b.matrix)


def test_the_tokenizer_splits_exactly_where_bytes_split_does():
    """Token ends are found 8 bytes at a time: control characters inside tokens, bytes >= 0x80
    and tokens ending anywhere in an 8-byte word split exactly as ``bytes.split()``."""
    rng = np.random.default_rng(17)
    alphabet = np.frombuffer(b"ab\x01\x1f \t\n\r\x0b\x0c\x80\xff!~0xyz", dtype=np.uint8)
    for _ in range(300):
        data = rng.choice(alphabet, size=int(rng.integers(1, 200))).tobytes() + b" "
        counter = counting.vocab_kernel.TokenCounter()
        counter.feed_text(np.frombuffer(data, dtype=np.uint8))
        words = counter.words()
        assert [words[t] for t in counter.tokens() if t >= 0] == data.split()


def test_words_read_in_place_hash_as_words_loaded_alone():
    """A short token inside a chunk is hashed from one 8-byte load that also reads the bytes after
    it; at a chunk's end, and for words loaded from a list, byte by byte. Both must agree: every
    length, at every distance from the chunk's end, finds the ids the loaded table gives."""
    rng = np.random.default_rng(18)
    words = [bytes(rng.integers(0x61, 0x7b, size=n, dtype=np.uint8)) for n in range(1, 20) for _ in range(3)]
    words = list(dict.fromkeys(words))
    for cut in range(len(words)):
        order = words[cut:] + words[:cut]  # each word, in turn, is the chunk's last token
        data = b" ".join(order) + b"\n"
        first = counting.vocab_kernel.TokenCounter()
        first.feed_text(np.frombuffer(data, dtype=np.uint8))
        assert first.words() == order
        loaded = counting.vocab_kernel.TokenCounter()
        loaded.load_words(words)
        assert loaded.feed_known(np.frombuffer(data, dtype=np.uint8), -5) is None
        assert [words[t] for t in loaded.tokens() if t >= 0] == order


def _zipf_ids(n_words, n_tokens, seed):
    rng = np.random.default_rng(seed)
    p = 1.0 / np.arange(1, n_words + 1)
    ids = rng.choice(n_words, size=n_tokens, p=p / p.sum()).astype(np.int32)
    ids[rng.random(n_tokens) < 0.02] = counting.vocab_kernel.SEP  # documents
    ids[rng.random(n_tokens) < 0.01] = counting.vocab_kernel.SKIP  # unknown words keeping their place
    return ids


@pytest.mark.parametrize("symmetric", [True, False])
@pytest.mark.parametrize("threads", [1, 2, 3])
@pytest.mark.parametrize("n_words, dense_bytes", [(3, 0), (40, 64), (3000, 4096), (3000, 1 << 20), (3000, 8 << 20),
                                                  (70_000, 1 << 16)])
def test_direct_emit_equals_finish_then_emit(symmetric, threads, n_words, dense_bytes):
    # the small-corpus path (one scatter, buckets sorted in cache, one write) against the general
    # one (sorted runs merged): bit for bit, with and without a dense table, for top-bit buckets
    # that hold part of a row (3, 40 words), whole rows, or need two sort passes (70k words)
    ids = _zipf_ids(n_words, 60_000, seed=n_words + threads)
    for harmonic in (True, False):
        def counter():
            cooc = counting.cooc_kernel.Cooccurrence(n_words, 6, harmonic, symmetric, threads, dense_bytes, 1 << 20)
            for start in range(0, len(ids), 20_000):  # in chunks, as counting feeds it
                cooc.count_ids(ids[:start + 20_000], max(start, 0))
            return cooc
        direct = counter()
        assert direct.can_emit_direct and direct.pending_entries > 0
        got = direct.emit_coo_direct()
        general = counter()
        want = general.emit_coo(general.finish())
        for g, w in zip(got, want):
            assert g.dtype == w.dtype
            np.testing.assert_array_equal(g, w)


def test_direct_emit_only_before_any_flush_or_finish():
    ids = _zipf_ids(500, 5_000, seed=3)
    small = counting.cooc_kernel.Cooccurrence(500, 5, True, True, 2, 0, 1024)  # buffers flush while counting
    small.count_ids(ids)
    assert not small.can_emit_direct
    with pytest.raises(RuntimeError, match="never flushed"):
        small.emit_coo_direct()
    done = counting.cooc_kernel.Cooccurrence(500, 5, True, True, 2, 0, 1 << 20)
    done.count_ids(ids)
    done.finish()
    assert not done.can_emit_direct and done.pending_entries == 0


def test_in_ram_fit_equals_the_general_path(tmp_path, monkeypatch):
    # Corpus.fit takes the direct path for a small in-RAM count; forcing the general one (as a
    # flush would) gives the same matrix
    docs = _docs(seed=4, vocab=300)
    path = _write(tmp_path / "c.txt", docs)
    direct = Corpus().fit(str(path), window=6, no_threads=2)
    class GeneralOnly(counting.cooc_kernel.Cooccurrence):
        can_emit_direct = False

    monkeypatch.setattr(counting.cooc_kernel, "Cooccurrence", GeneralOnly)
    general = Corpus().fit(str(path), window=6, no_threads=2)
    _assert_identical(direct.matrix, general.matrix)


@pytest.mark.parametrize("with_dense", [True, False])
def test_merge_block_entries_are_the_fixed_point_merge(with_dense):
    # run entries written in C (count_files, the Dask count task, fan-in merges) hold exactly
    # the keys and fixed-point values of the three-array merge
    ids = _zipf_ids(300, 20_000, seed=5)
    cooc = counting.cooc_kernel.Cooccurrence(300, 5, True, True, 2, 4096 if with_dense else 0, 1024)
    cooc.count_ids(ids)
    cooc.finish()
    runs = cooc.runs()
    capacity = int(cooc.dense_row_nnz().sum()) + sum(len(r) for r in runs)
    rows, cols, fix = counting.cooc_kernel.merge_block(cooc, 300, 0, 300, runs, capacity, fixed=True)
    ents = counting.cooc_kernel.merge_block(cooc, 300, 0, 300, runs, capacity, entries=True)
    assert ents.dtype == counting.ENTRY and len(ents) == len(rows) > 0
    np.testing.assert_array_equal(ents["key"], rows.astype(np.uint64) * np.uint64(300) + cols.astype(np.uint64))
    np.testing.assert_array_equal(ents["val"], fix)


def test_large_buffers_grow_in_place_and_keep_their_contents():
    # buffers of 2 MB and more are their own huge-page mappings, grown with mremap (_kernels/platform.h):
    # an id stream growing through many of those sizes keeps every id
    counter = counting.vocab_kernel.TokenCounter()
    ids = np.arange(3_000_000, dtype=np.int32) % 1000
    for piece in np.array_split(ids, 40):
        counter.feed_ids(piece)
    np.testing.assert_array_equal(counter.tokens(), ids)
