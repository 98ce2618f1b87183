"""Data files that ship with glovefast, found by name.

Evaluation functions accept either a path or one of these names, so
``wv.evaluate_word_analogies()`` works out of the box::

    >>> from glovefast.datasets import builtin_path, available
    >>> builtin_path("questions-words").name
    'questions-words.txt'

Licences of the shipped files are in ``glovefast/data/LICENSES.md``.

SimLex-999 is a known name but is **not shipped**: its authors publish it without a
licence that allows redistribution. :func:`builtin_path` looks for it (and any other
known-but-unshipped file) in, in order:

1. ``glovefast/data/`` (if a packager added it),
2. the directory named by the ``GLOVEFAST_DATA_DIR`` environment variable,
3. the test data of an installed gensim (``gensim/test/test_data/``), which carries a copy.

If none has it, a :class:`~glovefast.errors.DataNotFoundError` says where to put it.
"""
import importlib.util
import logging
import os
from pathlib import Path

from glovefast.errors import DataNotFoundError, InvalidParameterError

logger = logging.getLogger(__name__)

#: Directory of the data files shipped inside the package.
DATA_DIR = Path(__file__).resolve().parent / "data"

#: Environment variable naming an extra directory searched for data files.
DATA_DIR_ENV = "GLOVEFAST_DATA_DIR"

# name -> (file name, shipped?, one-line description). Aliases map to a canonical name.
# Every file glovefast ships is registered here; users may add their own with :func:`register`.
_REGISTRY = {
    "kjv": ("kjv.txt.gz", True, "King James Bible, Genesis to 2 Chronicles (public domain), 338k tokens; demo corpus"),
    "questions-words": ("questions-words.txt", True, "Google analogy test set (Mikolov et al. 2013), 19,544 questions"),
    "wordsim353": ("wordsim353.tsv", True, "WordSim-353 relatedness judgements (Finkelstein et al. 2002), 353 pairs"),
    "simlex999": ("simlex999.txt", False, "SimLex-999 similarity judgements (Hill et al. 2015), 999 pairs; not shipped"),
}
_ALIASES = {
    "questions-words.txt": "questions-words",
    "google-analogies": "questions-words",
    "wordsim353.tsv": "wordsim353",
    "ws353": "wordsim353",
    "simlex999.txt": "simlex999",
    "simlex": "simlex999",
    "simlex-999": "simlex999",
}


def register(name, filename, shipped=True, description=""):
    """Make a data file under ``glovefast/data/`` reachable by ``name``.

    Parameters
    ----------
    name : str
        Name users pass instead of a path (e.g. ``"kjv"``).
    filename : str
        File name inside ``glovefast/data/`` (or, if not shipped, inside the search path).
    shipped : bool, optional
        Whether the file is part of the package; unshipped files are searched for.
    description : str, optional
        One line shown by :func:`available` and in error messages.
    """
    if not isinstance(name, str) or not name:
        raise InvalidParameterError(f"data set name must be a non-empty string, got {name!r}")
    _REGISTRY[name] = (filename, bool(shipped), description)


def available():
    """Names of the known data sets, with whether each is shipped and what it is.

    Returns
    -------
    dict
        ``name -> {"file": str, "shipped": bool, "description": str}``, sorted by name.
    """
    return {
        name: {"file": fname, "shipped": shipped, "description": desc}
        for name, (fname, shipped, desc) in sorted(_REGISTRY.items())
    }


def canonical_name(name):
    """Return the registered name for ``name`` or an alias of it, or None if unknown."""
    if not isinstance(name, str):
        return None
    if name in _REGISTRY:
        return name
    return _ALIASES.get(name)


def _gensim_test_data_dir():
    # find_spec locates the package without importing it (gensim's import is slow).
    try:
        spec = importlib.util.find_spec("gensim")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]) / "test" / "test_data"


def _search_dirs():
    dirs = [DATA_DIR]
    extra = os.environ.get(DATA_DIR_ENV)
    if extra:
        dirs.append(Path(extra))
    gensim_dir = _gensim_test_data_dir()
    if gensim_dir is not None:
        dirs.append(gensim_dir)
    return dirs


def _names_listing():
    return ", ".join(
        f"{n!r}" + ("" if shipped else " (not shipped)") for n, (_, shipped, _) in sorted(_REGISTRY.items())
    )


def builtin_path(name):
    """Path of a known data file.

    Parameters
    ----------
    name : str
        A registered name such as ``"questions-words"``, ``"wordsim353"``, ``"simlex999"``,
        or an alias (``"ws353"``, ``"simlex"``, ``"questions-words.txt"``).

    Returns
    -------
    pathlib.Path
        Existing file.

    Raises
    ------
    InvalidParameterError
        ``name`` is not a known data set; the message lists the known ones.
    DataNotFoundError
        The data set is known but not present (e.g. SimLex-999, which is not shipped);
        the message lists the directories searched and how to supply the file.
    """
    canon = canonical_name(name)
    if canon is None:
        raise InvalidParameterError(
            f"unknown built-in data set {name!r}; known names: {_names_listing()}. "
            "Pass a file path instead to use your own file."
        )
    fname, shipped, desc = _REGISTRY[canon]
    dirs = [DATA_DIR] if shipped else _search_dirs()
    for d in dirs:
        candidate = d / fname
        if candidate.is_file():
            if d != DATA_DIR:
                logger.debug("data set %r found at %s", canon, candidate)
            return candidate
    if shipped:
        raise DataNotFoundError(
            f"built-in data set {canon!r} should ship with glovefast at {DATA_DIR / fname} but is missing; "
            "the installation is incomplete, reinstall glovefast"
        )
    searched = ", ".join(str(d) for d in dirs)
    raise DataNotFoundError(
        f"data set {canon!r} ({desc}) is not shipped with glovefast because its licence does not "
        f"allow redistribution. Download {fname} yourself and either pass its path, or put it in "
        f"the directory named by the {DATA_DIR_ENV} environment variable. Searched: {searched}"
    )


def resolve(path_or_name):
    """Turn a data set name or a file path into an existing path.

    Registered names take precedence; to use a local file that happens to be called like
    a registered name, pass it as ``"./wordsim353"``.

    Parameters
    ----------
    path_or_name : str or os.PathLike
        A name accepted by :func:`builtin_path`, or a path.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    FileNotFoundError
        A path that does not exist (the message also lists the built-in names).
    """
    if isinstance(path_or_name, str) and canonical_name(path_or_name) is not None:
        return builtin_path(path_or_name)
    try:
        path = Path(os.fspath(path_or_name))
    except TypeError:
        raise InvalidParameterError(
            f"expected a file path or a built-in data set name, got {type(path_or_name).__name__}"
        ) from None
    if not path.is_file():
        raise FileNotFoundError(
            f"no such file: {str(path)!r} (built-in data set names are: {_names_listing()})"
        )
    return path


__all__ = ["DATA_DIR", "DATA_DIR_ENV", "available", "builtin_path", "canonical_name", "register", "resolve"]
