"""Diagnostic plots of a trained model: loss curve, weighting function, vector norms.

matplotlib is an optional dependency (``pip install glovefast[plot]``); it is imported only
when a plot is made, so ``import glovefast.plotting`` always works.

Each ``plot_*`` function draws on the Axes it is given and returns it. Without ``ax`` it
creates a new pyplot figure, so the plot shows up in a notebook as usual.
:func:`save_plots` (used by ``glovefast train --plot DIR``) does not touch pyplot at all: it
renders off-screen figures straight to PNG files, so it works without a display and leaves
no figures open.

Example
-------
>>> from glovefast import Corpus, Glove
>>> from glovefast.plotting import plot_loss
>>> corpus = Corpus().fit([["a", "b", "c", "a", "b"]] * 20, window=2)
>>> model = Glove(no_components=4, random_state=0).fit(corpus.matrix, epochs=5)
>>> ax = plot_loss(model.loss_history_)  # doctest: +SKIP
"""
import logging
import os
from pathlib import Path

import numpy as np

from glovefast._util.atomic import atomic_write
from glovefast.errors import InvalidParameterError

logger = logging.getLogger(__name__)

#: What ``pip install`` needs to make plotting available.
INSTALL_HINT = "pip install 'glovefast[plot]'"

#: File names written by :func:`save_plots`, by plot name.
PLOT_FILES = {"loss": "loss.png", "weighting": "weighting.png", "norms": "norms.png"}

_FIGSIZE = (6.4, 4.0)
_DPI = 120


def require_matplotlib():
    """Import matplotlib, or raise an ImportError that says how to install it.

    Returns
    -------
    module
        The ``matplotlib`` package.

    Raises
    ------
    ImportError
        matplotlib is not installed; the message names ``pip install 'glovefast[plot]'``.
    """
    try:  # optional dependency (glovefast[plot]); every matplotlib import here follows this check
        import matplotlib
    except ImportError as exc:
        raise ImportError(f"plotting needs matplotlib, which is not installed ({exc}); install it with: "
                          f"{INSTALL_HINT}") from None
    return matplotlib


def _new_axes(ax):
    """``ax`` itself, or the axes of a new pyplot figure (so notebooks display it)."""
    if ax is not None:
        return ax
    require_matplotlib()
    import matplotlib.pyplot as plt  # optional dependency, checked by require_matplotlib

    _, ax = plt.subplots(figsize=_FIGSIZE)
    return ax


def _finish(ax):
    # constrained layout is a figure property: set it here so axes from plt.subplots() get it too.
    fig = ax.figure
    if hasattr(fig, "set_layout_engine"):  # matplotlib >= 3.6
        if fig.get_layout_engine() is None:
            fig.set_layout_engine("constrained")
    return ax


def plot_loss(losses, ax=None, ylabel=None):
    """Plot the training loss per epoch (``Glove.loss_history_``, ``Word2Vec.loss_history_``).

    Parameters
    ----------
    losses : sequence of float
        One value per epoch, as in ``model.loss_history_``.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure by default.
    ylabel : str, optional
        What the loss is (default: GloVe's).

    Returns
    -------
    matplotlib.axes.Axes
        The line's x data are the epochs ``1..n``, its y data the losses.

    Raises
    ------
    InvalidParameterError
        ``losses`` is empty (the model was never trained) or holds non-finite values.
    """
    y = np.asarray(losses, dtype=np.float64).ravel()
    if y.size == 0:
        raise InvalidParameterError("there is no loss to plot: the model has not completed an epoch")
    if not np.isfinite(y).all():
        raise InvalidParameterError("the loss history holds NaN or inf values")
    ax = _new_axes(ax)
    x = np.arange(1, y.size + 1)
    ax.plot(x, y, marker="o" if y.size <= 30 else None, markersize=3, color="C0")
    # GloVe's loss drops by orders of magnitude in the first epochs; a log scale keeps the
    # later, slower progress visible.
    if (y > 0).all() and y.max() / y.min() > 10:
        ax.set_yscale("log")
    from matplotlib.ticker import MaxNLocator  # optional dependency, checked by require_matplotlib

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel or r"loss (mean $\frac{1}{2} f(x)\,\mathrm{error}^2$ per update)")
    ax.set_title(f"Training loss ({y.size} epochs, final {y[-1]:.4g})")
    ax.grid(True, alpha=0.3)
    return _finish(ax)


def weighting(x, x_max, alpha):
    """GloVe's weighting function ``f(x) = min(1, (x / x_max) ** alpha)``.

    Parameters
    ----------
    x : array_like
        Cooccurrence counts (>= 0).
    x_max, alpha : float
        ``Glove(max_count=..., alpha=...)``.

    Returns
    -------
    numpy.ndarray
    """
    x = np.asarray(x, dtype=np.float64)
    return np.minimum(1.0, (x / float(x_max)) ** float(alpha))


