"""Temporary files and raw writes and reads, for every stage that spills to disk.

Counting spills sorted runs and id streams into a private directory (:class:`TempSpace`);
training shuffles triples and keeps its rollback checkpoint in already-unlinked files
(:func:`temp_file`). Both write with :func:`write_all` and read back with :func:`read_exactly`,
unbuffered, so a full disk shows at the write that failed; a failure becomes one
:class:`~glovefast.errors.StorageError` (:func:`storage_error`) naming the directory and what
to do, and nothing is left behind.
"""
import errno
import os
import shutil
import tempfile

import numpy as np

from glovefast._util.interrupts import critical
from glovefast._util.memory import format_bytes
from glovefast.errors import InvalidParameterError, StorageError

#: errno values that mean the disk (or the file-size limit) is full.
_FULL = frozenset(getattr(errno, name) for name in ("ENOSPC", "EFBIG", "EDQUOT") if hasattr(errno, name))

#: Bytes per system call: larger single writes and reads fail on some systems.
_IO_STEP = 1 << 30


def storage_error(exc, target, what=None, need=None):
    """The StorageError for a write that the storage refused (``exc``: a full disk, an I/O error...).

    With ``what``, work files (``what`` names them) in the temporary directory ``target``: the
    message says to free space or choose another ``tmp_dir``; ``need`` (bytes) says how much the
    work takes. Without, the output file ``target`` itself, written atomically: its previous
    content is intact, and the error carries the failure's ``errno`` and the file name."""
    why = exc.strerror or str(exc) if isinstance(exc, OSError) else str(exc)
    code = getattr(exc, "errno", None)
    if what is None:
        return StorageError(code, f"cannot write {target}: {why}; the previous content (if any) is intact and no "
                                  "temporary file was left", str(target))
    if code in _FULL:
        why = f"it is full ({why})"
    more = f"; this needs about {format_bytes(need)}" if need else ""
    return StorageError(
        f"cannot write {what} to the temporary directory {os.fspath(target)!r}: {why}{more}. Free space there or "
        "choose another directory with tmp_dir= (--tmp-dir on the command line); nothing was left behind"
    )


def _fileno(f):
    return f if isinstance(f, int) else f.fileno()


def write_all(f, buffer, directory=None, what="temporary files", need=None):
    """Write a whole buffer (an array or bytes) to a file descriptor or unbuffered file: os.write may
    write less than asked. An OSError (ENOSPC when the disk takes nothing) is raised as it is, or,
    given the temporary ``directory``, as :func:`storage_error`."""
    if isinstance(buffer, np.ndarray):
        buffer = np.ascontiguousarray(buffer)
    view = memoryview(buffer).cast("B")
    fd = _fileno(f)
    try:
        while len(view):
            written = os.write(fd, view[:_IO_STEP])
            if written <= 0:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            view = view[written:]
    except OSError as exc:
        if directory is None:
            raise
        raise storage_error(exc, directory, what, need) from exc


def read_exactly(f, buffer, offset, directory=None, what="temporary files"):
    """Fill ``buffer`` (writable) from a file descriptor or file at byte ``offset`` (os.preadv may read
    less than asked); returns ``buffer``. An OSError (EIO when the file ends first: it was
    truncated) is raised as it is, or, given the temporary ``directory``, as a StorageError."""
    view = memoryview(buffer).cast("B")
    fd = _fileno(f)
    try:
        while len(view):
            got = os.preadv(fd, [view[:_IO_STEP]], offset)
            if got <= 0:
                raise OSError(errno.EIO, f"the file ends at byte {offset}: it was truncated")
            view = view[got:]
            offset += got
    except OSError as exc:
        if directory is None:
            raise
        raise StorageError(f"cannot read {what} back from the temporary directory {os.fspath(directory)!r}: "
                           f"{exc.strerror or exc}") from exc
    return buffer


def check_tmp_dir(tmp_dir):
    """The directory for temporary files: ``tmp_dir`` or the system's; must be a writable directory."""
    directory = tempfile.gettempdir() if tmp_dir is None else os.fspath(tmp_dir)
    if not os.path.isdir(directory):
        raise InvalidParameterError(f"tmp_dir {directory!r} is not an existing directory; create it or pass another")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise InvalidParameterError(f"tmp_dir {directory!r} is not writable; choose another with tmp_dir=/--tmp-dir")
    return directory


def temp_file(directory, what="temporary files", need=None):
    """An unbuffered temporary file in ``directory``, already unlinked: it disappears on every exit,
    even a killed process. StorageError when it cannot be created."""
    try:
        return tempfile.TemporaryFile(dir=directory, prefix="glovefast-", buffering=0)
    except OSError as exc:
        raise storage_error(exc, directory, what, need) from exc


def write_new_file(path, arrays, what="temporary files", mode=0o600):
    """Write ``arrays`` one after the other into a new file at ``path`` (permissions ``mode``);
    returns the number of elements written. On any failure (Ctrl-C included) the file is removed;
    an OSError becomes a StorageError naming the directory."""
    n = 0
    fd = None
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        for arr in arrays:
            write_all(fd, arr)
            n += len(arr)
        os.close(fd)
        fd = None
    except BaseException as exc:  # an error or Ctrl-C: no partial file stays
        if fd is not None:
            os.close(fd)
        try:
            os.unlink(path)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise storage_error(exc, os.path.dirname(path), what) from exc
        raise
    return n


class TempSpace:
    """A private temporary directory (for spilled runs and id streams), created on first use (small
    corpora never touch the disk) and removed with everything in it on exit, whether the work
    succeeded, failed or was interrupted (KeyboardInterrupt)."""

    def __init__(self, tmp_dir=None):
        self.tmp_dir = None if tmp_dir is None else os.fspath(tmp_dir)
        self.path = None
        self._n = 0

    def _ensure(self):
        if self.path is None:
            parent = self.tmp_dir if self.tmp_dir is not None else tempfile.gettempdir()
            if not os.path.isdir(parent):
                raise StorageError(f"temporary directory {parent!r} does not exist; create it or pass another tmp_dir")
            try:
                with critical():  # a signal between mkdtemp and the assignment would orphan the directory
                    self.path = tempfile.mkdtemp(prefix="glovefast-count-", dir=parent)
            except OSError as exc:
                raise storage_error(exc, parent, "temporary files") from exc
        return self.path

    def new_path(self, stem):
        """A new file name in the directory (created first if needed)."""
        self._ensure()
        self._n += 1
        return os.path.join(self.path, f"{stem}-{self._n:06d}.bin")

    def directory(self):
        return self._ensure()

    def cleanup(self):
        if self.path is not None:
            with critical():  # Ctrl-C waits until the directory is gone, not half-removed
                shutil.rmtree(self.path, ignore_errors=True)
                self.path = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cleanup()
        return False


__all__ = ["TempSpace", "read_exactly", "storage_error", "temp_file", "write_all", "write_new_file"]
