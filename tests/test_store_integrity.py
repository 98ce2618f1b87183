"""A cooccurrence store's files are checked where they are read, by one check that serves every
path: ``Corpus.load(store).matrix``, ``Glove.fit(store)`` (in RAM and out of core) and
``glovefast train --matrix``. Nothing the format forbids is accepted silently."""
import json
import os
from pathlib import Path

import numpy as np
import pytest

from glovefast import Corpus, Glove, cli
from glovefast.errors import CorruptStoreError, FormatError, InvalidMatrixError, StorageError
from glovefast.cooc.store import VOCABULARY, WORD_COUNTS, CooccurrenceStore

# two shards: rows [0, 3) and [3, 5); the upper triangle of a 5-word matrix
SHARD0 = [(0, 0), (0, 2), (1, 1), (1, 4), (2, 3)]
SHARD1 = [(3, 3), (3, 4), (4, 4)]
WORDS = ["a", "b", "c", "d", "e"]


def _store(path, symmetric=True, words=WORDS):
    with CooccurrenceStore.create(path, 5, symmetric=symmetric) as w:
        for (r0, r1), cells in (((0, 3), SHARD0), ((3, 5), SHARD1)):
            rows, cols = zip(*cells)
            w.add_shard(rows, cols, np.arange(1.0, len(cells) + 1), r0, r1)
        w.add_vocabulary(words, np.arange(10, 15))
        return w.finish(params={"window": 2}, n_tokens=60)


def _edit(path, shard, column, index, value):
    dtype = {"row": "<i4", "col": "<i4", "count": "<f8"}[column]
    fpath = CooccurrenceStore.open(path).shards[shard].path(column)
    arr = np.fromfile(fpath, dtype=dtype)
    arr[index] = value
    arr.tofile(fpath)


def _matrix(path):
    return Corpus.load(path).matrix


def _fit(path):
    return Glove(no_components=2, random_state=0).fit(path, epochs=1, no_threads=1)


def _fit_out_of_core(path, tmp=None):
    return Glove(no_components=2, random_state=0).fit(CooccurrenceStore.open(path), epochs=1, no_threads=1,
                                                      memory="16M")


READERS = [_matrix, _fit, _fit_out_of_core]

CORRUPTIONS = {
    # name: edits (shard, column, entry, value), message
    "column outside n_words": ([(0, "col", 4, 1000000)], r"entry 4 of shard-00000: has column 1000000, outside 0\.\.4"),
    "row outside its shard": ([(0, "row", 4, 3)], r"has row 3, outside the shard's rows 0\.\.2"),
    "lower triangle": ([(0, "col", 4, 1)], r"\(2, 1\) lies below the diagonal"),
    "repeated cell": ([(0, "col", 1, 0)], r"entry 1 of shard-00000: repeats the cell \(0, 0\)"),
    "unsorted": ([(0, "col", 2, 1), (0, "row", 2, 0)], r"\(0, 1\) comes after \(0, 2\)"),
    "repeated across shards": ([(1, "row", 0, 2), (1, "col", 0, 3)], r"has row 2, outside the shard's rows 3\.\.4"),
    "negative count": ([(1, "count", 2, -1.0)], r"finite and > 0; entry \(4, 4\) of shard-00001 is -1\.0"),
    "NaN count": ([(0, "count", 0, np.nan)], r"entry \(0, 0\) of shard-00000 is nan"),
    "infinite count": ([(0, "count", 3, np.inf)], r"entry \(1, 4\) of shard-00000 is inf"),
}


