"""Ctrl-C and SIGTERM as exceptions that wait for short critical sections.

A signal handler that raises (Python's default for SIGINT, the ``glovefast`` command's for
SIGTERM) can fire between any two bytecodes, for instance after ``mkstemp`` created a
temporary file but before the code that would remove it is in place, or in the middle of that
removal. Code that must not be cut there runs in :func:`critical`; the handlers that
:func:`signals_as_interrupts` installs (the ``glovefast`` command runs every command in it) call
:func:`deliver`, which raises at once outside critical sections and otherwise when the outermost
one ends. Handlers only ever run in the main thread, so only the main thread's critical sections
defer them.

Library use (Python's default SIGINT handler, no SIGTERM handler) gets the same for Ctrl-C:
while the outermost critical section runs in the main thread, a SIGINT handler that defers is
swapped in for Python's default one, and the KeyboardInterrupt is raised when the section ends.
SIGTERM keeps whatever the application decided (by default it ends the process at once).
"""
import contextlib
import signal
import threading

_depth = 0
_pending = None
_grace = None  # a _Grace while the outputs of finished work are written (see finishing())


def deliver(exc_type):
    """From a signal handler: raise ``exc_type()`` now, or after the current critical section;
    inside :func:`finishing`, only from the second signal on."""
    global _pending
    if _grace is not None and _grace.signal is None:
        _grace.signal = exc_type
        _grace.announce(exc_type)
        return
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
    # counted first, so a signal from here on is deferred or leaves through the finally below (a
    # Ctrl-C raised between swapping the handler in and entering the block left it swapped in)
    _depth += 1
    swapped = False
    try:
        try:
            if _depth == 1 and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
                signal.signal(signal.SIGINT, _on_sigint)
                swapped = True
            yield
        finally:
            _depth -= 1
            if swapped:
                signal.signal(signal.SIGINT, signal.default_int_handler)
    except BaseException:
        if _depth == 0:
            _pending = None
        raise
    if _depth == 0 and _pending is not None:
        exc_type, _pending = _pending, None
        raise exc_type()


class _Grace:
    def __init__(self, announce):
        self.announce = announce
        self.signal = None


@contextlib.contextmanager
def finishing(announce):
    """A block that completes finished work (the ``glovefast`` command writing its outputs after
    the last epoch): the first SIGINT or SIGTERM delivered through these handlers does not stop it.
    ``announce(exc_type)`` is called at once from the handler (write with ``os.write``: it may run
    in the middle of another write to the same stream); the yielded object's ``signal`` is then
    that exception type, for the caller to act on once the block is done. A second signal raises
    as anywhere else (after the current critical section)."""
    global _grace
    grace = _Grace(announce)
    _grace = grace
    try:
        yield grace
    finally:
        _grace = None


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C would be, so every path that keeps work and removes temporary
    files on Ctrl-C does the same on ``kill`` or a job scheduler's time limit."""


def _on_sigterm(signum, frame):
    deliver(Terminated)


def _on_sigint(signum, frame):
    deliver(KeyboardInterrupt)


@contextlib.contextmanager
def signals_as_interrupts():
    """Raise SIGTERM as :class:`Terminated` and SIGINT as KeyboardInterrupt, through :func:`deliver`.

    Both then wait for the few lines that create or remove a temporary file. The previous
    handlers are restored after. A SIGINT handler the caller set is left alone. Only the main
    thread may set handlers: elsewhere the block runs with the defaults.
    """
    try:
        previous = {signal.SIGTERM: signal.signal(signal.SIGTERM, _on_sigterm)}
    except ValueError:
        yield
        return
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # not if the caller set its own
        previous[signal.SIGINT] = signal.signal(signal.SIGINT, _on_sigint)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


class Worker(threading.Thread):
    """A daemon thread running ``target(*args)`` whose end is recorded in :attr:`finished`.

    Wait for workers with :func:`wait_for_workers` (or on ``finished``), never with
    ``Thread.join``: a join that a signal interrupts makes CPython release the thread's state
    lock and mark the thread stopped while it still runs (``_wait_for_tstate_lock``), so
    ``is_alive()`` is then False and the caller would free or remove what the thread still uses.
    A Worker that a signal kept from starting has ``started`` False and is not waited for.
    """

    def __init__(self, target, args=(), name=None):
        super().__init__(name=name, daemon=True)
        self._work, self._work_args = target, args
        self.finished = threading.Event()
        self.started = False

    def start(self):
        """Start the thread; :attr:`started` is True once it was. A signal raised before the
        thread exists (e.g. while this call begins) leaves it False: :func:`wait_for_workers`
        then does not wait for a ``finished`` that would never come. Started inside a critical
        section, so that a deferred signal cannot come between the start and the record of it."""
        with critical():
            super().start()
            self.started = True

    def run(self):
        try:
            self._work(*self._work_args)
        finally:
            self.finished.set()


def wait_for_workers(workers, on_interrupt=None):
    """Wait until every started :class:`Worker` has returned, even when Ctrl-C or SIGTERM arrive
    meanwhile: the first interrupt calls ``on_interrupt()`` (e.g. to tell the workers to stop
    early), later ones wait until the end. Returns that interrupt, for the caller to re-raise
    once it has cleaned up, or None. Workers that never started (a signal came before their
    thread existed) are skipped: their ``finished`` would never be set."""
    workers = list(workers)
    try:
        for worker in workers:
            if worker.started:
                worker.finished.wait()
        return None
    except BaseException as exc:  # noqa: B902 - Ctrl-C, SIGTERM: the workers still run
        if on_interrupt is not None:
            on_interrupt()
        try:
            with critical():  # signals now wait for the workers
                for worker in workers:
                    if worker.started:
                        worker.finished.wait()
        except BaseException:  # noqa: B902 - a second signal, raised when they returned: the first is reported
            pass
        return exc
