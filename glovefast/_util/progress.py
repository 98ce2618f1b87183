"""Feedback to the user of ``verbose=True``: progress bars on a terminal, log lines elsewhere.

* Bars (tqdm) are drawn only where they render: a terminal, or a Jupyter kernel (tqdm.auto
  draws a widget there). Into a pipe or a log file they would write one frame per update.
* The log lines (logger ``"glovefast"``, INFO: a summary of counting, one line per epoch of
  training) must reach the user who asked for ``verbose=True`` even if the application
  configured no logging, where Python would drop INFO records. :func:`reports_progress` then
  adds a stderr handler to the ``glovefast`` logger for the duration of the call. If logging is
  configured (any handler on ``glovefast`` or its ancestors), glovefast leaves it alone: the
  application decides what is shown.
* Where a bar is drawn, training logs no per-epoch line: the bar shows the same figures live
  (see :func:`glovefast.models.training.run_epochs`).
"""
import contextlib
import functools
import inspect
import logging
import sys

from tqdm import tqdm as plain_tqdm


class _NoBar:
    def update(self, n=1):
        pass

    def set_postfix(self, *args, **kwargs):
        pass

    def close(self):
        pass


def bars_render():
    """True where tqdm bars display properly: stderr is a terminal, or we run in a Jupyter kernel."""
    stream = sys.stderr
    if stream is not None and hasattr(stream, "isatty") and stream.isatty():
        return True
    return "ipykernel" in sys.modules


def progress_bar(enabled, **kwargs):
    """A tqdm bar when ``enabled`` and bars render here (written to stderr), else an object with the same methods."""
    if not enabled or not bars_render():
        return _NoBar()
    # here, not at the top: tqdm.auto probes for Jupyter and imports asyncio (20-80 ms), which
    # `import glovefast` and every command that draws no bar would pay for
    from tqdm.auto import tqdm

    return tqdm(**kwargs)


def plural(n, noun, plural_form=None):
    """``"1 epoch"``, ``"2 epochs"``, ``"1,000 words"``."""
    return f"{n:,} {noun if n == 1 else (plural_form or noun + 's')}"


class _VerboseHandler(logging.StreamHandler):
    """stderr, through tqdm.write while bars are drawn so a line does not tear a bar."""

    def __init__(self, bars):
        super().__init__(sys.stderr)
        self.bars = bars
        self.setFormatter(logging.Formatter("%(asctime)s glovefast: %(message)s", datefmt="%H:%M:%S"))

    def emit(self, record):
        if not self.bars:
            super().emit(record)
            return
        try:
            plain_tqdm.write(self.format(record), file=self.stream)
        except Exception:  # noqa: BLE001 -- logging must never raise into the caller
            self.handleError(record)


@contextlib.contextmanager
def verbose_logging(verbose):
    """While a ``verbose=True`` call runs, make glovefast's INFO lines reach stderr if logging is unconfigured."""
    root = logging.getLogger("glovefast")
    if not verbose or root.hasHandlers():
        yield
        return
    handler = _VerboseHandler(bars=bars_render())
    saved_level = root.level
    root.addHandler(handler)
    if root.getEffectiveLevel() > logging.INFO:
        root.setLevel(logging.INFO)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(saved_level)


def reports_progress(method):
    """Decorate a method with a ``verbose`` parameter so its log lines reach the user (see :func:`verbose_logging`)."""
    signature = inspect.signature(method)
    default = signature.parameters["verbose"].default

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        verbose = kwargs["verbose"] if "verbose" in kwargs else signature.bind(*args, **kwargs).arguments.get(
            "verbose", default)
        with verbose_logging(bool(verbose)):
            return method(*args, **kwargs)

    return wrapper
