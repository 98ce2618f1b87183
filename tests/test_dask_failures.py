"""Counting on Dask when things go wrong, on a real LocalCluster (worker processes under nannies):
tasks larger than their share of a worker's memory, workers killed between the passes or with no
retries left, a corpus file missing on one worker, a work directory that cannot be written."""
import contextlib
import logging
import os
import signal
import subprocess
import threading
import time

import pytest

distributed = pytest.importorskip("distributed")
dask = pytest.importorskip("dask")

from glovefast import Corpus, cli  # noqa: E402
from glovefast.cooc import dask_counting  # noqa: E402
from glovefast.errors import CorpusPathError, DaskWorkerError, StorageError  # noqa: E402

from test_dask_counting import _assert_same, _write_corpus, local_cluster  # noqa: E402

#: The worker memory limit: each task may keep 100 kB of token ids (a quarter of it), so of the
#: files below, counted in six tasks, most streams are kept and the largest one's is not. Dask's
#: own reactions to memory (spill, pause, terminate) are off: the worker processes themselves use
#: far more than this, and only glovefast's use of the limit is under test.
MEMORY_LIMIT = "400kB"


@pytest.fixture(scope="module")
def small():
    """Two workers of one thread and MEMORY_LIMIT each; the scheduler retries nothing
    (allowed-failures 0), so a killed worker fails the task it ran."""
    config = {"distributed.scheduler.allowed-failures": 0, "distributed.worker.memory.target": False,
              "distributed.worker.memory.spill": False, "distributed.worker.memory.pause": False,
              "distributed.worker.memory.terminate": False}
    with dask.config.set(config), local_cluster(memory_limit=MEMORY_LIMIT) as c:
        yield c


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return _write_corpus(str(tmp_path_factory.mktemp("corpus")))


def _two_workers(client):
    client.wait_for_workers(2, timeout=60)  # a killed worker's nanny starts a new one
    return client.run(os.getpid)


def _kill(client, worker, pids):
    """SIGKILL a worker process and wait until the scheduler has dropped it."""
    os.kill(pids[worker], signal.SIGKILL)
    deadline = time.monotonic() + 60
    while worker in client.scheduler_info()["workers"]:
        assert time.monotonic() < deadline, "the scheduler did not notice the killed worker"
        time.sleep(0.05)


@contextlib.contextmanager
def _on_log(fragment, action):
    """Run ``action()`` when counting on Dask logs a line containing ``fragment``, in that thread."""
    class Hook(logging.Handler):
        def emit(self, record):
            if fragment in record.getMessage():
                action()

    log = logging.getLogger(dask_counting.__name__)
    hook, level = Hook(), log.level
    log.addHandler(hook)
    log.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        log.removeHandler(hook)
        log.setLevel(level)


def _kept(caplog):
    line = next(r.getMessage() for r in caplog.records if "counting pass:" in r.getMessage())
    kept, total = (int(x) for x in line.split(":")[1].split("task")[0].split(" of "))
    return kept, total


# ------------------------------------------------------------------ memory: read the files again
def test_tasks_beyond_their_memory_share_read_their_files_again(small, files, tmp_path, caplog):
    """A task whose token ids exceed a quarter of its share of the worker's memory is counted by
    reading its files again (this failed with "Only use allow_other_workers= if using workers=")."""
    caplog.set_level(logging.DEBUG, logger=dask_counting.__name__)
    _two_workers(small)
    here = Corpus().fit(files, window=5, min_count=2)
    there = Corpus().fit(files, window=5, min_count=2, client=small)  # two tasks: neither stream kept
    _assert_same(here, there)
    assert _kept(caplog) == (0, 2)
    caplog.clear()
    store = dask_counting.count_with_dask(small, dask_counting.as_sources(files), str(tmp_path / "st"), window=5,
                                          harmonic=True, symmetric=True, params=here.params, min_count=2,
                                          count_tasks=6)
    kept, total = _kept(caplog)
    assert 0 < kept < total  # kept streams and re-read files in one count
    _assert_same(here, Corpus.load(store.path))


