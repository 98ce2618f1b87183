"""glovefast's native file format: named numeric arrays plus validated JSON metadata in one zip.

Layout
------
A bundle is an ordinary ``.npz`` (a zip of ``.npy`` members, readable by ``numpy.load``):

* ``__glovefast_meta__.npy`` (first member): the UTF-8 JSON header as a ``uint8`` array, holding
  ``kind`` (what the file holds, e.g. ``"glovefast.WordVectors"``), ``format_version``, the
  declared ``dtype`` and ``shape`` of every array member, the owner's ``meta`` object and a
  ``sha256`` digest of all of it;
* one ``<name>.npy`` member per array. Uncompressed members are *stored* with their data
  aligned to 64 bytes in the file (the zip local header is padded with an extra field), so
  :func:`load_npz_bundle` with ``mmap=True`` maps them straight from the file.

Reading is defensive, because a file is input like any other: only the members the header
declares are read; each member's zip sizes are checked against its declared dtype and shape
(and the physical limit of deflate) before it is opened, and its ``.npy`` header is checked
against the declaration before any data are decompressed. The metadata are parsed with
bounded integers and depth and validated against a schema (:class:`Schema`); every problem is
a :class:`~glovefast.errors.FormatError` naming the file and the field.
"""
import contextlib
import hashlib
import io
import json
import logging
import os
import re
import struct
import zipfile
import zlib

import numpy as np

from glovefast._util import memory
from glovefast._util.atomic import atomic_write
from glovefast.errors import FormatError, InvalidParameterError
from glovefast.text.sources import COMPRESSION_SUFFIXES, compression_suffix

logger = logging.getLogger(__name__)

#: Version of the bundle layout written by :func:`save_npz_bundle`.
NPZ_FORMAT_VERSION = 1

META_MEMBER = "__glovefast_meta__"
_ZIP_MAGIC = b"PK\x03\x04"
_NPY_MAGIC = b"\x93NUMPY"
#: Alignment of stored array data in the file (numpy's own .npy header alignment).
ALIGN = 64
# Private zip extra-field id used only to pad local headers (readers skip unknown ids).
_PAD_EXTRA_ID = 0x6766
# Deflate cannot expand more than 1032:1; anything claiming more is forged.
_MAX_DEFLATE_RATIO = 1040
_MAX_META_BYTES = 1 << 31
_MAX_NPY_HEADER = 1 << 16
_MAX_INT_DIGITS = 30
_READ_CHUNK = 16 << 20
# dtypes a bundle may hold: little-endian or byte-order-free real numbers.
_ALLOWED_DTYPES = frozenset(["<f4", "<f8", "|i1", "<i2", "<i4", "<i8", "|u1", "<u2", "<u4", "<u8"])


# ---------------------------------------------------------------------------- metadata schema
class _Spec:
    """A JSON value specification; :meth:`check` returns an error text or None."""

    def check(self, value, field):  # pragma: no cover - abstract
        raise NotImplementedError


class Scalar(_Spec):
    """A JSON scalar of a Python type: ``str``, ``int`` (not bool), ``float`` (int accepted) or ``bool``."""

    _NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true or false"}

    def __init__(self, kind, minimum=None, choices=None):
        self.kind, self.minimum, self.choices = kind, minimum, choices

    def check(self, value, field):
        kind = self.kind
        ok = isinstance(value, kind) and not (kind in (int, float) and isinstance(value, bool))
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            ok = True
        if not ok:
            return f"{field}: expected {self._NAMES[kind]}, got {_describe(value)}"
        if self.minimum is not None and value < self.minimum:
            return f"{field}: expected at least {self.minimum}, got {value!r}"
        if self.choices is not None and value not in self.choices:
            return f"{field}: expected one of {sorted(self.choices)}, got {value!r}"
        return None


class ListOf(_Spec):
    """A JSON array whose items all match ``item``."""

    def __init__(self, item):
        self.item = item

    def check(self, value, field):
        if not isinstance(value, list):
            return f"{field}: expected a list, got {_describe(value)}"
        item = self.item
        if isinstance(item, Scalar) and item.kind is str and item.minimum is None and item.choices is None:
            # fast path for word lists of millions of entries
            if not value or set(map(type, value)) == {str}:  # C-speed type scan
                return None
        for pos, x in enumerate(value):
            err = item.check(x, f"{field}[{pos}]")
            if err:
                return err
        return None


