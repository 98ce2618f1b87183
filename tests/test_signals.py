"""SIGTERM in the CLI (issue 11, item 8): handled like Ctrl-C, exit 143, no temporary file left.

Real signals to a real ``python -m glovefast`` subprocess; each test waits for the stage it
wants to hit (a log line, a temporary file appearing) before signalling, so timing on a loaded
machine only makes the tests slower, not flaky.
"""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import glovefast
from glovefast.datasets import builtin_path
from glovefast.vectors.word_vectors import WordVectors

PACKAGE_ROOT = Path(glovefast.__file__).resolve().parent.parent
KJV = builtin_path("kjv")


def start(*args, cwd):
    env = dict(os.environ, PYTHONPATH=str(PACKAGE_ROOT))
    return subprocess.Popen([sys.executable, "-m", "glovefast", *map(str, args)], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def wait_for_line(proc, fragment, timeout=120):
    """stderr lines up to the first containing ``fragment``."""
    lines = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stderr.readline().decode()
        if not line:
            break
        lines.append(line)
        if fragment in line:
            return lines
    proc.kill()
    raise AssertionError(f"never saw {fragment!r}; stderr: {''.join(lines)}")


def finish(proc, timeout=120):
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, err.decode()


def test_sigterm_during_training_keeps_completed_epochs(tmp_path):
    out = tmp_path / "v.txt"
    proc = start("train", KJV, "-o", out, "--dim", "8", "--epochs", "100000", "--threads", "1", "--min-count", "5",
                 cwd=tmp_path)
    wait_for_line(proc, "epoch 2/100000")
    proc.send_signal(signal.SIGTERM)
    code, err = finish(proc)
    assert code == 143, err
    assert "terminated (SIGTERM) after epoch" in err and "Traceback" not in err
    vectors = WordVectors.load_word2vec_format(out)
    assert len(vectors) > 1000 and vectors.vector_size == 8
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.txt"]


@pytest.mark.usefixtures("sigint_delivered")
def test_sigint_still_exits_130(tmp_path):
    out = tmp_path / "v.txt"
    proc = start("train", KJV, "-o", out, "--dim", "8", "--epochs", "100000", "--threads", "1", cwd=tmp_path)
    wait_for_line(proc, "epoch 1/100000")
    proc.send_signal(signal.SIGINT)
    code, err = finish(proc)
    assert code == 130, err
    assert "interrupted after epoch" in err and out.exists()


def test_sigterm_while_writing_leaves_no_temporary_file(tmp_path):
    """The first SIGTERM stops training; the second arrives while the output is being written."""
    out = tmp_path / "v.txt.xz"  # xz of ~12k x 300 numbers: seconds of writing to aim at
    out.write_bytes(b"previous")
    proc = start("train", KJV, "-o", out, "--dim", "300", "--epochs", "100000", "--threads", "1",
                 "--min-count", "1", cwd=tmp_path)
    wait_for_line(proc, "epoch 1/100000")
    proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 120
    while not any(p.name.endswith(".tmp") for p in tmp_path.iterdir()):
        assert proc.poll() is None, "the output was written before the temporary file was seen"
        assert time.monotonic() < deadline
        time.sleep(0.002)
    proc.send_signal(signal.SIGTERM)
    code, err = finish(proc)
    assert code == 143, err
    assert "while writing the outputs; no partial file was left" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.txt.xz"]
    assert out.read_bytes() == b"previous"


def test_sigterm_while_counting_writes_nothing(tmp_path):
    out = tmp_path / "v.txt"
    env = dict(os.environ, PYTHONPATH=str(PACKAGE_ROOT))
    read_end, write_end = os.pipe()
    try:
        proc = subprocess.Popen([sys.executable, "-m", "glovefast", "train", "-", "-o", str(out)],
                                stdin=read_end, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path,
                                env=env)
        os.close(read_end)
        os.write(write_end, b"the cat sat on the mat\n")  # then the pipe stays open: counting waits
        wait_for_line(proc, "counting standard input")
        time.sleep(0.5)  # into the read loop
        proc.send_signal(signal.SIGTERM)
        code, err = finish(proc)
    finally:
        os.close(write_end)
    assert code == 143, err
    assert "terminated (SIGTERM) while counting; nothing written" in err
    assert list(tmp_path.iterdir()) == []


def test_sigterm_while_waiting_for_standard_input(tmp_path):
    """Before the first byte arrives (the gzip check waits for it), SIGTERM still ends the run cleanly."""
    env = dict(os.environ, PYTHONPATH=str(PACKAGE_ROOT))
    read_end, write_end = os.pipe()
    try:
        proc = subprocess.Popen([sys.executable, "-m", "glovefast", "train", "-", "-o", str(tmp_path / "v.txt")],
                                stdin=read_end, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path,
                                env=env)
        os.close(read_end)
        time.sleep(3)  # interpreter start-up, then blocked reading standard input
        proc.send_signal(signal.SIGTERM)
        code, err = finish(proc)
    finally:
        os.close(write_end)
    assert code == 143, err
    assert "terminated (SIGTERM)" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_in_process_main_restores_the_sigterm_handler(tmp_path):
    from glovefast.cli import main

    before = signal.getsignal(signal.SIGTERM)
    assert main(["similar", str(tmp_path / "missing.txt"), "king"]) == 2
    assert signal.getsignal(signal.SIGTERM) is before


def test_sigterm_with_training_updates_on_disk_leaves_tmp_dir_empty(tmp_path):
    """With --memory too small for the updates, they are shuffled on disk in --tmp-dir; SIGTERM
    keeps the epochs and leaves nothing there."""
    tmp_dir = tmp_path / "tmp"
    tmp_dir.mkdir()
    out = tmp_path / "v.txt"
    proc = start("train", KJV, "-o", out, "--memory", "17M", "--tmp-dir", tmp_dir, "--dim", "32", "--min-count", "1",
                 "--epochs", "100000", "--threads", "1", cwd=tmp_path)
    lines = wait_for_line(proc, "epoch 1/100000")
    assert any("on disk" in line for line in lines), "".join(lines)
    proc.send_signal(signal.SIGTERM)
    code, err = finish(proc)
    assert code == 143, err
    assert list(tmp_dir.iterdir()) == []
    assert WordVectors.load_word2vec_format(out).vector_size == 32


# ---------------------------------------------------------------------------- critical sections
@pytest.mark.usefixtures("sigint_delivered")
def test_a_signal_inside_a_critical_section_waits_for_its_end():
    from glovefast._util import interrupts as _interrupts
    from glovefast._util.interrupts import Terminated, signals_as_interrupts

    steps = []
    with signals_as_interrupts():
        with pytest.raises(Terminated):
            with _interrupts.critical():
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(0.05)  # the handler runs here, and defers
                steps.append("finished")
        with pytest.raises(KeyboardInterrupt):  # SIGINT too, while the command's handlers are in place
            with _interrupts.critical():
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.05)
                steps.append("finished again")
        with pytest.raises(ValueError):  # an exception already raising wins
            with _interrupts.critical():
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(0.05)
                raise ValueError("first")
    assert steps == ["finished", "finished again"]


