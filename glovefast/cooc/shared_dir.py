"""A directory every Dask worker can reach: a local path on shared storage, or an fsspec URL.

Counting on a cluster passes its intermediate files (sorted runs, merged shards) between
machines through such a directory. A plain path (an NFS or Lustre mount, or the local disk when
every worker runs on this machine) is read and written directly, and merge inputs are memory
slices of the run files. Anything with a protocol (``s3://``, ``gs://``, ``abfs://``, ``hdfs://``,
``file://``...) goes through fsspec: files are written whole and the merge reads only the byte
ranges it needs, so no worker downloads a whole run.
"""
import contextlib
import os
import shutil
import uuid

import numpy as np

from glovefast.errors import StorageError
from glovefast.text.sources import MAGIC_BYTES, decompressing


def is_url(location):
    """True when ``location`` names a protocol (``s3://...``), i.e. goes through fsspec."""
    return isinstance(location, str) and "://" in location


def _fsspec():
    try:  # optional dependency (glovefast[dask]): only URL work directories need it
        import fsspec
    except ImportError:  # pragma: no cover - fsspec comes with dask
        raise ImportError("storage URLs need fsspec: pip install 'glovefast[dask]'") from None
    return fsspec


class SharedDir:
    """A directory (local path or fsspec URL) and the file operations distributed counting needs.

    Instances are small and picklable: they travel to the workers with the tasks, and each
    process opens the fsspec filesystem itself.

    Parameters
    ----------
    location : str or os.PathLike
        A local directory path (made absolute here, so it means the same on every machine that
        mounts it at the same place) or a URL such as ``s3://bucket/tmp``.
    """

    def __init__(self, location):
        location = os.fspath(location)
        self.url = is_url(location)
        self.location = location.rstrip("/") if self.url else os.path.abspath(location)
        self._fs = None

    def __getstate__(self):
        return {"location": self.location, "url": self.url}

    def __setstate__(self, state):
        self.location, self.url, self._fs = state["location"], state["url"], None

    def __repr__(self):
        return f"SharedDir({self.location!r})"

    @property
    def fs(self):
        """The fsspec filesystem and the location's path in it (URLs only)."""
        if self._fs is None:
            self._fs = _fsspec().core.url_to_fs(self.location)
        return self._fs

    def path(self, name):
        """Full path or URL of ``name`` inside this directory."""
        if self.url:
            return self.location + "/" + name
        return os.path.join(self.location, name)

    def child(self, name):
        return SharedDir(self.path(name))

    def unique_child(self, prefix):
        """A new subdirectory with a unique name (created), for one job's files."""
        sub = self.child(f"{prefix}-{uuid.uuid4().hex[:12]}")
        sub.makedirs()
        return sub

    def _fail(self, what, exc):
        return StorageError(f"cannot {what} in {self.location!r} ({exc}); counting on Dask needs a directory "
                            "every worker can write (work_dir=)")

    def makedirs(self):
        try:
            if self.url:
                fs, root = self.fs
                fs.makedirs(root, exist_ok=True)
            else:
                os.makedirs(self.location, exist_ok=True)
        except OSError as exc:
            raise self._fail("create a directory", exc) from exc

    def exists(self, name):
        if self.url:
            fs, root = self.fs
            return fs.exists(root + "/" + name)
        return os.path.exists(self.path(name))

    def size(self, name):
        if self.url:
            fs, root = self.fs
            return fs.size(root + "/" + name)
        return os.path.getsize(self.path(name))

    def write(self, name, data):
        """Write ``data`` (bytes or a contiguous numpy array) as the file ``name``."""
        view = memoryview(np.ascontiguousarray(data) if isinstance(data, np.ndarray) else data).cast("B")
        with self.open_write(name) as fh:
            fh.write(view)

    @contextlib.contextmanager
    def open_write(self, name):
        """A binary file object writing the file ``name`` (for files written in pieces)."""
        try:
            if self.url:
                fs, root = self.fs
                fh = fs.open(root + "/" + name, "wb")
            else:
                fh = open(self.path(name), "wb")
            with fh:
                yield fh
        except OSError as exc:
            raise self._fail(f"write {name}", exc) from exc

    def read_array(self, name, dtype, start, stop):
        """Items ``start:stop`` of the file ``name`` read as an array of ``dtype`` (a byte-range read)."""
        dtype = np.dtype(dtype)
        count = stop - start
        if count <= 0:
            return np.empty(0, dtype=dtype)
        try:
            if self.url:
                fs, root = self.fs
                raw = fs.cat_file(root + "/" + name, start=start * dtype.itemsize, end=stop * dtype.itemsize)
                out = np.frombuffer(raw, dtype=dtype)
            else:
                out = np.fromfile(self.path(name), dtype=dtype, count=count, offset=start * dtype.itemsize)
        except OSError as exc:
            raise self._fail(f"read {name}", exc) from exc
        if len(out) != count:
            raise StorageError(f"{self.path(name)} is shorter than expected ({len(out)} of {count} items); the "
                               "shared directory was modified while counting")
        return out

    def fetch(self, name, local_path):
        """Bring the file ``name`` to ``local_path`` on this machine: moved when both are on the
        same local file system (a rename, no copy), copied otherwise."""
        try:
            if self.url:
                fs, root = self.fs
                fs.get_file(root + "/" + name, local_path)
                return
            src = self.path(name)
            try:
                os.replace(src, local_path)
            except OSError:  # another file system (EXDEV): copy
                shutil.copyfile(src, local_path)
        except OSError as exc:
            raise StorageError(f"cannot bring {self.path(name)} to {local_path}: {exc}") from exc

    def remove(self):
        """Delete this directory and everything in it (best effort: cleanup must not mask the
        error that triggered it)."""
        try:
            if self.url:
                fs, root = self.fs
                if fs.exists(root):
                    fs.rm(root, recursive=True)
            else:
                shutil.rmtree(self.location, ignore_errors=True)
        except (OSError, ValueError):
            pass


class UrlStream:
    """A corpus file behind a URL, read as a binary stream: opened on the first ``read`` (so a
    task with many files holds one connection at a time), decompressed as local files are
    (gzip, bzip2, xz, zstd, detected from the first bytes), closed at the end."""

    def __init__(self, url):
        self.url = self.name = url
        self._raw = None
        self._stream = None
        self._done = False

    def read(self, n=-1):
        if self._done:
            return b""
        if self._stream is None:
            try:
                self._raw = _fsspec().open(self.url, "rb").open()
            except FileNotFoundError:
                raise FileNotFoundError(f"corpus file {self.url!r} does not exist") from None
            head = self._raw.read(MAGIC_BYTES)
            self._raw.seek(0)
            self._stream = decompressing(self._raw, head, self.url)
        block = self._stream.read(n)
        if not block:
            self.close()
        return block

    def close(self):
        self._done = True
        for f in (self._stream, self._raw):
            if f is not None:
                f.close()
        self._stream = self._raw = None


def source_size(location):
    """Bytes of a corpus file given as a local path or a URL (FileNotFoundError when missing)."""
    if is_url(location):
        fs, path = _fsspec().core.url_to_fs(location)
        if not fs.isfile(path):
            raise FileNotFoundError(f"corpus file {location!r} does not exist")
        return fs.size(path)
    if not os.path.isfile(location):
        raise FileNotFoundError(f"corpus file {location!r} does not exist")
    return os.path.getsize(location)


__all__ = ["SharedDir", "UrlStream", "is_url", "source_size"]