class Nullable(_Spec):
    """``null`` or a value matching ``inner``."""

    def __init__(self, inner):
        self.inner = inner

    def check(self, value, field):
        return None if value is None else self.inner.check(value, field)


class Object(_Spec):
    """A JSON object with known fields; ``optional`` fields may be missing, unknown ones are refused."""

    def __init__(self, fields, optional=(), extra=None):
        self.fields, self.optional, self.extra = fields, frozenset(optional), extra

    def check(self, value, field):
        if not isinstance(value, dict):
            return f"{field}: expected an object, got {_describe(value)}"
        for name, spec in self.fields.items():
            if name not in value:
                if name in self.optional:
                    continue
                return f"{field}.{name}: missing"
            err = spec.check(value[name], f"{field}.{name}")
            if err:
                return err
        for name in value:
            if name not in self.fields:
                if self.extra is None:
                    return f"{field}.{name}: unknown field (known: {', '.join(sorted(self.fields))})"
                err = self.extra.check(value[name], f"{field}.{name}")
                if err:
                    return err
        return None


class AnyJSON(_Spec):
    """Any JSON value (already bounded by the parser)."""

    def check(self, value, field):
        return None


class ArraySpec:
    """What an array member may be: dtype kinds (``"f"``, ``"iu"``...), number of dimensions, required or not."""

    def __init__(self, kinds, ndim, required=True):
        self.kinds, self.ndim, self.required = kinds, ndim, required


class Schema:
    """The content of one kind of bundle.

    Parameters
    ----------
    arrays : dict of str to ArraySpec
        Every array member the kind may hold; others are refused.
    meta : Object
        Specification of the owner's ``meta`` object.
    check : callable, optional
        ``check(shapes, meta)`` with ``shapes`` the declared ``{name: shape}``; returns an
        error text for content that is well-typed but inconsistent (e.g. a vector count that
        differs from the word count), before any array is read.
    """

    def __init__(self, arrays, meta, check=None):
        self.arrays, self.meta, self.check = arrays, meta, check


def _describe(value):
    if isinstance(value, (dict, list)):
        return f"{type(value).__name__} of {len(value)} items"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


_HEADER_SCHEMA = Object(
    {
        "kind": Scalar(str),
        "format_version": Scalar(int, minimum=1),
        "arrays": Object({}, extra=Object({"dtype": Scalar(str), "shape": ListOf(Scalar(int, minimum=0))})),
        "meta": Object({}, extra=AnyJSON()),
        "sha256": Scalar(str),
    },
    optional=("sha256",),
)


def _bounded_int(text):
    if len(text.lstrip("-")) > _MAX_INT_DIGITS:
        raise FormatError(f"an integer of {len(text)} digits")
    return int(text)


def _parse_meta_json(raw, path):
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FormatError(f"{path}: the glovefast metadata are unreadable ({exc}); the file is corrupted") from None
    try:
        meta = json.loads(text, parse_int=_bounded_int)
    except FormatError as exc:
        raise FormatError(f"{path}: the glovefast metadata hold {exc}; the file is corrupted or forged") from None
    except RecursionError:
        raise FormatError(f"{path}: the glovefast metadata are nested too deeply; the file is corrupted or forged") \
            from None
    except ValueError as exc:  # JSONDecodeError and int-conversion limits
        raise FormatError(f"{path}: the glovefast metadata are unreadable ({exc}); the file is corrupted") from None
    # UTF-8 text holds no surrogates, but JSON can spell them ("\ud800"); glovefast never writes one
    # (save refuses them), so only a forged file has one, and only then are the strings walked
    if "\\u" in text and re.search(r"\\u[dD][89a-fA-F]", text):
        found = _unencodable(meta, "meta")
        if found:
            raise FormatError(f"{path}: {found[0]} = {found[1]!r} holds a lone surrogate, which is not text and "
                              "cannot be written as UTF-8; the file is corrupted or forged")
    return meta


