"""Glove: the GloVe model trained by Adagrad on a cooccurrence matrix (glove_python's ``Glove`` API)."""
import logging
import time

import numpy as np

from glovefast import _core
from glovefast._progress import progress_bar, reports_progress
from glovefast.bundle import ArraySpec, ListOf, Nullable, Object, Scalar, Schema
from glovefast._validation import (
    check_choice,
    check_dictionary,
    check_float,
    check_int,
    check_random_state,
    check_threads,
    inverse_dictionary,
)
from glovefast.errors import (
    FormatError,
    InvalidDictionaryError,
    InvalidParameterError,
    NoDictionaryError,
    NotFittedError,
    TrainingDivergedError,
)

from glovefast.rollback import Rollback
from glovefast.training_memory import TrainingMemory
from glovefast.triples import check_tmp_dir, open_source, prepare_in_ram, prepare_on_disk, triple_bytes

logger = logging.getLogger(__name__)

# Triples are visited in blocks: one full shuffle per fit, then every epoch a fresh random order of
# blocks, so each thread reads triples sequentially while still seeing a new order every epoch.
_BLOCK = 16384
# Updates per call into the kernel: the GIL is taken back this often, so Ctrl-C and progress
# bars respond within a fraction of a second.
_UPDATES_PER_CALL = 1 << 22
_FORMAT = "glovefast.Glove"
_FORMAT_VERSION = 1  # of the pre-bundle npz layout, still read by Glove.load

#: Arrays Glove.save writes (when the model has them) and Glove.load restores, by attribute name.
_SAVED_ARRAYS = {
    "word_vectors": ArraySpec("f", 2),
    "context_vectors": ArraySpec("f", 2),
    "word_biases": ArraySpec("f", 1),
    "context_biases": ArraySpec("f", 1),
}
_PARAMS_SCHEMA = Object(
    {
        "no_components": Scalar(int, minimum=1),
        "learning_rate": Scalar(float),
        "alpha": Scalar(float),
        "max_count": Scalar(float),
        "max_loss": Scalar(float),
        "dtype": Scalar(str, choices={"float32", "float64"}),
        "vector_mode": Scalar(str, choices={"sum", "word"}),
    },
    optional=("learning_rate", "alpha", "max_count", "max_loss", "dtype", "vector_mode"),
)
_META_FIELDS = {
    "params": _PARAMS_SCHEMA,
    "loss_history": ListOf(Scalar(float)),
    "n_updates_per_epoch": Scalar(int, minimum=0),
    "words": Nullable(ListOf(Scalar(str))),
}
_SCHEMA = Schema(_SAVED_ARRAYS, Object(_META_FIELDS), lambda shapes, meta: _check_saved_shapes(shapes, meta))
_LEGACY_META_SCHEMA = Object(
    dict(_META_FIELDS, format=Scalar(str, choices={_FORMAT}), version=Scalar(int)),
    optional=("loss_history", "n_updates_per_epoch", "words"),
)


def _check_saved_shapes(shapes, meta):
    """Error text if the arrays and words of a saved model do not fit together, else None."""
    n, d = shapes["word_vectors"]
    for name, shape in shapes.items():
        want = (n, d) if len(shape) == 2 else (n,)
        if shape != want:
            return f"array {name!r} has shape {list(shape)}, but word_vectors {[n, d]} imply {list(want)}"
    words = meta.get("words")
    if words is not None and len(words) != n:
        return f"meta.words lists {len(words)} words for {n} vectors"
    if meta["params"].get("no_components", d) != d:
        return f"meta.params.no_components is {meta['params']['no_components']} but the vectors have {d} columns"
    return None


def _padded(d):
    return (d + 7) // 8 * 8


#: float64 draws per initialisation chunk (2 MB).
_INIT_CHUNK = 1 << 18


def _fill_uniform(rng, out, d):
    """``out[...] = (uniform[0, 1) - 0.5) / d`` for a 2-D view, drawn in C order in bounded chunks:
    the same values as ``(rng.random(out.shape) - 0.5) / d`` without its full-size temporary."""
    n, width = out.shape
    if width <= _INIT_CHUNK:
        step = _INIT_CHUNK // width
        for r in range(0, n, step):
            values = rng.random((min(step, n - r), width))
            values -= 0.5
            values /= d
            out[r:r + step] = values
    else:
        for r in range(n):
            for c in range(0, width, _INIT_CHUNK):
                values = rng.random(min(_INIT_CHUNK, width - c))
                values -= 0.5
                values /= d
                out[r, c:c + _INIT_CHUNK] = values


