"""Glove: the GloVe model trained by Adagrad on a cooccurrence matrix (glove_python's ``Glove`` API)."""
import json
import logging
import os
import time

import numpy as np

from glovefast._kernels import glove as glove_kernel
from glovefast._kernels.platform import padded_dim
from glovefast._util.files import check_tmp_dir
from glovefast._util.progress import reports_progress
from glovefast._util.validation import check_dictionary, check_int, check_random_state, check_threads
from glovefast.errors import (DimensionMismatchError, FormatError, InvalidParameterError, NoDictionaryError,
                              NotFittedError, ResumeError)
from glovefast.io.bundle import ArraySpec, ListOf, Nullable, Object, Scalar, is_legacy_model, load_legacy_npz
from glovefast.models.base import EmbeddingModel, FitOutput, load_pretrained, match_words
from glovefast.models.glove.memory import TrainingMemory
from glovefast.models.glove.triples import open_source, prepare_triples, triple_bytes
from glovefast.models.params import Param, ParamSpec
from glovefast.models.rollback import Rollback
from glovefast.models.training import check_callback, run_epochs
from glovefast.vectors.paragraph import most_similar_paragraph, transform_paragraph
from glovefast.vectors.word_vectors import WordVectors

logger = logging.getLogger(__name__)

# Triples are visited in blocks: one full shuffle per fit, then every epoch a fresh random order of
# blocks, so each thread reads triples sequentially while still seeing a new order every epoch.
_BLOCK = 16384
# Updates per call into the kernel: the GIL is taken back this often, so Ctrl-C and progress
# bars respond within a fraction of a second.
_UPDATES_PER_CALL = 1 << 22
_FORMAT = "glovefast.Glove"
_FORMAT_VERSION = 1  # of the pre-bundle npz layout, still read by Glove.load
#: numpy's bit generators a saved training state may name. Only these: the name comes from the
#: file and is looked up in ``numpy.random``, where ``"test"`` would run numpy's test suite.
_BIT_GENERATORS = ("MT19937", "PCG64", "PCG64DXSM", "Philox", "SFC64")

#: Arrays Glove.save writes (when the model has them) and Glove.load restores, by attribute name.
_SAVED_ARRAYS = {
    "word_vectors": ArraySpec("f", 2),
    "context_vectors": ArraySpec("f", 2),
    "word_biases": ArraySpec("f", 1),
    "context_biases": ArraySpec("f", 1),
}
#: The training state (``save(..., training_state=True)``): W and W~ rows without padding,
#: [vector (d) | Adagrad sums (d) | bias | bias sum], the block order, the mittens targets.
_TRAINING_ARRAYS = {
    "training_word_rows": ArraySpec("f", 2, required=False),
    "training_context_rows": ArraySpec("f", 2, required=False),
    "training_block_order": ArraySpec("i", 1, required=False),
    "training_targets": ArraySpec("f", 2, required=False),
    "training_has_target": ArraySpec("u", 1, required=False),
}
#: GloVe's hyper-parameters: validation, the saved params, repr and the CLI's flags come from here.
PARAMS = ParamSpec(
    Param("no_components", "int", 30, "vector dimension; with --init, the dimension of its vectors", minimum=1,
          flag="dim", metavar="N"),
    Param("learning_rate", "float", 0.05, "initial AdaGrad learning rate", minimum=0.0, exclusive=True,
          flag="learning-rate", metavar="LR"),
    Param("alpha", "float", 0.75, "exponent of the weighting function f(x) = min(1, (x/x_max)^alpha)", minimum=0.0,
          flag="alpha", metavar="A"),
    Param("max_count", "float", 100, "cooccurrence count from which a pair gets full weight; 10 did best on 5M and "
          "29M tokens (benchmarks/defaults_sweep.py); the paper uses 100 on billions of tokens", minimum=0.0,
          exclusive=True, flag="x-max", metavar="X"),
    Param("max_loss", "float", 10.0, "clip each update's weighted error to [-X, X] (Glove's max_loss): a lower value "
          "steadies a training that diverges", minimum=0.0, exclusive=True, flag="max-loss", metavar="X"),
    Param("random_state", "seed", None, "random seed; with --threads 1 the same seed gives identical vectors "
          "(default: random)", flag="seed", metavar="S"),
    Param("dtype", "dtype", np.float32, "precision of training and of the written vectors", flag="dtype"),
    Param("vector_mode", "choice", "sum", "what word_vectors holds: W + W~ (\"sum\") or W (\"word\")",
          choices=("sum", "word")),
    Param("mittens", "float", 0.0, "with --init: weight of mittens' term MU*||w+w~-r||^2, which holds every "
          "pretrained word near its vector r (mittens' default 0.1; 0 only starts from the vectors)", minimum=0.0,
          flag="mittens", metavar="MU"),
)
_TRAINING_META = Object({
    "epochs": Scalar(int, minimum=0),
    "rng": Scalar(str),
    "triple_seed": Scalar(str),
    "symmetric": Scalar(bool),
    "n_triples": Scalar(int, minimum=0),
    "nnz": Scalar(int, minimum=0),
})
#: The metadata of the npz layout of glovefast 0.1's ``save`` (before bundles), still read by Glove.load.
_LEGACY_META_SCHEMA = Object(
    {"params": PARAMS.schema(required=("no_components",)), "loss_history": ListOf(Scalar(float)),
     "n_updates_per_epoch": Scalar(int, minimum=0), "words": Nullable(ListOf(Scalar(str))),
     "format": Scalar(str, choices={_FORMAT}), "version": Scalar(int)},
    optional=("loss_history", "n_updates_per_epoch", "words"),
)