# ---------------------------------------------------------------------------- writing
def _npy_header(arr):
    buf = io.BytesIO()
    info = np.lib.format.header_data_from_array_1_0(arr)
    try:
        np.lib.format.write_array_header_1_0(buf, info)
    except ValueError:  # more than 65535 header bytes: only absurd numbers of dimensions
        buf = io.BytesIO()
        np.lib.format.write_array_header_2_0(buf, info)
    return buf.getvalue()


def _padding_extra(offset, name_len, zip64):
    """Extra field that puts a member's data at a multiple of :data:`ALIGN`."""
    data_start = offset + 30 + name_len + (20 if zip64 else 0) + 4
    pad = -data_start % ALIGN
    return struct.pack("<HH", _PAD_EXTRA_ID, pad) + b"\0" * pad


def _write_member(zf, name, header, payload, compress):
    info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    info.file_size = len(header) + len(payload)
    zip64 = info.file_size * 1.05 > zipfile.ZIP64_LIMIT
    if not compress:
        info.extra = _padding_extra(zf.start_dir, len(info.filename.encode("utf-8")), zip64)
    with zf.open(info, "w", force_zip64=zip64) as out:
        out.write(header)
        for start in range(0, len(payload), _READ_CHUNK):
            out.write(payload[start:start + _READ_CHUNK])


def _digest(arrays, header):
    h = hashlib.sha256()
    h.update(json.dumps(header, sort_keys=True, ensure_ascii=False).encode("utf-8"))
    for name in sorted(arrays):
        arr = arrays[name]
        h.update(f"\0{name}\0{arr.dtype.str}\0{tuple(arr.shape)}\0".encode("ascii"))
        if arr.size:
            if not arr.flags.c_contiguous:
                arr = np.ascontiguousarray(arr)
            flat = memoryview(arr.reshape(-1)).cast("B")
            for start in range(0, len(flat), _READ_CHUNK):
                h.update(flat[start:start + _READ_CHUNK])
    return h.hexdigest()


