"""The base of every embedding model: what a model has besides its own training.

:class:`EmbeddingModel` is thin (implicit's ``RecommenderBase`` is the model, not gensim's
deep hierarchy): a model subclasses it, declares its hyper-parameters (:attr:`PARAMS`, a
:class:`~glovefast.models.params.ParamSpec`), its file kind and saved arrays, and implements
``fit``. The base gives every model, unchanged:

* hyper-parameters from the spec: ``get_params``/``set_params``, validation, ``repr``;
* the outputs ``fit`` sets (:class:`FitOutput`): plain attributes, except between two epochs
  (during a callback), when the first read builds them from the live parameters;
* ``add_dictionary``, ``most_similar`` and the cached gensim-style ``wv``
  (:class:`~glovefast.vectors.word_vectors.WordVectors`);
* matching the words of ``init=`` pretrained vectors (:func:`load_pretrained`,
  :func:`match_words`);
* the training state kept for ``fit(..., resume=True)``, and ``save``/``load`` in the bundle
  format with it;
* registration of its file kind (:mod:`glovefast.io.kinds`), so :func:`glovefast.load_vectors`
  and ``init=`` read its files without naming the class.
"""
import os

import numpy as np

from glovefast._util.validation import check_dictionary, check_int, inverse_dictionary
from glovefast.errors import (
    FormatError,
    InvalidDictionaryError,
    InvalidParameterError,
    NoDictionaryError,
    NotFittedError,
    ResumeError,
)
from glovefast.io import kinds
from glovefast.io.bundle import ArraySpec, ListOf, Nullable, Object, Scalar, Schema, load_npz_bundle, npz_kind, \
    save_npz_bundle
from glovefast.io.pickles import check_not_pickle
from glovefast.models.params import ParamSpec
from glovefast.vectors.loading import detect_format, load_vectors
from glovefast.vectors.word_vectors import WordVectors


class FitOutput:
    """An attribute ``fit`` sets (``word_vectors``, ``dictionary``...): a plain attribute, except while
    a fit is between two epochs (during its callback), when the first read builds the outputs of
    the epoch just completed, so the callback sees the model as ``fit`` would leave it and pays
    for the copy only if it looks. ``fit`` arms it with :meth:`EmbeddingModel._defer_outputs`."""

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        if obj.__dict__.get("_live") is not None:
            obj._build_live_outputs()
        return obj.__dict__.get(self.name)

    def __set__(self, obj, value):
        obj.__dict__[self.name] = value