def _check_training_shapes(shapes, state, n, d):
    """Error text if the training-state arrays of a saved state ``state`` do not fit a model of n
    words x d, else None."""
    rows = (n, 2 * d + 2)
    want = {"training_word_rows": rows, "training_context_rows": rows,
            "training_block_order": ((state["n_triples"] + _BLOCK - 1) // _BLOCK,)}
    if "training_targets" in shapes or "training_has_target" in shapes:
        want.update(training_targets=(n, d), training_has_target=(n,))
    for name, shape in want.items():
        if shapes.get(name) != shape:
            return (f"training-state array {name!r} has shape {list(shapes.get(name, ()))}, but a model of "
                    f"{n} words x {d} trained on {state['n_triples']} updates implies {list(shape)}")
    return None


# GloVe's parameter row, as the kernel lays it out (glove.h): [vector (dp) | its Adagrad sums (dp) |
# bias, bias sum, mittens weight, padding], dp = padded_dim(no_components) (platform.h).
def row_stride(dp):
    """Elements of a parameter row of padded dimension ``dp`` (see :meth:`Glove._init_rows`)."""
    return glove_kernel.row_layout(dp)[1]


def bias_column(dp):
    """Column of a row's bias; its Adagrad sum is the next one."""
    return glove_kernel.row_layout(dp)[2]


# Entries per chunk when counting each row's updates for the mittens weights.
_HIT_CHUNK = 1 << 22


def _updates_per_row(source, n):
    """(updates moving each W row, updates moving each W~ row) per epoch, from the loaded source's
    entries read in bounded chunks (a store is never read whole): an entry (i, j) is an update
    of W row i and W~ row j, and when entries expand, (j, i) too."""
    word, context = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    for rows, cols, _ in source.chunks(_HIT_CHUNK):
        word += np.bincount(rows, minlength=n)
        context += np.bincount(cols, minlength=n)
        if source.expand:
            off = rows != cols
            word += np.bincount(cols[off], minlength=n)
            context += np.bincount(rows[off], minlength=n)
    return word, context


def weight_column(dp):
    """Column of a row's mittens weight (the first slot after the bias and its Adagrad sum; see
    _kernels/glove.h): 0 means no pretrained vector."""
    return glove_kernel.row_layout(dp)[3]


class _AdagradEpoch:
    """One GloVe epoch (the per-epoch step :func:`glovefast.models.training.run_epochs` calls): Adagrad over
    every triple, its blocks in a fresh random order, in calls to the kernel of ``_UPDATES_PER_CALL``
    updates. Returns (mean loss per update, updates); the loss is NaN/inf when training diverged."""

    def __init__(self, W, C, data, order, rng, dp, lr, max_loss, no_threads, targets, sum_mode):
        self.W, self.C, self.data, self.order, self.rng = W, C, data, order, rng
        self.dp, self.lr, self.max_loss, self.no_threads = dp, lr, max_loss, no_threads
        self.targets, self.sum_mode = targets, sum_mode
        self.blocks_per_call = max(no_threads, _UPDATES_PER_CALL // _BLOCK)

    def __call__(self):
        data, order, n_triples = self.data, self.order, self.data.n
        n_blocks = len(order)
        glove_kernel.shuffle_blocks(order, int(self.rng.integers(2**63)))
        total = 0.0
        for b0 in range(0, n_blocks, self.blocks_per_call):
            b1 = min(n_blocks, b0 + self.blocks_per_call)
            data.prefetch(order, b1, min(n_blocks, b1 + self.blocks_per_call), _BLOCK)
            total += glove_kernel.train_blocks(self.W, self.C, data.raw, order, b0, b1, _BLOCK, n_triples, self.dp,
                                               self.lr, self.max_loss, self.no_threads, data.on_disk, self.targets,
                                               self.sum_mode)
            if not np.isfinite(total):
                break
        return total / n_triples, n_triples


class _TrainingState:
    """What :meth:`Glove.fit` needs to continue a run exactly: the parameter rows (vectors, Adagrad
    sums, biases), the epoch count and the random sequence (generator state, the seed of the
    triple order, the current block order), plus the mittens targets when the run has them."""

    def __init__(self, W, C, d, epochs, rng_state, triple_seed, block_order, symmetric, n_triples, nnz,
                 targets=None, has_target=None):
        self.W, self.C, self.d = W, C, d
        self.epochs = epochs
        self.rng_state = rng_state
        self.triple_seed = triple_seed
        self.block_order = block_order
        self.symmetric = symmetric
        self.n_triples = n_triples
        self.nnz = nnz
        self.targets = targets
        self.has_target = has_target

    @property
    def n_words(self):
        return self.W.shape[0]

    def generator(self):
        """A numpy Generator in the saved state."""
        state = self.rng_state
        bit_generator = _bit_generator(state["bit_generator"])
        bit_generator.state = state
        return np.random.Generator(bit_generator)

    # Saved form: the rows without padding, [vector (d) | Adagrad sums (d) | bias | bias sum].
    def arrays(self):
        d, dp = self.d, padded_dim(self.d)
        out = {}
        for name, rows in (("training_word_rows", self.W), ("training_context_rows", self.C)):
            b = bias_column(dp)
            out[name] = np.concatenate([rows[:, :d], rows[:, dp:dp + d], rows[:, b:b + 2]], axis=1)
        out["training_block_order"] = self.block_order
        if self.targets is not None:
            out["training_targets"] = np.ascontiguousarray(self.targets[:, :d])
            out["training_has_target"] = self.has_target.astype(np.uint8)
        return out

    def meta(self):
        return {
            "epochs": int(self.epochs),
            # a JSON string: PCG64's 128-bit integers exceed what metadata parsers accept as numbers
            "rng": json.dumps(self.rng_state),
            "triple_seed": str(int(self.triple_seed)),
            "symmetric": bool(self.symmetric),
            "n_triples": int(self.n_triples),
            "nnz": int(self.nnz),
        }

    @classmethod
    def from_saved(cls, arrays, meta, where):
        """Rebuild from :meth:`arrays` and :meth:`meta`; FormatError (naming ``where``) if inconsistent."""
        try:
            wr, cr = arrays["training_word_rows"], arrays["training_context_rows"]
            order = np.ascontiguousarray(arrays["training_block_order"], dtype=np.int64)
            rng_state = json.loads(meta["rng"])
            if not isinstance(rng_state, dict):
                raise ValueError("the random generator state must be an object")
            _bit_generator(rng_state.get("bit_generator")).state = rng_state  # checks the content
            triple_seed = int(meta["triple_seed"])
            if not 0 <= triple_seed < 2**64:
                raise ValueError(f"triple_seed {triple_seed} out of range")
            epochs, n_triples = int(meta["epochs"]), int(meta["n_triples"])
            symmetric, nnz = bool(meta["symmetric"]), int(meta["nnz"])
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise FormatError(f"{where}: invalid metadata field meta.training_state ({exc})") from None
        if wr.ndim != 2 or cr.shape != wr.shape or (wr.shape[1] - 2) % 2 or wr.shape[1] < 4:
            raise FormatError(f"{where}: training rows of shape {list(wr.shape)} and {list(cr.shape)} do not fit "
                              "together")
        n_blocks = (n_triples + _BLOCK - 1) // _BLOCK
        if order.shape != (n_blocks,) or (n_blocks and (order.min() < 0 or order.max() >= n_blocks)):
            raise FormatError(f"{where}: the saved block order does not match {n_triples} training updates")
        n, d = wr.shape[0], (wr.shape[1] - 2) // 2
        dp = padded_dim(d)
        rows = []
        for saved in (wr, cr):
            b = bias_column(dp)
            full = np.zeros((n, row_stride(dp)), dtype=saved.dtype)
            full[:, dp:2 * dp] = 1.0
            full[:, b + 1] = 1.0
            full[:, :d] = saved[:, :d]
            full[:, dp:dp + d] = saved[:, d:2 * d]
            full[:, b:b + 2] = saved[:, 2 * d:]
            rows.append(full)
        targets = has_target = None
        if "training_targets" in arrays:
            t, h = arrays["training_targets"], arrays["training_has_target"]
            if t.shape != (n, d) or h.shape != (n,):
                raise FormatError(f"{where}: the saved mittens targets do not match the training rows")
            targets = np.zeros((n, dp), dtype=wr.dtype)
            targets[:, :d] = t
            has_target = h.astype(bool)
        return cls(rows[0], rows[1], d, epochs, rng_state, triple_seed, order, symmetric, n_triples, nnz,
                   targets, has_target)


def _bit_generator(name):
    """A fresh numpy bit generator of a saved state's ``name``, from :data:`_BIT_GENERATORS` only."""
    if name not in _BIT_GENERATORS:
        raise ValueError(f"random generator {str(name)[:40]!r} is not one of numpy's ({', '.join(_BIT_GENERATORS)})")
    return getattr(np.random, name)()


def _pretrained_parts(init):
    """(words, W, W~ or None, word biases or None, context biases or None) of an ``init=`` source;
    ``words`` is a list or a word -> row dict."""
    if isinstance(init, (str, os.PathLike)):
        init = load_pretrained(init)
    if isinstance(init, Glove):
        if init.word_vectors is None:
            raise NotFittedError("init= got a Glove without vectors; fit or load it first")
        if init.dictionary is None:
            raise NoDictionaryError("init= got a Glove without a dictionary, so its vectors have no words; "
                                    "call add_dictionary() on it first")
        C = init.context_vectors
        if C is None or not C.any():  # e.g. load_stanford(): the file held one vector per word
            return init.dictionary, init.word_vectors, None, None, None
        if init._state is not None:
            W = init._state.W[:, :init._state.d]
        elif init.vector_mode == "sum":
            W = init.word_vectors - C
        else:
            W = init.word_vectors
        return init.dictionary, W, C, init.word_biases, init.context_biases
    if isinstance(init, EmbeddingModel):  # another model: its vectors alone
        init._check_queryable()
        return init.dictionary, init.word_vectors, None, None, None
    if isinstance(init, WordVectors):
        return init.key_to_index, init.vectors, None, None, None
    raise InvalidParameterError(f"init must be a WordVectors, a Glove or a path to vectors, got "
                                f"{type(init).__name__}")

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


class Glove(EmbeddingModel):
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
    mittens : float
        Weight mu of mittens' retrofitting term (Dingwall & Potts, 2018) when fine-tuning
        pretrained vectors (``fit(..., init=...)``): mu * ||w_i + w~_i - r_i||^2 is added to the
        objective for every word i with a pretrained vector r_i (``||w_i - r_i||^2`` when
        ``vector_mode="word"``). 0 (default) only starts from the pretrained vectors. mittens'
        own default is 0.1; see ``docs/finetune.md``.

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
    epochs_trained_ : int
        Epochs trained in total, including those before a ``resume=True`` fit.
    n_initialized_ : int
        Words that started from a pretrained vector in the last ``fit(..., init=...)`` (0 without ``init``).
    dictionary, inverse_dictionary
        Set by :meth:`add_dictionary`.
    """

    #: ``kind`` recorded in files written by :meth:`save`, checked by :meth:`load`.
    NPZ_KIND = _FORMAT
    PARAMS = PARAMS
    DIMENSION = "no_components"
    #: Arrays :meth:`save` writes (when the model has them) and :meth:`load` restores.
    SAVED_ARRAYS = _SAVED_ARRAYS
    TRAINING_ARRAYS = _TRAINING_ARRAYS
    TRAINING_META = _TRAINING_META
    STATE = _TrainingState

    context_vectors = FitOutput()
    word_biases = FitOutput()
    context_biases = FitOutput()

    def __init__(self, no_components=30, learning_rate=0.05, alpha=0.75, max_count=100, max_loss=10.0,
                 random_state=None, dtype=np.float32, vector_mode="sum", mittens=0.0):
        super().__init__(no_components=no_components, learning_rate=learning_rate, alpha=alpha,
                         max_count=max_count, max_loss=max_loss, random_state=random_state, dtype=dtype,
                         vector_mode=vector_mode, mittens=mittens)

    @reports_progress
    def fit(self, matrix, epochs=5, no_threads=0, verbose=False, symmetric=None, memory=None, tmp_dir=None,
            init=None, dictionary=None, resume=False, callback=None):
        """Train on a cooccurrence matrix; returns self.

        Parameters
        ----------
        matrix : scipy.sparse matrix, 2-D array, CooccurrenceStore or path of a store
            Cooccurrence counts, e.g. ``corpus.matrix`` (other sparse formats are converted;
            duplicate COO entries are summed), or an on-disk
            :class:`~glovefast.cooc.store.CooccurrenceStore`, read shard by shard so the whole matrix
            is never in RAM. Counts must be finite and > 0.
        epochs : int
            Passes over the entries (0 leaves the initialisation). With ``resume=True``, the
            number of further epochs.
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
            the memory available now (see :mod:`glovefast.models.glove.memory`).
        tmp_dir : str or os.PathLike, optional
            Directory for the on-disk triples (twice their size while they are prepared) and,
            for large models, the rollback checkpoint. Default: the system's temporary directory.
            Nothing is left there on any exit.
        init : WordVectors, Glove, str or os.PathLike, optional
            Pretrained vectors to start from (fine-tuning): every word of ``dictionary`` found in
            them (exact, case-sensitive match) starts from its pretrained values, the others
            start random. A path is read with :func:`glovefast.load_vectors` (any vectors format
            glovefast reads; a model saved by :meth:`save` is read as a Glove). How W, W~ and the
            biases are set:

            * from a :class:`Glove` with context vectors: W, W~ and both biases are copied (W is
              exact if the source has a training state, else recovered as
              ``word_vectors - context_vectors`` in "sum" mode, up to rounding);
            * from vectors alone (a WordVectors, a text/word2vec file, or a Glove without context
              vectors such as :meth:`load_stanford`'s): W = W~ = r/2 when this model's
              ``vector_mode`` is "sum" (so ``word_vectors`` starts at r), W = W~ = r when it is
              "word"; both biases start at 0.

            Adagrad sums start at 1, as in any fresh run. The dimension must equal
            ``no_components``. With ``mittens > 0`` each initialised word i is held near
            r_i = its starting ``word_vectors`` row. ``n_initialized_`` counts the words
            initialised (also logged). See ``docs/finetune.md``.
        dictionary : dict, optional
            The word -> id mapping of ``matrix`` (e.g. ``corpus.dictionary``). Needed with
            ``init`` to match words, unless the model already has one; attached to the model
            afterwards, as :meth:`add_dictionary` does.
        resume : bool
            Continue the run this model holds (trained in this process, or loaded from a file
            saved with ``save(path, training_state=True)``): the parameters, Adagrad sums and
            random sequence carry on, ``loss_history_`` is extended. With ``no_threads=1``, 5
            epochs then 5 resumed epochs give the same vectors, bit for bit, as 10 epochs. The
            matrix must have the model's vocabulary size (a different matrix of that size is
            trained on, with a warning), and ``no_components`` and ``dtype`` must not have
            changed. Hyper-parameters such as ``learning_rate`` apply as currently set.
        callback : callable, optional
            Called as ``callback(info)`` after each completed epoch, with a
            :class:`~glovefast.models.training.EpochInfo`: ``info.epoch`` (from 1 in this call),
            ``info.epochs``, ``info.loss``, ``info.seconds``, ``info.updates``,
            ``info.updates_per_second`` and ``info.model``, this model in the state ``fit`` would
            leave it after that epoch (vectors, biases, ``dictionary``, ``loss_history_``,
            ``epochs_trained_`` and the training state), so the callback can evaluate it or save a
            checkpoint with ``save(path, training_state=True)``. Reading the vectors builds them
            (the memory of the trained vectors, beyond ``memory``); a callback that does not
            costs nothing. Return a true value to stop after this epoch: the model is then the
            same as after ``fit(..., epochs=info.epoch)``. An exception raised by the callback
            propagates after the cleanup (no temporary file is left) with the model in that same
            state, including the epoch just completed. See ``docs/training.md``.

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
            and ``interrupted_`` is True. Any other error during an epoch also leaves the
            parameters of the last completed epoch.
        DimensionMismatchError
            ``init`` vectors of another dimension than ``no_components``.
        NoDictionaryError
            ``init`` without a dictionary.
        ResumeError
            ``resume=True`` on a model without training state, or with another matrix size,
            dimension or dtype.
        """
        params = self._check_params()
        d, lr, alpha, x_max, max_loss, dtype = (params[name] for name in (
            "no_components", "learning_rate", "alpha", "max_count", "max_loss", "dtype"))
        mu = float(self.mittens)
        epochs = check_int("epochs", epochs, minimum=0)
        no_threads = check_threads(no_threads)
        callback = check_callback(callback)
        rng = check_random_state(self.random_state)
        if symmetric is not None and not isinstance(symmetric, (bool, np.bool_)):
            raise InvalidParameterError(f"symmetric must be True, False or None, got {symmetric!r}")
        if not isinstance(resume, (bool, np.bool_)):
            raise InvalidParameterError(f"resume must be True or False, got {resume!r}")
        if resume and init is not None:
            raise InvalidParameterError("init= starts a new run from pretrained vectors and resume=True continues "
                                        "this model's run; give one of them")
        if dictionary is not None:
            dictionary = check_dictionary(dictionary)
        words = dictionary if dictionary is not None else self.dictionary
        if init is not None and words is None:
            raise NoDictionaryError("init= matches pretrained vectors to words: pass the matrix's dictionary, "
                                    "fit(matrix, init=..., dictionary=corpus.dictionary)")
        state = self._resumable_state(d, dtype, dictionary) if resume else None
        directory = check_tmp_dir(tmp_dir)
        dp = padded_dim(d)
        source, plan = self._open_source(matrix, words, state, symmetric, memory, d, dp, dtype)
        n, nnz = source.n_words, source.nnz

        if state is not None:
            rng = state.generator()
            W, C = state.W, state.C
            seed = state.triple_seed
            targets, has_target = state.targets, state.has_target
            n_init = self.n_initialized_
        else:
            W, C, targets, has_target = self._starting_rows(rng, init, words, n, d, dp, dtype)
            n_init = 0 if has_target is None else int(has_target.sum())
            seed = int(rng.integers(2**63))
        if mu > 0 and targets is None:
            raise InvalidParameterError(
                f"mittens={mu} holds words near pretrained vectors: pass them with fit(..., init=...)"
                + (" (this run was started without init=)" if state is not None else "")
            )
        t0 = time.perf_counter()
        expand = source.expand
        updates = _updates_per_row(source, n) if mu > 0 else None
        data = prepare_triples(source, plan, seed, x_max, alpha, dtype, no_threads, directory)
        del source
        n_triples = data.n
        order = np.arange((n_triples + _BLOCK - 1) // _BLOCK, dtype=np.int64)
        if state is not None:
            if n_triples != state.n_triples or nnz != state.nnz:
                logger.warning("resuming on a different matrix than the model was trained on (%d entries, %d "
                               "updates per epoch; before: %d, %d): training continues on this one", nnz,
                               n_triples, state.nnz, state.n_triples)
            if state.block_order.shape == order.shape:
                order[:] = state.block_order
        W[:, weight_column(dp)] = 0
        C[:, weight_column(dp)] = 0
        if mu > 0:
            self._set_mittens_weights(W, C, updates, has_target, mu, dp)
        logger.info("prepared %s training updates per epoch in %.2fs (%s%s)", f"{n_triples:,}",
                    time.perf_counter() - t0,
                    "off-diagonal entries in both directions" if expand else "entries as stored",
                    "" if plan.triples_in_ram else f", memory-mapped from {directory}")

        previous_epochs = state.epochs if state is not None else 0
        if state is None:
            self.loss_history_ = []
        self.n_updates_per_epoch_ = n_triples
        self.n_initialized_ = n_init
        self.interrupted_ = False
        self.training_seconds_ = 0.0
        self.epoch_seconds_ = []
        self._state = _TrainingState(W, C, d, previous_epochs, rng.bit_generator.state, seed, order.copy(),
                                     bool(expand), n_triples, nnz, targets, has_target)
        self.epochs_trained_ = previous_epochs
        adagrad = _AdagradEpoch(W, C, data, order, rng, dp, lr, max_loss, no_threads, targets,
                                self.vector_mode == "sum")

        def train_epoch():
            self._live = None  # the rows change from here on: outputs built now would be mid-epoch
            return adagrad()

        def commit():
            self._state.epochs += 1
            self._state.rng_state = rng.bit_generator.state
            np.copyto(self._state.block_order, order)
            # a read of the outputs now builds this epoch's
            self._defer_outputs(lambda: self._set_outputs(W, C, d, dp, dictionary))

        try:
            run_epochs(self, epochs, train_epoch, Rollback((W, C), plan.rollback_in_ram, directory), commit=commit,
                       callback=callback, verbose=verbose,
                       advice=f"Lower learning_rate (now {lr}) or max_loss (now {max_loss})")
        finally:
            self._live = None
            data.close()
            self._set_outputs(W, C, d, dp, dictionary)
        return self

    def _open_source(self, matrix, words, state, symmetric, memory, d, dp, dtype):
        """The training source of ``matrix``, validated and loaded, and the memory plan that placed its
        triples; the parameters are checked against the budget before the matrix is converted."""
        source = open_source(matrix, None if words is None else len(words))
        if source.n_words is None:
            source.load(symmetric)  # raises the matrix's own error (not square, wrong type...)
        if state is not None and source.n_words != state.n_words:
            raise ResumeError(f"cannot resume: the model was trained on a {state.n_words}-word matrix and this "
                              f"one has {source.n_words} words; resume on the same vocabulary (the same corpus and "
                              "min_count/max_vocab)")
        plan = TrainingMemory(source.n_words, d, row_stride(dp), dtype.itemsize, source.copy_bytes, memory)
        if self.mittens > 0:
            plan.parameters += source.n_words * dp * dtype.itemsize  # the mittens targets
        source.load(symmetric)
        plan.place_triples(source.n_triples, triple_bytes(dtype))
        logger.info("%s", plan.describe())
        return source, plan

    def _starting_rows(self, rng, init, words, n, d, dp, dtype):
        """(W, W~, mittens targets or None, mask of the words started from ``init`` or None) of a new run."""
        W = self._init_rows(rng, n, d, dp, row_stride(dp), dtype)
        C = self._init_rows(rng, n, d, dp, row_stride(dp), dtype)
        targets = has_target = None
        if init is not None:
            has_target = self._start_from(init, words, W, C, d, dp)
            if self.mittens > 0:
                targets = np.zeros((n, dp), dtype=dtype)
                targets[has_target, :d] = self._output_rows(W, C, d)[has_target]
        return W, C, targets, has_target

    @staticmethod
    def _init_rows(rng, n, d, dp, stride, dtype):
        """Rows [vector | Adagrad sums | bias, bias sum, pad]: as Stanford, uniform(-0.5, 0.5)/d
        weights and biases, Adagrad sums starting at 1 (padding too, so it never divides 0/0).

        Drawn in bounded float64 chunks straight into the rows (no temporary of the whole
        matrix), from the same stream as one draw of the whole: a seed gives the same values."""
        rows = np.zeros((n, stride), dtype=dtype)
        _fill_uniform(rng, rows[:, :d], d)
        b = bias_column(dp)
        rows[:, dp:2 * dp] = 1.0
        _fill_uniform(rng, rows[:, b:b + 1], d)
        rows[:, b + 1] = 1.0
        return rows

    def _resumable_state(self, d, dtype, dictionary):
        """The training state ``fit(..., resume=True)`` continues, after checking it fits."""
        state = self._state
        if state is None:
            raise ResumeError("cannot resume: this model holds no training state; fit it first, or load a file "
                              "saved with save(path, training_state=True)")
        if state.d != d:
            raise ResumeError(f"cannot resume: the training state has dimension {state.d} but no_components is now "
                              f"{d}; resume with no_components={state.d}")
        if state.W.dtype != dtype:
            raise ResumeError(f"cannot resume: the training state is {state.W.dtype} but dtype is now {dtype}")
        if dictionary is not None and self.dictionary is not None and dictionary != self.dictionary:
            raise ResumeError("cannot resume: the dictionary differs from the model's (other words or ids); "
                              "resume on the vocabulary the model was trained with")
        return state

    def _start_from(self, init, dictionary, W, C, d, dp):
        """Overwrite the rows of the words found in ``init`` (see :meth:`fit`); returns the mask of
        initialised words."""
        source_words, Ws, Cs, bw, bc = _pretrained_parts(init)
        d_source = Ws.shape[1]
        if d_source != d:
            raise DimensionMismatchError(f"the pretrained vectors have dimension {d_source} but the model has "
                                         f"no_components={d}; use no_components={d_source}")
        ours, theirs = match_words(dictionary, source_words)
        if Cs is not None:
            W[ours, :d] = Ws[theirs]
            C[ours, :d] = Cs[theirs]
            W[ours, bias_column(dp)] = bw[theirs]
            C[ours, bias_column(dp)] = bc[theirs]
            how = "W, W~ and biases copied"
        else:
            r = np.asarray(Ws[theirs], dtype=W.dtype)
            half = r / 2 if self.vector_mode == "sum" else r
            W[ours, :d] = half
            C[ours, :d] = half
            W[ours, bias_column(dp)] = 0
            C[ours, bias_column(dp)] = 0
            how = "W = W~ = r/2" if self.vector_mode == "sum" else "W = W~ = r"
        mask = np.zeros(W.shape[0], dtype=bool)
        mask[ours] = True
        logger.info("initialised %s of %s words from %s pretrained vectors (%s); the other %s start random",
                    f"{len(ours):,}", f"{len(dictionary):,}", f"{len(source_words):,}", how,
                    f"{len(dictionary) - len(ours):,}")
        if len(ours) == 0:
            logger.warning("no word of the dictionary is in the pretrained vectors (words match exactly, "
                           "case-sensitively): every vector starts random")
        return mask

    def _output_rows(self, W, C, d):
        """What ``word_vectors`` holds for rows W, C."""
        return W[:, :d] + C[:, :d] if self.vector_mode == "sum" else W[:, :d].copy()

    def _set_mittens_weights(self, W, C, updates, has_target, mu, dp):
        """Per-row mittens weights mu / (updates per epoch that move the row), see _kernels/glove.h: one
        epoch then applies the whole penalty gradient once. W~ rows only take part in "sum" mode."""
        sides = [(W, updates[0])] + ([(C, updates[1])] if self.vector_mode == "sum" else [])
        for rows, hits in sides:
            take = has_target & (hits > 0)
            rows[take, weight_column(dp)] = mu / hits[take]

    def _set_outputs(self, W, C, d, dp, dictionary=None):
        # drop the previous fit's vectors first, so old and new never coexist
        self.word_vectors = self.context_vectors = self.word_biases = self.context_biases = None
        words = W[:, :d]
        context = C[:, :d]
        self.context_vectors = np.ascontiguousarray(context)
        if self.vector_mode == "sum":
            self.word_vectors = words + context
        else:
            self.word_vectors = np.ascontiguousarray(words)
        self.word_biases = np.ascontiguousarray(W[:, bias_column(dp)])
        self.context_biases = np.ascontiguousarray(C[:, bias_column(dp)])
        self._wv = None
        if dictionary is not None:
            self.add_dictionary(dictionary)

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

        See :func:`glovefast.vectors.paragraph.transform_paragraph`. Deterministic for a given
        ``random_state``; works on Python 3 (glove_python's crashes there).
        """
        return transform_paragraph(self, paragraph, epochs=epochs, ignore_missing=ignore_missing)

    def most_similar_paragraph(self, paragraph, number=5, **kwargs):
        """The ``number`` words closest to a paragraph's vector, as (word, cosine), best first.

        See :func:`glovefast.vectors.paragraph.most_similar_paragraph`; ``kwargs`` go to
        :meth:`transform_paragraph`.
        """
        return most_similar_paragraph(self, paragraph, number=number, **kwargs)

    # ------------------------------------------------------------------------------------
    @classmethod
    def _check_training_shapes(cls, shapes, state, n, d):
        err = super()._check_training_shapes(shapes, state, n, d)
        if err or state is None:
            return err
        return _check_training_shapes(shapes, state, n, d)

    @classmethod
    def _read_bundle(cls, path, verify):
        """(arrays, meta) of a bundle, or of the npz layout of glovefast 0.1's ``save``."""
        if is_legacy_model(path):
            arrays, meta = load_legacy_npz(path, "meta", cls.SAVED_ARRAYS, _LEGACY_META_SCHEMA,
                                           cls._check_saved_shapes)
            if meta["version"] != _FORMAT_VERSION:
                raise FormatError(f"{path}: model format version {meta['version']}; this glovefast reads "
                                  f"{_FORMAT_VERSION}")
            return arrays, meta
        return super()._read_bundle(path, verify)

    def _check_loaded_state(self, path):
        if self._state.W.dtype != np.dtype(self.dtype):
            raise FormatError(f"{path}: inconsistent content: the training state is {self._state.W.dtype} "
                              f"but meta.params.dtype is {np.dtype(self.dtype)}")