def _unencodable(value, field):
    """Path of the first string in ``value`` that UTF-8 cannot encode (a lone surrogate), or None."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return field, value
        return None
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, (list, tuple)):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        found = _unencodable(item, f"{field}[{key!r}]" if isinstance(value, dict) else f"{field}[{key}]")
        if found:
            return found
    return None


def check_bundle_name(path):
    """Refuse a bundle name ending in a compression suffix (``x.npz.gz``): the file would be a zip
    archive under a name that promises gzip (bz2, xz, zstd), which no such tool opens."""
    path = os.fspath(path)
    suffix = compression_suffix(path)
    if suffix:
        raise InvalidParameterError(
            f"{path}: an .npz file is not compressed by its name: it would be a zip archive under a {suffix} name "
            f"that no {COMPRESSION_SUFFIXES[suffix]} tool opens. Name it {path[:-len(suffix)]!r} (in Python, "
            "compress=True deflates its arrays inside the zip)")


def save_npz_bundle(path, kind, arrays, meta=None, compress=False):
    """Write named arrays plus JSON metadata as one bundle file, atomically.

    Parameters
    ----------
    path : str or os.PathLike
        Written exactly as given (no ``.npz`` is appended).
    kind : str
        What the file holds, e.g. ``"glovefast.WordVectors"``; :func:`load_npz_bundle` refuses
        files of another kind with a message naming both.
    arrays : dict of str to numpy.ndarray
        Real-valued numeric arrays (float, signed or unsigned int).
    meta : dict, optional
        JSON-serialisable metadata.
    compress : bool, optional
        Deflate the arrays (smaller, slower, and not memory-mappable).

    Raises
    ------
    InvalidParameterError
        An invalid array name, a non-numeric array, a string that UTF-8 cannot encode (a lone
        surrogate such as ``"\\ud800"``, which the message locates), or a name ending in a
        compression suffix (``.gz``...).
    """
    check_bundle_name(path)
    meta = dict(meta or {})
    clean = {}
    for name, arr in arrays.items():
        if name == META_MEMBER or not name.isidentifier():
            raise InvalidParameterError(f"invalid array name {name!r}")
        arr = np.asarray(arr)
        if arr.dtype.hasobject:
            raise InvalidParameterError(f"array {name!r} has dtype object, which cannot be saved without pickle")
        if arr.dtype.byteorder == ">":
            arr = arr.astype(arr.dtype.newbyteorder("<"))
        if arr.dtype.str not in _ALLOWED_DTYPES:
            raise InvalidParameterError(
                f"array {name!r} has dtype {arr.dtype}; bundles hold real numbers only (float, int, uint)")
        clean[name] = np.ascontiguousarray(arr)
    header = {
        "kind": kind,
        "format_version": NPZ_FORMAT_VERSION,
        "arrays": {name: {"dtype": arr.dtype.str, "shape": list(arr.shape)} for name, arr in clean.items()},
        "meta": meta,
    }
    bad = _unencodable(meta, "meta")
    if bad:
        field, value = bad
        raise InvalidParameterError(
            f"cannot save {field} = {value!r}: it holds a lone surrogate, which is not valid Unicode text and "
            "cannot be written as UTF-8; fix the string (e.g. decode the source text with errors='replace')"
        )
    header["sha256"] = _digest(clean, header)
    meta_arr = np.frombuffer(json.dumps(header, ensure_ascii=False).encode("utf-8"), dtype=np.uint8)
    with atomic_write(path, "wb") as raw:
        with zipfile.ZipFile(raw, "w", allowZip64=True) as zf:
            for name, arr in [(META_MEMBER, meta_arr)] + list(clean.items()):
                payload = memoryview(arr.reshape(-1)).cast("B") if arr.size else b""
                _write_member(zf, name, _npy_header(arr), payload, compress and name != META_MEMBER)


# ---------------------------------------------------------------------------- reading
def _check_member_sizes(info, path, what):
    """Refuse a member whose zip sizes are impossible or differ from what the metadata declare."""
    if info.compress_type == zipfile.ZIP_STORED:
        if info.compress_size != info.file_size:
            raise FormatError(f"{path}: {what}: stored member with inconsistent sizes; the file is corrupted")
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        if info.file_size > info.compress_size * _MAX_DEFLATE_RATIO + 4096:
            raise FormatError(
                f"{path}: {what} claims {info.file_size:,} bytes from {info.compress_size:,} compressed bytes, more "
                "than deflate can produce; the file is forged or corrupted")
    else:
        raise FormatError(f"{path}: {what} uses zip compression method {info.compress_type}, which glovefast never "
                          "writes; refusing to decompress it")


def _check_member_total(info, header_len, dtype, shape, path, what):
    """The member must hold exactly its ``.npy`` header plus the data the header declares."""
    nbytes = int(np.prod(shape, dtype=np.float64)) * dtype.itemsize
    if info.file_size != header_len + nbytes:
        raise FormatError(f"{path}: {what} holds {info.file_size:,} bytes but its header declares "
                          f"{header_len + nbytes:,}; the file is corrupted or was edited")


def _read_npy_header(fh, path, what):
    try:
        version = np.lib.format.read_magic(fh)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh, max_header_size=_MAX_NPY_HEADER)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh, max_header_size=_MAX_NPY_HEADER)
        else:
            raise FormatError(f"{path}: {what} has .npy version {version}, which glovefast never writes")
    except FormatError:
        raise
    except (ValueError, SyntaxError, TypeError, OverflowError, EOFError) as exc:
        raise FormatError(f"{path}: {what} has an unreadable .npy header ({exc}); the file is corrupted") from None
    if dtype.hasobject:
        raise FormatError(f"{path}: {what} contains pickled objects, which glovefast never writes; refusing to load it")
    return shape, fortran, dtype


def _check_memory(declared, path):
    """Refuse, before allocating, arrays whose declared total cannot fit in the memory available."""
    total = sum(int(np.prod(spec["shape"], dtype=np.float64)) * np.dtype(spec["dtype"]).itemsize
                for spec in declared.values())
    available = memory.available_memory()
    if available is not None and total > available:
        raise FormatError(
            f"{path}: the arrays declared in this file need {total / 2**30:.1f} GiB of memory but only "
            f"{available / 2**30:.1f} GiB are available; if the file is genuine, load it with mmap=True "
            "(uncompressed files) or on a larger machine")


def _check_header_matches(shape, fortran, dtype, spec, path, name):
    if dtype.str != spec["dtype"] or list(shape) != spec["shape"] or fortran:
        raise FormatError(
            f"{path}: array {name!r} is {dtype.str}{list(shape)} but the metadata say "
            f"{spec['dtype']}{spec['shape']}; the file was modified")


def _read_member_array(zf, info, name, spec, path):
    what = f"array {name!r}"
    with zf.open(info) as fh:
        shape, fortran, dtype = _read_npy_header(fh, path, what)
        _check_header_matches(shape, fortran, dtype, spec, path, name)
        _check_member_total(info, fh.tell(), dtype, shape, path, what)
        out = np.empty(shape, dtype=dtype)
        flat = memoryview(out.reshape(-1)).cast("B") if out.size else memoryview(b"")
        pos = 0
        while pos < len(flat):
            chunk = fh.read(min(_READ_CHUNK, len(flat) - pos))
            if not chunk:
                raise FormatError(f"{path}: {what} ends early; the file is truncated")
            flat[pos:pos + len(chunk)] = chunk
            pos += len(chunk)
        fh.read(1)  # reaching the end makes zipfile check the CRC
    return out


def _map_member_array(path, info, name, spec, file_size):
    """Memory-map a stored member in place: its data offset is found from the zip local header."""
    what = f"array {name!r}"
    with open(path, "rb") as fh:
        fh.seek(info.header_offset)
        local = fh.read(30)
        if len(local) < 30 or local[:4] != _ZIP_MAGIC:
            raise FormatError(f"{path}: {what}: bad zip local header; the file is corrupted")
        name_len, extra_len = struct.unpack("<HH", local[26:30])
        data_start = info.header_offset + 30 + name_len + extra_len
        fh.seek(data_start)
        shape, fortran, dtype = _read_npy_header(fh, path, what)
        _check_header_matches(shape, fortran, dtype, spec, path, name)
        offset = fh.tell()
        _check_member_total(info, offset - data_start, dtype, shape, path, what)
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if offset + nbytes > file_size:
        raise FormatError(f"{path}: {what} extends past the end of the file; the file is truncated")
    if nbytes == 0:
        return np.empty(shape, dtype=dtype)
    return np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=tuple(shape))


#: Pickles of protocol 2 and later start with PROTO (0x80) and the protocol number; gensim's
#: ``save()`` writes protocol 4, glove_python wrote its Python's highest (2 to 5).
_PICKLE_PROTOCOLS = range(2, 6)

#: How many leading bytes say what a pickle holds: its first class reference comes right after.
PICKLE_SNIFF_BYTES = 512


def pickle_origin(head):
    """What the first bytes of a file say it is: ``"gensim"`` (a gensim ``save()`` file: a pickle
    whose first class is gensim's), ``"pickle"`` (any other Python pickle, e.g. glove_python's),
    or None. Nothing is unpickled."""
    head = bytes(head[:PICKLE_SNIFF_BYTES])
    if len(head) < 2 or head[0] != 0x80 or head[1] not in _PICKLE_PROTOCOLS:
        return None
    return "gensim" if re.search(rb"gensim(\.\w+)+", head) else "pickle"


def pickle_error(path, head):
    """The FormatError for a pickle given where glovefast's own file was expected, saying how to
    convert it (glovefast never unpickles unless asked explicitly). None if ``head`` is no pickle."""
    origin = pickle_origin(head)
    if origin is None:
        return None
    path = os.fspath(path)
    if origin == "gensim":
        found = re.search(rb"(gensim(?:\.\w+)+)[^A-Za-z_]+([A-Za-z_]\w*)", head)
        what = f"a gensim {found.group(2).decode('ascii')}" if found else "a gensim object"
        return FormatError(
            f"{path!r} is {what} saved by gensim's save(): a Python pickle, which glovefast never reads, because "
            f"unpickling runs code named by the file. If you trust the file, convert it once with gensim "
            f"installed: glovefast convert --from-gensim {path} vectors.npz (or in Python: "
            f"WordVectors.from_gensim(gensim.models.KeyedVectors.load({path!r})).save('vectors.npz')), then "
            "load vectors.npz (mmap=True maps it)")
    return FormatError(
        f"{path!r} is a Python pickle, such as a glove_python model or corpus, not a glovefast file; glovefast "
        f"never unpickles by default (it runs code named by the file). If you trust the file, convert it once: "
        f"glovefast convert --from-glove-python {path} vectors.npz (or glovefast.compat.load_glove_python)")


def _sniff_container(path, kind):
    with open(path, "rb") as fh:
        head = fh.read(PICKLE_SNIFF_BYTES)
    error = pickle_error(path, head)
    if error is not None:
        raise error
    magic = head[:6]
    if magic.startswith(_NPY_MAGIC):
        raise FormatError(f"{path}: this is a bare .npy array, not a glovefast {kind} file")
    if not magic.startswith(_ZIP_MAGIC):
        hint = ""
        if magic[:1].isdigit() or magic[:1].isalpha():
            hint = " It looks like text: for word2vec/GloVe files use load_word2vec_format / load_glove_format."
        raise FormatError(f"{path}: not a glovefast {kind} file (no zip/npz header).{hint}")


def read_bundle_header(zf, path, kind=None):
    """Parse and validate the JSON header of an open bundle (no array is read).

    Returns
    -------
    dict
        ``kind``, ``format_version``, ``arrays`` (declared dtype/shape), ``meta`` and ``sha256``.
    """
    try:
        info = zf.getinfo(META_MEMBER + ".npy")
    except KeyError:
        raise FormatError(f"{path}: an .npz archive without glovefast metadata; it was not written by glovefast"
                          + (f" (expected a {kind} file)" if kind else "")) from None
    what = "the glovefast metadata"
    if info.file_size > _MAX_META_BYTES:
        raise FormatError(f"{path}: {what} claim {info.file_size:,} bytes; the file is forged or corrupted")
    _check_member_sizes(info, path, what)
    spec = {"dtype": "|u1", "shape": None}
    with zf.open(info) as fh:
        shape, fortran, dtype = _read_npy_header(fh, path, what)
        if dtype.str != spec["dtype"] or len(shape) != 1 or fortran:
            raise FormatError(f"{path}: {what} are not a byte array; the file is corrupted")
        raw = fh.read(shape[0])
    if len(raw) != shape[0]:
        raise FormatError(f"{path}: {what} are truncated")
    header = _parse_meta_json(raw, path)
    err = _HEADER_SCHEMA.check(header, "header")
    if err:
        raise FormatError(f"{path}: invalid metadata field {err}; the file is corrupted or was edited")
    for name, spec in header["arrays"].items():
        if spec["dtype"] not in _ALLOWED_DTYPES:
            raise FormatError(
                f"{path}: invalid metadata field header.arrays.{name}.dtype: {spec['dtype']!r} is not a real-number "
                "dtype glovefast writes (float, int or uint); the file is corrupted or was edited")
    return header


@contextlib.contextmanager
def _corruption_is_format_error(path):
    """Turn what zipfile, zlib and numpy raise on a truncated or corrupted file into one
    FormatError naming it; FormatError and a missing file pass through unchanged."""
    try:
        yield
    except (FormatError, FileNotFoundError):
        raise
    except (zipfile.BadZipFile, EOFError, OSError, zlib.error, KeyError, ValueError, struct.error) as exc:
        raise FormatError(f"{path}: the file is truncated or corrupted ({exc})") from None


def load_npz_bundle(path, kind, verify=True, schema=None, mmap=False):
    """Read a file written by :func:`save_npz_bundle`, checking that it is complete and unmodified.

    Parameters
    ----------
    path : str or os.PathLike
    kind : str
        The kind expected (see :func:`save_npz_bundle`).
    verify : bool, optional
        Check the SHA-256 digest of the content (about 1 s per GB; it reads every byte, so it
        defeats ``mmap``'s lazy paging).
    schema : Schema, optional
        The arrays and metadata the kind may hold. Without one, only the generic header is
        validated.
    mmap : bool or sequence of str, optional
        Memory-map stored (uncompressed) arrays read-only instead of reading them (``True``: all
        of them; a sequence: those named). Compressed members are read normally, with a warning.

    Returns
    -------
    arrays : dict of str to numpy.ndarray
    meta : dict

    Raises
    ------
    FileNotFoundError
        No such file.
    FormatError
        Not a zip, a bare ``.npy``, an npz not written by glovefast, a different kind, a newer
        format version, metadata that break the schema (the message names the field), members
        that are undeclared, forged (sizes or ``.npy`` headers that differ from the metadata),
        truncated or pickled, or content that does not match the recorded digest.
    """
    path = os.fspath(path)
    _sniff_container(path, kind)
    file_size = os.path.getsize(path)
    with _corruption_is_format_error(path), zipfile.ZipFile(path) as zf:
        header = read_bundle_header(zf, path, kind)
        if header["kind"] != kind:
            raise FormatError(f"{path}: this file holds a {header['kind']}, not a {kind}")
        version = header["format_version"]
        if version > NPZ_FORMAT_VERSION:
            raise FormatError(
                f"{path}: format version {version!r} is newer than this glovefast supports "
                f"({NPZ_FORMAT_VERSION}); upgrade glovefast")
        declared = header["arrays"]
        present = {i.filename[:-4] for i in zf.infolist() if i.filename.endswith(".npy")} - {META_MEMBER}
        others = [i.filename for i in zf.infolist() if not i.filename.endswith(".npy")]
        if set(declared) != present or others:
            raise FormatError(
                f"{path}: the archive holds arrays {sorted(present) + others} but its metadata list "
                f"{sorted(declared)}; the file was modified")
        if schema is not None:
            _check_against_schema(header, schema, path)
        infos = {name: zf.getinfo(name + ".npy") for name in declared}
        for name in declared:
            _check_member_sizes(infos[name], path, f"array {name!r}")
        mapped = set(declared) if mmap is True else set(mmap or ())
        _check_memory({name: spec for name, spec in declared.items()
                       if not (name in mapped and infos[name].compress_type == zipfile.ZIP_STORED)}, path)
        arrays = {}
        for name, spec in declared.items():
            info = infos[name]
            if name in mapped and info.compress_type == zipfile.ZIP_STORED:
                arrays[name] = _map_member_array(path, info, name, spec, file_size)
            else:
                if name in mapped:
                    logger.warning("%s: array %r is compressed, so it is read into memory instead of "
                                   "memory-mapped (save without compress=True to map it)", path, name)
                arrays[name] = _read_member_array(zf, info, name, spec, path)
    if verify:
        expected = header.pop("sha256", None)
        if expected != _digest(arrays, header):
            raise FormatError(
                f"{path}: the content does not match its recorded SHA-256 digest; the file was modified or "
                "corrupted after saving")
    return arrays, header["meta"]


def _check_against_schema(header, schema, path):
    declared = header["arrays"]
    for name, spec in declared.items():
        aspec = schema.arrays.get(name)
        field = f"header.arrays.{name}"
        if aspec is None:
            raise FormatError(f"{path}: invalid metadata field {field}: a {header['kind']} file holds no array "
                              f"{name!r} (known: {', '.join(sorted(schema.arrays))}); the file was edited")
        if np.dtype(spec["dtype"]).kind not in aspec.kinds:
            raise FormatError(f"{path}: invalid metadata field {field}.dtype: {spec['dtype']!r} is not allowed "
                              f"here; the file was edited")
        if len(spec["shape"]) != aspec.ndim:
            raise FormatError(f"{path}: invalid metadata field {field}.shape: expected {aspec.ndim} dimensions, got "
                              f"{spec['shape']}; the file was edited")
    for name, aspec in schema.arrays.items():
        if aspec.required and name not in declared:
            raise FormatError(f"{path}: invalid metadata field header.arrays.{name}: missing; a {header['kind']} "
                              "file must hold it")
    err = schema.meta.check(header["meta"], "meta")
    if err:
        raise FormatError(f"{path}: invalid metadata field {err}; the file is corrupted or was edited")
    if schema.check is not None:
        err = schema.check({name: tuple(spec["shape"]) for name, spec in declared.items()}, header["meta"])
        if err:
            raise FormatError(f"{path}: inconsistent content: {err}; the file is corrupted or was edited")


__all__ = [
    "ALIGN",
    "AnyJSON",
    "ArraySpec",
    "ListOf",
    "NPZ_FORMAT_VERSION",
    "Nullable",
    "Object",
    "Scalar",
    "Schema",
    "is_legacy_model",
    "load_legacy_npz",
    "load_npz_bundle",
    "npz_kind",
    "read_bundle_header",
    "save_npz_bundle",
]


def load_legacy_npz(path, meta_member, arrays_schema, meta_schema, check=None):
    """Read a pre-bundle glovefast npz (``Glove.save`` before the bundle format) as safely as a bundle.

    Such files do not declare their arrays, so each member's ``.npy`` header is read first (a few
    bytes), all shapes are checked for kinds, dimensions, zip sizes and mutual consistency, and
    only then are the data read. Members other than ``meta_member`` and ``arrays_schema`` are
    never opened.

    Returns
    -------
    arrays : dict of str to numpy.ndarray
    meta : dict
        The validated JSON of ``meta_member``.
    """
    path = os.fspath(path)
    with _corruption_is_format_error(path), zipfile.ZipFile(path) as zf:
        info = zf.getinfo(meta_member + ".npy")
        what = "the model metadata"
        if info.file_size > _MAX_META_BYTES:
            raise FormatError(f"{path}: {what} claim {info.file_size:,} bytes; the file is forged or corrupted")
        _check_member_sizes(info, path, what)
        with zf.open(info) as fh:
            shape, fortran, dtype = _read_npy_header(fh, path, what)
            if dtype.str != "|u1" or len(shape) != 1 or fortran:
                raise FormatError(f"{path}: {what} are not a byte array; the file is corrupted")
            raw = fh.read(shape[0])
        meta = _parse_meta_json(raw, path)
        err = meta_schema.check(meta, "meta")
        if err:
            raise FormatError(f"{path}: invalid metadata field {err}; the file is corrupted or was edited")
        specs = {}
        for name, aspec in arrays_schema.items():
            try:
                info = zf.getinfo(name + ".npy")
            except KeyError:
                if aspec.required:
                    raise FormatError(f"{path}: not a glovefast model: array {name!r} is missing") from None
                continue
            _check_member_sizes(info, path, f"array {name!r}")
            with zf.open(info) as fh:
                shape, fortran, dtype = _read_npy_header(fh, path, f"array {name!r}")
                _check_member_total(info, fh.tell(), dtype, shape, path, f"array {name!r}")
            if dtype.str not in _ALLOWED_DTYPES or dtype.kind not in aspec.kinds or len(shape) != aspec.ndim \
                    or fortran:
                raise FormatError(f"{path}: array {name!r} is {dtype.str}{list(shape)}, not what a glovefast "
                                  "model holds; the file is corrupted or was edited")
            specs[name] = (info, {"dtype": dtype.str, "shape": list(shape)})
        if check is not None:
            err = check({name: tuple(spec["shape"]) for name, (_, spec) in specs.items()}, meta)
            if err:
                raise FormatError(f"{path}: inconsistent content: {err}; the file is corrupted or was edited")
        arrays = {name: _read_member_array(zf, info, name, spec, path) for name, (info, spec) in specs.items()}
    return arrays, meta


_LEGACY_MODEL_MEMBERS = frozenset(["meta.npy", "word_vectors.npy"])


def is_legacy_model(path):
    """Whether ``path`` is a zip in the pre-bundle layout of ``Glove.save`` (glovefast 0.1)."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    return META_MEMBER + ".npy" not in names and _LEGACY_MODEL_MEMBERS <= names


def npz_kind(path):
    """What a glovefast ``.npz`` holds, from its member names and header only (no array is read).

    Returns
    -------
    str or None
        The bundle's ``kind`` (e.g. ``"glovefast.WordVectors"``), ``"glovefast.Glove"`` for a
        model saved before the bundle format, or None for a zip that glovefast did not write.

    Raises
    ------
    FormatError
        Not a zip file, or unreadable glovefast metadata.
    """
    path = os.fspath(path)
    _sniff_container(path, "vectors or model")
    with _corruption_is_format_error(path), zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        if META_MEMBER + ".npy" in names:
            return read_bundle_header(zf, path)["kind"]
        if _LEGACY_MODEL_MEMBERS <= names:
            return "glovefast.Glove"
        return None
