"""Saving never destroys (issue 11, item 2): devices, FIFOs, symlinks, read-only files, full disks.

The audit's repro: ``glovefast train ... -o fulldev`` with ``fulldev`` a copy of /dev/full exited 0
and turned the device node into a regular file; the same with a /dev/null copy, a symlink to
one, ``WordVectors.save`` and a FIFO. Device copies are made with mknod (we run as root; the
tests skip where mknod is not permitted).
"""
import errno
import os
import socket
import stat
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

import glovefast
from glovefast import Corpus, Glove, WordVectors
from glovefast.cli import main
from glovefast.errors import InvalidParameterError, ReadOnlyOutputError, StorageError
from glovefast._util.atomic import atomic_write, check_writable

PACKAGE_ROOT = Path(glovefast.__file__).resolve().parent.parent
NULL, FULL = (1, 3), (1, 7)  # Linux device numbers of /dev/null and /dev/full


def mknod_char(path, dev):
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(*dev))
    except (PermissionError, AttributeError, OSError) as exc:
        pytest.skip(f"cannot create device nodes here: {exc}")
    return path


def is_char_device(path):
    return stat.S_ISCHR(os.stat(path).st_mode)


@pytest.fixture(scope="module")
def wv():
    rng = np.random.default_rng(0)
    return WordVectors([f"w{i}" for i in range(50)], rng.normal(size=(50, 8)).astype(np.float32))


@pytest.fixture(scope="module")
def corpus_file(tmp_path_factory):
    rng = np.random.default_rng(1)
    words = [f"w{i}" for i in range(30)]
    path = tmp_path_factory.mktemp("c") / "c.txt"
    path.write_text("\n".join(" ".join(rng.choice(words, size=20)) for _ in range(100)) + "\n")
    return path


def train_args(corpus_file, out, *extra):
    return ["train", str(corpus_file), "-o", str(out), "--dim", "4", "--epochs", "1", "--min-count", "1",
            "--threads", "1", "-q", *extra]


SAVERS = {
    "WordVectors.save": lambda wv, p: wv.save(p),
    "save_word2vec_format": lambda wv, p: wv.save_word2vec_format(p),
    "save_word2vec_format binary": lambda wv, p: wv.save_word2vec_format(p, binary=True),
    "save_glove_format": lambda wv, p: wv.save_glove_format(p),
    "Glove.save": lambda wv, p: _model(wv).save(p),
    "Corpus.save": lambda wv, p: Corpus().fit([["a", "b", "a", "c"]], window=2).save(p),
}


def _model(wv):
    model = Glove(no_components=wv.vector_size)
    model.word_vectors = model.context_vectors = wv.vectors
    model.word_biases = model.context_biases = np.zeros(len(wv), dtype=np.float32)
    return model


# ---------------------------------------------------------------------------- character devices
@pytest.mark.parametrize("saver", sorted(SAVERS))
def test_api_writes_through_a_null_device_and_keeps_it(tmp_path, wv, saver):
    dev = mknod_char(tmp_path / "nulldev", NULL)
    SAVERS[saver](wv, dev)
    assert is_char_device(dev)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nulldev"]  # no temp file either


@pytest.mark.parametrize("saver", sorted(SAVERS))
def test_api_full_device_is_a_storage_error_naming_the_file(tmp_path, wv, saver):
    dev = mknod_char(tmp_path / "fulldev", FULL)
    with pytest.raises(StorageError) as info:
        SAVERS[saver](wv, dev)
    assert info.value.errno == errno.ENOSPC
    assert "fulldev" in str(info.value)
    assert is_char_device(dev)


def test_symlink_to_a_device_keeps_link_and_device(tmp_path, wv):
    dev = mknod_char(tmp_path / "nulldev", NULL)
    link = tmp_path / "link"
    link.symlink_to(dev)
    wv.save_word2vec_format(link)
    assert link.is_symlink() and os.readlink(link) == str(dev)
    assert is_char_device(dev)


