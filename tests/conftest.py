"""Shared test set-up."""
import contextlib
import importlib
import importlib.util
import os
import signal
import sys

import pytest

SOURCE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _import_glovefast():
    """The glovefast under test: the source tree's own when its C core is built in place (``pip
    install -e .``), else the installed one.

    ``python -m pytest`` puts the current directory first on ``sys.path``, so in an unpacked sdist
    (or a clone) whose C core was never built, the source folder hides the glovefast that
    ``pip install .`` built and installed; the tests then stopped at this file with "No module
    named 'glovefast._kernels.core'". The installed package is imported instead (its modules keep
    resolving from there), and the tests run from tests/ so that child processes find it too;
    without one, the session stops with what to run.
    """
    try:
        import glovefast
        return glovefast
    except ModuleNotFoundError as exc:
        if not (exc.name or "").startswith("glovefast._kernels"):
            raise
    for name in [m for m in sys.modules if m == "glovefast" or m.startswith("glovefast.")]:
        del sys.modules[name]
    others = [p for p in sys.path if os.path.abspath(p or os.curdir) != SOURCE_ROOT]
    sys.path[:] = others
    try:
        import glovefast
    except ModuleNotFoundError:
        sys.path.append(SOURCE_ROOT)
        pytest.exit(f"glovefast's C core is not built in {SOURCE_ROOT} and no built glovefast is installed: run "
                    "pip install -e '.[test]' there (it compiles the core in place), then python -m pytest",
                    returncode=4)
    # The source tree goes last (the benchmarks package still comes from it) and the installed
    # package's folder first: processes that inherit this path (Dask's workers) import it too.
    installed = os.path.dirname(os.path.dirname(os.path.abspath(glovefast.__file__)))
    sys.path[:] = [installed] + [p for p in others if os.path.abspath(p or os.curdir) != installed] + [SOURCE_ROOT]
    glovefast.shadowed_source_tree = True
    return glovefast


glovefast = _import_glovefast()


@pytest.fixture(scope="session", autouse=True)
def _children_import_the_tested_glovefast():
    """With an installed glovefast under a source tree that has no C core, the tests run from
    tests/: a ``python -m glovefast`` child puts its working directory first on its path, where
    the unbuilt source would hide the installed package again. (Only once collected: moving
    earlier would make pytest look for its testpaths from there.)"""
    if getattr(glovefast, "shadowed_source_tree", False) and os.path.abspath(os.getcwd()) == SOURCE_ROOT:
        os.chdir(os.path.join(SOURCE_ROOT, "tests"))
        yield
        os.chdir(SOURCE_ROOT)
    else:
        yield


def pytest_report_header(config):
    return f"glovefast {glovefast.__version__} from {os.path.dirname(glovefast.__file__)}"

# Child processes (CLI runs, benchmark runners, Dask workers) must import the same glovefast as
# the tests, whether it is installed or built in place in a source tree.
PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(glovefast.__file__)))
_path = os.environ.get("PYTHONPATH")
if not _path or _path.split(os.pathsep)[0] != PACKAGE_ROOT:
    os.environ["PYTHONPATH"] = os.pathsep.join([PACKAGE_ROOT] + ([_path] if _path else []))


#: The benchmark scripts of this source tree (not installed; they ship in the sdist, not in wheels).
BENCHMARKS = os.path.join(SOURCE_ROOT, "benchmarks")


def benchmark_module(name):
    """``benchmarks.<name>`` from this source tree, imported without putting the tree on sys.path
    (that could shadow an installed glovefast). The caller skips when :data:`BENCHMARKS` is absent."""
    if "benchmarks" not in sys.modules:
        spec = importlib.util.spec_from_file_location("benchmarks", os.path.join(BENCHMARKS, "__init__.py"),
                                                      submodule_search_locations=[BENCHMARKS])
        package = importlib.util.module_from_spec(spec)
        sys.modules["benchmarks"] = package
        spec.loader.exec_module(package)
    return importlib.import_module(f"benchmarks.{name}")


# ---------------------------------------------------------------------------- shared data
# Built once per session and only read by the tests that use them: a test that needs to change a
# corpus or a model builds its own (Glove.fit makes new arrays; nothing here is fitted twice).
import numpy as np  # noqa: E402

#: Two topics of six words each: in topic_docs, words cooccur only with words of their topic.
PETS = ["cat", "dog", "pet", "fur", "paw", "tail"]
CARS = ["car", "road", "wheel", "engine", "drive", "fuel"]


def topic_docs(groups=(PETS, CARS), n_docs=300, seed=0):
    """Documents of 12 words, document k drawn from ``groups[k % len(groups)]`` alone."""
    rng = np.random.default_rng(seed)
    return [list(rng.choice(groups[k % len(groups)], size=12)) for k in range(n_docs)]


@pytest.fixture(scope="session")
def topic_corpus():
    """A Corpus of :func:`topic_docs` (window 5): 12 words whose neighbours are their topic."""
    from glovefast import Corpus

    return Corpus().fit(topic_docs(), window=5)


@pytest.fixture(scope="session")
def topic_model(topic_corpus):
    """A Glove trained on ``topic_corpus`` (8 dimensions, 15 epochs, one thread) with its dictionary."""
    from glovefast import Glove

    return Glove(no_components=8, learning_rate=0.05, random_state=1).fit(
        topic_corpus.matrix, epochs=15, no_threads=1, dictionary=topic_corpus.dictionary)


def write_corpus(path, n_words=40, n_docs=60, length=30, seed=0):
    """A small text corpus at ``path``: ``n_docs`` lines of ``length`` words drawn from w0, w1..."""
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(n_words)]
    path.write_text("\n".join(" ".join(rng.choice(words, size=length)) for _ in range(n_docs)) + "\n")
    return path


@pytest.fixture
def corpus_file(tmp_path):
    """:func:`write_corpus` at tmp_path/c.txt: 40 words, 1,800 tokens."""
    return write_corpus(tmp_path / "c.txt")


class InProcess:
    """``glovefast.cli.main()`` called in this process (no interpreter start-up), returning a
    CompletedProcess with str ``stdout`` and ``stderr``, as a run of the command would."""

    def __init__(self, capsys):
        self.capsys = capsys

    def __call__(self, *args):
        import subprocess

        from glovefast.cli import main

        self.capsys.readouterr()
        code = main([str(a) for a in args])
        captured = self.capsys.readouterr()
        return subprocess.CompletedProcess(args, code, captured.out, captured.err)


@pytest.fixture
def cli(capsys):
    """Run the ``glovefast`` command in process: ``cli("similar", path, "king")``."""
    return InProcess(capsys)


# ---------------------------------------------------------------------------- signals
@contextlib.contextmanager
def python_sigint():
    """Python's own SIGINT handler in this process for the block, however the suite was started.

    A suite started with SIGINT ignored (``cmd &`` from a script, some CI runners) passes the
    ignoring on to every child, where Python then leaves SIGINT ignored too: a test that sends
    SIGINT to a ``glovefast`` child, or to itself, would see nothing happen. While a Python
    handler is installed here, the children get the default disposition (exec resets handlers;
    only "ignore" is inherited), so they turn SIGINT into KeyboardInterrupt as under a user's
    shell. The previous handler is restored after.
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@pytest.fixture
def sigint_delivered():
    """:func:`python_sigint` for a test that sends SIGINT (to a child or to itself)."""
    with python_sigint():
        yield