@pytest.mark.parametrize("reader", READERS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("case", list(CORRUPTIONS))
def test_every_reader_names_the_broken_rule(tmp_path, reader, case):
    path = tmp_path / "st"
    _store(path)
    edits, message = CORRUPTIONS[case]
    for edit in edits:
        _edit(path, *edit)
    with pytest.raises(CorruptStoreError, match=message + ".*the store is corrupted") as info:
        reader(path)
    assert isinstance(info.value, FormatError) and isinstance(info.value, InvalidMatrixError)


def test_the_cli_names_it_too(tmp_path, capsys):
    path = tmp_path / "st"
    _store(path)
    _edit(path, 0, "col", 1, 0)
    out = tmp_path / "v.txt"
    assert cli.main(["train", "--matrix", str(path), "-o", str(out), "--epochs", "1", "--dim", "2", "-q"]) == 2
    assert "repeats the cell (0, 0)" in capsys.readouterr().err and not out.exists()


def test_a_sound_store_reads_back_exactly_and_a_full_store_may_hold_both_triangles(tmp_path):
    path = tmp_path / "st"
    _store(path)
    m = _matrix(path)
    assert m.has_canonical_format and list(zip(m.row.tolist(), m.col.tolist())) == SHARD0 + SHARD1
    _fit(path)
    full = tmp_path / "full"
    _store(full, symmetric=False)
    _edit(full, 0, "col", 4, 1)  # (2, 1): fine in a full (left-context) matrix
    assert (2, 1) in set(zip(*(a.tolist() for a in (_matrix(full).row, _matrix(full).col))))
    _fit(full)


@pytest.mark.parametrize("reader", [_matrix, _fit], ids=lambda f: f.__name__)
def test_a_shard_truncated_after_opening_is_a_storage_error(tmp_path, reader):
    path = tmp_path / "st"
    _store(path)
    opened = Corpus.load(path) if reader is _matrix else CooccurrenceStore.open(path)
    store = opened.store if reader is _matrix else opened
    with open(store.shards[1].path("count"), "r+b") as fh:
        fh.truncate(8)
    with pytest.raises(StorageError, match="shorter than the manifest .* modified or replaced after it was opened"):
        opened.matrix if reader is _matrix else _fit(store)


def test_a_shard_replaced_by_a_link_is_refused(tmp_path):
    """A link to a same-size file outside the store used to be read silently."""
    path = tmp_path / "st"
    store = _store(path)
    target = store.shards[0].path("count")
    outside = tmp_path / "outside.f8"
    np.full(len(SHARD0), 7.0).tofile(outside)
    opened = Corpus.load(path)  # opened first: the link appears between opening and reading
    os.unlink(target)
    os.symlink(outside, target)
    for read in (lambda: opened.matrix, lambda: _fit(store), lambda: Corpus.load(path)):
        with pytest.raises(CorruptStoreError, match="is a symbolic link"):
            read()


def test_a_vocabulary_with_a_lone_surrogate_fails_at_load(tmp_path):
    """JSON can spell "\\ud800"; such a word trained every epoch, then failed where it was written."""
    path = tmp_path / "st"
    _store(path)
    vocab = Path(CooccurrenceStore.open(path).file_path(VOCABULARY))
    vocab.write_text(json.dumps(["a", "b", "\ud800", "d", "e"]))
    with pytest.raises(FormatError, match=r"word 2 \('\\ud800'\) holds a lone surrogate"):
        Corpus.load(path)


@pytest.mark.parametrize("counts, message", [
    ([10, -3, 5, 5, 5], r"word 1 has a negative count \(-3\)"),
    ([2**62, 2**62, 1, 1, 1], r"add up to more than 2\*\*63 - 1"),
])
def test_impossible_word_counts_fail_at_load(tmp_path, counts, message):
    """They made n_tokens 0 (or wrapped around) silently."""
    path = tmp_path / "st"
    store = _store(path)
    np.array(counts, dtype="<i8").tofile(store.file_path(WORD_COUNTS))
    with pytest.raises(FormatError, match=message):
        Corpus.load(path)



# ------------------------------------------------------------------ the same rules in the .npz twins
def _forge_surrogate(src, dst, good, bad):
    """Copy a bundle with the JSON string ``good`` replaced by ``bad``, spelled as a JSON escape."""
    import io
    import zipfile

    from glovefast.io import bundle

    with zipfile.ZipFile(src) as z:
        members = {n: z.read(n) for n in z.namelist()}
    header = json.loads(np.load(io.BytesIO(members.pop(bundle.META_MEMBER + ".npy"))).tobytes())
    text = json.dumps(header, ensure_ascii=False).replace(json.dumps(good), json.dumps(bad, ensure_ascii=True))
    forged = json.loads(text)  # keeps the old digest: none can be computed over a surrogate
    buf = io.BytesIO()
    np.save(buf, np.frombuffer(json.dumps(forged, ensure_ascii=True).encode(), np.uint8))
    with zipfile.ZipFile(dst, "w") as z:
        z.writestr(bundle.META_MEMBER + ".npy", buf.getvalue())
        for name, blob in members.items():
            z.writestr(name, blob)


def test_bundles_with_a_lone_surrogate_fail_at_load(tmp_path):
    from glovefast import WordVectors

    corpus = Corpus.load(_store(tmp_path / "st").path)
    corpus.save(tmp_path / "c.npz")
    WordVectors(WORDS, np.ones((5, 2), np.float32)).save(tmp_path / "v.npz")
    Glove(no_components=2, random_state=0).fit(corpus.matrix, epochs=1, dictionary=corpus.dictionary).save(
        tmp_path / "m.npz")
    loads = (("c.npz", Corpus.load), ("v.npz", WordVectors.load), ("m.npz", Glove.load),
             ("v.npz", lambda p: WordVectors.load(p, mmap=True)))  # verify=False: it used to load
    for name, load in loads:
        _forge_surrogate(tmp_path / name, tmp_path / ("bad-" + name), "c", "\ud800")
        with pytest.raises(FormatError, match=r"\[2\] = '\\ud800' holds a lone surrogate"):
            load(tmp_path / ("bad-" + name))


def test_an_npz_corpus_with_negative_word_counts_fails_at_load(tmp_path):
    from glovefast.io import bundle

    corpus = Corpus.load(_store(tmp_path / "st").path)
    corpus.save(tmp_path / "c.npz")
    with np.load(tmp_path / "c.npz") as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(arrays.pop(bundle.META_MEMBER).tobytes())["meta"]
    arrays["word_counts"] = np.array([10, -3, 5, 5, 5])
    bundle.save_npz_bundle(tmp_path / "bad.npz", Corpus.NPZ_KIND, arrays, meta)
    with pytest.raises(FormatError, match="negative count"):
        Corpus.load(tmp_path / "bad.npz")


# ------------------------------------------------------------------ the C check against a plain reference
def _reference(rows, cols, counts, r0, r1, n, upper, last):
    from glovefast._kernels import cooc as _core

    for i, (r, c) in enumerate(zip(rows.tolist(), cols.tolist())):
        key = r * n + c
        if not r0 <= r < r1:
            return i, _core.ENTRY_ROW
        if not 0 <= c < n:
            return i, _core.ENTRY_COL
        if upper and r > c:
            return i, _core.ENTRY_LOWER
        if key <= last:
            return i, _core.ENTRY_REPEATED if key == last else _core.ENTRY_UNSORTED
        if counts is not None and not (counts[i] > 0 and np.isfinite(counts[i])):
            return i, _core.ENTRY_COUNT
        last = key
    return -1, _core.ENTRY_OK


@pytest.mark.parametrize("where", [0, 1, 4095, 4096, 4097, 12000, 19999])
def test_the_blocked_kernel_finds_the_first_bad_entry(where):
    from glovefast._kernels import cooc as _core

    rng = np.random.default_rng(where)
    n = 3000
    keys = np.unique(rng.integers(0, n * n, 25000))[:20000]
    rows, cols = (keys // n).astype(np.int32), (keys % n).astype(np.int32)
    upper = rows <= cols
    rows, cols = rows[upper], cols[upper]
    counts = rng.random(len(rows)) + 0.5
    assert _core.check_entries(rows, cols, counts, 0, n, n, True, -1) == (-1, 0, int(rows[-1]) * n + int(cols[-1]))
    where = min(where, len(rows) - 1)
    for edit in (lambda r, c, x: r.__setitem__(where, n), lambda r, c, x: c.__setitem__(where, -1),
                 lambda r, c, x: x.__setitem__(where, np.nan), lambda r, c, x: x.__setitem__(where, -0.0),
                 lambda r, c, x: c.__setitem__(where, c[where - 1]) if where else None,
                 lambda r, c, x: (r.__setitem__(where, r[where - 1]), c.__setitem__(where, 0)) if where else None):
        r, c, x = rows.copy(), cols.copy(), counts.copy()
        edit(r, c, x)
        for with_counts in (x, None):
            got = _core.check_entries(r, c, with_counts, 0, n, n, True, -1)
            assert got[:2] == _reference(r, c, with_counts, 0, n, n, True, -1)


def test_train_refuses_before_training_a_vocabulary_its_text_output_cannot_hold(tmp_path, capsys):
    """A matrix counted from token lists may hold "new york": the vectors train, then the text
    output failed. Now --matrix says so before training, and npz output works."""
    Corpus().fit([["new york", "city", "new york", "state"]] * 3, window=2).save(tmp_path / "st")
    args = ["train", "--matrix", str(tmp_path / "st"), "--dim", "2", "--epochs", "1", "-q"]
    assert cli.main([*args, "-o", str(tmp_path / "v.txt")]) == 2
    err = capsys.readouterr().err
    assert "'new york'" in err and "write it as npz" in err and "nothing was trained" in err
    assert cli.main([*args, "-o", str(tmp_path / "v.npz")]) == 0
    assert sorted(os.listdir(tmp_path)) == ["st", "v.npz"]