class EmbeddingModel:
    """Base class of the embedding models (see the module docstring).

    Subclasses set :attr:`NPZ_KIND` (the ``kind`` of their files), :attr:`PARAMS`,
    :attr:`SAVED_ARRAYS` (attribute -> ArraySpec of what ``save`` writes), and for a resumable
    training state :attr:`STATE` (a class with ``arrays()``, ``meta()`` and
    ``from_saved(arrays, meta, where)``), :attr:`TRAINING_ARRAYS` and :attr:`TRAINING_META`.

    Attributes
    ----------
    word_vectors : ndarray (n_words, dimension) or None
        The vectors word queries use.
    dictionary, inverse_dictionary
        word -> id and id -> word, set by :meth:`add_dictionary` (or ``fit(dictionary=...)``).
    loss_history_ : list of float
        The loss of each epoch trained.
    n_updates_per_epoch_ : int
    epochs_trained_ : int
        Epochs trained in total, including those before a ``resume=True`` fit.
    n_initialized_ : int
        Words that started from a pretrained vector in the last ``fit(..., init=...)``.
    interrupted_ : bool
        The last fit stopped on Ctrl-C (or SIGTERM) after a completed epoch.
    """

    #: ``kind`` recorded in the files :meth:`save` writes, checked by :meth:`load`.
    NPZ_KIND = None
    #: The hyper-parameters (see :mod:`glovefast.models.params`).
    PARAMS = ParamSpec()
    #: The parameter that is the vectors' dimension (checked against the saved arrays).
    DIMENSION = None
    #: Arrays :meth:`save` writes when the model has them, by attribute name.
    SAVED_ARRAYS = {"word_vectors": ArraySpec("f", 2)}
    #: The training state's arrays and metadata schema, and its class.
    TRAINING_ARRAYS = {}
    TRAINING_META = None
    STATE = None

    word_vectors = FitOutput()
    dictionary = FitOutput()
    inverse_dictionary = FitOutput()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("NPZ_KIND"):
            kinds.register(cls)

    def __init__(self, **params):
        for name, value in dict(self.PARAMS.defaults(), **params).items():
            setattr(self, name, value)
        for name in self.SAVED_ARRAYS:
            setattr(self, name, None)
        self.dictionary = None
        self.inverse_dictionary = None
        self.loss_history_ = []
        self.n_updates_per_epoch_ = 0
        self.interrupted_ = False
        self.epochs_trained_ = 0
        self.n_initialized_ = 0
        self._wv = None
        self._state = None
        self._live = None

    # ------------------------------------------------------------------------ hyper-parameters
    def get_params(self, deep=True):
        """The hyper-parameters as a dict (scikit-learn's protocol)."""
        return self.PARAMS.values(self)

    def set_params(self, **params):
        """Set hyper-parameters by name; returns self. Checked when ``fit`` starts."""
        for name, value in params.items():
            if name not in self.PARAMS.by_name:
                raise InvalidParameterError(f"{type(self).__name__} has no parameter {name!r}; it has "
                                            f"{', '.join(self.PARAMS.by_name)}")
            setattr(self, name, value)
        return self

    def _check_params(self):
        """name -> validated value of every hyper-parameter (InvalidParameterError otherwise)."""
        return self.PARAMS.check(self)

    def __repr__(self):
        state = "not fitted" if self.word_vectors is None else f"{self.word_vectors.shape[0]:,} words"
        return f"{type(self).__name__}({', '.join(self.PARAMS.repr_args(self))}; {state})"

    # ------------------------------------------------------------------------ live outputs
    def _defer_outputs(self, build):
        """Between two epochs: the next read of an output calls ``build()`` (which sets them) first."""
        self._live = build

    def _build_live_outputs(self):
        build, self._live = self._live, None
        build()

    # ------------------------------------------------------------------------ queries
    def add_dictionary(self, dictionary):
        """Attach the word -> id mapping (e.g. ``corpus.dictionary``) used by word queries."""
        dictionary = check_dictionary(dictionary)
        if self.word_vectors is None:
            raise NotFittedError("call fit() (or load a model) before add_dictionary(): there are no vectors yet")
        if len(dictionary) != self.word_vectors.shape[0]:
            raise InvalidDictionaryError(
                f"the dictionary has {len(dictionary)} words but the model has {self.word_vectors.shape[0]} vectors; "
                "use the dictionary of the corpus the model was trained on"
            )
        self.dictionary = dictionary
        self.inverse_dictionary = dict(enumerate(inverse_dictionary(dictionary)))
        self._wv = None
        return self

    def _check_queryable(self):
        if self.word_vectors is None:
            raise NotFittedError(f"the model has no vectors yet; call fit() or {type(self).__name__}.load() first")
        if self.dictionary is None:
            raise NoDictionaryError(
                f"word queries need a dictionary; call {type(self).__name__.lower()}.add_dictionary(corpus.dictionary) "
                "first"
            )

    def most_similar(self, word, number=5):
        """The ``number`` words closest to ``word`` by cosine similarity, as (word, cosine), best first.

        The query word itself is never returned. Raises UnknownWordError (a KeyError) naming an
        unknown word.
        """
        number = check_int("number", number, minimum=1)
        self._check_queryable()
        return self.wv.most_similar(word, topn=number)

    @property
    def wv(self):
        """The trained word vectors as a :class:`~glovefast.vectors.word_vectors.WordVectors`.

        Gives gensim-style queries (``most_similar(positive=..., negative=...)``,
        ``doesnt_match``...), evaluation, word2vec/GloVe/native files and
        ``embedding_matrix`` for PyTorch. Built on first use from ``word_vectors`` and
        ``dictionary`` without copying the vectors, and cached; fitting again, calling
        :meth:`add_dictionary` or assigning new arrays rebuilds it. After changing
        ``word_vectors`` *in place*, call ``model.wv.fill_norms(force=True)``.

        Raises
        ------
        NotFittedError
            The model has no vectors yet.
        NoDictionaryError
            No dictionary was added.
        """
        self._check_queryable()
        cached = self._wv
        if cached is None or cached[1] is not self.word_vectors or cached[2] is not self.dictionary:
            vectors = WordVectors(inverse_dictionary(self.dictionary), self.word_vectors)
            self._wv = cached = (vectors, self.word_vectors, self.dictionary)
        return cached[0]

    # ------------------------------------------------------------------------ training state
    def discard_training_state(self):
        """Free the training state (optimiser sums and parameter rows) kept after :meth:`fit` for
        ``resume=True`` and ``save(..., training_state=True)``."""
        self._state = None
        return self

    @property
    def has_training_state(self):
        """True when the model can be resumed (``fit(..., resume=True)``) or saved with its training state."""
        return self._state is not None

    # ------------------------------------------------------------------------ files
    @classmethod
    def bundle_schema(cls):
        """The arrays and metadata a file of this model may hold (checked before any array is read)."""
        meta = {
            "params": cls.PARAMS.schema(required=(cls.DIMENSION,)),
            "loss_history": ListOf(Scalar(float)),
            "n_updates_per_epoch": Scalar(int, minimum=0),
            "words": Nullable(ListOf(Scalar(str))),
            "n_initialized": Scalar(int, minimum=0),
        }
        optional = ["n_initialized"]
        if cls.TRAINING_META is not None:
            meta["training_state"] = Nullable(cls.TRAINING_META)
            optional.append("training_state")
        return Schema(dict(cls.SAVED_ARRAYS, **cls.TRAINING_ARRAYS), Object(meta, optional=optional),
                      cls._check_saved_shapes)

    @classmethod
    def _check_saved_shapes(cls, shapes, meta):
        """Error text if the arrays and words of a saved model do not fit together, else None."""
        n, d = shapes["word_vectors"]
        for name, shape in shapes.items():
            if name in cls.TRAINING_ARRAYS:
                continue
            want = (n, d) if len(shape) == 2 else (n,)
            if shape != want:
                return f"array {name!r} has shape {list(shape)}, but word_vectors {[n, d]} imply {list(want)}"
        err = cls._check_training_shapes(shapes, meta.get("training_state"), n, d)
        if err:
            return err
        words = meta.get("words")
        if words is not None and len(words) != n:
            return f"meta.words lists {len(words)} words for {n} vectors"
        dim = meta["params"].get(cls.DIMENSION, d)
        if dim != d:
            return f"meta.params.{cls.DIMENSION} is {dim} but the vectors have {d} columns"
        return None

    @classmethod
    def _check_training_shapes(cls, shapes, state, n, d):
        """Error text if the training-state arrays do not fit a model of n words x d, else None."""
        present = [name for name in cls.TRAINING_ARRAYS if name in shapes]
        if state is None:
            return f"arrays {present} without meta.training_state" if present else None
        return None

    def _saved_arrays(self):
        """The arrays :meth:`save` writes: every member of :attr:`SAVED_ARRAYS` the model has."""
        return {name: getattr(self, name) for name in self.SAVED_ARRAYS if getattr(self, name, None) is not None}

    def save(self, path, compress=False, training_state=False):
        """Save the model to ``path`` in glovefast's bundle format (no pickle), atomically.

        The file holds the arrays of :attr:`SAVED_ARRAYS` and JSON metadata (hyper-parameters,
        loss history, words), with a kind, a version and a SHA-256 digest (see
        ``docs/formats.md``).

        Parameters
        ----------
        path : str or os.PathLike
            Written exactly as given (``.npz`` is not appended).
        compress : bool, optional
            Deflate the arrays: smaller file, slower save and load.
        training_state : bool, optional
            Also save what ``fit(..., resume=True)`` needs to continue the run exactly (the
            ``training_*`` arrays and ``meta.training_state``).

        Raises
        ------
        NotFittedError
            Nothing to save yet.
        ResumeError
            ``training_state=True`` on a model without one (loaded without it, or discarded).
        """
        if self.word_vectors is None:
            raise NotFittedError("nothing to save: call fit() first")
        if training_state and self._state is None:
            raise ResumeError("this model holds no training state to save (it was loaded without one or "
                              "discard_training_state() was called); save(path) without training_state=True")
        meta = {
            "params": self.PARAMS.saved(self),
            "loss_history": [float(x) for x in self.loss_history_],
            "n_updates_per_epoch": int(self.n_updates_per_epoch_),
            "n_initialized": int(self.n_initialized_),
            "words": None if self.dictionary is None else inverse_dictionary(self.dictionary),
        }
        if self.TRAINING_META is not None:
            meta["training_state"] = self._state.meta() if training_state else None
        arrays = self._saved_arrays()
        if training_state:
            arrays.update(self._state.arrays())
        save_npz_bundle(path, self.NPZ_KIND, arrays, meta, compress=compress)

    @classmethod
    def _read_bundle(cls, path, verify):
        """(arrays, meta) of a file of this kind (a model may also read older layouts here)."""
        return load_npz_bundle(path, cls.NPZ_KIND, verify=verify, schema=cls.bundle_schema())

    @classmethod
    def load(cls, path, verify=True):
        """Load a model written by :meth:`save`.

        Parameters
        ----------
        path : str or os.PathLike
        verify : bool, optional
            Check the content digest.

        Raises
        ------
        FileNotFoundError
            No such file.
        FormatError
            Not a file of this model (another kind of file, truncated, modified, or with metadata
            that break the schema: the message names the field). A pickle is never unpickled;
            the message says how to convert it.
        """
        path = os.fspath(path)
        check_not_pickle(path, cls.__name__)  # a glove_python model: say how to convert it
        kind = npz_kind(path)
        if kind is None:
            raise FormatError(f"{path}: not a glovefast model (an npz archive glovefast did not write)")
        other = kinds.class_for(kind)
        if kind != cls.NPZ_KIND and other is not None:
            vectors = isinstance(other, type) and issubclass(other, EmbeddingModel)
            raise FormatError(f"{path}: this file holds a {kind}, not a {cls.NPZ_KIND}; load it with "
                              f"{other.__name__}.load(path)"
                              + (", or its word vectors with glovefast.load_vectors(path)" if vectors else ""))
        arrays, meta = cls._read_bundle(path, verify)
        try:
            model = cls(**meta.get("params", {}))
            model._check_params()
        except (TypeError, InvalidParameterError) as exc:
            raise FormatError(f"{path}: invalid metadata field meta.params ({exc})") from None
        for name in cls.SAVED_ARRAYS:
            if name in arrays:
                setattr(model, name, arrays[name])
        model.loss_history_ = list(meta.get("loss_history", []))
        model.n_updates_per_epoch_ = int(meta.get("n_updates_per_epoch", 0))
        model.n_initialized_ = int(meta.get("n_initialized", 0))
        model.epochs_trained_ = len(model.loss_history_)
        if meta.get("training_state") is not None:
            model._state = cls.STATE.from_saved(arrays, meta["training_state"], path)
            model._check_loaded_state(path)
            model.epochs_trained_ = model._state.epochs
        words = meta.get("words")
        if words is not None:
            try:
                model.add_dictionary({w: i for i, w in enumerate(words)})
            except InvalidDictionaryError as exc:
                raise FormatError(f"{path}: invalid metadata field meta.words ({exc})") from None
        return model

    def _check_loaded_state(self, path):
        """FormatError if a loaded training state contradicts the model's parameters."""

    @classmethod
    def read_word_vectors(cls, path, mmap=False):
        """The word vectors of a :meth:`save` file (what :func:`glovefast.load_vectors` returns for it);
        ``mmap`` is ignored: the model is read whole."""
        model = cls.load(path)
        if model.dictionary is None:
            raise FormatError(f"{path}: this model was saved without a dictionary, so its vectors have no words")
        return WordVectors.from_dictionary(model.dictionary, model.word_vectors)


