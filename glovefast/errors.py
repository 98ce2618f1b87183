"""Exception types raised by glovefast.

Every error derives from :class:`GloveFastError` and from the built-in type a caller
would naturally catch (``ValueError``, ``KeyError``...), so ``except ValueError`` keeps
working for code written against glove_python.
"""


class GloveFastError(Exception):
    """Base class of all glovefast errors."""


class InvalidParameterError(GloveFastError, ValueError):
    """A hyper-parameter or argument has an invalid value (e.g. ``window < 1``)."""


class EmptyCorpusError(GloveFastError, ValueError):
    """The corpus holds no usable tokens or no cooccurrences."""


class CorpusFormatError(GloveFastError, ValueError):
    """Input text or sentences are not in the expected form (e.g. invalid UTF-8, a string instead of a token list)."""


class CorpusEncodingError(CorpusFormatError):
    """Text input is not UTF-8: a UTF-16/UTF-32 file, NUL bytes, or a word that is not valid UTF-8.
    ``.path`` names the file when it is known."""

    def __init__(self, message, path=None):
        super().__init__(message)
        self.path = path


class CorpusPathError(GloveFastError, FileNotFoundError):
    """A corpus path names no readable file: it does not exist, is a directory, or cannot be read."""


class InvalidMatrixError(GloveFastError, ValueError):
    """A cooccurrence matrix is not square, has non-positive/non-finite counts or ids out of range."""


class InvalidDictionaryError(GloveFastError, ValueError):
    """A dictionary whose ids are not exactly 0..n-1, or that does not match the model."""


class NotFittedError(GloveFastError, ValueError, AttributeError):
    """The model is used before ``fit`` (or ``load``) gave it vectors."""


class NoDictionaryError(GloveFastError, ValueError, AttributeError):
    """A word query was made before ``add_dictionary`` supplied the word -> id mapping."""


class UnknownWordError(GloveFastError, KeyError):
    """A word is not in the vocabulary. ``.word`` holds the word."""

    def __init__(self, word, message=None):
        self.word = word
        if message is None:
            message = f"word {word!r} is not in the vocabulary; check spelling/case or train with it in the corpus"
        super().__init__(message)

    def __str__(self):  # KeyError would otherwise show the message in quotes
        return str(self.args[0])


class TrainingDivergedError(GloveFastError, FloatingPointError):
    """Training produced non-finite values (NaN/inf); the model keeps the last finite epoch."""


class DimensionMismatchError(GloveFastError, ValueError):
    """Pretrained vectors (``init=``) have another dimension than the model's ``no_components``."""


class ResumeError(GloveFastError, ValueError):
    """``fit(..., resume=True)`` cannot continue: no training state, or a matrix, dimension or dtype
    other than the one the state was trained with."""


class FormatError(GloveFastError, ValueError):
    """A saved model or vectors file is truncated, of the wrong kind, or corrupted."""


class CorruptStoreError(FormatError, InvalidMatrixError):
    """A cooccurrence store's files do not hold what its format promises (entries out of their
    shard's rows, unsorted or repeated, counts that are not finite and > 0, a file replaced by a
    link). Both a :class:`FormatError` (a saved file is corrupted) and an
    :class:`InvalidMatrixError` (the matrix cannot be trained on)."""


class DaskWorkerError(GloveFastError, RuntimeError):
    """A Dask worker died while it ran a counting task and the scheduler had no retries left
    (``distributed.scheduler.allowed-failures``). ``.worker`` is its address, ``.files`` the files
    the task read (None for a merge task)."""

    def __init__(self, message, worker=None, files=None):
        super().__init__(message)
        self.worker = worker
        self.files = files

    def __reduce__(self):  # picklable with its attributes, like the other errors
        return type(self), (self.args[0], self.worker, self.files)


class DataNotFoundError(GloveFastError, FileNotFoundError):
    """A named evaluation/demo data set is not shipped with glovefast and was not found locally."""


class MemoryBudgetError(GloveFastError, MemoryError):
    """The work cannot fit in the memory budget (``memory=`` / ``--memory``); the message says how much it needs."""


class StorageError(GloveFastError, OSError):
    """Temporary or output storage failed (e.g. the temp directory is full); nothing half-written is left."""


class ReadOnlyOutputError(GloveFastError, PermissionError):
    """An output file (or its directory) is read-only; glovefast does not replace it, even as root."""


class OutputIsInputError(GloveFastError, ValueError):
    """An output would replace an input of the same command or call, or land inside one: the same
    file under any name (a symbolic or hard link), or a file inside an input store directory (or an
    input inside a store that is about to be replaced). Nothing is written."""


class MissingExtraError(GloveFastError, ImportError):
    """An optional feature needs a package that is not installed. ``.extra`` names the glovefast
    extra that installs it (``pip install "glovefast[EXTRA]"``)."""

    def __init__(self, message, extra):
        super().__init__(message)
        self.extra = extra


__all__ = [
    "GloveFastError",
    "InvalidParameterError",
    "EmptyCorpusError",
    "CorpusFormatError",
    "CorpusPathError",
    "CorpusEncodingError",
    "InvalidMatrixError",
    "InvalidDictionaryError",
    "NotFittedError",
    "NoDictionaryError",
    "UnknownWordError",
    "TrainingDivergedError",
    "DimensionMismatchError",
    "ResumeError",
    "FormatError",
    "CorruptStoreError",
    "DaskWorkerError",
    "DataNotFoundError",
    "MemoryBudgetError",
    "StorageError",
    "ReadOnlyOutputError",
    "OutputIsInputError",
    "MissingExtraError",
]
