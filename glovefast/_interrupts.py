"""Ctrl-C and SIGTERM as exceptions that wait for short critical sections.

A signal handler that raises (Python's default for SIGINT, the ``glovefast`` command's for
SIGTERM) can fire between any two bytecodes, for instance after ``mkstemp`` created a
temporary file but before the code that would remove it is in place, or in the middle of that
removal. Code that must not be cut there runs in :func:`critical`; the ``glovefast`` command's
handlers call :func:`deliver`, which raises at once outside critical sections and otherwise
when the outermost one ends. Handlers only ever run in the main thread, so only the main
thread's critical sections defer them.

Without the command's handlers (library use with Python's default SIGINT handler), nothing is
deferred and cleanup stays best-effort.
"""
import contextlib
import threading

_depth = 0
_pending = None


def deliver(exc_type):
    """From a signal handler: raise ``exc_type()`` now, or after the current critical section."""
    global _pending
    if _depth > 0:
        _pending = exc_type
        return
    raise exc_type()


@contextlib.contextmanager
def critical():
    """Defer :func:`deliver`-ed signals until the block ends (then raise them, unless the block
    is already raising: its exception wins, and the command that caught it is ending anyway)."""
    global _depth, _pending
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _depth += 1
    try:
        yield
    except BaseException:
        _depth -= 1
        if _depth == 0:
            _pending = None
        raise
    _depth -= 1
    if _depth == 0 and _pending is not None:
        exc_type, _pending = _pending, None
        raise exc_type()