class Glove:
    """GloVe word vectors (Pennington et al., 2014) trained with Adagrad.

    Minimises ``sum_ij f(X_ij) (w_i . w~_j + b_i + b~_j - log X_ij)^2`` with
    ``f(x) = min(1, (x / max_count)^alpha)``, over the stored entries of a cooccurrence matrix in
    a shuffled order, Hogwild-parallel across threads, exactly as Stanford's glove.c updates.

    Parameters
    ----------
    no_components : int
        Vector dimension d.
    learning_rate : float
        Initial Adagrad step (Stanford's eta).
    alpha : float
        Exponent of the weighting function.
    max_count : float
        x_max of the weighting function (Stanford's default 100; its demo uses 10).
    max_loss : float
        Each update's weighted error f(x)*diff is clipped to [-max_loss, max_loss].
    random_state : int, numpy.random.Generator or None
        Seeds initialisation and shuffling (checked by :meth:`fit`: a non-negative integer, a
        Generator, or None for a fresh seed). With ``no_threads=1`` a fixed seed gives bit-for-bit
        identical results.
    dtype : {numpy.float32, numpy.float64}
        Precision of the parameters and of training.
    vector_mode : {"sum", "word"}
        What ``word_vectors`` holds: "sum" = W + W~ (Stanford's default output, better on
        analogies and similarity), "word" = W only (glove_python's choice).

    Attributes
    ----------
    word_vectors : ndarray (n_words, no_components)
        The vectors queries use (see ``vector_mode``).
    context_vectors : ndarray (n_words, no_components)
        W~.
    word_biases, context_biases : ndarray (n_words,)
        b and b~.
    loss_history_ : list of float
        Mean cost 0.5 f(x) (w.w~ + b + b~ - log x)^2 per update, one value per epoch (the cost
        Stanford's glove prints).
    n_updates_per_epoch_ : int
        Updates per epoch: stored entries, off-diagonal ones twice when the matrix is a triangle.
    training_seconds_ : float
        Wall time of the epochs of the last :meth:`fit` (triple preparation excluded).
    epoch_seconds_ : list of float
        Wall time of each epoch of the last :meth:`fit`.
    dictionary, inverse_dictionary
        Set by :meth:`add_dictionary`.
    """

    def __init__(self, no_components=30, learning_rate=0.05, alpha=0.75, max_count=100, max_loss=10.0,
                 random_state=None, dtype=np.float32, vector_mode="sum"):
        self.no_components = no_components
        self.learning_rate = learning_rate
        self.alpha = alpha
        self.max_count = max_count
        self.max_loss = max_loss
        self.random_state = random_state
        self.dtype = dtype
        self.vector_mode = vector_mode
        self.word_vectors = None
        self.context_vectors = None
        self.word_biases = None
        self.context_biases = None
        self.dictionary = None
        self.inverse_dictionary = None
        self.loss_history_ = []
        self.n_updates_per_epoch_ = 0
        self.interrupted_ = False
        self._wv = None

    # ------------------------------------------------------------------------------------
    def _check_params(self):
        d = check_int("no_components", self.no_components, minimum=1)
        lr = check_float("learning_rate", self.learning_rate, minimum=0.0, exclusive_minimum=True)
        alpha = check_float("alpha", self.alpha, minimum=0.0)
        x_max = check_float("max_count", self.max_count, minimum=0.0, exclusive_minimum=True)
        max_loss = check_float("max_loss", self.max_loss, minimum=0.0, exclusive_minimum=True)
        try:
            dtype = np.dtype(self.dtype)
        except TypeError:
            raise InvalidParameterError(f"dtype must be float32 or float64, got {self.dtype!r}") from None
        if dtype not in (np.float32, np.float64):
            raise InvalidParameterError(f"dtype must be float32 or float64, got {dtype}")
        check_choice("vector_mode", self.vector_mode, ("sum", "word"))
        return d, lr, alpha, x_max, max_loss, dtype

    @reports_progress
    def fit(self, matrix, epochs=5, no_threads=0, verbose=False, symmetric=None, memory=None, tmp_dir=None):
        """Train on a cooccurrence matrix; returns self.

        Parameters
        ----------
        matrix : scipy.sparse matrix, 2-D array, CooccurrenceStore or path of a store
            Cooccurrence counts, e.g. ``corpus.matrix`` (other sparse formats are converted;
            duplicate COO entries are summed), or an on-disk
            :class:`~glovefast.store.CooccurrenceStore`, read shard by shard so the whole matrix
            is never in RAM. Counts must be finite and > 0.
        epochs : int
            Passes over the entries (0 leaves the random initialisation).
        no_threads : int or None
            Training threads (Hogwild: threads update shared rows without locks, like Stanford).
            0 or None (default) use every CPU available to the process, otherwise 1 to 256. Only
            ``no_threads=1`` with a fixed ``random_state`` is bit-for-bit reproducible.
        verbose : bool
            Report progress: on a terminal (or in Jupyter) a bar per epoch with loss and
            updates/s; elsewhere (a pipe, a log file) one line per epoch instead. Lines go to the
            ``"glovefast"`` logger at INFO and reach stderr even if logging is not configured; an
            application that configures logging decides what is shown.
        symmetric : bool or None
            Whether each stored off-diagonal entry (i, j) also stands for (j, i). None (default)
            decides from the matrix: yes if it is triangular (e.g. Corpus's upper triangle), no if
            it holds entries on both sides of the diagonal (a full or left-context matrix); for
            a store, what its manifest says.
        memory : int, str or None
            Memory budget, in bytes or as ``"512M"``, ``"4G"``. The parameters and vectors must
            fit in it (checked before anything is allocated); the training triples (16 bytes an
            update in float32, 24 in float64) stay in RAM when they fit too, else they are
            shuffled on disk in ``tmp_dir`` and memory-mapped, giving the same result. None: half
            the memory available now (see :mod:`glovefast.training_memory`).
        tmp_dir : str or os.PathLike, optional
            Directory for the on-disk triples (twice their size while they are prepared) and,
            for large models, the rollback checkpoint. Default: the system's temporary directory.
            Nothing is left there on any exit.

        Raises
        ------
        MemoryBudgetError
            The parameters and vectors alone do not fit in ``memory`` (or in the memory
            available, when no budget is given); raised before any allocation.
        StorageError
            ``tmp_dir`` is full or not writable; nothing is left behind.
        TrainingDivergedError
            If the loss becomes NaN/inf; the model keeps the parameters of the last finite epoch.
        KeyboardInterrupt
            Re-raised after Ctrl-C; the model keeps the parameters of the last completed epoch
            and ``interrupted_`` is True.
        """
        d, lr, alpha, x_max, max_loss, dtype = self._check_params()
        epochs = check_int("epochs", epochs, minimum=0)
        no_threads = check_threads(no_threads)
        rng = check_random_state(self.random_state)
        if symmetric is not None and not isinstance(symmetric, (bool, np.bool_)):
            raise InvalidParameterError(f"symmetric must be True, False or None, got {symmetric!r}")
        directory = check_tmp_dir(tmp_dir)
        n_words = None if self.dictionary is None else len(self.dictionary)
        source = open_source(matrix, n_words)
        if source.n_words is None:
            source.load(symmetric)  # raises the matrix's own error (not square, wrong type...)
        dp = _padded(d)
        stride = 2 * dp + 8
        plan = TrainingMemory(source.n_words, d, stride, dtype.itemsize, source.copy_bytes, memory)
        source.load(symmetric)
        n = source.n_words
        plan.place_triples(source.n_triples, triple_bytes(dtype))
        logger.info("%s", plan.describe())

        W = self._init_rows(rng, n, d, dp, stride, dtype)
        C = self._init_rows(rng, n, d, dp, stride, dtype)
        t0 = time.perf_counter()
        seed = int(rng.integers(2**63))
        expand = source.expand
        if plan.triples_in_ram:
            data = prepare_in_ram(source, seed, x_max, alpha, dtype, no_threads)
        else:
            data = prepare_on_disk(source, seed, x_max, alpha, dtype, no_threads, plan.work, directory)
        del source
        n_triples = data.n
        raw = data.raw
        n_blocks = (n_triples + _BLOCK - 1) // _BLOCK
        order = np.arange(n_blocks, dtype=np.int64)
        blocks_per_call = max(no_threads, _UPDATES_PER_CALL // _BLOCK)
        logger.info("prepared %d training updates per epoch in %.2fs (%s%s)", n_triples, time.perf_counter() - t0,
                    "off-diagonal entries in both directions" if expand else "entries as stored",
                    "" if plan.triples_in_ram else f", memory-mapped from {directory}")

        self.loss_history_ = []
        self.n_updates_per_epoch_ = n_triples
        self.interrupted_ = False
        self.training_seconds_ = 0.0
        self.epoch_seconds_ = []
        bar = progress_bar(verbose, total=epochs, desc="training", unit="epoch")
        rollback = Rollback((W, C), plan.rollback_in_ram, directory)
        try:
            for epoch in range(epochs):
                rollback.save()
                te = time.perf_counter()
                _core.shuffle_blocks(order, int(rng.integers(2**63)))
                total = 0.0
                for b0 in range(0, n_blocks, blocks_per_call):
                    b1 = min(n_blocks, b0 + blocks_per_call)
                    data.prefetch(order, b1, min(n_blocks, b1 + blocks_per_call), _BLOCK)
                    total += _core.train_blocks(W, C, raw, order, b0, b1, _BLOCK, n_triples, dp, lr, max_loss,
                                                no_threads)
                    data.release(order, b0, b1, _BLOCK)
                    if not np.isfinite(total):
                        break
                seconds = time.perf_counter() - te
                self.training_seconds_ += seconds
                self.epoch_seconds_.append(seconds)
                loss = total / n_triples
                if not np.isfinite(loss) or not (_core.all_finite(W) and _core.all_finite(C)):
                    rollback.restore()
                    raise TrainingDivergedError(
                        f"training diverged in epoch {epoch + 1} (the loss became {loss}); the model keeps the "
                        f"vectors of epoch {epoch}. Lower learning_rate (now {lr}) or max_loss (now {max_loss})"
                    )
                self.loss_history_.append(float(loss))
                rate = n_triples / seconds if seconds > 0 else float("inf")
                bar.set_postfix(loss=f"{loss:.4f}", updates_per_s=f"{rate / 1e6:.2f}M")
                bar.update(1)
                logger.info("epoch %d/%d: loss %.6f, %.2fs, %.2fM updates/s", epoch + 1, epochs, loss, seconds,
                            rate / 1e6)
        except KeyboardInterrupt:
            rollback.restore()
            self.interrupted_ = True
            logger.warning("training interrupted: keeping the vectors of the last completed epoch (%d of %d)",
                           len(self.loss_history_), epochs)
            raise
        finally:
            bar.close()
            rollback.close()
            del raw
            data.close()
            self._set_outputs(W, C, d, dp)
        return self

    @staticmethod
    def _init_rows(rng, n, d, dp, stride, dtype):
        """Rows [vector | Adagrad sums | bias, bias sum, pad]: as Stanford, uniform(-0.5, 0.5)/d
        weights and biases, Adagrad sums starting at 1 (padding too, so it never divides 0/0).

        Drawn in bounded float64 chunks straight into the rows (no temporary of the whole
        matrix), from the same stream as one draw of the whole: a seed gives the same values."""
        rows = np.zeros((n, stride), dtype=dtype)
        _fill_uniform(rng, rows[:, :d], d)
        rows[:, dp:2 * dp] = 1.0
        _fill_uniform(rng, rows[:, 2 * dp:2 * dp + 1], d)
        rows[:, 2 * dp + 1] = 1.0
        return rows

    def _set_outputs(self, W, C, d, dp):
        # drop the previous fit's vectors first, so old and new never coexist
        self.word_vectors = self.context_vectors = self.word_biases = self.context_biases = None
        words = W[:, :d]
        context = C[:, :d]
        self.context_vectors = np.ascontiguousarray(context)
        if self.vector_mode == "sum":
            self.word_vectors = words + context
        else:
            self.word_vectors = np.ascontiguousarray(words)
        self.word_biases = np.ascontiguousarray(W[:, 2 * dp])
        self.context_biases = np.ascontiguousarray(C[:, 2 * dp])
        self._wv = None

    # ------------------------------------------------------------------------------------
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
            raise NotFittedError("the model has no vectors yet; call fit() or Glove.load() first")
        if self.dictionary is None:
            raise NoDictionaryError(
                "word queries need a dictionary; call glove.add_dictionary(corpus.dictionary) first"
            )

    def most_similar(self, word, number=5):
        """The ``number`` words closest to ``word`` by cosine similarity, as (word, cosine), best first.

        The query word itself is never returned. Raises UnknownWordError (a KeyError) naming an
        unknown word.
        """
        number = check_int("number", number, minimum=1)
        self._check_queryable()
        return self.wv.most_similar(word, topn=number)

    # --- vectors integration (issue 4) ---
    @property
    def wv(self):
        """The trained word vectors as a :class:`~glovefast.vectors.WordVectors`.

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
            from glovefast.vectors import WordVectors

            vectors = WordVectors(inverse_dictionary(self.dictionary), self.word_vectors)
            self._wv = cached = (vectors, self.word_vectors, self.dictionary)
        return cached[0]

    @classmethod
    def load_stanford(cls, path, limit=None, dtype=np.float32):
        """Load vectors in Stanford GloVe's text format (e.g. ``glove.6B.100d.txt``), as glove_python does.

        The returned model has ``word_vectors`` and ``dictionary`` from the file; the biases and
        context vectors, which the file does not hold, are zeros (glove_python also sets zero
        biases). It answers queries, :meth:`transform_paragraph` and can be saved; for the
        vectors alone, :meth:`glovefast.WordVectors.load_glove_format` is lighter.

        Parameters
        ----------
        path : str or os.PathLike
            ``.gz``/``.bz2``/``.xz`` are decompressed on the fly. Words with spaces or any
            UTF-8 are read correctly; a repeated word keeps its first vector.
        limit : int, optional
            Read only the first ``limit`` words.
        dtype : {numpy.float32, numpy.float64}, optional
            glove_python used float64; float32 halves the memory.

        Returns
        -------
        Glove

        Raises
        ------
        FormatError
            The file is not Stanford GloVe text, is truncated, or holds NaN/inf.
        """
        from glovefast.vectors import WordVectors

        vectors = WordVectors.load_glove_format(path, limit=limit, dtype=dtype)
        n, d = vectors.vectors.shape
        model = cls(no_components=d, dtype=vectors.vectors.dtype)
        model.word_vectors = vectors.vectors
        model.context_vectors = np.zeros_like(vectors.vectors)
        model.word_biases = np.zeros(n, dtype=vectors.vectors.dtype)
        model.context_biases = np.zeros(n, dtype=vectors.vectors.dtype)
        model.add_dictionary(vectors.key_to_index)
        model._wv = (vectors, model.word_vectors, model.dictionary)
        return model

    def transform_paragraph(self, paragraph, epochs=50, ignore_missing=False):
        """Vector of a tokenised paragraph, fitted against the fixed word vectors (glove_python's method).

        See :func:`glovefast.paragraph.transform_paragraph`. Deterministic for a given
        ``random_state``; works on Python 3 (glove_python's crashes there).
        """
        from glovefast.paragraph import transform_paragraph

        return transform_paragraph(self, paragraph, epochs=epochs, ignore_missing=ignore_missing)

    def most_similar_paragraph(self, paragraph, number=5, **kwargs):
        """The ``number`` words closest to a paragraph's vector, as (word, cosine), best first.

        See :func:`glovefast.paragraph.most_similar_paragraph`; ``kwargs`` go to
        :meth:`transform_paragraph`.
        """
        from glovefast.paragraph import most_similar_paragraph

        return most_similar_paragraph(self, paragraph, number=number, **kwargs)

    # ------------------------------------------------------------------------------------
    #: ``kind`` recorded in files written by :meth:`save`, checked by :meth:`load`.
    NPZ_KIND = "glovefast.Glove"

    def _state_arrays(self):
        """The arrays :meth:`save` writes: every member of :data:`_SAVED_ARRAYS` the model has."""
        return {name: getattr(self, name) for name in _SAVED_ARRAYS if getattr(self, name, None) is not None}

    def save(self, path, compress=False):
        """Save the model to ``path`` in glovefast's bundle format (no pickle), atomically.

        The file holds the arrays of :data:`_SAVED_ARRAYS` (word and context vectors, biases)
        and JSON metadata (hyper-parameters, loss history, words), with a kind, a version and
        a SHA-256 digest (see ``docs/formats.md``).

        Parameters
        ----------
        path : str or os.PathLike
            Written exactly as given (``.npz`` is not appended).
        compress : bool, optional
            Deflate the arrays: smaller file, slower save and load.

        Raises
        ------
        NotFittedError
            Nothing to save yet.
        """
        if self.word_vectors is None:
            raise NotFittedError("nothing to save: call fit() first")
        from glovefast.bundle import save_npz_bundle

        meta = {
            "params": {
                "no_components": int(self.no_components),
                "learning_rate": float(self.learning_rate),
                "alpha": float(self.alpha),
                "max_count": float(self.max_count),
                "max_loss": float(self.max_loss),
                "dtype": np.dtype(self.dtype).name,
                "vector_mode": self.vector_mode,
            },
            "loss_history": [float(x) for x in self.loss_history_],
            "n_updates_per_epoch": int(self.n_updates_per_epoch_),
            "words": None if self.dictionary is None else inverse_dictionary(self.dictionary),
        }
        save_npz_bundle(path, self.NPZ_KIND, self._state_arrays(), meta, compress=compress)

    @classmethod
    def load(cls, path, verify=True):
        """Load a model written by :meth:`save` (also the npz layout of glovefast 0.1's ``save``).

        Parameters
        ----------
        path : str or os.PathLike
        verify : bool, optional
            Check the content digest (bundle files only).

        Returns
        -------
        Glove

        Raises
        ------
        FileNotFoundError
            No such file.
        FormatError
            Not a glovefast model (another kind of file, truncated, modified, or with metadata
            that break the schema: the message names the field). A glove_python model (a
            pickle) is never unpickled; the message shows how to convert it with
            :func:`glovefast.compat.load_glove_python`.
        """
        import os

        from glovefast.bundle import is_legacy_model, load_legacy_npz, load_npz_bundle, npz_kind
        from glovefast.compat import check_not_pickle

        path = os.fspath(path)
        check_not_pickle(path, "Glove")  # a glove_python model: say how to convert it
        if npz_kind(path) is None:
            raise FormatError(f"{path}: not a glovefast model (an npz archive glovefast did not write)")
        if is_legacy_model(path):
            arrays, meta = load_legacy_npz(path, "meta", _SAVED_ARRAYS, _LEGACY_META_SCHEMA, _check_saved_shapes)
            if meta["version"] != _FORMAT_VERSION:
                raise FormatError(f"{path}: model format version {meta['version']}; this glovefast reads "
                                  f"{_FORMAT_VERSION}")
        else:
            arrays, meta = load_npz_bundle(path, cls.NPZ_KIND, verify=verify, schema=_SCHEMA)
        try:
            model = cls(**meta.get("params", {}))
            model._check_params()
        except (TypeError, InvalidParameterError) as exc:
            raise FormatError(f"{path}: invalid metadata field meta.params ({exc})") from None
        for name, value in arrays.items():
            setattr(model, name, value)
        model.loss_history_ = list(meta.get("loss_history", []))
        model.n_updates_per_epoch_ = int(meta.get("n_updates_per_epoch", 0))
        words = meta.get("words")
        if words is not None:
            try:
                model.add_dictionary({w: i for i, w in enumerate(words)})
            except InvalidDictionaryError as exc:
                raise FormatError(f"{path}: invalid metadata field meta.words ({exc})") from None
        return model

    def __repr__(self):
        state = "not fitted" if self.word_vectors is None else f"{self.word_vectors.shape[0]} words"
        return f"Glove(no_components={self.no_components}, {state})"
