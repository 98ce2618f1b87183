"""Word2Vec: skip-gram and CBOW with negative sampling (gensim's ``Word2Vec`` names) on glovefast's
token stream and the compiled kernel of :mod:`glovefast.models.word2vec.epochs`."""
import logging
import os
import time

import numpy as np

from glovefast._kernels import w2v as _w2v
from glovefast._util.files import check_tmp_dir
from glovefast._util.memory import available_memory, format_bytes, resolve_budget
from glovefast._util.progress import plural, progress_bar, verbose_logging
from glovefast._util.validation import check_random_state, check_threads
from glovefast.errors import (DimensionMismatchError, EmptyCorpusError, FormatError, InvalidParameterError,
                              MemoryBudgetError, NoDictionaryError, NotFittedError, ResumeError)
from glovefast.io.bundle import ArraySpec, Object, Scalar
from glovefast.models.base import EmbeddingModel, load_pretrained, match_words
from glovefast.models.params import Param, ParamSpec
from glovefast.models.rollback import Rollback
from glovefast.models.training import check_callback, run_epochs
from glovefast.models.word2vec.epochs import Tables, aligned_zeros, init_rows, row_width, run_epoch
from glovefast.text.streaming import read_token_stream, select_vocabulary
from glovefast.text.tokens import TokenStream
from glovefast.vectors.word_vectors import WordVectors

logger = logging.getLogger(__name__)

#: Start learning rates when ``alpha`` is None: word2vec.c's. For CBOW it is 0.05, not gensim's 0.025:
#: on real8 (d=100, 5 epochs) word2vec.c's CBOW scored 41.5 % on analogies against gensim's 38.2 %.
DEFAULT_ALPHA = {1: 0.025, 0: 0.05}
#: ``min_alpha`` when None, as a fraction of the start rate (word2vec.c's ``starting_alpha * 0.0001``).
MIN_ALPHA_FRACTION = 1e-4
#: Share of the memory budget the token stream may keep in RAM; the parameters get the rest.
STREAM_SHARE = 2
#: Share of the budget up to which the rollback copy of the parameters stays in RAM.
ROLLBACK_RAM_SHARE = 8

PARAMS = ParamSpec(
    Param("vector_size", "int", 100, "vector dimension", minimum=1, flag="dim", metavar="N"),
    Param("window", "int", 5, "context window: up to N words on each side of the centre word", minimum=1,
          flag="window", metavar="N"),
    Param("min_count", "int", 5, "ignore words seen fewer than N times", minimum=1, flag="min-count", metavar="N"),
    Param("max_vocab", "int", None, "keep only the N most frequent words", minimum=1, optional=True,
          flag="max-vocab", metavar="N"),
    Param("sg", "int", 0, "1 skip-gram, 0 CBOW (gensim's default)", minimum=0, maximum=1),
    Param("negative", "int", 5, "negative samples per window (at least 1: there is no hierarchical softmax)",
          minimum=1, flag="negative", metavar="K"),
    Param("ns_exponent", "float", 0.75, "exponent of the count in the negative sampling distribution",
          flag="ns-exponent", metavar="E"),
    Param("sample", "float", 1e-3, "subsampling threshold of frequent words (0: keep every token)", minimum=0.0,
          flag="sample", metavar="S"),
    Param("alpha", "float", None, "start learning rate (default: 0.025 skip-gram, 0.05 CBOW, word2vec.c's)",
          minimum=0.0, exclusive=True, optional=True, flag="learning-rate", metavar="LR"),
    Param("min_alpha", "float", None, "final learning rate, reached linearly (default: the start rate x 1e-4, "
          "word2vec.c's)", minimum=0.0, optional=True, flag="min-learning-rate", metavar="LR"),
    Param("cbow_mean", "int", 1, "CBOW: 1 the mean of the context vectors, 0 their sum", minimum=0, maximum=1,
          flag="cbow-mean", metavar="{0,1}"),
    Param("epochs", "int", 5, "passes over the corpus (the learning rate decays over all of them)", minimum=1,
          flag="epochs", metavar="N"),
    Param("shrink_windows", "bool", True, "draw each window's reach uniformly from 1..window, as word2vec.c",
          flag="shrink-windows", metavar="yes|no"),
    Param("no_threads", "int", 0, "training threads (0: every CPU available)", minimum=0, maximum=256,
          runtime=True),
    Param("random_state", "seed", None, "random seed; with one thread the same seed gives identical vectors "
          "(default: random)", flag="seed", metavar="S"),
    Param("memory", "option", None, "memory budget"),
    Param("tmp_dir", "option", None, "directory of temporary files"),
    Param("verbose", "bool", False, "progress bars and log lines", runtime=True),
)

