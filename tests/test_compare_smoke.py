"""Fast tests of the peer-comparison plumbing (benchmarks/compare.py, peer_runs.py, peer_report.py
and benchmarks/peers/).

No peer package, no training and no ../shared data are needed: the table and JSON are
rendered from fake results, child processes are tiny ``python -c`` scripts, and the
numpy cooccurrence counter of the PyTorch runner is checked against glovefast's on a
generated corpus.
"""
import gzip
import importlib.util
import json
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import benchmark_module

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"
if not (BENCH / "compare.py").is_file():  # e.g. tests copied next to an installed wheel
    pytest.skip(f"the benchmark scripts are not in {BENCH} (they ship in the source tree and the sdist)",
                allow_module_level=True)


def _import(name):
    """``benchmarks.<name>`` from this source tree (conftest.benchmark_module)."""
    return benchmark_module(name)


@pytest.fixture(scope="module")
def compare():
    """The command line."""
    return _import("compare")


@pytest.fixture(scope="module")
def runs():
    """Running the peers: systems, corpus, child processes, scores."""
    return _import("peer_runs")


@pytest.fixture(scope="module")
def report():
    """The markdown table, results.json and plots."""
    return _import("peer_report")


@pytest.fixture(scope="module")
def child_env():
    """Environment in which a child imports this glovefast and the benchmarks package."""
    return _import("_measure").child_env()


@pytest.fixture(scope="module")
def peers():
    return _import("peers._common"), _import("peers.torch_glove_run")


def _fake_results():
    settings = {"dim": 50, "window": 15, "epochs": 15, "min_count": 5, "x_max": 10.0, "learning_rate": 0.05,
                "alpha": 0.75, "w2v_window": 10, "w2v_epochs": 5, "threads": 2, "max_tokens": 0,
                "torch_batch_size": 32768, "seed": 0, "systems": [], "restrict_vocab": 30000}
    ok = {"name": "glovefast", "label": "glovefast", "status": "ok", "reason": "", "wall_seconds": 123.4,
          "peak_rss_mb": 812.0, "wait4_maxrss_mb": 900.0, "exit_code": 0,
          "stats": {"stages": {"count": 20.5, "train": 95.25}, "throughput": 14.2e6,
                    "throughput_unit": "updates/s", "losses": [0.09, 0.05, 0.04]},
          "scores": {"analogy": 0.274, "ws353": 0.48, "simlex": float("nan")}, "eval_seconds": 3.0, "command": []}
    two_stage = {"name": "glove_python", "label": "glove_python (bicleaner-ai-glove)", "status": "ok", "reason": "",
                 "wall_seconds": 900.0, "peak_rss_mb": 2048.0, "exit_code": 0,
                 "stats": {"stages": {"vocab": 12.0, "count": 139.0, "train": 700.0}, "throughput": 1.33e6,
                           "throughput_unit": "updates/s"},
                 "scores": {"analogy": 0.11, "ws353": 0.31, "simlex": 0.2}, "eval_seconds": 3.0, "command": []}
    skipped = {"name": "torch", "label": "PyTorch GloVe", "status": "skipped",
               "reason": "not installed: pip install .[bench]", "stats": {}, "scores": {}}
    failed = {"name": "gensim_sg", "label": "gensim Word2Vec skip-gram", "status": "failed",
              "reason": "ValueError: a|b", "wall_seconds": 1.0, "peak_rss_mb": 50.0, "exit_code": 1,
              "stats": {}, "scores": {}}
    return {
        "machine": {"cpu": "Test CPU", "cores": 2, "cores_usable": 2, "memory_gib": 24.0, "platform": "Linux",
                    "python": "3.11.7", "packages": {"glovefast": "0.1.0", "gensim": None},
                    "date": "2026-01-01T00:00:00+00:00"},
        "settings": settings,
        "corpus": {"source": "/data/real8.txt.gz", "path": "/tmp/x", "tokens": 29060788, "lines": 502191,
                   "bytes": 1, "max_tokens": 0},
        "eval_sets": {"analogy": "q.txt", "ws353": "w.tsv", "simlex": None},
        "systems": [ok, two_stage, skipped, failed],
    }


def test_markdown_table_has_every_row(report):
    md = report.format_markdown(_fake_results())
    table = [line for line in md.splitlines() if line.startswith("|")]
    assert len(table) == 2 + 4  # header, separator, one row per system (none dropped)
    n_cells = [len(re.findall(r"(?<!\\)\|", line)) for line in table]
    assert set(n_cells) == {11}  # 10 columns in every row: escaped pipes do not split cells
    gf, gp, torch_row, sg = table[2:]
    assert "| 20.5 | 95.2 | 123.4 | 14.20M updates/s | 812 | 27.4 | 0.480 | – | ok |" in gf
    assert "151.0 (vocab 12.0 + count 139.0)" in gp and "1.33M updates/s" in gp
    assert "skipped (not installed: pip install .[bench])" in torch_row
    assert "failed: ValueError: a\\|b" in sg
    assert "29,060,788 tokens" in md and "Test CPU" in md and "glovefast 0.1.0" in md
    assert "gensim None" not in md