def load_pretrained(path):
    """What ``init=`` (``--init``) starts from, read from a file: the model, when the file is a model
    that :meth:`EmbeddingModel.save` wrote (all its parameters can be used), else the
    :class:`~glovefast.vectors.word_vectors.WordVectors` :func:`glovefast.load_vectors` reads (any
    format, recognised by content)."""
    path = os.fspath(path)
    if detect_format(path) == "npz":
        cls = kinds.class_for(npz_kind(path))
        if isinstance(cls, type) and issubclass(cls, EmbeddingModel):
            return cls.load(path)
    return load_vectors(path)


def match_words(dictionary, source_words):
    """(ours, theirs): the ids in ``dictionary`` (word -> id) of the words also in ``source_words``
    (a word -> row mapping, or a list of words in row order), and their rows there, as int64
    arrays, in ``dictionary``'s order. Words match exactly (case-sensitively)."""
    index = source_words if isinstance(source_words, dict) else {w: k for k, w in enumerate(source_words)}
    ours, theirs = [], []
    for word, i in dictionary.items():
        k = index.get(word)
        if k is not None:
            ours.append(i)
            theirs.append(k)
    return np.asarray(ours, dtype=np.int64), np.asarray(theirs, dtype=np.int64)


__all__ = ["EmbeddingModel", "FitOutput", "load_pretrained", "match_words"]