_TRAINING_META = Object({
    "epochs": Scalar(int, minimum=0),
    "tokens_done": Scalar(int, minimum=0),
    "tokens_per_epoch": Scalar(int, minimum=0),
    "seed": Scalar(str),
})


class _TrainingState:
    """What :meth:`Word2Vec.fit` needs to continue a run exactly: both parameter matrices (syn0,
    syn1, in the kernel's padded rows), the epochs and tokens trained (the learning-rate schedule
    and the epoch number that keys subsampling), and the kernel's seed."""

    def __init__(self, syn0, syn1, dim, epochs, tokens_done, tokens_per_epoch, seed):
        self.syn0, self.syn1, self.dim = syn0, syn1, dim
        self.epochs, self.tokens_done, self.tokens_per_epoch, self.seed = epochs, tokens_done, tokens_per_epoch, seed

    @property
    def n_words(self):
        return self.syn0.shape[0]

    def arrays(self):
        # syn0 is saved as word_vectors (the same values)
        return {"training_syn1": np.ascontiguousarray(self.syn1[:, :self.dim])}

    def meta(self):
        return {"epochs": int(self.epochs), "tokens_done": int(self.tokens_done),
                "tokens_per_epoch": int(self.tokens_per_epoch), "seed": str(int(self.seed))}

    @classmethod
    def from_saved(cls, arrays, meta, where):
        """Rebuild from a file's arrays and ``meta.training_state``; FormatError naming ``where``."""
        try:
            seed = int(meta["seed"])
            if not 0 <= seed < 2**64:
                raise ValueError(f"seed {seed} out of range")
            epochs, done, per_epoch = int(meta["epochs"]), int(meta["tokens_done"]), int(meta["tokens_per_epoch"])
        except (KeyError, TypeError, ValueError) as exc:
            raise FormatError(f"{where}: invalid metadata field meta.training_state ({exc})") from None
        vectors, out = arrays["word_vectors"], arrays["training_syn1"]
        if vectors.dtype != np.float32 or out.dtype != np.float32:
            raise FormatError(f"{where}: a word2vec training state is float32, got {vectors.dtype} and {out.dtype}")
        n, dim = vectors.shape
        syn0, syn1 = aligned_zeros(n, row_width(dim)), aligned_zeros(n, row_width(dim))
        syn0[:, :dim] = vectors
        syn1[:, :dim] = out
        return cls(syn0, syn1, dim, epochs, done, per_epoch, seed)