def test_outputs_written_and_json_is_strict(report, tmp_path):
    results = _fake_results()
    md = report.write_outputs(results, tmp_path)
    data = json.loads((tmp_path / "results.json").read_text())  # NaN became null
    assert data["systems"][0]["scores"]["simlex"] is None
    assert (tmp_path / "results.md").read_text() == md
    if importlib.util.find_spec("matplotlib") is not None:
        assert (tmp_path / "accuracy_vs_time.png").stat().st_size > 1000
        assert (tmp_path / "glovefast_loss.png").stat().st_size > 1000
        assert "![accuracy_vs_time](accuracy_vs_time.png)" in md


def test_prepare_corpus_slices_gzip(runs, tmp_path):
    src = tmp_path / "c.txt.gz"
    with gzip.open(src, "wt", encoding="utf-8") as fh:
        fh.write("a b c\n\n  d   e f g\nh i\n")
    path, info = runs.prepare_corpus(src, tmp_path, max_tokens=5)
    assert path.read_text() == "a b c\nd e\n"
    assert (info["tokens"], info["lines"]) == (5, 2)
    plain = tmp_path / "p.txt"
    plain.write_text("x y\nz\n")
    path, info = runs.prepare_corpus(plain, tmp_path)
    assert path == plain and info["tokens"] == 3
    with pytest.raises(ValueError):
        runs.prepare_corpus(plain, tmp_path, max_tokens=-1)


def test_run_child_measures_its_own_rss_and_reports_errors(runs, tmp_path):
    log = tmp_path / "ok.log"
    code, wall, rss, timed_out = runs.run_child(
        [sys.executable, "-c", "b = bytearray(600 * 2**20); b[::4096] = b'x' * len(b[::4096])"], log)
    assert (code, timed_out) == (0, False) and wall > 0
    # 600 MiB: larger than the test process itself, whose high-water mark a child's ru_maxrss
    # inherits across fork/exec on Linux
    assert rss >= 600
    log = tmp_path / "bad.log"
    code, _, rss2, _ = runs.run_child([sys.executable, "-c", "raise ValueError('boom')"], log)
    assert code == 1 and rss2 < rss  # not the maximum over all children, unlike RUSAGE_CHILDREN
    assert runs.last_line(log) == "ValueError: boom"
    code, _, _, timed_out = runs.run_child([sys.executable, "-c", "import time; time.sleep(30)"],
                                              tmp_path / "slow.log", timeout=0.2)
    assert timed_out and code != 0


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="VmHWM is Linux-only")
def test_child_reports_its_own_peak_rss_not_the_parents(runs, child_env, tmp_path):
    """wait4's ru_maxrss starts from the parent's size; the runners' VmHWM does not."""
    parent = bytearray(400 * 2**20)
    parent[::4096] = b"x" * len(parent[::4096])  # make this (parent) process at least 400 MiB
    script = ("from benchmarks.peers import _common; "
              "b = bytearray(50 * 2**20); b[::4096] = b'x' * len(b[::4096]); "
              "print(_common.peak_rss()[0])")
    log = tmp_path / "rss.log"
    code, _, wait4_mb, _ = runs.run_child([sys.executable, "-c", script], log, env=child_env)
    del parent
    own_mb = float(log.read_text().split()[-1])
    assert code == 0
    assert 50 <= own_mb < 300  # interpreter + numpy + the 50 MiB buffer
    assert wait4_mb >= 400  # the inherited high-water mark this measurement avoids


def test_missing_peer_is_skipped_not_dropped(runs, tmp_path):
    ghost = runs.System("ghost", "Ghost", "ghost_run", ("no_such_module_glovefast_test",))
    res = runs.run_system(ghost, None, tmp_path / "c.txt", tmp_path, tmp_path, {}, {})
    assert res.status == "skipped" and res.reason == "not installed: pip install .[bench]"


def test_parse_systems(compare):
    assert compare.parse_systems("torch, glovefast,torch") == ["torch", "glovefast"]
    with pytest.raises(Exception, match="unknown system"):
        compare.parse_systems("glovefast,word2vec")


def test_child_commands_use_each_models_settings(compare, runs, tmp_path):
    args = compare.build_parser().parse_args(["--corpus", "c.txt"])
    cmd = runs.child_command(runs.SYSTEMS["gensim_cbow"], args, tmp_path, tmp_path / "v", tmp_path / "s")
    assert cmd[cmd.index("--window") + 1] == "10" and cmd[cmd.index("--epochs") + 1] == "5"
    assert "--x-max" not in cmd and cmd[-2:] == ["--sg", "0"]
    cmd = runs.child_command(runs.SYSTEMS["glovefast"], args, tmp_path, tmp_path / "v", tmp_path / "s")
    assert cmd[cmd.index("--window") + 1] == "15" and cmd[cmd.index("--x-max") + 1] == "10.0"


