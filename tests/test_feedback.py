"""Feedback (issue 12): bars only on a terminal, per-epoch lines elsewhere that reach the user,
-v meaning the same in every command, help texts, plurals, and the demo's thread caveat."""
import fcntl
import io
import logging
import os
import pty
import struct
import subprocess
import sys
import termios
import textwrap
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

import glovefast
from glovefast import Glove
from glovefast._util.progress import plural
from glovefast.cli import main
from glovefast.datasets import builtin_path
from glovefast.demo import run_demo

PACKAGE_ROOT = Path(glovefast.__file__).resolve().parent.parent
KJV = builtin_path("kjv")

FIT = """
import numpy as np, scipy.sparse as sp
from glovefast import Corpus, Glove
corpus = Corpus().fit([["a", "b", "c", "a", "b", "d"]] * 20, window=2, verbose=True)
Glove(no_components=4, random_state=0).fit(corpus.matrix, epochs=3, no_threads=1, verbose=True)
"""


def _run_python(code, stderr_tty=False):
    env = dict(os.environ, PYTHONPATH=str(PACKAGE_ROOT))
    env.pop("TQDM_DISABLE", None)
    if not stderr_tty:
        proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                              env=env, timeout=120)
        assert proc.returncode == 0, proc.stderr
        return proc.stderr
    controller, terminal = pty.openpty()
    # a real terminal has a size; tqdm draws nothing 0 columns wide
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], stdout=subprocess.PIPE, stderr=terminal,
                            env=env)
    os.close(terminal)
    chunks = []
    while True:
        try:
            data = os.read(controller, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=120)
    os.close(controller)
    assert proc.returncode == 0
    return b"".join(chunks).decode("utf-8", "replace")


def test_verbose_into_a_pipe_logs_one_line_per_epoch_and_no_bars():
    err = _run_python(FIT)
    assert "glovefast: counted 120 tokens, 4 words" in err
    for epoch in (1, 2, 3):
        assert f"epoch {epoch}/3: loss" in err
    assert "\r" not in err and "|" not in err  # no tqdm frames in a log file


def test_verbose_on_a_terminal_draws_bars_and_keeps_the_summary():
    err = _run_python(FIT, stderr_tty=True)
    assert "training:" in err and "\r" in err  # the bar
    assert "counted 120 tokens" in err
    assert "epoch 1/3: loss" not in err  # the bar shows it live


def test_not_verbose_is_silent():
    assert _run_python(FIT.replace("verbose=True", "verbose=False")) == ""


def test_configured_logging_decides():
    """An application that configured logging keeps control: nothing added, nothing printed twice."""
    warning_only = "import logging; logging.basicConfig(level=logging.WARNING)\n" + FIT
    assert "epoch 1/3" not in _run_python(warning_only)
    info = "import logging; logging.basicConfig(level=logging.INFO, format='APP %(message)s')\n" + FIT
    err = _run_python(info)
    assert err.count("epoch 1/3: loss") == 1 and "APP epoch 1/3" in err


def test_the_handler_and_level_are_restored():
    logger = logging.getLogger("glovefast")
    before = (list(logger.handlers), logger.level)
    Glove(no_components=2, random_state=0).fit(sp.coo_matrix(np.ones((3, 3))), epochs=1, no_threads=1,
                                                verbose=True)
    assert (list(logger.handlers), logger.level) == before


def test_positional_verbose_is_seen():
    err = _run_python("""
        import numpy as np, scipy.sparse as sp
        from glovefast import Glove
        Glove(no_components=2, random_state=0).fit(sp.coo_matrix(np.ones((3, 3))), 2, 1, True)
    """)
    assert "epoch 2/2" in err


# ---------------------------------------------------------------------------- the command line
@pytest.fixture(scope="module")
def vectors_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("v") / "v.txt"
    rng = np.random.default_rng(0)
    from glovefast import WordVectors

    WordVectors(["king", "queen", "man", "woman"], rng.normal(size=(4, 3))).save_word2vec_format(path)
    return path


@pytest.mark.parametrize("flags, info, debug", [([], False, False), (["-v"], True, False), (["-vv"], True, True),
                                                (["-q", "-v"], False, False)])
def test_v_means_info_and_vv_debug_in_query_commands(vectors_file, capsys, flags, info, debug):
    assert main(["similar", str(vectors_file), "king", *flags]) == 0
    err = capsys.readouterr().err
    assert ("loaded 4 vectors of dimension 3" in err) == info
    assert ("detected format" in err) == debug


@pytest.mark.parametrize("flags, debug", [([], False), (["-v"], False), (["-vv"], True)])
def test_v_means_the_same_in_train(tmp_path, capsys, flags, debug):
    corpus = tmp_path / "c.txt"
    corpus.write_text("a b c a b d\n" * 20)
    assert main(["train", str(corpus), "-o", str(tmp_path / "o.txt"), "--epochs", "1", "--dim", "2", "--threads", "1",
                 "--min-count", "1", *flags]) == 0
    err = capsys.readouterr().err
    assert "training 2-dimensional vectors for 4 words, 1 epoch on 1 thread" in err  # INFO, and singulars
    assert ("OpenMP" in err) == debug  # the build line, DEBUG


def test_every_command_documents_v_the_same_way(capsys):
    for command in ("train", "similar", "analogy", "evaluate", "convert", "demo"):
        with pytest.raises(SystemExit):
            _help(command)
        text = " ".join(capsys.readouterr().out.split())
        assert "-v informational (INFO), -vv also debugging (DEBUG)" in text


def _help(command):
    from glovefast.cli import build_parser

    build_parser().parse_args([command, "--help"])


def test_analogy_arguments_have_help(capsys):
    with pytest.raises(SystemExit):
        _help("analogy")
    text = " ".join(capsys.readouterr().out.split())
    assert "A a word of the example pair (e.g. man)" in text
    assert "B its counterpart in the example pair (e.g. king)" in text
    assert "C the word whose counterpart is sought" in text


def test_plural():
    assert plural(1, "epoch") == "1 epoch"
    assert plural(0, "epoch") == "0 epochs"
    assert plural(12345, "word") == "12,345 words"
    assert plural(2, "entry", "entries") == "2 entries"


# ---------------------------------------------------------------------------- the demo
def test_demo_says_threads_race_and_one_thread_is_reproducible():
    out = io.StringIO()
    run_demo(epochs=1, dim=8, threads=2, seed=3, file=out)
    text = out.getvalue()
    assert "on 2 threads the updates race" in text and "--threads 1 gives the same output" in text
    assert "for 1 epoch on 2 threads" in text
    runs = []
    for _ in range(2):
        out = io.StringIO()
        result = run_demo(epochs=2, dim=8, threads=1, seed=3, file=out)
        runs.append(result.neighbours)
        assert "race" not in out.getvalue() and "on 1 thread " in out.getvalue()
    assert runs[0] == runs[1]
