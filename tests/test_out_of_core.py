"""Training in bounded memory: the external shuffle gives the in-RAM order, stores train without a
COO in RAM, memory is checked before allocating, rollback without a second copy, and nothing is
left in tmp_dir on success, error, Ctrl-C or a full disk."""
import logging
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import scipy.sparse as sp

import glovefast
from glovefast import Glove
from glovefast._kernels.glove import gather_runs, train_blocks
from glovefast.datasets import builtin_path
from glovefast.errors import (
    InvalidMatrixError,
    InvalidParameterError,
    MemoryBudgetError,
    StorageError,
    TrainingDivergedError,
)
from glovefast.models.rollback import Rollback
from glovefast.cooc.store import CooccurrenceStore
from glovefast.models.glove.memory import TrainingMemory
from glovefast.models.glove.triples import MatrixSource, StoreSource, open_source, prepare_in_ram, prepare_on_disk


def random_upper(n_words, nnz, seed=0):
    """A canonical upper-triangle COO (as Corpus.matrix) with Zipf-like counts."""
    rng = np.random.default_rng(seed)
    keys = set()
    while len(keys) < nnz:
        i = rng.integers(0, n_words, size=nnz)
        j = rng.integers(0, n_words, size=nnz)
        lo, hi = np.minimum(i, j), np.maximum(i, j)
        keys.update((lo * n_words + hi).tolist())
    keys = np.array(sorted(keys)[:nnz], dtype=np.int64)
    rows, cols = (keys // n_words).astype(np.int32), (keys % n_words).astype(np.int32)
    counts = 1.0 / rng.uniform(0.01, 1.0, size=nnz)
    m = sp.coo_matrix((counts, (rows, cols)), shape=(n_words, n_words))
    m.has_canonical_format = True
    return m


def write_store(path, m, n_shards=3, symmetric=True):
    bounds = np.linspace(0, m.shape[0], n_shards + 1).astype(int)
    with CooccurrenceStore.create(path, m.shape[0], symmetric=symmetric) as w:
        for r0, r1 in zip(bounds, bounds[1:]):
            sel = (m.row >= r0) & (m.row < r1)
            w.add_shard(m.row[sel], m.col[sel], m.data[sel], int(r0), int(r1))
        return w.finish()


@pytest.fixture(scope="module")
def small():
    return random_upper(300, 20000, seed=1)


def _prepared(source, symmetric, double, on_disk, work, tmp_path, threads=2):
    source.load(symmetric)
    dtype = np.float64 if double else np.float32
    if on_disk:
        data = prepare_on_disk(source, 12345, 10.0, 0.75, dtype, threads, work, str(tmp_path))
    else:
        data = prepare_in_ram(source, 12345, 10.0, 0.75, dtype, threads)
    out = np.array(data.raw, copy=True)
    assert data.n * (24 if double else 16) == len(out)
    data.close()
    return out


@pytest.mark.parametrize("double", [False, True])
@pytest.mark.parametrize("symmetric", [True, False])
@pytest.mark.parametrize("work", [1 << 12, 1 << 16, 1 << 30])
def test_external_shuffle_gives_the_in_ram_order(small, tmp_path, double, symmetric, work):
    # work=4 KB: hundreds of chunks and bucket ranges of one bucket; 1 GB: one chunk, one range
    ref = _prepared(MatrixSource(small), symmetric, double, False, None, tmp_path)
    got = _prepared(MatrixSource(small), symmetric, double, True, work, tmp_path, threads=1)
    np.testing.assert_array_equal(got, ref)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("on_disk", [False, True])
def test_store_gives_the_matrix_order(small, tmp_path, on_disk):
    store = write_store(tmp_path / "store", small, n_shards=4)
    ref = _prepared(MatrixSource(small), None, False, False, None, tmp_path)
    work = 1 << 14
    got = _prepared(StoreSource(store), None, False, on_disk, work, tmp_path)
    np.testing.assert_array_equal(got, ref)
    assert os.listdir(tmp_path) == ["store"]


def test_open_source_accepts_stores_and_paths(small, tmp_path):
    store = write_store(tmp_path / "store", small)
    assert isinstance(open_source(store), StoreSource)
    assert isinstance(open_source(str(tmp_path / "store")), StoreSource)
    assert isinstance(open_source(tmp_path / "store"), StoreSource)
    with pytest.raises(InvalidMatrixError, match="dictionary has 7"):
        open_source(store, n_words=7)
    with pytest.raises(FileNotFoundError):
        open_source(str(tmp_path / "nothing"))


# ---------------------------------------------------------------------------------- Glove.fit
@pytest.fixture(scope="module")
def big():
    # ~1.2M updates = 19 MB of triples: more than a 16 MB budget, so it goes out of core
    return random_upper(3000, 620000, seed=2)


def _fit(matrix, caplog=None, **kwargs):
    fit_args = {k: kwargs.pop(k) for k in ("memory", "tmp_dir", "epochs") if k in kwargs}
    fit_args.setdefault("epochs", 2)
    g = Glove(no_components=8, learning_rate=0.05, max_count=10, random_state=7, **kwargs)
    return g.fit(matrix, no_threads=1, **fit_args)


def test_out_of_core_fit_is_bit_for_bit_the_in_ram_fit(big, tmp_path, caplog):
    ref = _fit(big)
    with caplog.at_level(logging.INFO, logger="glovefast.models.glove.model"):
        got = _fit(big, memory="16M", tmp_dir=tmp_path)
    assert "shuffled on disk" in caplog.text and "rollback in RAM" in caplog.text
    assert got.n_updates_per_epoch_ == ref.n_updates_per_epoch_ > (16 << 20) // 16
    np.testing.assert_array_equal(got.word_vectors, ref.word_vectors)
    np.testing.assert_array_equal(got.context_biases, ref.context_biases)
    assert got.loss_history_ == ref.loss_history_
    assert os.listdir(tmp_path) == []


def test_store_fit_in_ram_and_out_of_core_match_the_matrix_fit(big, tmp_path):
    write_store(tmp_path / "store", big, n_shards=5)
    ref = _fit(big, epochs=1)
    for memory in (None, "16M"):
        got = _fit(str(tmp_path / "store"), epochs=1, memory=memory, tmp_dir=tmp_path)
        np.testing.assert_array_equal(got.word_vectors, ref.word_vectors)
    assert sorted(os.listdir(tmp_path)) == ["store"]


def test_budget_cannot_change_results_in_float64(big, tmp_path):
    ref = _fit(big, epochs=1, dtype=np.float64)
    got = _fit(big, epochs=1, dtype=np.float64, memory="20M", tmp_dir=tmp_path)
    np.testing.assert_array_equal(got.word_vectors, ref.word_vectors)


def test_multithreaded_out_of_core_training_learns(big, tmp_path):
    g = Glove(no_components=8, max_count=10, random_state=0).fit(big, epochs=3, no_threads=2, memory="16M",
                                                                   tmp_dir=tmp_path)
    ref = Glove(no_components=8, max_count=10, random_state=0).fit(big, epochs=3, no_threads=2)
    assert g.loss_history_[-1] < g.loss_history_[0]
    assert abs(g.loss_history_[-1] - ref.loss_history_[-1]) < 0.02 * ref.loss_history_[-1]


# ------------------------------------------------------------------------------ memory checks
def three_entries(n):
    return sp.coo_matrix((np.array([1.0, 2.0, 3.0]), (np.array([0, 1, 2]), np.array([1, 2, 2]))), shape=(n, n))


def test_parameters_beyond_the_budget_fail_at_once():
    # issue 11: a 3-entry matrix of shape (2^24, 2^24) at d=30 was OOM-killed after 195 s
    with pytest.raises(MemoryBudgetError, match=r"needs at least 12\.9 GiB.*budget \(1\.0 GiB\).*memory="):
        Glove(no_components=30).fit(three_entries(1 << 24), epochs=1, memory="1G")
    # issue 11: no_components=10**8 on 3 words peaked at 12.6 GB
    with pytest.raises(MemoryBudgetError, match=r"3 words x 100,000,000 dimensions needs at least 6\.7 GiB"):
        Glove(no_components=10**8).fit(three_entries(3), epochs=1, memory="4G")


def test_without_a_budget_the_available_memory_is_the_limit(monkeypatch):
    import glovefast.models.glove.memory as tm

    monkeypatch.setattr(tm, "available_memory", lambda: 2 << 30)
    with pytest.raises(MemoryBudgetError, match=r"the memory available now \(2\.0 GiB\)"):
        Glove(no_components=30).fit(three_entries(1 << 24), epochs=1)


def test_memory_plan_places_triples_and_rollback():
    plan = TrainingMemory(70000, 50, 120, 4, 0, memory="512M").place_triples(70_000_000, 16)
    assert plan.parameters == 2 * 70000 * 120 * 4
    assert not plan.triples_in_ram and not plan.rollback_in_ram
    assert plan.work == plan.budget - plan.parameters
    plan = TrainingMemory(70000, 50, 120, 4, 0, memory="4G").place_triples(70_000_000, 16)
    assert plan.triples_in_ram and plan.rollback_in_ram and plan.work == 0
    plan = TrainingMemory(1000, 50, 120, 4, 0, memory="16M").place_triples(70_000_000, 16)
    assert plan.rollback_in_ram and not plan.triples_in_ram
    # 12.2 MiB of parameters leave less than the 4 MiB the external shuffle needs
    with pytest.raises(MemoryBudgetError, match="shuffling them on disk needs at least 4.0 MiB"):
        TrainingMemory(1000, 1, 1600, 4, 0, memory="16M").place_triples(70_000_000, 16)


def test_bad_memory_and_tmp_dir(small, tmp_path):
    with pytest.raises(InvalidParameterError, match="memory"):
        Glove().fit(small, memory="lots")
    with pytest.raises(InvalidParameterError, match="tmp_dir"):
        Glove().fit(small, tmp_dir=tmp_path / "missing")


def test_initialisation_draws_the_values_of_one_full_draw():
    from glovefast.models.glove.model import Glove as G

    rng = np.random.default_rng(3)
    rows = G._init_rows(np.random.default_rng(3), 1000, 300, 304, 616, np.float32)
    want = (rng.random((1000, 300)) - 0.5) / 300
    np.testing.assert_array_equal(rows[:, :300], want.astype(np.float32))
    np.testing.assert_array_equal(rows[:, 608], ((rng.random(1000) - 0.5) / 300).astype(np.float32))
    assert (rows[:, 300:304] == 0).all() and (rows[:, 304:608] == 1).all() and (rows[:, 609] == 1).all()


# --------------------------------------------------------------------------------- rollback
@pytest.mark.parametrize("in_ram", [True, False])
def test_rollback_restores_saved_values(tmp_path, in_ram):
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    b = np.ones(5)
    r = Rollback((a, b), in_ram, str(tmp_path))
    r.restore()  # nothing saved: nothing changes
    assert a[2, 3] == 11
    r.save()
    a[:] = np.nan
    b[:] = -1
    r.restore()
    assert a[2, 3] == 11 and (b == 1).all()
    a[0, 0] = 42
    r.save()
    a[:] = 0
    r.restore()
    assert a[0, 0] == 42
    r.close()
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("memory, where", [(None, "rollback in RAM"), ("16M", "rollback on disk")])
def test_divergence_restores_the_last_finite_epoch(big, tmp_path, monkeypatch, caplog, memory, where):
    # float64 at d=24: 2.7 MB of parameters, more than 1/8 of 16M, so that budget checkpoints to a file
    import glovefast.models.glove.model as glove_module

    calls = {"n": 0}
    real = train_blocks

    def poisoning(W, *args):
        loss = real(W, *args)
        calls["n"] += 1
        if calls["n"] == 2:  # epoch 2 (one call per epoch) leaves a NaN in W, the loss stays finite
            W[5, 3] = np.nan
        return loss

    monkeypatch.setattr(glove_module.glove_kernel, "train_blocks", poisoning)
    g = Glove(no_components=24, random_state=0, dtype=np.float64)
    with caplog.at_level(logging.INFO, logger="glovefast.models.glove.model"):
        with pytest.raises(TrainingDivergedError, match="epoch 2.*keeps the vectors of epoch 1"):
            g.fit(big, epochs=3, no_threads=1, memory=memory, tmp_dir=tmp_path)
    assert where in caplog.text
    monkeypatch.setattr(glove_module.glove_kernel, "train_blocks", real)
    one = Glove(no_components=24, random_state=0, dtype=np.float64).fit(big, epochs=1, no_threads=1)
    np.testing.assert_array_equal(g.word_vectors, one.word_vectors)
    np.testing.assert_array_equal(g.word_biases, one.word_biases)
    assert os.listdir(tmp_path) == []


def test_interrupt_keeps_the_last_epoch_and_cleans_up(big, tmp_path, monkeypatch):
    import glovefast.models.glove.model as glove_module

    calls = {"n": 0}
    real = train_blocks

    def interrupting(*args):
        calls["n"] += 1
        if calls["n"] == 2:  # epoch 2's only call
            raise KeyboardInterrupt
        return real(*args)

    monkeypatch.setattr(glove_module.glove_kernel, "train_blocks", interrupting)
    g = Glove(no_components=8, random_state=0)
    with pytest.raises(KeyboardInterrupt):
        g.fit(big, epochs=3, no_threads=1, memory="16M", tmp_dir=tmp_path)
    monkeypatch.setattr(glove_module.glove_kernel, "train_blocks", real)
    assert g.interrupted_ and len(g.loss_history_) == 1
    one = Glove(no_components=8, random_state=0).fit(big, epochs=1, no_threads=1)
    np.testing.assert_array_equal(g.word_vectors, one.word_vectors)
    assert os.listdir(tmp_path) == []


def test_error_while_preparing_leaves_nothing(big, tmp_path, monkeypatch):
    import glovefast.models.glove.triples as triples

    real = gather_runs

    def failing(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(triples.glove_kernel, "gather_runs", failing)
    fds = len(os.listdir("/proc/self/fd"))
    with pytest.raises(KeyboardInterrupt):
        Glove(no_components=8).fit(big, epochs=1, memory="16M", tmp_dir=tmp_path)
    monkeypatch.setattr(triples.glove_kernel, "gather_runs", real)
    assert os.listdir(tmp_path) == []
    assert len(os.listdir("/proc/self/fd")) == fds


FULL_DISK = textwrap.dedent("""
    import resource, signal, sys
    import numpy as np, scipy.sparse as sp
    sys.path.insert(0, sys.argv[1])
    from glovefast import Glove
    from glovefast.errors import StorageError
    rng = np.random.default_rng(0)
    i = rng.integers(0, 3000, 600000); j = rng.integers(0, 3000, 600000)
    m = sp.coo_matrix((np.ones(600000), (np.minimum(i, j), np.maximum(i, j))), shape=(3000, 3000)).tocsr().tocoo()
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
    resource.setrlimit(resource.RLIMIT_FSIZE, (4 << 20, 4 << 20))
    try:
        Glove(no_components=8).fit(m, epochs=1, memory="16M", tmp_dir=sys.argv[2])
    except StorageError as exc:
        print("StorageError:", exc)
""")


def test_full_disk_is_a_storage_error_naming_the_directory(tmp_path):
    root = os.path.dirname(os.path.dirname(os.path.abspath(glovefast.__file__)))  # the package under test
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    out = subprocess.run([sys.executable, "-c", FULL_DISK, root, str(tmp)], capture_output=True, text=True,
                         timeout=120, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "StorageError: cannot write the training triples to the temporary directory" in out.stdout
    assert str(tmp) in out.stdout and "tmp_dir=" in out.stdout
    assert os.listdir(tmp) == []


def test_not_enough_free_space_is_refused_up_front(big, tmp_path, monkeypatch):
    import glovefast.models.glove.triples as triples

    class Usage:
        free = 1 << 20

    monkeypatch.setattr(triples.shutil, "disk_usage", lambda path: Usage)
    with pytest.raises(StorageError, match=r"need 3\d\.\d MiB of temporary space.*only 1\.0 MiB is free"):
        Glove(no_components=8).fit(big, epochs=1, memory="16M", tmp_dir=tmp_path)
    assert os.listdir(tmp_path) == []


# ------------------------------------------------------------------------------------ the CLI
KJV = builtin_path("kjv")


def _cli(*args):
    from glovefast.cli import main

    return main([str(a) for a in args])


@pytest.mark.parametrize("args, fragment", [
    (["--memory", "lots"], "--memory must be a number of bytes or a size like '512M'"),
    (["--memory", "1K"], "glovefast needs a budget of at least 16.0 MiB"),
    (["--tmp-dir", "/nonexistent/dir"], "--tmp-dir: '/nonexistent/dir' is not an existing directory"),
])
def test_cli_memory_flags_are_checked_before_any_work(capsys, tmp_path, args, fragment):
    code = _cli("train", KJV, "-o", tmp_path / "v.txt", *args)
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and fragment in err, err
    assert not (tmp_path / "v.txt").exists()


def test_cli_memory_budget_error_says_what_is_needed(capsys, tmp_path):
    code = _cli("train", KJV, "-o", tmp_path / "v.txt", "--max-vocab", "150", "--dim", "200000", "--memory", "64M",
                "--epochs", "1", "--quiet")
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert "needs at least 686.7 MiB" in err and "memory budget (64.0 MiB)" in err


def test_cli_trains_out_of_core_with_the_same_result(tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(glovefast.__file__))))
    common = ["--dim", "8", "--epochs", "1", "--threads", "1", "--seed", "3", "--window", "15", "--min-count", "1"]
    runs = {}
    for name, extra in (("ram", []), ("disk", ["--memory", "16M", "--tmp-dir", tmp])):
        out = tmp_path / f"{name}.npz"
        proc = subprocess.run([sys.executable, "-m", "glovefast", "train", KJV, "-o", out, *common, *extra],
                              capture_output=True, text=True, env=env, timeout=300, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        runs[name] = proc.stderr
    assert "shuffled on disk" in runs["disk"] and "shuffled on disk" not in runs["ram"]
    from glovefast.vectors.word_vectors import WordVectors

    np.testing.assert_array_equal(WordVectors.load(tmp_path / "disk.npz").vectors,
                                  WordVectors.load(tmp_path / "ram.npz").vectors)
    assert os.listdir(tmp) == []


def test_corrupted_store_counts_are_named_errors(small, tmp_path):
    store = write_store(tmp_path / "store", small, n_shards=2)
    path = store.shards[1].path("count")
    counts = np.fromfile(path, dtype="<f8")
    counts[3] = -1.0
    counts.tofile(path)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    for memory in (None, "16M"):
        with pytest.raises(InvalidMatrixError, match=r"shard-00001 is -1\.0; the store is corrupted"):
            Glove(no_components=4).fit(store, epochs=1, memory=memory, tmp_dir=tmp)
    assert os.listdir(tmp) == []


def test_interrupt_while_writing_the_checkpoint_keeps_the_last_epoch(big, tmp_path, monkeypatch):
    # float64 at d=24 with 16M: the rollback checkpoint is a file; Ctrl-C lands in its second write
    import glovefast.models.rollback as rollback

    calls = {"n": 0}
    real = rollback.write_all

    def interrupted(fh, buffer, *args):
        calls["n"] += 1
        if calls["n"] == 4:  # epoch 2's save: W written, Ctrl-C before W~
            raise KeyboardInterrupt
        return real(fh, buffer, *args)

    monkeypatch.setattr(rollback, "write_all", interrupted)
    g = Glove(no_components=24, random_state=0, dtype=np.float64)
    with pytest.raises(KeyboardInterrupt):
        g.fit(big, epochs=3, no_threads=1, memory="16M", tmp_dir=tmp_path)
    monkeypatch.setattr(rollback, "write_all", real)
    one = Glove(no_components=24, random_state=0, dtype=np.float64).fit(big, epochs=1, no_threads=1)
    assert g.interrupted_ and len(g.loss_history_) == 1
    np.testing.assert_array_equal(g.word_vectors, one.word_vectors)
    assert os.listdir(tmp_path) == []
