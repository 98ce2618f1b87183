"""Counting on a Dask cluster: a real distributed.LocalCluster (2 worker processes, 1 thread each)
must give the single-machine result entry for entry, with every storage path and cleanup."""
import contextlib
import gzip
import os
import shutil
import socket
import subprocess
import sys

import numpy as np
import pytest

import glovefast

distributed = pytest.importorskip("distributed")

from glovefast import Corpus  # noqa: E402
import glovefast.cooc.store as store_module  # noqa: E402
from glovefast.cooc import dask_counting  # noqa: E402
from glovefast.errors import (  # noqa: E402
    CorpusFormatError,
    EmptyCorpusError,
    InvalidParameterError,
    StorageError,
    UnknownWordError,
)
from glovefast.cooc.store import CooccurrenceStore  # noqa: E402

# the glovefast under test (installed, or built in place), for worker and CLI processes
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(glovefast.__file__)))


@contextlib.contextmanager
def local_cluster(**options):
    """A client of a LocalCluster of two worker processes of one thread each (``options`` go to
    LocalCluster), whose workers import this checkout's glovefast, as a user installs it on every
    worker."""
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = ROOT + (os.pathsep + old if old else "")
    try:
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                      worker_dashboard_address=":0", **options) as cluster, \
                distributed.Client(cluster) as c:
            yield c
    finally:
        if old is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = old


@pytest.fixture(scope="module")
def client():
    with local_cluster() as c:
        yield c


