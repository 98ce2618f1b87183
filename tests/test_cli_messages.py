"""The command's messages speak the command's language (issue 20, found by a new user)."""
import re

import pytest

from glovefast import Corpus, Glove
from glovefast.errors import TrainingDivergedError


def test_a_divergence_names_the_flags_of_the_command(cli, corpus_file, tmp_path):
    """It said "Lower learning_rate ... or max_loss", and the command had no --max-loss."""
    out = tmp_path / "v.txt"
    result = cli("train", corpus_file, "-o", out, "--learning-rate", "1e30", "--epochs", "2", "--min-count", "1",
                 "--threads", "1", "-q")
    assert result.returncode == 2
    assert "Lower --learning-rate (now 1e+30) or --max-loss (now 10.0)" in result.stderr, result.stderr
    assert "learning_rate" not in result.stderr and "max_loss" not in result.stderr
    assert f"nothing was written to {out}" in result.stderr and not out.exists()


def test_the_api_keeps_its_parameter_names(corpus_file):
    corpus = Corpus().fit(str(corpus_file), window=5)
    with pytest.raises(TrainingDivergedError, match=r"Lower learning_rate \(now 1e\+30\) or max_loss \(now 10.0\)"):
        Glove(no_components=4, learning_rate=1e30, random_state=0).fit(corpus.matrix, epochs=2, no_threads=1)


def test_max_loss_reaches_the_model_and_is_kept_by_resume(cli, corpus_file, tmp_path):
    model = tmp_path / "m.npz"
    assert cli("train", corpus_file, "-o", tmp_path / "v.txt", "--max-loss", "0.5", "--epochs", "1",
               "--min-count", "1", "--threads", "1", "-q", "--save-model", model).returncode == 0
    assert Glove.load(model).max_loss == 0.5
    result = cli("train", corpus_file, "-o", tmp_path / "v2.txt", "--resume", model, "--max-loss", "1")
    assert result.returncode == 2 and "--max-loss: a resumed run keeps the settings" in result.stderr


# ---------------------------------------------------------------------------- CLI polish
def test_a_mistyped_flag_gets_a_suggestion(cli, corpus_file, tmp_path):
    result = cli("train", corpus_file, "-o", tmp_path / "v.txt", "--epoch", "5")
    assert result.returncode == 2 and "--epoch: did you mean --epochs?" in result.stderr, result.stderr
    result = cli("similar", tmp_path / "v.txt", "w1", "--top=3")
    assert "--top: did you mean --topn?" in result.stderr
    result = cli("train", corpus_file, "-o", tmp_path / "v.txt", "--frobnicate")
    assert result.returncode == 2 and "did you mean" not in result.stderr
    assert not (tmp_path / "v.txt").exists()


@pytest.fixture
def kjv_run(cli, tmp_path, monkeypatch):
    """A train and a convert of the shipped corpus (3,035 words), their stderr with paths blanked."""
    from glovefast.datasets import resolve

    monkeypatch.chdir(tmp_path)
    kjv = resolve("kjv")
    train = cli("train", kjv, "-o", "kjv.vec", "--dim", "8", "--epochs", "2", "--threads", "1",
                "--save-matrix", "kjv.npz", "--save-model", "model.npz")
    convert = cli("convert", "kjv.vec", "kjv.vec.gz")
    assert train.returncode == 0 and convert.returncode == 0, train.stderr + convert.stderr
    return train.stderr.replace(str(kjv), "KJV"), convert.stderr


def test_counts_print_with_thousands_separators_everywhere(kjv_run):
    """Neighbouring lines said "3,035 words" and "3035 words"."""
    for line in "".join(kjv_run).splitlines():
        message = line.split(" ", 1)[1]  # after the HH:MM:SS stamp
        assert not re.search(r"(?<![\d.,])\d{4,}(?![\d.])", message), line


def test_one_line_per_file_said_as_the_writing_starts(kjv_run):
    train, convert = kjv_run
    lines = convert.splitlines()
    assert len(lines) == 2, convert  # it printed two lines for OUT
    assert "loaded 3,035 vectors of dimension 8 from kjv.vec" in lines[0]
    assert lines[1].endswith("writing 3,035 vectors of dimension 8 to kjv.vec.gz (word2vec text, gzip)")
    said = [line.split(" ", 1)[1] for line in train.splitlines()]
    writes = [s for s in said if s.startswith("writing")]
    assert len(writes) == 3, said
    assert re.fullmatch(r"writing the cooccurrence matrix \(3,035 words, [\d,]+ nonzeros\) to kjv.npz", writes[0])
    assert writes[1:] == ["writing 3,035 vectors of dimension 8 to kjv.vec (word2vec text)",
                          "writing the model and its training state (2 epochs) to model.npz"], said
    assert said[-1].startswith("done in")
