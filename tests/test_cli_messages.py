"""The command's messages speak the command's language (issue 20, found by a new user)."""
import numpy as np
import pytest

from glovefast import Corpus, Glove
from glovefast.errors import TrainingDivergedError


@pytest.fixture
def corpus_file(tmp_path):
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(40)]
    path = tmp_path / "c.txt"
    path.write_text("\n".join(" ".join(rng.choice(words, size=30)) for _ in range(60)) + "\n")
    return path


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
