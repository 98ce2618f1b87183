"""Crash-safe writing: every file glovefast writes appears whole or not at all.

:func:`atomic_write` writes a temporary file beside the target and renames it over the target
once complete (after an fsync), so the target is either the old file or the complete new one,
never a partial file, whatever interrupts the write (an error, Ctrl-C, SIGTERM, a full disk).
Devices and FIFOs (``/dev/stdout``, ``-``) are written through instead; :func:`check_writable`
makes the same checks before any work starts, and :func:`check_outputs` refuses an output that
would destroy an input (the same file under another name, a path inside a store...).
"""
import contextlib
import errno
import io
import os
import re
import stat
import tempfile
from pathlib import Path

from glovefast._util.files import storage_error
from glovefast._util.interrupts import critical
from glovefast.errors import GloveFastError, InvalidParameterError, OutputIsInputError, ReadOnlyOutputError


def _current_umask():
    # Reading /proc avoids os.umask(), which has to set the process-wide umask to read it.
    try:
        with open("/proc/self/status", "rb") as fh:
            for line in fh:
                if line.startswith(b"Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def fsync_directory(directory):
    """Make the renames in ``directory`` durable (best effort; not possible, nor needed, on Windows)."""
    if os.name != "posix":
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


_DESCRIPTOR_LINK = re.compile(r"^/(proc/[^/]+|dev)/fd/\d+$")

# Write errors that mean the storage, not the caller, failed; reported naming the target file.
_STORAGE_ERRNOS = frozenset(getattr(errno, name) for name in ("ENOSPC", "EDQUOT", "EFBIG", "EIO", "EROFS")
                            if hasattr(errno, name))


def _names_open_descriptor(path):
    """True for /dev/stdout, /dev/fd/N, /proc/self/fd/N and links to them: the kernel resolves
    those to a descriptor this process already holds, which must be written through, not replaced."""
    p = os.path.abspath(path)
    for _ in range(40):  # the kernel's own limit on symlink hops
        if _DESCRIPTOR_LINK.match(p):
            return True
        if not os.path.islink(p):
            return False
        p = os.path.normpath(os.path.join(os.path.dirname(p), os.readlink(p)))
    return False


class _ForwardOnlyWriter(io.BufferedWriter):
    """A device or FIFO seen as a stream with no position: /dev/null's tell() always says 0, which
    would make zipfile (np.savez) write a corrupt directory; without tell() it streams instead."""

    def seekable(self):
        return False

    def tell(self):
        raise io.UnsupportedOperation("a device or FIFO has no file position")

    def seek(self, *args):
        raise io.UnsupportedOperation("a device or FIFO cannot seek")


@contextlib.contextmanager
def _write_through(path, mode, encoding, newline):
    """Write straight to a character device, a FIFO or an open descriptor (no temp file, no rename)."""
    try:
        if "b" in mode:
            fh = _ForwardOnlyWriter(io.FileIO(path, "w"))
        else:
            fh = open(path, "w", encoding=encoding, newline=newline)
    except OSError as exc:
        if exc.errno in _STORAGE_ERRNOS:
            raise storage_error(exc, path) from exc
        raise
    try:
        with fh:
            yield fh
            fh.flush()
    except OSError as exc:
        if exc.errno in _STORAGE_ERRNOS:
            raise storage_error(exc, path) from exc
        raise


def _plan_write(path):
    """How :func:`atomic_write` will write ``path``: ``("through", path, None)`` for devices,
    FIFOs and open descriptors, ``("atomic", real target, its stat or None)`` for regular files;
    raises for everything it refuses, before anything is written."""
    path = os.fspath(path)
    if _names_open_descriptor(path):
        return "through", path, None
    target = Path(os.path.realpath(path))
    try:
        st = os.stat(target)
    except FileNotFoundError:
        st = None
    if st is not None and not stat.S_ISREG(st.st_mode):
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError(f"cannot write to {str(target)!r}: it is a directory")
        if stat.S_ISCHR(st.st_mode) or stat.S_ISFIFO(st.st_mode):
            return "through", target, st
        kind = "block device" if stat.S_ISBLK(st.st_mode) else "socket" if stat.S_ISSOCK(st.st_mode) else "special file"
        raise InvalidParameterError(
            f"cannot write to {str(target)!r}: it is a {kind}; glovefast writes regular files, character "
            "devices and FIFOs only. Give another file name"
        )
    if not target.parent.is_dir():
        raise FileNotFoundError(f"cannot write {str(target)!r}: directory {str(target.parent)!r} does not exist")
    if st is not None and (not st.st_mode & 0o222 or not os.access(target, os.W_OK)):
        # root may rename over anything; a file without write permission is still the user's
        # way of saying "do not replace this"
        raise ReadOnlyOutputError(
            errno.EACCES, f"{str(target)!r} is read-only; make it writable (chmod u+w) or write elsewhere",
            str(target))
    if not os.access(target.parent, os.W_OK | os.X_OK):
        raise ReadOnlyOutputError(
            errno.EACCES, f"cannot write {str(target)!r}: no permission to create files in {str(target.parent)!r}",
            str(target))
    return "atomic", target, st


def check_writable(path):
    """Raise the error :func:`atomic_write` would raise for ``path``, without writing anything.

    Lets a long job (training) fail at once on an output it could not save at the end.
    """
    _plan_write(path)


# ---------------------------------------------------------------------------- outputs against inputs
def _node(path):
    """(device, inode) of a regular file or directory at ``path`` (symlinks followed), else None:
    devices and FIFOs are written through, never replaced, so they cannot be destroyed."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
        return None
    return st.st_dev, st.st_ino


def _directories_above(real):
    """(device, inode) of every existing directory that holds the real path ``real``."""
    nodes = set()
    parent = os.path.dirname(real)
    while True:
        node = _node(parent)
        if node is not None:
            nodes.add(node)
        up = os.path.dirname(parent)
        if up == parent:
            return nodes
        parent = up


def path_overlap(a, b):
    """How two paths overlap on disk: ``"same"`` (one file or directory, by any name: equal real
    paths, a symbolic link, a hard link, a bind mount), ``"inside"`` (``a`` lies inside the
    directory ``b``), ``"contains"`` (``b`` lies inside the directory ``a``), or None.

    Paths that do not exist yet are compared by their real paths (their parents' links resolved)."""
    a, b = os.fspath(a), os.fspath(b)
    real_a, real_b = os.path.realpath(a), os.path.realpath(b)
    node_a, node_b = _node(a), _node(b)
    if (real_a == real_b and (node_a is not None or not os.path.lexists(real_a))) \
            or (node_a is not None and node_a == node_b):
        return "same"
    if real_a.startswith(os.path.join(real_b, "")) or (node_b is not None and node_b in _directories_above(real_a)):
        return "inside"
    if real_b.startswith(os.path.join(real_a, "")) or (node_a is not None and node_a in _directories_above(real_b)):
        return "contains"
    return None


def check_outputs(outputs, inputs=()):
    """Raise :class:`~glovefast.errors.OutputIsInputError` before anything is written when an
    output would destroy an input, or another output.

    Parameters
    ----------
    outputs, inputs : sequence of (path, label)
        ``label`` names the path the way the caller gave it (``"--output"``, ``"the corpus file"``).
        Every output is compared with every input and with the outputs before it: the same file
        under any name (symbolic link, hard link), an output inside an input directory (a store),
        or an input inside an output directory (a store about to be replaced) is refused.
        Standard input (``"-"``), URLs and devices never conflict.
    """
    def comparable(path):
        return path is not None and os.fspath(path) != "-" and "://" not in os.fspath(path)

    outputs = [(os.fspath(p), label) for p, label in outputs if comparable(p)]
    inputs = [(os.fspath(p), label) for p, label in inputs if comparable(p)]
    for i, (out, out_label) in enumerate(outputs):
        for other, other_label in inputs:
            relation = path_overlap(out, other)
            if relation is None:
                continue
            if relation == "same":
                alias = "" if os.path.abspath(out) == os.path.abspath(other) else " (the same file by another name)"
                what = f"{out_label} {out!r} is {other_label} {other!r}{alias}: writing it would destroy the input"
            elif relation == "inside":
                what = (f"{out_label} {out!r} lies inside {other_label} {other!r}: writing it would change that "
                        "input")
            else:
                what = (f"{other_label} {other!r} lies inside {out_label} {out!r}, which would be replaced: "
                        "writing it would destroy the input")
            raise OutputIsInputError(f"{what}; nothing was written: write {out_label} elsewhere")
        for other, other_label in outputs[:i]:
            relation = path_overlap(out, other)
            if relation == "same":
                raise OutputIsInputError(f"{other_label} and {out_label} name the same file {out!r}; nothing was "
                                         "written. Give them different paths")
            if relation is not None:
                inner, outer = (out_label, other_label) if relation == "inside" else (other_label, out_label)
                raise OutputIsInputError(f"{inner} lies inside {outer} ({out!r}, {other!r}); nothing was "
                                         "written. Give them separate paths")


def _open_temporary(target, perms, st, mode, encoding, newline):
    """(file object, path) of a new temporary file next to ``target`` with the permissions (and,
    as root, the owner) the target has or would get."""
    directory = target.parent
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except PermissionError:
        raise ReadOnlyOutputError(
            errno.EACCES, f"cannot write {str(target)!r}: no permission to create files in {str(directory)!r}",
            str(target)) from None
    except OSError as exc:
        if exc.errno in _STORAGE_ERRNOS:
            raise storage_error(exc, target) from exc
        raise
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, perms)
        if st is not None and hasattr(os, "fchown") and (st.st_uid, st.st_gid) != (os.geteuid(), os.getegid()):
            with contextlib.suppress(OSError):  # only root may give a file away; others keep their own
                os.fchown(fd, st.st_uid, st.st_gid)
        if "b" in mode:
            return os.fdopen(fd, "wb"), tmp
        return os.fdopen(fd, "w", encoding=encoding, newline=newline), tmp
    except BaseException:
        with contextlib.suppress(OSError):  # fdopen may have closed it already
            os.close(fd)
        os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_write(path, mode="wb", encoding="utf-8", newline=None, fsync=True):
    """Write a file so that readers only ever see the old or the complete new content.

    The data go to a temporary file in the target's directory (same file system, so the
    final rename is atomic), which is flushed, ``fsync``-ed and then moved over the target
    with :func:`os.replace`. If the ``with`` block raises, the temporary file is deleted, the
    target is left untouched and the exception propagates.

    Only regular files are ever replaced. What exists at ``path`` decides what happens:

    * nothing, or a regular file: the atomic replacement above. The new file keeps the old
      one's permissions (and its owner, when running as root).
    * a symbolic link: its target is replaced; the link stays.
    * a character device (``/dev/null``, a terminal), a FIFO, or ``/dev/stdout``,
      ``/dev/fd/N``: written straight through, as a shell redirection would (a device node
      is never turned into a regular file).
    * a read-only regular file (no write permission bit, or not writable by this user):
      :class:`~glovefast.errors.ReadOnlyOutputError`, even for root; nothing is written.
    * a directory, a block device or a socket: an error; nothing is written.

    Parameters
    ----------
    path : str or os.PathLike
        Target file.
    mode : {"wb", "w", "wt"}, optional
        Binary (default) or text.
    encoding : str, optional
        Text mode only (default UTF-8, whatever the locale).
    newline : str, optional
        Text mode only, as for :func:`open`.
    fsync : bool, optional
        Flush to disk before renaming (and sync the directory after). Turn off only for
        throw-away files.

    Yields
    ------
    file object
        Open on the temporary file (or the device). Do not close it yourself.

    Raises
    ------
    ReadOnlyOutputError
        The target file or its directory is not writable.
    StorageError
        The disk is full (or another storage failure) while writing; the message names the
        target, the old file is intact and the temporary file is removed.
    IsADirectoryError, FileNotFoundError
        ``path`` is a directory, or its directory does not exist.

    Notes
    -----
    New files get the permissions a plain ``open()`` would give (``0o666`` minus the umask),
    not the ``0o600`` of a raw temporary file. Temporary files are named
    ``.<name>.<random>.tmp``; they are removed on every exit path Python sees (exceptions,
    Ctrl-C, and SIGTERM in the ``glovefast`` command), so only SIGKILL or a power cut can
    leave one behind. A hard-linked file is replaced by a new file: the other names keep the
    old content.

    Examples
    --------
    >>> import os, tempfile
    >>> target = os.path.join(tempfile.mkdtemp(), "out.txt")
    >>> with atomic_write(target, "w") as fh:
    ...     _ = fh.write("hello\\n")
    >>> open(target).read()
    'hello\\n'
    """
    if mode not in ("wb", "w", "wt"):
        raise InvalidParameterError(f"atomic_write mode must be 'wb', 'w' or 'wt', got {mode!r}")
    how, target, st = _plan_write(path)
    if how == "through":
        with _write_through(target, mode, encoding, newline) as fh:
            yield fh
        return
    directory = target.parent
    perms = stat.S_IMODE(st.st_mode) if st is not None else 0o666 & ~_current_umask()
    fh = tmp = None
    try:
        # Signals wait while the temporary file is created and opened: a Ctrl-C or SIGTERM right
        # after mkstemp would otherwise leave a file nobody knows to remove.
        with critical():
            fh, tmp = _open_temporary(target, perms, st, mode, encoding, newline)
        with fh:
            yield fh
            fh.flush()
            if fsync:
                os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        with critical():  # and while it is removed
            if fh is not None:
                with contextlib.suppress(Exception):
                    fh.close()
            if tmp is not None:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)
        if isinstance(exc, OSError) and not isinstance(exc, GloveFastError) and exc.errno in _STORAGE_ERRNOS:
            raise storage_error(exc, target) from exc
        raise
    if fsync:
        fsync_directory(directory)


__all__ = ["atomic_write", "check_outputs", "check_writable", "path_overlap"]