def test_frequency_vocabulary_order(peers):
    common, _ = peers
    counts = common.count_words([["b", "a", "c", "b"], ["a", "b", "d"]])
    assert common.frequency_vocabulary(counts, 1) == ["b", "a", "c", "d"]
    assert common.frequency_vocabulary(counts, 2) == ["b", "a"]


def test_saved_vectors_round_trip_without_pickle(peers, tmp_path):
    common, _ = peers
    common.save_vectors(str(tmp_path / "v.npz"), ["é", "b"], np.ones((2, 3), dtype=np.float32))
    with np.load(tmp_path / "v.npz", allow_pickle=False) as data:
        assert list(data["words"]) == ["é", "b"] and data["vectors"].shape == (2, 3)
    with pytest.raises(ValueError):
        common.save_vectors(str(tmp_path / "w.npz"), ["a"], np.full((1, 3), np.nan))


def test_numpy_counter_matches_glovefast(peers, tmp_path):
    """The PyTorch runner's own counter and glovefast's count the same matrix."""
    glovefast = pytest.importorskip("glovefast")
    _, torch_run = peers
    rng = np.random.default_rng(0)
    vocab = [f"w{i}" for i in range(60)]
    p = 1.0 / np.arange(1, 61)
    lines = [" ".join(rng.choice(vocab, size=rng.integers(1, 40), p=p / p.sum())) for _ in range(200)]
    path = tmp_path / "zipf.txt"
    path.write_text("\n".join(lines) + "\n")
    import logging

    words, mine = torch_run.numpy_cooccurrence(str(path), 3, 4, {}, logging.getLogger("t"), chunk_tokens=97)
    corpus = glovefast.Corpus().fit(str(path), window=4, min_count=3, no_threads=1)
    assert {w: i for i, w in enumerate(words)} == corpus.dictionary
    theirs = corpus.matrix.tocsr()
    assert mine.shape == theirs.shape and mine.nnz == theirs.nnz
    assert abs(mine - theirs).max() < 1e-4 * max(1.0, mine.max())


def test_evaluation_path_reads_child_vectors(runs, peers, tmp_path):
    """The parent's single evaluation path accepts what every runner writes."""
    pytest.importorskip("glovefast.vectors.evaluation")
    common, _ = peers
    words = ["king", "queen", "man", "woman", "tiger"]
    common.save_vectors(str(tmp_path / "v.npz"), words, np.random.default_rng(0).normal(size=(5, 8)))
    scores = runs.evaluate_vectors(tmp_path / "v.npz", {"analogy": None, "ws353": None, "simlex": None})
    assert scores["vocab_size"] == 5 and math.isnan(scores["ws353"]) and math.isnan(scores["analogy"])


def test_own_defaults_row_runs_glovefast_train_defaults(compare, runs, report, child_env, tmp_path):
    """The 'own defaults' row really trains with `glovefast train`'s defaults, and says so."""
    pytest.importorskip("glovefast")
    from glovefast.defaults import TRAIN_DEFAULTS

    rng = np.random.default_rng(1)
    vocab = [f"w{i}" for i in range(40)]
    (tmp_path / "c.txt").write_text("\n".join(" ".join(rng.choice(vocab, size=30)) for _ in range(60)) + "\n")
    args = compare.build_parser().parse_args(["--corpus", "c.txt", "--dim", "7", "--epochs", "2"])
    system = runs.SYSTEMS["glovefast_defaults"]
    cmd = runs.child_command(system, args, tmp_path / "c.txt", tmp_path / "v.npz", tmp_path / "s.json")
    assert cmd[-1] == "--own-defaults"
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=child_env)
    assert proc.returncode == 0, proc.stderr
    stats = json.loads((tmp_path / "s.json").read_text())
    params = stats["params"]
    assert params["own_defaults"] is True
    assert all(params[k] == TRAIN_DEFAULTS[k] for k in ("dim", "window", "epochs", "min_count", "alpha"))
    assert len(stats["losses"]) == TRAIN_DEFAULTS["epochs"]
    with np.load(tmp_path / "v.npz", allow_pickle=False) as data:
        assert data["vectors"].shape[1] == TRAIN_DEFAULTS["dim"]
    results = {"machine": {"cpu": "x", "cores": 2, "python": "3", "date": "d"}, "settings": vars(args) | {"w2v_window": 10,
               "w2v_epochs": 5}, "corpus": {"source": "c.txt", "tokens": 1800, "lines": 60},
               "systems": [{"name": system.name, "label": system.label, "status": "ok", "stats": stats, "scores": {}}]}
    assert f"d={TRAIN_DEFAULTS['dim']}, window {TRAIN_DEFAULTS['window']}" in report.format_markdown(results)
