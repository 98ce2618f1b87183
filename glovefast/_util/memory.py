"""Memory budgets: parsing ``memory=`` / ``--memory`` and the default budget.

One budget drives every large buffer of counting and training (Stanford's ``-memory``): the
counting tables, the spill runs, the training triples. What a stage needs beyond it (the Python
interpreter, numpy, the model's own parameters) is documented with the stage.
"""
import os
import re

from glovefast.errors import InvalidParameterError

_UNITS = {"": 1, "B": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
_PATTERN = re.compile(r"^\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*([KMGT]?)(?:I?B)?\s*$", re.IGNORECASE)

#: Smallest budget accepted: below it the fixed costs of the counting tables dominate.
MIN_BUDGET = 16 << 20

#: Share of the memory available at start-up that the default budget takes.
DEFAULT_SHARE = 0.5


def parse_memory(value, name="memory"):
    """Bytes from an int or a string like ``"512M"``, ``"4G"``, ``"1.5G"``, ``"800MB"``, ``"2GiB"``.

    Units are binary (K = 1024). A bare number is bytes. Raises InvalidParameterError naming
    ``name`` for anything else, or for a budget below :data:`MIN_BUDGET`.
    """
    if isinstance(value, bool):
        raise InvalidParameterError(f"{name} must be a number of bytes or a size like '512M' or '4G', got {value!r}")
    if isinstance(value, int) or (hasattr(value, "__index__") and not isinstance(value, str)):
        nbytes = int(value)
    elif isinstance(value, float):
        if not value == value or value in (float("inf"), float("-inf")):
            raise InvalidParameterError(f"{name} must be finite, got {value!r}")
        nbytes = int(value)
    elif isinstance(value, str):
        m = _PATTERN.match(value)
        if not m:
            raise InvalidParameterError(
                f"{name} must be a number of bytes or a size like '512M' or '4G' (units K, M, G, T), got {value!r}"
            )
        nbytes = int(float(m.group(1)) * _UNITS[m.group(2).upper()])
    else:
        raise InvalidParameterError(f"{name} must be a number of bytes or a size like '512M' or '4G', got {value!r}")
    if nbytes < MIN_BUDGET:
        raise InvalidParameterError(
            f"{name}={value!r} is {format_bytes(nbytes)}; glovefast needs a budget of at least "
            f"{format_bytes(MIN_BUDGET)}"
        )
    return nbytes


def available_memory():
    """Bytes of memory available to new allocations (MemAvailable on Linux), or None if unknown."""
    try:
        with open("/proc/meminfo", "rb") as fh:
            for line in fh:
                if line.startswith(b"MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def default_budget():
    """The budget used when none is given: half the memory available now (at least
    :data:`MIN_BUDGET`; 4 GiB when the available memory cannot be read). Small corpora stay far
    below it and keep the in-RAM speed."""
    avail = available_memory()
    if avail is None:
        return 4 << 30
    return max(MIN_BUDGET, int(avail * DEFAULT_SHARE))


def resolve_budget(memory, name="memory"):
    """``memory`` as bytes: None means :func:`default_budget`."""
    return default_budget() if memory is None else parse_memory(memory, name)


def format_bytes(nbytes):
    """Human-readable binary size, e.g. ``'1.5 GiB'``."""
    n = float(nbytes)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"


__all__ = ["MIN_BUDGET", "available_memory", "default_budget", "format_bytes", "parse_memory", "resolve_budget"]