@pytest.mark.usefixtures("sigint_delivered")
def test_workers_are_waited_for_through_signals():
    """Thread.join interrupted by a signal marks a running thread stopped (CPython); wait_for_workers
    returns the interrupt only once every worker's target has returned, a second signal included."""
    import threading

    from glovefast._util.interrupts import Worker, signals_as_interrupts, wait_for_workers

    done, stopped = [], threading.Event()

    def work(seconds):
        stopped.wait(seconds)
        done.append(seconds)

    workers = [Worker(work, (s,), name=f"test-{s}") for s in (0.4, 0.6)]
    for w in workers:
        w.start()
    with signals_as_interrupts():
        signal.setitimer(signal.ITIMER_REAL, 0.1, 0.1)  # SIGALRM every 0.1 s: the default would end the process
        previous = signal.signal(signal.SIGALRM, lambda *_: None if all(w.finished.is_set() for w in workers)
                                 else os.kill(os.getpid(), signal.SIGINT))
        try:
            interrupted = wait_for_workers(workers)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    assert isinstance(interrupted, KeyboardInterrupt)
    assert sorted(done) == [0.4, 0.6] and all(w.finished.is_set() for w in workers)
    # on_interrupt is told at the first signal (e.g. to stop the workers early)
    late = Worker(work, (30,), name="test-late")
    late.start()
    signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    signal.setitimer(signal.ITIMER_REAL, 0.1)
    try:
        assert isinstance(wait_for_workers([late], stopped.set), KeyboardInterrupt)
    finally:
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
    assert late.finished.is_set() and done[-1] == 30


def test_sigterm_right_after_the_temporary_file_is_created(tmp_path, monkeypatch):
    """The window that left a .tmp behind: the signal lands just after mkstemp returns."""
    import tempfile

    from glovefast._util.interrupts import Terminated, signals_as_interrupts
    from glovefast._util.atomic import atomic_write

    real_mkstemp = tempfile.mkstemp

    def mkstemp_then_signal(*args, **kwargs):
        result = real_mkstemp(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.05)
        return result

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp_then_signal)
    target = tmp_path / "out.txt"
    target.write_text("old")
    with signals_as_interrupts():
        with pytest.raises(Terminated):
            with atomic_write(target, "w") as fh:
                fh.write("new")
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"] and target.read_text() == "old"


