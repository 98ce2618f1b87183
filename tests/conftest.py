"""Shared test set-up."""
import importlib
import importlib.util
import os
import sys

import glovefast

# Child processes (CLI runs, benchmark runners, Dask workers) must import the same glovefast as
# the tests, whether it is installed or built in place in a source tree.
PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(glovefast.__file__)))
_path = os.environ.get("PYTHONPATH")
if not _path or _path.split(os.pathsep)[0] != PACKAGE_ROOT:
    os.environ["PYTHONPATH"] = os.pathsep.join([PACKAGE_ROOT] + ([_path] if _path else []))


#: The benchmark scripts of this source tree (not installed; they ship in the sdist, not in wheels).
BENCHMARKS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmarks")


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
import pytest  # noqa: E402

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