def _write_corpus(directory, n_files=5, tokens=12000, vocab=1500, seed=0):
    """Zipfian files: some gzip, one empty, one without a final newline, blank lines inside."""
    rng = np.random.default_rng(seed)
    paths = []
    for k in range(n_files):
        words = [f"w{int(x)}" for x in rng.zipf(1.2, size=tokens * (k + 1) // 2) % vocab]
        lines = [" ".join(words[i:i + 40]) for i in range(0, len(words), 40)]
        lines[len(lines) // 2] = ""
        text = "\n".join(lines) + ("" if k == 2 else "\n")
        path = os.path.join(directory, f"part{k}.txt" + (".gz" if k % 2 else ""))
        with (gzip.open if k % 2 else open)(path, "wb") as fh:
            fh.write(text.encode())
        paths.append(path)
    empty = os.path.join(directory, "empty.txt")
    open(empty, "wb").close()
    return paths[:2] + [empty] + paths[2:]


@pytest.fixture(scope="module")
def corpus_files(tmp_path_factory):
    return _write_corpus(str(tmp_path_factory.mktemp("corpus")))


def _assert_same(a, b):
    assert a.dictionary == b.dictionary
    np.testing.assert_array_equal(a.word_counts, b.word_counts)
    assert a.n_tokens == b.n_tokens and a.params == b.params
    assert a.matrix.shape == b.matrix.shape and a.matrix.has_canonical_format and b.matrix.has_canonical_format
    np.testing.assert_array_equal(a.matrix.row, b.matrix.row)
    np.testing.assert_array_equal(a.matrix.col, b.matrix.col)
    np.testing.assert_array_equal(a.matrix.data, b.matrix.data)  # exact: fixed-point counts


@pytest.mark.parametrize("options", [
    dict(window=5, min_count=2),
    dict(window=3, min_count=1, max_vocab=300, distance_weighting="flat", symmetric=False),
    dict(window=4, min_count=2, max_vocab=500, id_order="first_seen"),  # glove_python's numbering
])
def test_equals_single_machine_entry_for_entry(client, corpus_files, tmp_path, options):
    here = Corpus().fit(corpus_files, **options)
    there = Corpus().fit(corpus_files, client=client, work_dir=str(tmp_path / "work"), **options)
    _assert_same(here, there)
    assert os.listdir(tmp_path / "work") == []  # intermediate files removed


def test_fixed_dictionary(client, corpus_files, tmp_path):
    vocab = Corpus().fit(corpus_files, min_count=20).dictionary
    words = sorted(vocab)[::2]  # drop half the words: they become unknown
    dictionary = {w: i for i, w in enumerate(reversed(words))}  # ids in an order of our own
    here = Corpus(dictionary).fit(corpus_files, window=4, ignore_missing=True)
    there = Corpus(dictionary).fit(corpus_files, window=4, ignore_missing=True, client=client)
    _assert_same(here, there)
    with pytest.raises(UnknownWordError, match="not in the dictionary"):
        Corpus(dictionary).fit(corpus_files, window=4, client=client)


def test_fit_into_a_store(client, corpus_files, tmp_path):
    here = Corpus().fit(corpus_files, window=5, min_count=2)
    there = Corpus().fit(corpus_files, window=5, min_count=2, client=client, store=tmp_path / "cooc")
    assert there.store is not None and there.store.path == str(tmp_path / "cooc")
    assert CooccurrenceStore.open(tmp_path / "cooc").words() == there.inverse_dictionary
    _assert_same(here, there)  # .matrix reads the store


def test_store_with_many_runs_and_shards(client, corpus_files, tmp_path):
    """More tasks than workers and more shards than tasks: every merge piece and boundary runs."""
    here = Corpus().fit(corpus_files, window=6, min_count=1)
    store = dask_counting.count_with_dask(
        client, dask_counting.as_sources(corpus_files), str(tmp_path / "store"), window=6, harmonic=True,
        symmetric=True, params={"window": 6}, work_dir=str(tmp_path / "work"), count_tasks=5, merge_tasks=7)
    assert len(store.shards) == 7 and store.params == {"window": 6} and store.n_tokens == here.n_tokens
    again = CooccurrenceStore.open(tmp_path / "store")
    assert again.words() == [w for w, _ in sorted(here.dictionary.items(), key=lambda kv: kv[1])]
    np.testing.assert_array_equal(again.word_counts(), here.word_counts)
    coo = again.to_coo()
    for got, want in zip((coo.row, coo.col, coo.data), (here.matrix.row, here.matrix.col, here.matrix.data)):
        np.testing.assert_array_equal(got, want)
    assert os.listdir(tmp_path / "work") == []


def test_urls_go_through_fsspec(client, corpus_files, tmp_path):
    """file:// takes the fsspec path (whole-file writes, byte-range reads) that s3:// or gs:// take."""
    here = Corpus().fit(corpus_files, window=5, min_count=2)
    urls = ["file://" + p for p in corpus_files]
    there = Corpus().fit(urls, window=5, min_count=2, client=client, work_dir="file://" + str(tmp_path / "w"))
    _assert_same(here, there)
    assert os.listdir(tmp_path / "w") == []


def test_a_work_dir_the_workers_cannot_see_is_refused(client, corpus_files):
    # memory:// lives in each process: the workers do not see what the client wrote there
    with pytest.raises(StorageError, match="not visible from Dask worker"):
        Corpus().fit(corpus_files, client=client, work_dir="memory://glovefast-test")


def test_a_failing_task_leaves_nothing_behind(client, corpus_files, tmp_path):
    bad = tmp_path / "bad.txt.gz"
    bad.write_bytes(gzip.compress(b"some words here\n" * 1000)[:-40])  # truncated gzip
    work = tmp_path / "work"
    with pytest.raises(CorpusFormatError, match="cannot read .*bad.txt.gz"):
        Corpus().fit(corpus_files + [str(bad)], client=client, work_dir=str(work))
    assert os.listdir(work) == []
    assert client.run(dask_counting.cached_streams_task, "") == {w: [] for w in client.nthreads()}


def test_input_errors(client, corpus_files, tmp_path):
    with pytest.raises(InvalidParameterError, match="reads files"):
        Corpus().fit([["a", "b"]], client=client)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        Corpus().fit([str(tmp_path / "missing.txt")], client=client)
    with pytest.raises(InvalidParameterError, match="Client"):
        Corpus().fit(corpus_files, client="tcp://127.0.0.1:8786")
    with pytest.raises(InvalidParameterError, match="work_dir is for counting on Dask"):
        Corpus().fit(corpus_files, work_dir=str(tmp_path))
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"\n\n")
    with pytest.raises(EmptyCorpusError):
        Corpus().fit([str(empty)], client=client)


def test_count_task_reads_again_and_spills_in_a_tiny_budget(corpus_files, tmp_path):
    """The task functions called here, not on a worker: without a kept stream the files are read
    again chunk by chunk, and a 16 MiB budget spills runs; the merged result is the same."""
    from glovefast._util.memory import MIN_BUDGET
    from glovefast.cooc.shared_dir import SharedDir

    here = Corpus().fit(corpus_files, window=8, min_count=1)
    words = [w.encode() for w, _ in sorted(here.dictionary.items(), key=lambda kv: kv[1])]
    vocabulary = (dask_counting._pack(words), len(words), dask_counting.vocab_kernel.DROP)
    runs, shards = SharedDir(tmp_path / "runs"), SharedDir(tmp_path / "shards")
    runs.makedirs()
    shards.makedirs()
    counting = {"window": 8, "harmonic": True, "symmetric": True}
    dask_counting.vocabulary_task(corpus_files[:3], "test/kept")  # keeps its stream in this process
    results = [dask_counting.count_task(0, corpus_files[:3], "test/kept", vocabulary, counting, runs),
               dask_counting.count_task(1, corpus_files[3:], "test/none", vocabulary,
                                        dict(counting, budget=MIN_BUDGET), runs)]
    assert dask_counting.cached_streams_task("test/") == []
    n = len(words)
    nnz = [dask_counting.merge_task(s, r0, r1, [(name, int(index[b0]), int(index[b1])) for name, _, index in results],
                                    n, runs, shards)
           for s, (r0, r1) in enumerate(dask_counting.plan_merge([index for _, _, index in results], n, 3))
           for b0, b1 in [np.searchsorted(dask_counting._block_starts(n), [r0, r1])]]
    got = [np.concatenate([np.fromfile(shards.path(f"shard-{s:05d}{suffix}"), dtype=dtype)
                           for s in range(len(nnz))]) for _, suffix, dtype in store_module.COLUMNS]
    for g, want in zip(got, (here.matrix.row, here.matrix.col, here.matrix.data)):
        np.testing.assert_array_equal(g, want)


# ------------------------------------------------------------------------------------ planning units
def test_deal_files_balances_by_size():
    sizes = [100, 1, 50, 50, 30, 20, 0]
    groups = dask_counting.deal_files(sizes, 2)
    assert sorted(i for g in groups for i in g) == list(range(len(sizes)))
    loads = [sum(sizes[i] for i in g) for g in groups]
    assert max(loads) <= 4 / 3 * max(sum(sizes) / 2, max(sizes))  # LPT's guarantee
    assert dask_counting.deal_files([5, 5], 8) == [[0], [1]]  # never more groups than files


def test_plan_merge_covers_the_rows_at_block_boundaries():
    n_words = 10000
    starts = dask_counting._block_starts(n_words)
    rng = np.random.default_rng(1)
    indexes = [np.concatenate(([0], np.cumsum(rng.integers(0, 100, len(starts) - 1)))) for _ in range(3)]
    ranges = dask_counting.plan_merge(indexes, n_words, 6)
    assert ranges[0][0] == 0 and ranges[-1][1] == n_words and len(ranges) == 6
    assert all(r1 == nxt for (_, r1), (nxt, _) in zip(ranges, ranges[1:]))
    assert all(r0 in starts for r0, _ in ranges)
    assert dask_counting.plan_merge([np.zeros(len(starts), np.int64)], n_words, 4) == [(0, n_words)]


def test_cli_usage_errors(corpus_files, tmp_path, monkeypatch, capsys):
    from glovefast import cli

    monkeypatch.setattr(cli, "DASK_CONNECT_TIMEOUT", "1s")
    out = str(tmp_path / "v.txt")
    assert cli.main(["train", *corpus_files, "-o", out, "--dask-scheduler", f"tcp://127.0.0.1:{_free_port()}"]) == 2
    assert "cannot connect to a Dask scheduler" in capsys.readouterr().err
    assert cli.main(["train", *corpus_files, "-o", out, "--dask-work-dir", str(tmp_path)]) == 2
    assert "only applies with --dask-scheduler" in capsys.readouterr().err
    assert cli.main(["train", "--matrix", corpus_files[0], "-o", out, "--dask-scheduler", "tcp://x:1"]) == 2
    assert "cannot read standard input or train from --matrix" in capsys.readouterr().err
    assert not os.path.exists(out)


# ------------------------------------------------------------------------------------ a real cluster
def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_cli_on_a_scheduler_and_workers_started_as_commands(corpus_files, tmp_path):
    """`dask scheduler` and `dask worker` processes on 127.0.0.1, as on a real cluster; the vectors
    written by `glovefast train --dask-scheduler` are byte-identical to a local run's."""
    dask_cmd = shutil.which("dask", path=os.path.dirname(sys.executable)) or shutil.which("dask")
    if dask_cmd is None:
        pytest.skip("the dask command is not installed")
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    address = f"tcp://127.0.0.1:{_free_port()}"
    procs = [subprocess.Popen([dask_cmd, "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1],
                               "--dashboard-address", ":0"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)]
    try:
        for _ in range(2):
            procs.append(subprocess.Popen([dask_cmd, "worker", address, "--nthreads", "1", "--nworkers", "1",
                                           "--no-dashboard", "--local-directory", str(tmp_path / "dask")],
                                          env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        with distributed.Client(address, timeout="60s") as c:
            c.wait_for_workers(2, timeout=60)
        common = ["--window", "5", "--min-count", "2", "--dim", "8", "--epochs", "2", "--threads", "1", "--seed", "3",
                  "-q"]
        local = subprocess.run([sys.executable, "-m", "glovefast", "train", *corpus_files, "-o",
                                str(tmp_path / "local.txt"), *common], env=env, capture_output=True, text=True,
                               cwd=tmp_path)
        assert local.returncode == 0, local.stderr
        remote = subprocess.run([sys.executable, "-m", "glovefast", "train", *corpus_files, "-o",
                                 str(tmp_path / "dask.txt"), *common, "--dask-scheduler", address,
                                 "--dask-work-dir", str(tmp_path / "work")], env=env, capture_output=True,
                                text=True, cwd=tmp_path)
        assert remote.returncode == 0, remote.stderr
        assert (tmp_path / "dask.txt").read_bytes() == (tmp_path / "local.txt").read_bytes()
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
