"""The glovefast command, driven as a user drives it: subprocesses, real files, exit codes, stderr.

Most tests run ``python -m glovefast`` and check the files it writes by loading them back and
comparing values with the Python API run on the same input. Argument validation, which needs
no training, is also exercised in-process through ``main()`` to keep the file fast.
"""
import gzip
import json
import os
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import glovefast
from glovefast import Corpus, Glove
from glovefast.cli import main
from glovefast.datasets import builtin_path
from glovefast.vectors.word_vectors import WordVectors

PACKAGE_ROOT = Path(glovefast.__file__).resolve().parent.parent
KJV = builtin_path("kjv")
TRAIN_OPTS = ["--dim", "12", "--window", "4", "--min-count", "2", "--max-vocab", "150", "--x-max", "7.5",
              "--alpha", "0.6", "--learning-rate", "0.03", "--epochs", "4", "--seed", "7", "--threads", "1",
              "--dtype", "float64"]


def _env(**extra):
    env = dict(os.environ)
    # the package under test, wherever pytest runs from (installed or built in place)
    env["PYTHONPATH"] = os.pathsep.join([str(PACKAGE_ROOT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env.pop("TQDM_DISABLE", None)
    env.update(extra)
    return env


def glovefast_cmd(*args):
    return [sys.executable, "-m", "glovefast", *map(str, args)]


def run(*args, cwd=None, stdin=None, env=None, timeout=120):
    """Run the CLI; stdin is bytes or None. Returns CompletedProcess with str stdout/stderr."""
    proc = subprocess.run(glovefast_cmd(*args), input=stdin, capture_output=True, cwd=cwd, env=env or _env(),
                          timeout=timeout)
    proc.stdout = proc.stdout.decode("utf-8")
    proc.stderr = proc.stderr.decode("utf-8")
    return proc


def assert_one_error_line(proc, code=2, *fragments):
    assert proc.returncode == code, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def make_text(n_lines=1500, seed=0):
    """Zipf-distributed words with topical structure: enough cooccurrences to train on, in milliseconds."""
    rng = np.random.default_rng(seed)
    vocab = [f"w{i}" for i in range(400)]
    p = 1.0 / np.arange(1, len(vocab) + 1)
    p /= p.sum()
    lines = []
    for _ in range(n_lines):
        topic = rng.integers(0, 10)
        ids = rng.choice(len(vocab), size=rng.integers(5, 25), p=p)
        ids = np.where(rng.random(ids.size) < 0.3, (ids // 10) * 10 + topic, ids)
        lines.append(" ".join(vocab[i] for i in ids))
    return "\n".join(lines) + "\n"


def api_vectors(path_or_paths, **overrides):
    """What TRAIN_OPTS ask for, computed with the Python API."""
    corpus = Corpus().fit(path_or_paths, window=4, min_count=2, max_vocab=150)
    model = Glove(no_components=12, learning_rate=0.03, alpha=0.6, max_count=7.5, random_state=7, dtype=np.float64)
    model.fit(corpus.matrix, epochs=4, no_threads=1)
    return corpus, model


def read_ranked(stdout):
    rows = [line.split("\t") for line in stdout.strip().splitlines()]
    return [(w, float(s)) for w, s in rows]


# ---------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("cli")


@pytest.fixture(scope="module")
def text_file(workdir):
    path = workdir / "corpus.txt"
    path.write_text(make_text(), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def reference(workdir, text_file):
    """One CLI run with every output: vectors (npz), matrix, model, against the API's result."""
    out = workdir / "ref.npz"
    proc = run("train", text_file, "-o", out, "--save-matrix", workdir / "ref_matrix.npz",
               "--save-model", workdir / "ref_model.npz", *TRAIN_OPTS)
    assert proc.returncode == 0, proc.stderr
    corpus, model = api_vectors(text_file)
    return {"out": out, "matrix": workdir / "ref_matrix.npz", "model": workdir / "ref_model.npz",
            "corpus": corpus, "api_model": model, "stderr": proc.stderr}


@pytest.fixture(scope="module")
def kjv_vectors(workdir):
    """Small real-text vectors for the query commands, with their model."""
    out = workdir / "kjv.txt"
    proc = run("train", KJV, "-o", out, "--dim", "16", "--epochs", "5", "--x-max", "10", "--threads", "1",
               "--seed", "3", "--save-model", workdir / "kjv_model.npz", "--quiet")
    assert proc.returncode == 0, proc.stderr
    return out


# ---------------------------------------------------------------------------- help
def test_help_lists_commands_and_documents_flags_with_defaults():
    top = run("--help")
    assert top.returncode == 0
    for command in ("train", "similar", "analogy", "evaluate", "demo"):
        assert command in top.stdout
    train = main_output(["train", "--help"])
    from glovefast.cli import DEFAULTS as old_name
    from glovefast.defaults import TRAIN_DEFAULTS as DEFAULTS

    assert old_name is DEFAULTS  # benchmark runners and callers import it from glovefast.cli
    for flag in ("--dim", "--window", "--min-count", "--epochs", "--x-max", "--alpha", "--learning-rate", "--max-loss",
                 "--dtype"):
        default = DEFAULTS[flag[2:].replace("-", "_")]
        # the flag's help paragraph states its default
        paragraph = re.search(rf"^\s+{re.escape(flag)}\b.*?(?=^\s+--|\Z)", train, re.S | re.M).group(0)
        assert f"default: {default}" in " ".join(paragraph.split()), paragraph
    for flag in ("--max-vocab", "--threads", "--seed", "--format", "--save-matrix", "--matrix", "--plot",
                 "--quiet", "--save-model"):
        assert flag in train
    assert run("--version").stdout.strip() == f"glovefast {glovefast.__version__}"


def main_output(argv):
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(argv) == 0
    return buf.getvalue()


def test_no_command_prints_help_and_fails(cli):
    proc = cli()
    assert proc.returncode == 2
    assert "train" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.skipif(shutil.which("glovefast") is None, reason="console script not installed")
def test_console_script_is_the_same_command():
    proc = subprocess.run(["glovefast", "--version"], capture_output=True, text=True, env=_env())
    assert proc.returncode == 0 and proc.stdout.strip() == f"glovefast {glovefast.__version__}"


# ---------------------------------------------------------------------------- train: values
def test_train_writes_exactly_what_the_api_computes(reference):
    wv = WordVectors.load(reference["out"])
    corpus, model = reference["corpus"], reference["api_model"]
    assert wv.index_to_key == corpus.inverse_dictionary
    np.testing.assert_array_equal(wv.vectors, model.word_vectors)
    assert wv.vectors.dtype == np.float64
    np.testing.assert_array_equal(wv.counts, corpus.word_counts)


def test_train_saves_the_matrix_and_model(reference):
    saved = Corpus.load(reference["matrix"])
    corpus = reference["corpus"]
    assert saved.dictionary == corpus.dictionary
    np.testing.assert_array_equal(saved.matrix.toarray(), corpus.matrix.toarray())
    assert saved.params["window"] == 4 and saved.params["min_count"] == 2 and saved.params["max_vocab"] == 150
    model = Glove.load(reference["model"])
    np.testing.assert_array_equal(model.word_vectors, reference["api_model"].word_vectors)
    np.testing.assert_array_equal(model.word_biases, reference["api_model"].word_biases)
    assert model.loss_history_ == pytest.approx(reference["api_model"].loss_history_, rel=1e-12)
    assert model.max_count == 7.5 and model.alpha == 0.6 and model.learning_rate == 0.03
    assert len(model.loss_history_) == 4


def test_train_logs_progress_without_bars_when_not_a_tty(reference):
    err = reference["stderr"]
    assert "epoch 4/4: loss" in err and "updates/s" in err
    assert "counted" in err
    assert "\r" not in err  # no tqdm bar on a pipe


@pytest.mark.parametrize("fmt, loader", [
    ("word2vec", WordVectors.load_word2vec_format),
    ("glove", WordVectors.load_glove_format),
])
def test_text_formats_round_trip_exactly(workdir, text_file, reference, fmt, loader):
    out = workdir / f"vectors.{fmt}.txt"
    proc = run("train", text_file, "-o", out, "--format", fmt, *TRAIN_OPTS, "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "" and proc.stdout == ""
    first = out.read_text(encoding="utf-8").splitlines()[0].split()
    assert (len(first) == 2) == (fmt == "word2vec")  # the header line only in word2vec text
    wv = loader(out, dtype=np.float64)
    ref = WordVectors.load(reference["out"])
    assert wv.index_to_key == ref.index_to_key
    np.testing.assert_array_equal(wv.vectors, ref.vectors)  # 17 significant digits round-trip float64


def test_output_suffix_npz_selects_npz_and_gz_compresses_text(cli, workdir, text_file, reference):
    proc = cli("train", text_file, "-o", workdir / "auto.npz", *TRAIN_OPTS, "-q")
    assert proc.returncode == 0, proc.stderr
    np.testing.assert_array_equal(WordVectors.load(workdir / "auto.npz").vectors,
                                  WordVectors.load(reference["out"]).vectors)
    proc = cli("train", text_file, "-o", workdir / "auto.txt.gz", *TRAIN_OPTS, "-q")
    assert proc.returncode == 0, proc.stderr
    with gzip.open(workdir / "auto.txt.gz", "rt", encoding="utf-8") as fh:
        assert fh.readline().split() == [str(len(reference["corpus"].dictionary)), "12"]


def test_gzip_stdin_and_several_files_read_the_same_text(cli, workdir, text_file, reference):
    text = text_file.read_bytes()
    ref = WordVectors.load(reference["out"]).vectors
    gz = workdir / "corpus.gz"  # no .gz-specific name needed: gzip is detected from the content
    gz.write_bytes(gzip.compress(text))
    lines = text.splitlines(keepends=True)
    part1, part2 = workdir / "part1.txt", workdir / "part2.txt"
    part1.write_bytes(b"".join(lines[:700]))
    part2.write_bytes(b"".join(lines[700:]))
    cases = [((gz,), None), (("-",), text), (("-",), gzip.compress(text)), ((part1, part2), None)]
    for inputs, stdin in cases:
        out = workdir / "same.npz"
        if stdin is None:
            proc = cli("train", *inputs, "-o", out, *TRAIN_OPTS, "-q")
        else:
            proc = run("train", *inputs, "-o", out, *TRAIN_OPTS, "-q", stdin=stdin)
        assert proc.returncode == 0, (inputs, proc.stderr)
        np.testing.assert_array_equal(WordVectors.load(out).vectors, ref, err_msg=str(inputs))


def test_train_from_saved_matrix_matches_counting(workdir, reference):
    out = workdir / "from_matrix.npz"
    opts = [o for o in TRAIN_OPTS]
    for flag in ("--window", "--min-count", "--max-vocab"):  # counting options do not apply
        i = opts.index(flag)
        del opts[i:i + 2]
    proc = run("train", "--matrix", reference["matrix"], "-o", out, *opts, "-q")
    assert proc.returncode == 0, proc.stderr
    wv = WordVectors.load(out)
    ref = WordVectors.load(reference["out"])
    assert wv.index_to_key == ref.index_to_key
    np.testing.assert_array_equal(wv.vectors, ref.vectors)


# ---------------------------------------------------------------------------- train: errors
def test_missing_corpus_file_is_one_line(workdir):
    proc = run("train", workdir / "no-such-file.txt", "-o", workdir / "x.txt")
    assert_one_error_line(proc, 2, "no-such-file.txt", "does not exist")
    assert not (workdir / "x.txt").exists()


def test_bad_flag_value_in_a_subprocess(workdir, text_file):
    proc = run("train", text_file, "-o", workdir / "bad.txt", "--window", "0")
    line = assert_one_error_line(proc, 2, "--window")
    assert line.startswith("glovefast train: error:")
    assert not (workdir / "bad.txt").exists()


@pytest.mark.parametrize("args, fragment", [
    (["--window", "0"], "--window: must be an integer between 1 and 255, got 0"),
    (["--window", "256"], "--window"),
    (["--min-count", "0"], "--min-count"),
    (["--max-vocab", "-3"], "--max-vocab"),
    (["--dim", "0"], "--dim"),
    (["--dim", "1.5"], "--dim: expected an integer"),
    (["--epochs", "0"], "--epochs"),
    (["--threads", "-1"], "--threads"),
    (["--x-max", "0"], "--x-max: must be a finite number > 0"),
    (["--x-max", "inf"], "--x-max"),
    (["--alpha", "-1"], "--alpha"),
    (["--alpha", "nan"], "--alpha"),
    (["--learning-rate", "0"], "--learning-rate"),
    (["--learning-rate", "fast"], "--learning-rate: expected a number"),
    (["--seed", "-1"], "--seed"),
    (["--dtype", "float16"], "--dtype"),
    (["--format", "bin"], "invalid choice: 'bin'"),
    (["--dimension", "50"], "unrecognized arguments: --dimension"),
    (["--di", "50"], "unrecognized arguments"),  # no abbreviations: later flags cannot break scripts
])
def test_bad_values_are_one_clear_line(capsys, tmp_path, args, fragment):
    code = main(["train", "corpus.txt", "-o", str(tmp_path / "out.txt"), *args])
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert fragment in err and "glovefast train --help" in err


@pytest.mark.parametrize("make_args, fragment", [
    (lambda d, t: [], "no input"),
    (lambda d, t: [t, "--matrix", t], "not both"),
    (lambda d, t: ["-", t], "standard input"),
    (lambda d, t: ["--matrix", d / "m.npz", "--window", "5"], "--window"),
    (lambda d, t: [t, "-o", d / "missing-dir" / "v.txt"], "does not exist"),
    (lambda d, t: [t, "-o", d], "is a directory"),
    (lambda d, t: [t, "--save-model", d / "v.txt"], "same file"),
    (lambda d, t: [d], "is a directory"),
])
def test_inconsistent_arguments_fail_before_any_work(capsys, tmp_path, make_args, fragment):
    text = tmp_path / "t.txt"
    text.write_text("a b c\n")
    (tmp_path / "m.npz").write_bytes(b"")
    args = [str(a) for a in make_args(tmp_path, text)]
    if "-o" not in args:
        args += ["-o", str(tmp_path / "v.txt")]
    code = main(["train", *args])
    err = capsys.readouterr().err
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("glovefast: error:") and fragment in err
    assert not (tmp_path / "v.txt").exists()


def test_bad_inputs_are_one_line_errors(cli, workdir, text_file):
    empty = workdir / "empty.txt"
    empty.write_text("")
    latin1 = workdir / "latin1.txt"
    latin1.write_bytes("caf\xe9 caf\xe9 caf\xe9 ol\xe9 ol\xe9\n".encode("latin-1") * 3)
    cases = [
        (["train", empty, "-o", workdir / "e.txt"], "no tokens"),
        (["train", latin1, "-o", workdir / "e.txt", "--min-count", "1"], "UTF-8"),
        (["train", "--matrix", text_file, "-o", workdir / "e.txt"], "corpus.txt"),  # text is not a matrix
    ]
    for i, (args, fragment) in enumerate(cases):
        proc = (run if i == 0 else cli)(*args, "-q")
        assert_one_error_line(proc, 2, "glovefast: error:", fragment)
        assert not (workdir / "e.txt").exists()


def test_missing_matplotlib_fails_before_training(workdir, text_file, tmp_path):
    # a matplotlib that cannot be imported, first on the path
    fake = tmp_path / "fake" / "matplotlib"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('No module named matplotlib (hidden by the test)')\n")
    env = _env()
    env["PYTHONPATH"] = os.pathsep.join([str(fake.parent), env["PYTHONPATH"]])
    out = tmp_path / "v.txt"
    proc = run("train", text_file, "-o", out, "--plot", tmp_path / "plots", "--epochs", "1", env=env)
    assert_one_error_line(proc, 2, "matplotlib", "pip install 'glovefast[plot]'")
    assert not out.exists()


def test_plot_writes_three_pngs_of_the_run(workdir, text_file):
    pytest.importorskip("matplotlib")
    plots = workdir / "plots" / "nested"
    proc = run("train", text_file, "-o", workdir / "p.txt", "--plot", plots, "--dim", "8", "--epochs", "3",
               "--min-count", "2", "-q")
    assert proc.returncode == 0, proc.stderr
    assert sorted(os.listdir(plots)) == ["loss.png", "norms.png", "weighting.png"]
    for name in os.listdir(plots):
        assert (plots / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# ---------------------------------------------------------------------------- query commands
@pytest.mark.parametrize("source", ["text", "model", "npz"])
def test_similar_prints_the_api_neighbours(cli, workdir, kjv_vectors, source):
    wv = WordVectors.load_word2vec_format(kjv_vectors)
    path = {"text": kjv_vectors, "model": workdir / "kjv_model.npz"}.get(source)
    if source == "npz":
        path = workdir / "kjv_wv.npz"
        wv.save(path)
    proc = (run if source == "text" else cli)("similar", path, "king", "-n", "4")
    assert proc.returncode == 0, proc.stderr
    got = read_ranked(proc.stdout)
    expected = wv.most_similar("king", topn=4)
    assert [w for w, _ in got] == [w for w, _ in expected]
    assert [s for _, s in got] == pytest.approx([s for _, s in expected], abs=1e-4)
    assert proc.stderr == ""  # query commands only print results by default


def test_query_commands_detect_the_format(cli, workdir, kjv_vectors):
    wv = WordVectors.load_word2vec_format(kjv_vectors)
    expected = [w for w, _ in wv.most_similar("gold", topn=3)]
    files = {"w2v.bin": lambda p: wv.save_word2vec_format(p, binary=True),
             "stanford.txt.gz": wv.save_glove_format,
             "w2v.txt.bz2": wv.save_word2vec_format}
    for name, save in files.items():
        save(workdir / name)
        proc = cli("similar", workdir / name, "gold", "-n", "3")
        assert proc.returncode == 0, (name, proc.stderr)
        assert [w for w, _ in read_ranked(proc.stdout)] == expected, name
    # a wrong explicit --format is an error that says how to fix it
    assert_one_error_line(cli("similar", kjv_vectors, "gold", "--format", "glove"), 2, "leave --format out")
    # --limit keeps the most frequent words only
    proc = cli("similar", kjv_vectors, "gold", "-n", "3", "--limit", "500")
    assert proc.returncode == 0
    assert all(wv.key_to_index[w] < 500 for w, _ in read_ranked(proc.stdout))


def test_analogy_is_b_minus_a_plus_c(kjv_vectors):
    wv = WordVectors.load_word2vec_format(kjv_vectors)
    proc = run("analogy", kjv_vectors, "man", "king", "woman", "-n", "5", "--restrict-vocab", "2000")
    assert proc.returncode == 0, proc.stderr
    got = read_ranked(proc.stdout)
    expected = wv.most_similar(positive=["king", "woman"], negative=["man"], topn=5, restrict_vocab=2000)
    assert [w for w, _ in got] == [w for w, _ in expected]
    assert not {"man", "king", "woman"} & {w for w, _ in got}


def test_unknown_words_are_a_message_not_a_traceback(cli, kjv_vectors):
    proc = run("similar", kjv_vectors, "xyzzy")
    assert_one_error_line(proc, 1, "'xyzzy' is not in the vocabulary")
    assert proc.stdout == ""
    proc = cli("similar", kjv_vectors, "King")
    assert_one_error_line(proc, 1, "did you mean 'king'")
    proc = cli("analogy", kjv_vectors, "man", "plugh", "woman")
    assert_one_error_line(proc, 1, "'plugh'")


def test_query_errors(cli, workdir, kjv_vectors, reference):
    assert_one_error_line(run("similar", workdir / "nope.txt", "king"), 2, "does not exist")
    assert_one_error_line(cli("similar", reference["matrix"], "king"), 2, "--matrix")
    garbage = workdir / "garbage.npz"
    garbage.write_bytes(b"PK\x03\x04 not really a zip")
    assert_one_error_line(cli("similar", garbage, "king"), 2, "glovefast: error:")


def test_evaluate_reports_what_the_api_computes(cli, workdir, kjv_vectors):
    wv = WordVectors.load_word2vec_format(kjv_vectors)
    analogies = workdir / "analogies.txt"
    analogies.write_text(": family\nfather mother son daughter\nking queen man woman\nbrother sister father mother\n"
                         ": oov\nfoo bar baz qux\n")
    pairs = workdir / "pairs.tsv"
    pairs.write_text("king\tprince\t8.0\ngold\tsilver\t9.0\nsword\tbread\t1.0\nwater\triver\t7.5\n"
                     "mother\txyzzy\t5.0\n")
    proc = run("evaluate", kjv_vectors, "--analogies", analogies, "--pairs", pairs, "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    score, sections = wv.evaluate_word_analogies(analogies)
    a = report["analogies"]
    assert a["accuracy"] == pytest.approx(score)
    assert a["answered"] == len(sections[-1]["correct"]) + len(sections[-1]["incorrect"]) == 3
    assert a["questions"] == 4
    assert a["sections"]["oov"] == {"correct": 0, "answered": 0}
    assert a["split"]["semantic"]["answered"] == 3 and a["split"]["syntactic"]["sections"] == 0
    pearson, spearman, oov = wv.evaluate_word_pairs(pairs)
    (p,) = report["pairs"]
    assert p["spearman"] == pytest.approx(spearman[0]) and p["pearson"] == pytest.approx(pearson[0])
    assert p["oov_percent"] == pytest.approx(20.0)
    # --restrict-vocab applies to the pairs as well: cut off the rarest word of the file
    rarest = max(wv.key_to_index[w] for w in "king prince gold silver sword bread water river".split())
    proc = run("evaluate", kjv_vectors, "--analogies", analogies, "--pairs", pairs, "--json",
               "--restrict-vocab", str(rarest))
    assert proc.returncode == 0, proc.stderr
    (p,) = json.loads(proc.stdout)["pairs"]
    pearson, spearman, oov = wv.evaluate_word_pairs(pairs, restrict_vocab=rarest)
    assert p["oov_percent"] == pytest.approx(oov) == pytest.approx(40.0)
    assert p["spearman"] == pytest.approx(spearman[0])

    text = run("evaluate", kjv_vectors)  # built-in sets by default
    assert text.returncode == 0, text.stderr
    assert "analogies (questions-words.txt): accuracy" in text.stdout
    assert re.search(r"^  semantic \(5 sections\) +\d+\.\d\d%", text.stdout, re.M)
    assert re.search(r"^  syntactic \(9 sections\) +\d+\.\d\d%", text.stdout, re.M)
    assert "word pairs (wordsim353.tsv): Spearman" in text.stdout

    none = workdir / "none.txt"
    none.write_text(": x\nfoo bar baz qux\n")
    proc = cli("evaluate", kjv_vectors, "--analogies", none)
    assert proc.returncode == 0 and "n/a" in proc.stdout
    assert_one_error_line(cli("evaluate", kjv_vectors, "--pairs", workdir / "nope.tsv"), 2, "nope.tsv")


# ---------------------------------------------------------------------------- demo
def test_demo_trains_offline_and_prints_neighbours():
    proc = run("demo", "--epochs", "5", "--dim", "20", "--words", "king", "nosuchword", "-n", "3")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert re.search(r"counted [\d,]+ tokens", out)
    assert re.search(r"trained 20-dimensional vectors for 5 epochs .* in [\d.]+ s", out)
    king = next(line for line in out.splitlines() if line.strip().startswith("king "))
    assert len(re.findall(r"\w+ -?\d\.\d\d", king)) == 3
    assert "nosuchword" in out and "not in the vocabulary" in out


def test_demo_command_and_function_share_their_defaults():
    import inspect

    from glovefast.cli import build_parser
    from glovefast.defaults import DEMO_DEFAULTS
    from glovefast.demo import run_demo

    args = build_parser().parse_args(["demo"])
    signature = inspect.signature(run_demo).parameters
    for name in ("seed", "topn"):
        assert getattr(args, name) == signature[name].default == DEMO_DEFAULTS[name], name
    for name in ("dim", "epochs"):  # None in both: the model's own (DEMO_DEFAULTS, WORD2VEC_DEMO_DEFAULTS)
        assert getattr(args, name) is None and signature[name].default is None, name
    assert args.model == signature["model"].default == "glove"


# ---------------------------------------------------------------------------- feedback
@pytest.mark.skipif(os.name != "posix", reason="needs a pseudo-terminal")
def test_progress_bars_on_a_terminal_only(workdir, text_file):
    """With stderr a terminal, tqdm bars show counting (bytes) and training (loss, updates/s)."""
    import fcntl
    import pty
    import termios

    master, slave = pty.openpty()
    # a new pty is 0 columns wide, and tqdm draws nothing in 0 columns; real terminals have a size
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
    chunks = []
    proc = subprocess.Popen(glovefast_cmd("train", text_file, "-o", workdir / "tty.txt", "--dim", "8", "--epochs",
                                          "3", "--min-count", "2"),
                            stdout=subprocess.DEVNULL, stderr=slave, env=_env())
    os.close(slave)

    def drain():  # a pty's buffer is small: read while the process writes
        while True:
            try:
                ready, _, _ = select.select([master], [], [], 0.1)
                if ready:
                    data = os.read(master, 65536)
                    if not data:
                        break
                    chunks.append(data)
                elif proc.poll() is not None:
                    break
            except OSError:  # EIO once the child closed the terminal
                break

    reader = threading.Thread(target=drain)
    reader.start()
    assert proc.wait(timeout=120) == 0
    reader.join(timeout=10)
    os.close(master)
    err = b"".join(chunks).decode("utf-8", "replace")
    assert "counting" in err and "B/s" in err
    assert "training" in err and "loss=" in err and "updates_per_s=" in err
    assert "\r" in err
    assert "counted" in err and "done in" in err  # log lines still show, above the bars
    assert "epoch 3/3: loss" not in err  # but not the per-epoch lines the training bar shows live

    quiet = run("train", text_file, "-o", workdir / "quiet.txt", "--dim", "8", "--epochs", "1", "--min-count", "2",
                "--quiet")
    assert quiet.returncode == 0 and quiet.stderr == ""


def _wait_for(stream, pattern, timeout):
    """Read lines from ``stream`` until one matches; returns (match, lines read)."""
    lines = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = stream.readline()
        if not line:
            break
        lines.append(line)
        m = re.search(pattern, line)
        if m:
            return m, lines
    raise AssertionError(f"no line matching {pattern!r} within {timeout}s:\n{''.join(lines)}")


posix_signals = pytest.mark.skipif(os.name != "posix", reason="sends SIGINT")


@posix_signals
@pytest.mark.usefixtures("sigint_delivered")
def test_ctrl_c_keeps_the_last_completed_epoch(tmp_path):
    out, model_path = tmp_path / "vectors.txt", tmp_path / "model.npz"
    proc = subprocess.Popen(
        glovefast_cmd("train", KJV, "-o", out, "--save-model", model_path, "--epochs", "1000", "--dim", "30",
                      "--x-max", "10"),
        stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=_env(),
    )
    try:
        _wait_for(proc.stderr, r"epoch 1/1000: loss", timeout=60)
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        rest = proc.stderr.read()
        code = proc.wait(timeout=30)
        elapsed = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == 130, rest
    m = re.search(r"glovefast: interrupted after epoch (\d+) of 1000; saved the vectors of epoch \1 to (\S+)", rest)
    assert m, rest
    epochs_done = int(m.group(1))
    assert m.group(2) == str(out)
    assert 1 <= epochs_done < 1000
    # writing ~1 MB of text and the model is included; the stop itself takes well under a second
    assert elapsed < 10, elapsed
    assert "Traceback" not in rest
    wv = WordVectors.load_word2vec_format(out)
    assert np.isfinite(wv.vectors).all() and len(wv) > 1000
    model = Glove.load(model_path)
    assert len(model.loss_history_) == epochs_done  # the file holds exactly the epoch the message names
    np.testing.assert_allclose(wv.vectors, model.word_vectors, rtol=1e-6)
    assert sorted(os.listdir(tmp_path)) == ["model.npz", "vectors.txt"]  # no temporary files left


@posix_signals
@pytest.mark.usefixtures("sigint_delivered")
def test_ctrl_c_while_counting_writes_nothing(tmp_path):
    out = tmp_path / "vectors.txt"
    proc = subprocess.Popen(glovefast_cmd("train", "-", "-o", out), stdin=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdout=subprocess.PIPE, env=_env())
    try:
        proc.stdin.write(b"the quick brown fox jumps over the lazy dog\n" * 1000)
        proc.stdin.flush()
        _wait_for(proc.stderr, rb"counting standard input", timeout=60)
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        # In a shell pipeline Ctrl-C also stops the writer, which closes the pipe.
        proc.stdin.close()
        code = proc.wait(timeout=30)
        rest = proc.stderr.read().decode()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == 130, rest
    assert "interrupted while counting; nothing written" in rest
    assert "Traceback" not in rest
    assert os.listdir(tmp_path) == []