class Word2Vec(EmbeddingModel):
    """word2vec with negative sampling (Mikolov et al. 2013): skip-gram or CBOW, trained in C on
    OpenMP threads without the GIL.

    Parameter names and defaults are gensim's ``Word2Vec``'s, except ``alpha`` for CBOW (see
    below) and ``negative >= 1`` (there is no hierarchical softmax). The kernel and its measured
    choices are described in ``docs/word2vec.md``.

    Parameters
    ----------
    vector_size : int
        Vector dimension.
    window : int
        Maximum distance between the centre word and a context word, within a document.
    min_count : int
        Words seen fewer times are dropped before windows are formed (as word2vec.c and gensim).
    max_vocab : int or None
        Keep only the most frequent words (after ``min_count``).
    sg : {0, 1}
        1 skip-gram, 0 CBOW (gensim's default).
    negative : int
        Negative samples per window (skip-gram: shared by the window's context words, as in
        Ji et al. 2016; CBOW: per centre word).
    ns_exponent : float
        The negatives are drawn from ``count ** ns_exponent`` (any finite value; 0 is uniform).
    sample : float
        Subsampling threshold: a word of frequency f is kept with word2vec.c's probability
        ``(sqrt(f / sample) + 1) * sample / f``. 0 keeps every token.
    alpha : float or None
        Start learning rate; None: 0.025 for skip-gram, 0.05 for CBOW (word2vec.c's defaults; for
        CBOW gensim's 0.025 gives worse vectors: 38.2 % against 41.5 % on real8's analogies).
    min_alpha : float or None
        Final learning rate, reached linearly over every token of every epoch; None: ``alpha *
        1e-4`` (word2vec.c's floor). Must not exceed ``alpha``.
    cbow_mean : {0, 1}
        CBOW: 1 averages the context vectors, 0 sums them.
    epochs : int
        Passes over the corpus. The learning rate decays over all of them; with
        ``fit(..., resume=True)`` a run continues to this many epochs in total.
    shrink_windows : bool
        Each centre word's window reaches a uniform 1..``window`` words (word2vec.c's and
        gensim's default); False: always ``window``.
    no_threads : int
        Training threads: 0 (default) every CPU available, else 1 to 256. Each thread trains its
        own contiguous share of the token stream. Only ``no_threads=1`` with a ``random_state``
        gives the same vectors bit for bit on every run.
    random_state : int, numpy.random.Generator or None
        Seeds the starting vectors, the subsampling, the windows and the negatives. No
        ``PYTHONHASHSEED`` is involved.
    memory : int, str or None
        Memory budget, bytes or a size such as ``"512M"``. The parameters must fit (checked
        before they are allocated); the token stream read from text stays in RAM within half of
        it, beyond that it is memory-mapped from a file in ``tmp_dir``. None: half the memory
        available.
    tmp_dir : str or os.PathLike or None
        Directory of the temporary files (the spilled token stream, the rollback checkpoint of
        large models); nothing is left there. Default: the system's.
    verbose : bool
        Progress bar and log lines (logger ``"glovefast"``, INFO).

    Attributes
    ----------
    word_vectors : ndarray (n_words, vector_size) of float32
        The input vectors (word2vec.c's and gensim's output), in vocabulary order (descending
        count).
    dictionary, inverse_dictionary
        word -> id and id -> word of the vocabulary trained.
    wv : WordVectors
        The vectors with their words: queries, evaluation, file formats.
    word_counts_ : ndarray of int64
        Occurrences of each word in the corpus trained on.
    loss_history_ : list of float
        Per epoch, the mean loss per positive example: ``-log sigmoid(s)`` of the true pair plus
        ``-log sigmoid(-s)`` of each negative, summed in double.
    n_updates_per_epoch_ : int
        Positive examples of the last epoch (skip-gram: context-centre pairs; CBOW: centre words).
    n_tokens_ : int
        In-vocabulary tokens per epoch.
    epochs_trained_, training_seconds_, epoch_seconds_, interrupted_, n_initialized_
        As for :class:`~glovefast.Glove`.
    """

    NPZ_KIND = "glovefast.Word2Vec"
    #: What ``loss_history_`` holds, for the loss plot.
    LOSS_LABEL = r"loss (mean $-\log\sigma(s^+) - \sum \log\sigma(-s^-)$ per example)"
    PARAMS = PARAMS
    DIMENSION = "vector_size"
    SAVED_ARRAYS = {"word_vectors": ArraySpec("f", 2)}
    TRAINING_ARRAYS = {"training_syn1": ArraySpec("f", 2, required=False)}
    TRAINING_META = _TRAINING_META
    STATE = _TrainingState

    def __init__(self, vector_size=100, window=5, min_count=5, max_vocab=None, sg=0, negative=5, ns_exponent=0.75,
                 sample=1e-3, alpha=None, min_alpha=None, cbow_mean=1, epochs=5, shrink_windows=True, no_threads=0,
                 random_state=None, memory=None, tmp_dir=None, verbose=False):
        super().__init__(vector_size=vector_size, window=window, min_count=min_count, max_vocab=max_vocab, sg=sg,
                         negative=negative, ns_exponent=ns_exponent, sample=sample, alpha=alpha, min_alpha=min_alpha,
                         cbow_mean=cbow_mean, epochs=epochs, shrink_windows=shrink_windows, no_threads=no_threads,
                         random_state=random_state, memory=memory, tmp_dir=tmp_dir, verbose=verbose)
        self.word_counts_ = None
        self.n_tokens_ = 0
        self.training_seconds_ = 0.0
        self.epoch_seconds_ = []

    # ------------------------------------------------------------------------ parameters
    def _check_params(self):
        params = super()._check_params()
        if params["alpha"] is None:
            params["alpha"] = DEFAULT_ALPHA[params["sg"]]
        if params["min_alpha"] is None:
            params["min_alpha"] = params["alpha"] * MIN_ALPHA_FRACTION
        if params["min_alpha"] > params["alpha"]:
            raise InvalidParameterError(f"min_alpha ({params['min_alpha']:g}) must not exceed alpha "
                                        f"({params['alpha']:g}): the learning rate decays from alpha to min_alpha")
        params["no_threads"] = check_threads(params["no_threads"])
        params["budget"] = resolve_budget(params["memory"])
        params["directory"] = check_tmp_dir(params["tmp_dir"])
        return params

    # ------------------------------------------------------------------------ training
    def fit(self, corpus, *, init=None, resume=False, callback=None):
        """Train on ``corpus``; returns self.

        Parameters
        ----------
        corpus : path, list of paths, binary file, iterable of token lists, Corpus or TokenStream
            Text as :meth:`Corpus.fit <glovefast.Corpus.fit>` reads it (UTF-8 files, plain or
            compressed, one document per line; a binary stream; documents as lists of str),
            read in C into a token stream with this model's ``min_count`` and ``max_vocab``. Or
            a stream read already: a :class:`~glovefast.Corpus` fitted with
            ``keep_tokens=True`` (one read of the text then serves GloVe and word2vec) or a
            :class:`~glovefast.TokenStream`; its vocabulary is narrowed to this model's
            ``min_count``/``max_vocab`` when they drop words. Unknown-word placeholders (a fixed
            dictionary's ``ignore_missing=True``) are left out, as word2vec drops unknown words.
            Documents never share a window and are never truncated.
        init : WordVectors, EmbeddingModel, str or os.PathLike, optional
            Pretrained vectors to start from: every word of the vocabulary found there (exact
            match) starts from its vector, the others as usual. From a :class:`Word2Vec` with a
            training state, its output vectors are copied too. The dimension must be
            ``vector_size``.
        resume : bool
            Continue the run this model holds (trained here, or loaded from a file saved with
            ``save(path, training_state=True)``) on the same vocabulary, up to ``epochs`` epochs in
            total: the learning rate goes on along the schedule of ``epochs`` epochs and the
            random streams go on from the next epoch, so a run stopped after 5 of 10 epochs and
            resumed ends with the vectors of the 10-epoch run (bit for bit with one thread).
            Raise ``epochs`` to train a finished run further.
        callback : callable, optional
            ``callback(info)`` after each completed epoch, with an
            :class:`~glovefast.models.training.EpochInfo` (``info.updates``: positive examples);
            a true return value stops training there.

        Raises
        ------
        InvalidParameterError
            A hyper-parameter out of range (the message names it).
        EmptyCorpusError
            No tokens, or a vocabulary of fewer than 2 words.
        MemoryBudgetError
            The parameters do not fit in ``memory`` (or in the memory available); raised before
            they are allocated.
        ResumeError, DimensionMismatchError, NoDictionaryError
            See ``resume`` and ``init``.
        KeyboardInterrupt
            Re-raised after Ctrl-C (or SIGTERM under the ``glovefast`` command) with the vectors of
            the last completed epoch and ``interrupted_`` True.
        TrainingDivergedError
            A non-finite loss; the vectors of the epoch before are kept.
        """
        params = self._check_params()
        callback = check_callback(callback)
        if not isinstance(resume, (bool, np.bool_)):
            raise InvalidParameterError(f"resume must be True or False, got {resume!r}")
        if resume and init is not None:
            raise InvalidParameterError("init= starts a new run from pretrained vectors and resume=True continues "
                                        "this model's run; give one of them")
        state = self._resumable_state(params) if resume else None
        rng = check_random_state(self.random_state) if state is None else None
        with verbose_logging(bool(params["verbose"])):
            stream = self._token_stream(corpus, params)
            dictionary = None if stream.words is None else {w: i for i, w in enumerate(stream.words)}
            n, dim = stream.n_words, params["vector_size"]
            plan = _MemoryPlan(n, dim, stream, params)
            if state is not None:
                self._check_same_vocabulary(state, stream, dictionary)
            self.word_counts_ = stream.counts
            self.n_tokens_ = stream.n_tokens
            return self._train(stream, dictionary, params, plan, state, rng, init, callback)

    def _token_stream(self, corpus, params):
        """The stream the kernel trains on: read from text, or taken from a Corpus/TokenStream."""
        t0 = time.perf_counter()
        budget, min_count, max_vocab = params["budget"], params["min_count"], params["max_vocab"]
        ram = budget // STREAM_SHARE
        if isinstance(corpus, TokenStream) or hasattr(corpus, "tokens") and hasattr(corpus, "dictionary"):
            stream = corpus if isinstance(corpus, TokenStream) else corpus.tokens
            if stream is None:
                raise InvalidParameterError("this Corpus kept no token stream: fit it with "
                                            "Corpus().fit(..., keep_tokens=True), or pass the text itself")
            stream = select_vocabulary(stream.without_skips(), min_count, max_vocab, ram, params["tmp_dir"])
            how = "the token stream given"
        else:
            stream = read_token_stream(corpus, min_count=min_count, max_vocab=max_vocab, ram_bytes=ram,
                                       tmp_dir=params["tmp_dir"], no_threads=params["no_threads"],
                                       verbose=params["verbose"])
            how = "read the corpus"
        if stream.n_tokens == 0:
            raise EmptyCorpusError("the corpus contains no tokens of the vocabulary; check the input is not empty")
        if stream.n_words < 2:
            only = "" if stream.words is None else f" ({stream.words[0]!r})"
            raise EmptyCorpusError(f"the vocabulary has a single word{only}: negative sampling needs at least 2 "
                                   "words (a negative must differ from the centre word); lower min_count or train "
                                   "on more text")
        logger.info("%s: %s, %s, %s in %.2fs (%s)", how, plural(stream.n_tokens, "token"),
                    plural(stream.n_words, "word"), plural(stream.n_documents, "document"), time.perf_counter() - t0,
                    "memory-mapped" if isinstance(stream.ids, np.memmap) else "in RAM")
        return stream

    def _resumable_state(self, params):
        state = self._state
        if state is None:
            raise ResumeError("cannot resume: this model holds no training state; fit it first, or load a file "
                              "saved with save(path, training_state=True)")
        if state.dim != params["vector_size"]:
            raise ResumeError(f"cannot resume: the training state has dimension {state.dim} but vector_size is now "
                              f"{params['vector_size']}; resume with vector_size={state.dim}")
        if state.epochs >= params["epochs"]:
            raise ResumeError(f"cannot resume: the run has trained {state.epochs} epochs and epochs={params['epochs']}; "
                              "set epochs higher (set_params(epochs=...)): a run goes on to that many epochs in total")
        return state

    def _check_same_vocabulary(self, state, stream, dictionary):
        if stream.n_words != state.n_words or (dictionary is not None and self.dictionary is not None
                                               and dictionary != self.dictionary):
            raise ResumeError(f"cannot resume: the model was trained on a vocabulary of {state.n_words:,} words and "
                              f"this corpus gives {stream.n_words:,}" + ("" if stream.n_words != state.n_words else
                                                                          " other words or ids")
                              + "; resume on the same corpus with the same min_count and max_vocab")
        if stream.n_tokens != state.tokens_per_epoch:
            logger.warning("resuming on a corpus of %s (the run was trained on %s): training continues on this one",
                           plural(stream.n_tokens, "token"), plural(state.tokens_per_epoch, "token"))

    def _train(self, stream, dictionary, params, plan, state, rng, init, callback):
        dim, epochs = params["vector_size"], params["epochs"]
        n = stream.n_words
        if state is None:
            syn0, syn1 = init_rows(n, dim, int(rng.integers(2**63)))
            n_init = self._start_from(init, dictionary, syn0, syn1, dim) if init is not None else 0
            state = _TrainingState(syn0, syn1, dim, 0, 0, stream.n_tokens, int(rng.integers(2**63)))
            self.loss_history_ = []
            self.n_initialized_ = n_init
        state.tokens_per_epoch = stream.n_tokens
        syn0, syn1 = state.syn0, state.syn1
        tables = Tables(stream.counts, params["sample"], params["ns_exponent"])
        total = stream.n_tokens * epochs
        kernel = dict(sg=bool(params["sg"]), cbow_mean=bool(params["cbow_mean"]), dim=dim, window=params["window"],
                      negative=params["negative"], shrink=params["shrink_windows"], alpha=params["alpha"],
                      min_alpha=params["min_alpha"], total=total, seed=state.seed)
        logger.info("%s %s %d-dimensional vectors of %s, epochs %d to %d of %d on %s (window %d, negative %d, "
                    "sample %g, alpha %g -> %g, kernel %s); %s", "resuming" if state.epochs else "training",
                    "skip-gram" if params["sg"] else "CBOW", dim, plural(n, "word"), state.epochs + 1, epochs,
                    epochs, plural(params["no_threads"], "thread"), params["window"], params["negative"],
                    params["sample"], params["alpha"], params["min_alpha"], _w2v.simd(), plan.describe())
        self._state = state
        self.epochs_trained_ = state.epochs
        self.interrupted_ = False
        self.training_seconds_ = 0.0
        self.epoch_seconds_ = []
        last = {}
        # an epoch of a large corpus takes a while: the words trained show as they go
        words = progress_bar(params["verbose"], total=stream.n_tokens * (epochs - state.epochs), desc="words",
                             unit="word", unit_scale=True, leave=False)
        shown = [0]

        def progress(tokens):
            words.update(tokens - shown[0])
            shown[0] = tokens

        def train_epoch():
            self._live = None  # the rows change from here on: outputs built now would be mid-epoch
            shown[0] = 0
            r = run_epoch(syn0, syn1, stream.ids, tables, n_threads=params["no_threads"], on_progress=progress,
                          done_before=state.tokens_done, epoch=state.epochs, **kernel)
            progress(r["tokens"])
            last.update(r)
            return r["loss"] / max(r["examples"], 1), r["examples"]

        def commit():
            state.epochs += 1
            state.tokens_done += last["tokens"]
            self.n_updates_per_epoch_ = last["examples"]
            self._defer_outputs(lambda: self._set_outputs(syn0, dim, dictionary))

        try:
            run_epochs(self, epochs - state.epochs, train_epoch, Rollback((syn0, syn1), plan.rollback_in_ram,
                                                                          params["directory"]),
                       commit=commit, callback=callback, verbose=params["verbose"],
                       advice=f"Lower alpha (now {params['alpha']:g})")
        finally:
            words.close()
            self._live = None
            self._set_outputs(syn0, dim, dictionary)
        return self

    def _start_from(self, init, dictionary, syn0, syn1, dim):
        """Copy the rows of the words found in ``init`` (see :meth:`fit`); returns how many."""
        if dictionary is None:
            raise NoDictionaryError("init= matches pretrained vectors to words, but the token stream has no words; "
                                    "build it with its words (TokenStream(ids, counts, words))")
        if isinstance(init, (str, os.PathLike)):
            init = load_pretrained(init)
        out_rows = None
        if isinstance(init, EmbeddingModel):
            if init.word_vectors is None:
                raise NotFittedError(f"init= got a {type(init).__name__} without vectors; fit or load it first")
            init._check_queryable()
            words, vectors = init.dictionary, init.word_vectors
            if isinstance(init, Word2Vec) and init._state is not None:
                out_rows = init._state.syn1
        elif isinstance(init, WordVectors):
            words, vectors = init.key_to_index, init.vectors
        else:
            raise InvalidParameterError(f"init must be a WordVectors, a model or a path to vectors, got "
                                        f"{type(init).__name__}")
        if vectors.shape[1] != dim:
            raise DimensionMismatchError(f"the pretrained vectors have dimension {vectors.shape[1]} but the model has "
                                         f"vector_size={dim}; use vector_size={vectors.shape[1]}")
        ours, theirs = match_words(dictionary, words)
        syn0[ours, :dim] = vectors[theirs]
        if out_rows is not None:
            syn1[ours, :dim] = out_rows[theirs, :dim]
        logger.info("initialised %s of %s words from %s pretrained vectors%s; the other %s start random",
                    f"{len(ours):,}", f"{len(dictionary):,}", f"{len(words):,}",
                    " (input and output vectors)" if out_rows is not None else "", f"{len(dictionary) - len(ours):,}")
        if len(ours) == 0:
            logger.warning("no word of the vocabulary is in the pretrained vectors (words match exactly, "
                           "case-sensitively): every vector starts random")
        return len(ours)

    def _set_outputs(self, syn0, dim, dictionary):
        self.word_vectors = None  # the previous fit's vectors go first: old and new never coexist
        self.word_vectors = syn0[:, :dim].copy()  # never a view: the rows train on after resume=True
        self._wv = None
        if dictionary is not None:
            self.add_dictionary(dictionary)

    # ------------------------------------------------------------------------ files
    @classmethod
    def _check_training_shapes(cls, shapes, state, n, d):
        err = super()._check_training_shapes(shapes, state, n, d)
        if err or state is None:
            return err
        if shapes.get("training_syn1") != (n, d):
            return (f"training-state array 'training_syn1' has shape {list(shapes.get('training_syn1', ()))}, but "
                    f"word_vectors {[n, d]} imply {[n, d]}")
        return None



