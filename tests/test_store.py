"""The on-disk cooccurrence store: round trip, validation, and nothing half-written."""
import json
import os

import numpy as np
import pytest
import scipy.sparse as sp

from glovefast.errors import FormatError, InvalidParameterError, MemoryBudgetError
from glovefast.cooc.store import CooccurrenceStore, is_store


def _upper(n=30, density=0.3, seed=0):
    m = sp.random(n, n, density=density, random_state=seed, format="coo")
    m = sp.triu(m + m.T).tocoo()
    m.sum_duplicates()
    return m


def _write(path, m, splits):
    with CooccurrenceStore.create(path, m.shape[0], symmetric=True) as w:
        bounds = [0, *splits, m.shape[0]]
        for r0, r1 in zip(bounds, bounds[1:]):
            sel = (m.row >= r0) & (m.row < r1)
            w.add_shard(m.row[sel], m.col[sel], m.data[sel], r0, r1)
        return w.finish(params={"window": 5}, n_tokens=123)


def test_round_trip_with_shards_and_vocabulary(tmp_path):
    m = _upper()
    path = tmp_path / "s"
    with CooccurrenceStore.create(path, 30, symmetric=True) as w:
        sel = m.row < 10
        w.add_shard(m.row[sel], m.col[sel], m.data[sel], 0, 10)
        w.begin_shard(10)
        rest = (m.row >= 10) & (m.row < 25)
        half = rest.sum() // 2
        idx = np.flatnonzero(rest)
        w.append(m.row[idx[:half]], m.col[idx[:half]], m.data[idx[:half]])
        w.append(m.row[idx[half:]], m.col[idx[half:]], m.data[idx[half:]])
        w.end_shard(25)
        last = m.row >= 25
        w.add_shard(m.row[last], m.col[last], m.data[last], 25, 30)
        w.add_vocabulary([f"w{i}" for i in range(30)], np.arange(30))
        store = w.finish(params={"window": 5}, n_tokens=7)
    assert is_store(path) and [s.row_end for s in store.shards] == [10, 25, 30]
    again = CooccurrenceStore.open(path)
    assert again.nnz == m.nnz and again.params == {"window": 5} and again.n_tokens == 7
    assert again.words()[3] == "w3" and again.word_counts()[4] == 4
    coo = again.to_coo()
    assert coo.has_canonical_format
    np.testing.assert_array_equal(coo.toarray(), m.toarray())
    assert [type(a) for a in next(again.iter_shards())] == [np.memmap] * 3


def test_unsorted_or_lower_triangle_entries_are_refused(tmp_path):
    with CooccurrenceStore.create(tmp_path / "s", 5, symmetric=True) as w:
        w.begin_shard(0)
        with pytest.raises(InvalidParameterError, match="sorted"):
            w.append([1, 0], [2, 3], [1.0, 1.0])
    assert os.listdir(tmp_path) == []  # the partial store is gone
    with CooccurrenceStore.create(tmp_path / "s", 5, symmetric=True) as w:
        w.begin_shard(0)
        with pytest.raises(InvalidParameterError, match="upper triangle"):
            w.append([3], [1], [1.0])
    assert os.listdir(tmp_path) == []


def test_nothing_appears_without_finish_and_other_files_are_never_replaced(tmp_path):
    m = _upper()
    with CooccurrenceStore.create(tmp_path / "s", 30, symmetric=True) as w:
        w.add_shard(m.row, m.col, m.data, 0, 30)
    assert os.listdir(tmp_path) == []
    (tmp_path / "file").write_text("keep me")
    with pytest.raises(InvalidParameterError, match="not a glovefast cooccurrence store"):
        CooccurrenceStore.create(tmp_path / "file", 30, symmetric=True)
    assert (tmp_path / "file").read_text() == "keep me"
    _write(tmp_path / "s", m, [])
    with pytest.raises(InvalidParameterError, match="already exists"):
        CooccurrenceStore.create(tmp_path / "s", 30, symmetric=True)
    with CooccurrenceStore.create(tmp_path / "s", 30, symmetric=True, overwrite=True) as w:
        w.add_shard(m.row[:3], m.col[:3], m.data[:3], 0, 30)
        assert w.finish().nnz == 3
    assert sorted(os.listdir(tmp_path)) == ["file", "s"]


def test_corrupt_stores_are_format_errors(tmp_path):
    m = _upper()
    path = tmp_path / "s"
    _write(path, m, [7, 20])
    manifest = json.loads((path / "manifest.json").read_text())
    cases = {
        "version": 99, "n_words": "abc", "nnz": m.nnz + 1, "symmetric": "yes", "params": [1],
        "shards": [{"name": "shard-00000", "row_start": 0, "row_end": 5, "nnz": 1}],
    }
    for field, value in cases.items():
        (path / "manifest.json").write_text(json.dumps({**manifest, field: value}))
        with pytest.raises(FormatError, match=field):
            CooccurrenceStore.open(path)
    (path / "manifest.json").write_text("[" * 100000)
    with pytest.raises(FormatError, match="not valid JSON"):
        CooccurrenceStore.open(path)
    (path / "manifest.json").write_text(json.dumps(manifest))
    with open(CooccurrenceStore.open(path).shards[1].path("col"), "ab") as fh:
        fh.write(b"\0\0\0\0")
    with pytest.raises(FormatError, match="shard-00001.col.i4"):
        CooccurrenceStore.open(path)
    with pytest.raises(FileNotFoundError):
        CooccurrenceStore.open(tmp_path / "missing")


def test_to_coo_respects_the_memory_budget(tmp_path):
    m = _upper(n=3000, density=0.3)
    store = _write(tmp_path / "s", m, [1000])
    assert store.nnz * 16 > 16 << 20
    with pytest.raises(MemoryBudgetError, match="budget"):
        store.to_coo(memory="16M")