# ------------------------------------------------------------------ workers killed
@pytest.mark.parametrize("moment", ["vocabulary pass done", "counting pass:"])
def test_a_worker_killed_between_the_passes(small, files, tmp_path, moment):
    """Killed before the client asks where the token streams are, or after (a count task is then
    placed on a worker that is gone): its tasks read their files again elsewhere, same result."""
    pids = _two_workers(small)
    here = Corpus().fit(files, window=4, min_count=1)
    killed = []

    def kill():
        holders = [w for w, keys in small.run(dask_counting.cached_streams_task, "").items() if keys]
        assert holders, "no worker kept a token stream: nothing to lose"
        killed.append(holders[0])
        _kill(small, holders[0], pids)

    with _on_log(moment, kill):
        store = dask_counting.count_with_dask(small, dask_counting.as_sources(files), str(tmp_path / "st"), window=4,
                                              harmonic=True, symmetric=True, params=here.params, count_tasks=6,
                                              work_dir=str(tmp_path / "work"))
    assert killed and killed[0] not in small.scheduler_info()["workers"]
    _assert_same(here, Corpus.load(store.path))
    assert os.listdir(tmp_path / "work") == []


def test_every_worker_killed_between_the_passes(small, files, tmp_path):
    """Killed when the count tasks are about to be submitted, every worker takes the broadcast
    vocabulary along: the scheduler then cancels the count tasks ("lost dependencies"), which
    was a raw FutureCancelledError from a fresh-clone CI run (there a scatter had reached one
    worker only). They are submitted again, reading their files: same result."""
    pids = _two_workers(small)
    here = Corpus().fit(files, window=4, min_count=1)
    killed = []

    def kill():
        for worker in sorted(small.scheduler_info()["workers"]):
            killed.append(worker)
            _kill(small, worker, pids)

    with _on_log("submitting 6 count task(s), attempt 1", kill):
        store = dask_counting.count_with_dask(small, dask_counting.as_sources(files), str(tmp_path / "st"), window=4,
                                              harmonic=True, symmetric=True, params=here.params, count_tasks=6,
                                              work_dir=str(tmp_path / "work"))
    assert len(killed) == 2 and not set(killed) & set(small.scheduler_info()["workers"])
    _assert_same(here, Corpus.load(store.path))
    assert os.listdir(tmp_path / "work") == []


def test_count_tasks_lost_every_time_are_named(small, files, tmp_path, monkeypatch):
    """When the count tasks are lost on every attempt, a DaskWorkerError says so (never a raw
    distributed exception), and nothing is left in the work directory."""
    pids = _two_workers(small)
    monkeypatch.setattr(dask_counting, "COUNT_ATTEMPTS", 1)

    def kill():
        for worker in sorted(small.scheduler_info()["workers"]):
            _kill(small, worker, pids)

    with _on_log("submitting", kill):
        with pytest.raises(DaskWorkerError, match=r"lost .*counting .*\(files part\d\.txt.*allowed-failures"):
            Corpus().fit(files, client=small, work_dir=str(tmp_path / "work"))
    assert os.listdir(tmp_path / "work") == []


def test_the_cli_names_lost_count_tasks_in_one_line(small, files, tmp_path, monkeypatch, capsys):
    pids = _two_workers(small)
    monkeypatch.setattr(dask_counting, "COUNT_ATTEMPTS", 1)
    out = tmp_path / "v.txt"

    def kill():
        for worker in sorted(small.scheduler_info()["workers"]):
            _kill(small, worker, pids)

    with _on_log("submitting", kill):
        code = cli.main(["train", *files, "-o", str(out), "--dask-scheduler", small.scheduler.address, "--dim", "4",
                         "--epochs", "1", "-q"])
    err = capsys.readouterr().err.splitlines()[-1]  # the lines before: the hook's debug log, the warning
    assert code == 2 and err.startswith("glovefast: error: Dask lost 2 counting task(s) (files "), err
    assert "lost dependencies" in err and "part0.txt" in err and not out.exists()


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """A 24 MB file: its vocabulary task runs long enough to be seen running and killed."""
    path = tmp_path_factory.mktemp("big") / "big.txt"
    path.write_bytes(b"the quick brown fox jumps over the lazy dog again and again\n" * 400_000)
    return str(path)


