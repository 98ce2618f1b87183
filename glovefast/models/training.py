"""The epoch loop a model trains with, and what its ``fit(..., callback=...)`` callback receives.

A model hands :func:`run_epochs` one epoch of training (a function that updates its parameter
arrays in place and returns the epoch's mean loss) and the arrays it updates; the loop does what
every model needs around that, the same way for each (GloVe today, word2vec on the same token
stream later):

* the rollback: the parameters of the last completed epoch are kept (see
  :class:`~glovefast.models.rollback.Rollback`) and put back when an epoch diverges (a non-finite loss or
  parameter: :class:`~glovefast.errors.TrainingDivergedError`), is interrupted (Ctrl-C) or fails
  in any other way, so the parameters always match ``loss_history_``;
* the learned state common to every model: ``loss_history_``, ``epoch_seconds_``,
  ``training_seconds_``, ``epochs_trained_`` and ``interrupted_``;
* feedback: with ``verbose=True`` a progress bar where bars render, else one log line per epoch
  (logger ``glovefast.models.training``, INFO);
* the user's callback, after each completed epoch, with an :class:`EpochInfo`; a true return
  value stops training there.
"""
import dataclasses
import logging
import math
import time

from glovefast._kernels.platform import all_finite
from glovefast._util.progress import bars_render, progress_bar
from glovefast.errors import InvalidParameterError, TrainingDivergedError

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class EpochInfo:
    """What a ``fit(..., callback=...)`` callback receives after each completed epoch.

    Attributes
    ----------
    epoch : int
        The epoch just completed, counted from 1 in this ``fit`` call (with ``resume=True``,
        ``model.epochs_trained_`` counts the earlier ones too).
    epochs : int
        The epochs this ``fit`` call was asked to run.
    loss : float
        The epoch's mean loss per update, the value just appended to ``model.loss_history_``.
    seconds : float
        Wall time of the epoch.
    updates : int
        Updates made in the epoch (for GloVe, ``model.n_updates_per_epoch_``).
    model : object
        The model being trained, in the state ``fit`` would leave it if it ended now: its
        vectors, ``loss_history_``, ``epochs_trained_`` and training state are those of this
        epoch, so the callback can query, evaluate or save it (``model.save(path,
        training_state=True)`` makes a checkpoint to resume from).
    """

    epoch: int
    epochs: int
    loss: float
    seconds: float
    updates: int
    model: object = dataclasses.field(repr=False)

    @property
    def updates_per_second(self):
        """``updates / seconds`` (inf for an epoch too short to time)."""
        return self.updates / self.seconds if self.seconds > 0 else float("inf")

    def __str__(self):
        return (f"epoch {self.epoch}/{self.epochs}: loss {self.loss:.6f}, {self.seconds:.2f}s, "
                f"{self.updates_per_second / 1e6:.2f}M updates/s")


def check_callback(callback):
    """``callback`` if it is None or callable, else InvalidParameterError (checked before any work)."""
    if callback is not None and not callable(callback):
        raise InvalidParameterError(f"callback must be a function called as callback(info) after each epoch, or "
                                    f"None; got {type(callback).__name__}")
    return callback


def _all_finite(arrays):
    return all(all_finite(a) for a in arrays)


def run_epochs(model, epochs, train_epoch, rollback, *, commit=None, callback=None, verbose=False,
               advice=""):
    """Train ``model`` for up to ``epochs`` epochs; returns the number completed.

    Parameters
    ----------
    model : object
        Gets the learned state every model shares: ``loss_history_`` and ``epoch_seconds_``
        (lists, appended to), ``training_seconds_`` and ``epochs_trained_`` (added to) and
        ``interrupted_`` (set).
    epochs : int
    train_epoch : callable
        ``train_epoch() -> (loss, updates)``: one epoch, updating ``rollback.arrays`` in place;
        ``loss`` is the mean loss per update (NaN or inf when training diverged).
    rollback : glovefast.models.rollback.Rollback
        Over the parameters (C-contiguous 2-D float arrays) ``train_epoch`` updates; closed here.
    commit : callable, optional
        ``commit()``, called once an epoch is known to be finite, before the shared state is
        updated: records what else the model needs to continue from this epoch (e.g. its random
        state).
    callback : callable, optional
        ``callback(EpochInfo)`` after each completed epoch; a true return value stops training.
    verbose : bool
        Progress bar where bars render, else a log line per epoch.
    advice : str
        Appended to the divergence error: what to change (e.g. a lower learning rate).

    Raises
    ------
    TrainingDivergedError
        An epoch gave a non-finite loss or parameter; the parameters are those of the epoch before.
    KeyboardInterrupt, or whatever ``train_epoch`` or ``callback`` raise
        Re-raised with the parameters of the last completed epoch (after ``interrupted_ = True``
        for KeyboardInterrupt). A callback's exception comes after its epoch completed, so that
        epoch is kept.
    """
    bar = progress_bar(verbose, total=epochs, desc="training", unit="epoch")
    lines = verbose and not bars_render()  # where a bar is drawn, it shows the same figures live
    done = 0
    try:
        for epoch in range(1, epochs + 1):
            rollback.save()
            started = time.perf_counter()
            loss, updates = train_epoch()
            seconds = time.perf_counter() - started
            if not (math.isfinite(loss) and _all_finite(rollback.arrays)):
                raise TrainingDivergedError(
                    f"training diverged in epoch {epoch} (the loss became {loss}); the model keeps the vectors of "
                    f"epoch {epoch - 1}" + (f". {advice}" if advice else "")
                )
            if commit is not None:
                commit()
            model.loss_history_.append(float(loss))
            model.epoch_seconds_.append(seconds)
            model.training_seconds_ += seconds
            model.epochs_trained_ += 1
            rollback.forget()  # the arrays are now the state to keep
            done = epoch
            info = EpochInfo(epoch, epochs, float(loss), seconds, int(updates), model)
            bar.set_postfix(loss=f"{info.loss:.4f}", updates_per_s=f"{info.updates_per_second / 1e6:.2f}M")
            bar.update(1)
            if lines:
                logger.info("%s", info)
            if callback is not None and callback(info):
                logger.info("stopped by the callback after epoch %d of %d", epoch, epochs)
                break
    except BaseException as exc:
        rollback.restore()  # nothing to undo when the exception came after a completed epoch
        if isinstance(exc, KeyboardInterrupt):
            model.interrupted_ = True
            logger.warning("training interrupted: keeping the vectors of the last completed epoch (%d of %d)",
                           done, epochs)
        raise
    finally:
        bar.close()
        rollback.close()
    return done


__all__ = ["EpochInfo", "check_callback", "run_epochs"]