class _MemoryPlan:
    """What a word2vec fit holds in memory (bytes), checked before the parameters are allocated:
    the parameters (syn0 and syn1, padded rows of float32), the trained vectors, the per-word
    tables, the token stream when it is in RAM, and the rollback copy of the parameters (in RAM
    when small, else a checkpoint file)."""

    def __init__(self, n, dim, stream, params):
        self.budget, self.explicit = params["budget"], params["memory"] is not None
        self.parameters = 2 * n * row_width(dim) * 4
        self.vectors = n * dim * 4
        self.tables = n * (4 + _w2v.ALIAS.itemsize + 8)
        self.stream = 0 if isinstance(stream.ids, np.memmap) else stream.ids.nbytes
        least = self.parameters + self.vectors + self.tables
        limit = self.budget if self.explicit else available_memory()
        if limit is not None and least + (self.stream if self.explicit else 0) > limit:
            where = (f"the memory budget ({format_bytes(self.budget)})" if self.explicit
                     else f"the memory available now ({format_bytes(limit)})")
            held = f" beside the {format_bytes(self.stream)} token stream in RAM" if self.explicit and self.stream else ""
            raise MemoryBudgetError(
                f"training {n:,} words x {dim:,} dimensions needs at least {format_bytes(least)}: "
                f"{format_bytes(self.parameters)} for the input and output vectors, {format_bytes(self.vectors)} for "
                f"the trained vectors and {format_bytes(self.tables)} for the sampling tables{held}, more than "
                f"{where}. Lower vector_size or the vocabulary (min_count, max_vocab)"
                + (", or raise memory=" if self.explicit else ", or train on a machine with more memory"))
        self.rollback_in_ram = (self.parameters <= self.budget // ROLLBACK_RAM_SHARE
                                and 2 * self.parameters + self.vectors + self.tables + self.stream <= self.budget)

    def describe(self):
        return (f"memory budget {format_bytes(self.budget)}: parameters {format_bytes(self.parameters)}, token stream "
                f"{format_bytes(self.stream) + ' in RAM' if self.stream else 'memory-mapped'}, rollback "
                f"{'in RAM' if self.rollback_in_ram else 'on disk'}")


__all__ = ["DEFAULT_ALPHA", "MIN_ALPHA_FRACTION", "PARAMS", "Word2Vec"]