def test_children_get_sigint_even_when_the_suite_ignores_it():
    """The signal tests failed (5 of them) when the suite was started with SIGINT ignored."""
    from conftest import python_sigint

    probe = [sys.executable, "-c",
             "import signal; print(signal.getsignal(signal.SIGINT) is signal.default_int_handler)"]
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # as `pytest &` from a script leaves it
    try:
        assert subprocess.run(probe, capture_output=True, text=True).stdout.strip() == "False"
        with python_sigint():
            assert subprocess.run(probe, capture_output=True, text=True).stdout.strip() == "True"
    finally:
        signal.signal(signal.SIGINT, previous)


def _restore_sigint():
    # Python leaves SIGINT ignored in a child started with it ignored (cmd & in a script, nohup):
    # give the child the default disposition, so its own Ctrl-C handling is what is tested
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _wait_for_temporary_file(proc, directory):
    deadline = time.monotonic() + 120
    while not any(p.name.endswith(".tmp") for p in directory.iterdir()):
        assert proc.poll() is None, "the output was written before the temporary file was seen"
        assert time.monotonic() < deadline
        time.sleep(0.002)


@pytest.mark.parametrize("first", [signal.SIGTERM, signal.SIGINT])
def test_a_first_signal_after_the_last_epoch_finishes_the_outputs(tmp_path, first):
    """Training is done and -o is being written: the first signal used to abandon the file, and
    with it the whole run. Now the outputs are finished, and the command says so."""
    out = tmp_path / "v.txt"  # 23 MB of text: a fraction of a second to aim at
    env = dict(os.environ, PYTHONPATH=str(PACKAGE_ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "glovefast", "train", str(KJV), "-o", str(out), "--dim", "300",
                             "--epochs", "2", "--threads", "1", "--min-count", "1", "--save-model", "m.npz"],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=_restore_sigint)
    _wait_for_temporary_file(proc, tmp_path)
    proc.send_signal(first)
    code, err = finish(proc)
    name = "terminated (SIGTERM)" if first == signal.SIGTERM else "interrupted"
    assert code == (143 if first == signal.SIGTERM else 130), err
    assert f"{name} after the last epoch: finishing the outputs" in err
    assert f"{name} after the last epoch (2 of 2) while writing the outputs; they were finished: " in err
    assert "Traceback" not in err
    vectors = WordVectors.load_word2vec_format(out)
    assert len(vectors) == 7673 and vectors.vector_size == 300  # every word of the KJV excerpt
    from glovefast import Glove

    assert Glove.load(tmp_path / "m.npz").epochs_trained_ == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npz", "v.txt"]


def test_a_second_signal_after_the_last_epoch_abandons_the_file_being_written(tmp_path):
    out = tmp_path / "v.txt.xz"  # seconds of writing: room for two signals
    out.write_bytes(b"previous")
    env = dict(os.environ, PYTHONPATH=str(PACKAGE_ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "glovefast", "train", str(KJV), "-o", str(out), "--dim", "300",
                             "--epochs", "1", "--threads", "1", "--min-count", "1"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=_restore_sigint)
    _wait_for_temporary_file(proc, tmp_path)
    proc.send_signal(signal.SIGINT)
    wait_for_line(proc, "finishing the outputs")
    proc.send_signal(signal.SIGINT)
    code, err = finish(proc)
    assert code == 130, err
    assert "while writing the outputs; no partial file was left" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.txt.xz"] and out.read_bytes() == b"previous"


def test_a_worker_a_signal_kept_from_starting_is_not_waited_for():
    """A signal raised before a Worker's thread exists (e.g. as ``start()`` begins) leaves it
    unstarted: wait_for_workers must not wait for its ``finished``, which would never be set."""
    import threading

    from glovefast._util.interrupts import Worker, wait_for_workers

    ran = threading.Event()
    started, never = Worker(ran.set, name="test-started"), Worker(ran.set, name="test-never")
    started.start()
    assert started.started and not never.started
    box = []
    waiter = threading.Thread(target=lambda: box.append(wait_for_workers([never, started])), daemon=True)
    waiter.start()
    waiter.join(10)
    assert not waiter.is_alive() and box == [None] and ran.is_set()


def test_an_interrupt_before_the_word2vec_kernel_starts_is_raised(monkeypatch):
    """SIGTERM right as an epoch begins (the glovefast command's first signal, CI under load):
    the kernel thread was never started, and run_epoch waited forever for it to finish."""
    import threading

    from glovefast._util.interrupts import Worker
    from glovefast.models.word2vec import epochs

    def start(self):  # the signal handler raising as the thread is about to be started
        raise KeyboardInterrupt()

    monkeypatch.setattr(Worker, "start", start)
    box = []

    def run():
        try:
            epochs.run_epoch(None, None, None, None, n_threads=1, on_progress=lambda tokens: None)
        except BaseException as exc:  # noqa: B902
            box.append(exc)

    caller = threading.Thread(target=run, daemon=True)  # a hang must not hang the suite
    caller.start()
    caller.join(10)
    assert not caller.is_alive(), "run_epoch waits for a kernel thread that was never started"
    assert len(box) == 1 and isinstance(box[0], KeyboardInterrupt)