@pytest.mark.parametrize("dev, code", [(NULL, 0), (FULL, 2)])
def test_cli_output_to_device_copies(tmp_path, corpus_file, capsys, dev, code):
    node = mknod_char(tmp_path / "dev", dev)
    link = tmp_path / "link"
    link.symlink_to(node)
    for target in (node, link):
        assert main(train_args(corpus_file, target)) == code
        assert is_char_device(node) and link.is_symlink()
    err = capsys.readouterr().err
    if code:
        assert "no space left on device" in err.lower() and str(node) in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dev", "link"]


def test_cli_output_to_dev_stdout(corpus_file, tmp_path):
    """`-o /dev/stdout` writes the vectors to standard output, whether it is a pipe or a file."""
    cmd = [sys.executable, "-m", "glovefast", *train_args(corpus_file, "/dev/stdout")]
    env = dict(os.environ, PYTHONPATH=str(PACKAGE_ROOT))
    proc = subprocess.run(cmd, capture_output=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(b"30 4\n") and len(proc.stdout.splitlines()) == 31
    out = tmp_path / "redirected.txt"
    with open(out, "wb") as fh:
        proc = subprocess.run(cmd, stdout=fh, stderr=subprocess.PIPE, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes().startswith(b"30 4\n")


# ---------------------------------------------------------------------------- FIFOs
def through_fifo(tmp_path, write):
    """Call ``write(fifo)`` while a thread reads the FIFO; returns what the reader got. The FIFO must stay one."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    got = []

    def read():
        with open(fifo, "rb") as fh:
            got.append(fh.read())

    reader = threading.Thread(target=read)
    reader.start()
    write(fifo)
    reader.join(30)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    return got[0]


@pytest.mark.parametrize("binary", [False, True])
def test_fifo_reader_gets_the_vectors(tmp_path, wv, binary):
    got = through_fifo(tmp_path, lambda fifo: wv.save_word2vec_format(fifo, binary=binary))
    plain = tmp_path / "plain"
    wv.save_word2vec_format(plain, binary=binary)
    assert got == plain.read_bytes()


def test_cli_output_to_a_fifo(tmp_path, corpus_file):
    codes = []
    got = through_fifo(tmp_path, lambda fifo: codes.append(main(train_args(corpus_file, fifo))))
    assert codes == [0] and got.startswith(b"30 4\n")


# ---------------------------------------------------------------------------- refusals
def test_sockets_and_block_devices_are_refused(tmp_path, wv):
    sock_path = tmp_path / "sock"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(sock_path))
        with pytest.raises(InvalidParameterError, match="socket"):
            wv.save(sock_path)
    assert stat.S_ISSOCK(os.stat(sock_path).st_mode)
    try:
        os.mknod(tmp_path / "blk", stat.S_IFBLK | 0o600, os.makedev(1, 250))
    except OSError:
        return
    with pytest.raises(InvalidParameterError, match="block device"):
        check_writable(tmp_path / "blk")


@pytest.mark.parametrize("saver", sorted(SAVERS))
def test_api_refuses_a_read_only_file(tmp_path, wv, saver):
    target = tmp_path / "ro"  # a name every saver may write (x.bin would be refused as binary's name)
    target.write_bytes(b"precious")
    target.chmod(0o444)
    with pytest.raises(ReadOnlyOutputError, match="read-only") as info:
        SAVERS[saver](wv, target)
    assert isinstance(info.value, PermissionError) and str(target) in str(info.value)
    assert target.read_bytes() == b"precious" and stat.S_IMODE(os.stat(target).st_mode) == 0o444
    assert [p.name for p in tmp_path.iterdir()] == ["ro"]


def test_cli_refuses_a_read_only_output_before_training(tmp_path, corpus_file, capsys):
    target = tmp_path / "ro.txt"
    target.write_text("precious")
    target.chmod(0o444)
    assert main(train_args(corpus_file, target)) == 2
    err = capsys.readouterr().err
    assert "--output" in err and "read-only" in err and len(err.strip().splitlines()) == 1
    assert target.read_text() == "precious"


def test_read_only_directory_is_a_named_error(tmp_path, wv):
    if os.geteuid() == 0:
        pytest.skip("root may write into any directory")
    directory = tmp_path / "ro"
    directory.mkdir()
    directory.chmod(0o555)
    try:
        with pytest.raises(ReadOnlyOutputError, match="no permission to create files"):
            wv.save(directory / "v.npz")
    finally:
        directory.chmod(0o755)


# ---------------------------------------------------------------------------- what is kept
def test_existing_file_keeps_permissions_and_owner(tmp_path, wv):
    target = tmp_path / "v.txt"
    target.write_text("old")
    target.chmod(0o640)
    if os.geteuid() == 0:
        os.chown(target, 1234, 5678)
    wv.save_word2vec_format(target)
    st = os.stat(target)
    assert stat.S_IMODE(st.st_mode) == 0o640
    if os.geteuid() == 0:
        assert (st.st_uid, st.st_gid) == (1234, 5678)
    assert target.read_text().startswith("50 8\n")


def test_symlinked_regular_file_keeps_the_link(tmp_path, wv):
    real = tmp_path / "real.npz"
    link = tmp_path / "link.npz"
    link.symlink_to(real.name)  # relative link
    wv.save(link)
    assert link.is_symlink() and real.is_file()
    assert WordVectors.load(link).index_to_key == wv.index_to_key


@pytest.fixture
def tiny_filesystem(tmp_path):
    mount = tmp_path / "mnt"
    mount.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], capture_output=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {proc.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def test_full_disk_keeps_the_old_file_and_names_it(tiny_filesystem):
    target = tiny_filesystem / "vectors.txt"
    target.write_text("old vectors\n")
    big = WordVectors([f"w{i}" for i in range(2000)], np.ones((2000, 50), dtype=np.float32))
    with pytest.raises(StorageError) as info:
        big.save_word2vec_format(target)
    assert info.value.errno == errno.ENOSPC
    assert str(target) in str(info.value) and "intact" in str(info.value)
    assert target.read_text() == "old vectors\n"
    assert [p.name for p in tiny_filesystem.iterdir()] == ["vectors.txt"]


def test_atomic_write_still_atomic_for_regular_files(tmp_path):
    target = tmp_path / "t.txt"
    target.write_text("v1")
    with pytest.raises(RuntimeError):
        with atomic_write(target, "w") as fh:
            fh.write("partial")
            raise RuntimeError("boom")
    assert target.read_text() == "v1"
    assert [p.name for p in tmp_path.iterdir()] == ["t.txt"]


def test_npz_streamed_through_a_fifo_loads_back(tmp_path, wv):
    """zip needs a file position; through a FIFO it streams, and the result is still a valid file."""
    got = through_fifo(tmp_path, wv.save)
    copy = tmp_path / "copy.npz"
    copy.write_bytes(got)
    back = WordVectors.load(copy)
    assert back.index_to_key == wv.index_to_key
    np.testing.assert_array_equal(back.vectors, wv.vectors)


def test_convert_writes_through_devices_and_refuses_read_only(tmp_path, wv, capsys):
    source = tmp_path / "v.txt"
    wv.save_word2vec_format(source)
    dev = mknod_char(tmp_path / "nulldev", NULL)
    assert main(["convert", str(source), str(dev), "--to", "npz", "-q"]) == 0
    assert is_char_device(dev)
    ro = tmp_path / "ro.npz"
    ro.write_bytes(b"precious")
    ro.chmod(0o444)
    assert main(["convert", str(source), str(ro), "-q"]) == 2
    assert "read-only" in capsys.readouterr().err and ro.read_bytes() == b"precious"