def plot_weighting(x_max, alpha, ax=None):
    """Plot the weighting function f(x) on [0, 2 x_max], with x_max marked.

    Parameters
    ----------
    x_max : float
        The count from which a pair gets full weight (``Glove(max_count=...)``, ``--x-max``).
    alpha : float
        Exponent (``Glove(alpha=...)``, ``--alpha``).
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        ``ax.lines[0]`` holds the curve; x_max is marked by a vertical line.

    Raises
    ------
    InvalidParameterError
        ``x_max <= 0`` or ``alpha < 0``.
    """
    if not (np.isfinite(x_max) and x_max > 0):
        raise InvalidParameterError(f"x_max must be a positive number, got {x_max!r}")
    if not (np.isfinite(alpha) and alpha >= 0):
        raise InvalidParameterError(f"alpha must be a non-negative number, got {alpha!r}")
    ax = _new_axes(ax)
    x = np.linspace(0.0, 2.0 * x_max, 401)
    ax.plot(x, weighting(x, x_max, alpha), color="C0", label=f"alpha = {alpha:g}")
    ax.axvline(x_max, color="C3", linestyle="--", linewidth=1, label=f"x_max = {x_max:g}")
    ax.set_xlim(0, 2.0 * x_max)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("cooccurrence count x")
    ax.set_ylabel("weight f(x)")
    ax.set_title(r"Weighting function $f(x) = \min(1, (x / x_{max})^{\alpha})$")
    ax.legend(loc="lower right")
    ax.grid(True, alpha=0.3)
    return _finish(ax)


def _as_matrix(vectors):
    """The vector matrix of an array, a WordVectors (``.vectors``) or a Glove model (``.word_vectors``)."""
    for attr in ("word_vectors", "vectors"):
        if not isinstance(vectors, np.ndarray) and hasattr(vectors, attr):
            vectors = getattr(vectors, attr)
            break
    if vectors is None:
        raise InvalidParameterError("there are no vectors to plot: the model has not been trained")
    matrix = np.asarray(vectors, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[0] == 0:
        raise InvalidParameterError(f"vectors must be a non-empty 2-D array, got shape {matrix.shape}")
    return matrix


def plot_norms(vectors, ax=None, bins=50):
    """Histogram of the L2 norms of the word vectors, with the median marked.

    Frequent words tend to get longer vectors; a long tail or a spike at zero points at
    training problems.

    Parameters
    ----------
    vectors : array_like (n_words, dim), WordVectors or Glove
    ax : matplotlib.axes.Axes, optional
    bins : int, optional

    Returns
    -------
    matplotlib.axes.Axes
        The bars' heights count the words per norm bin.
    """
    matrix = _as_matrix(vectors)
    norms = np.linalg.norm(matrix, axis=1)
    if not np.isfinite(norms).all():
        raise InvalidParameterError("the vectors hold NaN or inf values")
    ax = _new_axes(ax)
    ax.hist(norms, bins=bins, color="C0", alpha=0.85)
    median = float(np.median(norms))
    ax.axvline(median, color="C3", linestyle="--", linewidth=1, label=f"median = {median:.3g}")
    ax.set_xlabel("L2 norm of the word vector")
    ax.set_ylabel("words")
    ax.set_title(f"Vector norms ({norms.size} words, {matrix.shape[1]} dimensions)")
    ax.legend(loc="upper right")
    return _finish(ax)


def save_plots(model, directory):
    """Write the loss curve, weighting function and norm histogram of ``model`` as PNG files.

    Parameters
    ----------
    model : Glove or Word2Vec
        A trained model (uses ``loss_history_``, ``word_vectors``, and a Glove's ``max_count`` and
        ``alpha``: a model without a weighting function gets no weighting plot).
    directory : str or os.PathLike
        Created if missing. Files are named as in :data:`PLOT_FILES` and written atomically.

    Returns
    -------
    dict of str to pathlib.Path
        Plot name -> file written. The loss curve is skipped (with a warning) if the model
        has no loss history, e.g. a model trained for 0 epochs.

    Raises
    ------
    ImportError
        matplotlib is missing.
    """
    require_matplotlib()
    from matplotlib.figure import Figure  # optional dependency, checked by require_matplotlib


    directory = Path(os.fspath(directory))
    directory.mkdir(parents=True, exist_ok=True)
    drawers = {
        "loss": lambda ax: plot_loss(model.loss_history_, ax=ax, ylabel=getattr(model, "LOSS_LABEL", None)),
        "weighting": lambda ax: plot_weighting(float(model.max_count), float(model.alpha), ax=ax),
        "norms": lambda ax: plot_norms(model.word_vectors, ax=ax),
    }
    written = {}
    for name, draw in drawers.items():
        if name == "weighting" and not hasattr(model, "max_count"):
            continue  # word2vec weighs no pairs
        if name == "loss" and not len(model.loss_history_):
            logger.warning("no loss history (no completed epoch): %s not written", PLOT_FILES[name])
            continue
        # A bare Figure is not registered with pyplot: nothing to close, no GUI backend needed.
        fig = Figure(figsize=_FIGSIZE, dpi=_DPI)
        draw(fig.add_subplot())
        path = directory / PLOT_FILES[name]
        with atomic_write(path, "wb") as fh:
            fig.savefig(fh, format="png")
        written[name] = path
        logger.info("wrote %s", path)
    return written


__all__ = ["INSTALL_HINT", "PLOT_FILES", "plot_loss", "plot_norms", "plot_weighting", "require_matplotlib",
           "save_plots", "weighting"]