@contextlib.contextmanager
def _kill_the_reader(client):
    """A thread that SIGKILLs the worker running a vocabulary task as soon as one runs."""
    pids = _two_workers(client)
    killed = []

    def watch():
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not killed:
            for worker, keys in client.processing().items():
                if any("vocabulary_task" in str(k) for k in keys):
                    os.kill(pids[worker], signal.SIGKILL)
                    killed.append(worker)
                    return
            time.sleep(0.005)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    try:
        yield killed
    finally:
        thread.join()
    assert killed, "no vocabulary task was seen running"


def test_a_worker_killed_with_no_retries_left_is_named(small, big, tmp_path):
    """allowed-failures 0: distributed's raw KilledWorker became a DaskWorkerError naming the
    worker, the files and what to do; nothing is left in the work directory."""
    with _kill_the_reader(small) as killed:
        with pytest.raises(DaskWorkerError, match=r"Dask worker tcp://\S+ died while reading \(files big\.txt\).*"
                                                  r"allowed-failures.*--memory-limit") as info:
            Corpus().fit([big], client=small, work_dir=str(tmp_path / "work"))
    assert info.value.worker == killed[0] and info.value.files == [big]
    assert os.listdir(tmp_path / "work") == []


def test_the_cli_says_the_same_in_one_line(small, big, tmp_path, capsys):
    out = tmp_path / "v.txt"
    with _kill_the_reader(small):
        code = cli.main(["train", big, "-o", str(out), "--dask-scheduler", small.scheduler.address, "--dim", "4",
                         "--epochs", "1", "-q"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("glovefast: error: Dask worker tcp://") and err.count("\n") == 1, err
    assert "died while reading (files big.txt)" in err and not out.exists()


# ------------------------------------------------------------------ inputs and the work directory
@pytest.mark.skipif(not os.path.isdir("/proc/self/cwd"), reason="needs Linux's /proc/self/cwd")
def test_a_file_missing_on_one_worker_names_it(small, files, tmp_path):
    """/proc/self/cwd is each process's own directory: a worker whose working directory lacks the
    file does not see it, as a worker on a machine without the file would not."""
    _two_workers(small)
    with_files, without = tmp_path / "with", tmp_path / "without"
    with_files.mkdir()
    without.mkdir()
    for f in files:
        os.link(f, with_files / os.path.basename(f))
    workers = sorted(small.scheduler_info()["workers"])
    cwd = small.run(os.getcwd)
    small.run(os.chdir, str(with_files), workers=workers[:1])
    small.run(os.chdir, str(without), workers=workers[1:])
    try:
        sources = [f"/proc/self/cwd/{os.path.basename(f)}" for f in files]
        with pytest.raises(CorpusPathError, match=rf"part0\.txt' does not exist on Dask worker\(s\) {workers[1]} "
                                                  rf"\(it does on {workers[0]}\).*mount at the same path"):
            Corpus().fit(sources, client=small)
    finally:
        for worker, path in cwd.items():
            small.run(os.chdir, path, workers=[worker])


def test_a_file_gone_before_it_is_read_names_the_worker(small, files, tmp_path):
    doomed = tmp_path / "doomed.txt"
    doomed.write_text("a b c\n" * 100)
    with _on_log("counting 6 file(s)", lambda: os.unlink(doomed)):
        with pytest.raises(CorpusPathError, match=r"doomed\.txt' does not exist on Dask worker tcp://\S+: every "
                                                  "worker reads the corpus files"):
            Corpus().fit(files[:5] + [str(doomed)], client=small)


def test_a_work_dir_that_cannot_be_written_is_a_storage_error(small, files, tmp_path):
    (tmp_path / "file").write_text("not a directory")
    for store in (None, tmp_path / "st"):  # the client's temporary store, or the work directory itself
        with pytest.raises(StorageError, match="work_dir=|--dask-work-dir|work directory"):
            Corpus().fit(files, client=small, work_dir=str(tmp_path / "file" / "sub"), store=store)
    if getattr(os, "geteuid", lambda: -1)() == 0:  # a read-only file system (EROFS), as the audit found it
        ro = tmp_path / "ro"
        ro.mkdir()
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "none", str(ro)],
                          capture_output=True).returncode == 0:
            try:
                with pytest.raises(StorageError, match="Read-only file system.*--dask-work-dir"):
                    Corpus().fit(files, client=small, work_dir=str(ro / "work"))
            finally:
                subprocess.run(["umount", str(ro)], check=True)
