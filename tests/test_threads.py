"""Thread counts (issue 11, item 1; issue 12's default): every entry point checks them, none crashes.

Unchecked counts used to reach OpenMP: 100,000 threads segfaulted, 50,000 aborted in libgomp and
2**31 was a raw OverflowError. Anything that could still crash runs in a subprocess, so a crash
fails the test instead of killing pytest.
"""
import inspect
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

import glovefast
from glovefast import Corpus, Glove
from glovefast._util.validation import MAX_THREADS, available_cpus, check_threads
from glovefast.cli import main
from glovefast.datasets import builtin_path
from glovefast.demo import run_demo
from glovefast.errors import InvalidParameterError

PACKAGE_ROOT = Path(glovefast.__file__).resolve().parent.parent
KJV = builtin_path("kjv")
BAD = [100000, 50000, 2**31, MAX_THREADS + 1, -1, "abc", 2.5, True]
DOCS = [["a", "b", "c", "a", "b"], ["b", "c", "a"]]


def _python(code, timeout=120):
    env_path = str(PACKAGE_ROOT)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=timeout, cwd=env_path, env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin"})


@pytest.mark.parametrize("value", BAD)
def test_glove_fit_rejects_bad_thread_counts(value):
    with pytest.raises(InvalidParameterError, match="no_threads"):
        Glove(no_components=4).fit(sp.coo_matrix(np.ones((5, 5))), epochs=1, no_threads=value)


@pytest.mark.parametrize("value", BAD)
def test_corpus_fit_rejects_bad_thread_counts(value):
    with pytest.raises(InvalidParameterError, match="no_threads"):
        Corpus().fit(DOCS, window=2, no_threads=value)


@pytest.mark.parametrize("value", BAD)
def test_run_demo_rejects_bad_thread_counts(value):
    with pytest.raises(InvalidParameterError, match="threads"):
        run_demo(threads=value, epochs=1)


def test_the_ceiling_message_says_what_to_do():
    with pytest.raises(InvalidParameterError) as info:
        check_threads(100000)
    message = str(info.value)
    assert str(MAX_THREADS) in message and "0 for all" in message


@pytest.mark.parametrize("value", [0, None])
def test_zero_and_none_mean_every_cpu(value):
    assert check_threads(value) == min(available_cpus(), MAX_THREADS)
    model = Glove(no_components=4, random_state=0).fit(sp.coo_matrix(np.ones((5, 5))), epochs=2, no_threads=value)
    assert len(model.loss_history_) == 2
    corpus = Corpus().fit(DOCS, window=2, no_threads=value)
    assert corpus.matrix.nnz > 0


def test_the_library_defaults_to_every_cpu():
    # issue 12: the CLI used all cores while Corpus.fit / Glove.fit defaulted to 2
    assert inspect.signature(Glove.fit).parameters["no_threads"].default == 0
    assert inspect.signature(Corpus.fit).parameters["no_threads"].default == 0
    assert inspect.signature(run_demo).parameters["threads"].default is None


def test_the_ceiling_itself_trains():
    model = Glove(no_components=4, random_state=0).fit(sp.coo_matrix(np.ones((5, 5))), epochs=1,
                                                       no_threads=MAX_THREADS)
    assert np.isfinite(model.word_vectors).all()


def test_the_core_clamps_counts_it_is_handed_directly():
    # The Python layer validates, but no path may give OpenMP an unchecked count.
    proc = _python("""
        import numpy as np
        from glovefast._kernels.cooc import Cooccurrence
        from glovefast._kernels.glove import build_triples, train_blocks
        from glovefast._kernels.vocab import TokenCounter
        rows = np.array([0, 0, 1], dtype=np.int32); cols = np.array([0, 1, 1], dtype=np.int32)
        counts = np.array([1.0, 2.0, 3.0])
        for nt in (100000, 50000, -5, 0):
            t = build_triples(rows, cols, counts, True, 10.0, 0.75, 1, False, nt)
            W = np.full((2, 24), 0.1, dtype=np.float32); W[:, 8:16] = 1; W[:, 17] = 1
            C = W.copy()
            order = np.arange(1, dtype=np.int64)
            loss = train_blocks(W, C, t.view(np.uint8), order, 0, 1, 16384, len(t), 8, 0.05, 10.0, nt)
            assert np.isfinite(loss)
            c = TokenCounter()
            c.feed_ids(np.array([0, 1, 0, 1, -1], dtype=np.int32))
            c.remap(np.arange(2, dtype=np.int32))
            cooc = Cooccurrence(2, 2, True, True, nt, 1 << 16, 1024)
            cooc.count_ids(c.ids(), 0)
            r, co, d = cooc.emit_coo(cooc.finish())
            assert len(r) == 3
            from glovefast._kernels import textio as _textio
            parsed = _textio.parse_block(b"a 1 2\\nb 3 4\\n" * 50000, 2, np.float32, 10**6, nt, 1)
            assert parsed[0].shape == (100000, 2)
        print("ok")
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"


@pytest.mark.parametrize("command", ["train", "demo"])
@pytest.mark.parametrize("value", ["100000", "50000", str(2**31), "-1", "abc", "257"])
def test_cli_threads_is_a_one_line_usage_error(command, value, tmp_path, capsys):
    args = ["train", str(KJV), "-o", str(tmp_path / "o.txt")] if command == "train" else ["demo"]
    assert main(args + ["--threads", value]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "--threads" in err
    if value.lstrip("-").isdigit():
        assert str(MAX_THREADS) in err and "0 for all CPUs" in err
    assert not (tmp_path / "o.txt").exists()


def test_cli_threads_zero_means_every_cpu(tmp_path):
    out = tmp_path / "o.txt"
    proc = subprocess.run([sys.executable, "-m", "glovefast", "train", str(KJV), "-o", str(out), "--threads", "0",
                           "--epochs", "1", "--dim", "4", "--max-vocab", "50"],
                          capture_output=True, text=True, timeout=120, cwd=str(PACKAGE_ROOT))
    assert proc.returncode == 0, proc.stderr
    assert f"on {min(available_cpus(), MAX_THREADS)} thread" in proc.stderr
    assert out.read_text().startswith("50 4\n")


@pytest.mark.parametrize("value", BAD)
def test_text_vector_loading_rejects_bad_thread_counts(tmp_path, value):
    from glovefast import WordVectors

    path = tmp_path / "v.txt"
    path.write_text("2 2\na 1 2\nb 3 4\n")
    with pytest.raises(InvalidParameterError, match="no_threads"):
        WordVectors.load_word2vec_format(path, no_threads=value)
