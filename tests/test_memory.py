"""Memory budgets: what memory= and --memory accept, and the named error for everything else."""
import subprocess
import sys

import pytest

from glovefast import Corpus, Glove
from glovefast.errors import InvalidParameterError
from glovefast._util.memory import MIN_BUDGET, default_budget, format_bytes, parse_memory


@pytest.mark.parametrize("text, expected", [
    ("512M", 512 << 20), ("4G", 4 << 30), ("1.5G", 3 << 29), ("800MB", 800 << 20), ("2GiB", 2 << 30),
    ("  64m ", 64 << 20), (1 << 30, 1 << 30), (float(1 << 25), 1 << 25), ("33554432", 1 << 25),
])
def test_sizes_parse_to_bytes(text, expected):
    assert parse_memory(text) == expected


@pytest.mark.parametrize("bad", ["abc", "-5M", "5X", "", "M", "1e9", True, None, [1], float("nan"), float("inf")])
def test_malformed_budgets_are_named_errors(bad):
    with pytest.raises(InvalidParameterError, match="memory"):
        parse_memory(bad)


def test_budgets_below_the_minimum_say_the_minimum():
    with pytest.raises(InvalidParameterError, match=format_bytes(MIN_BUDGET).replace(".", r"\.")):
        parse_memory("1K")
    assert default_budget() >= MIN_BUDGET


def test_the_api_validates_memory_before_any_work():
    with pytest.raises(InvalidParameterError, match="memory"):
        Corpus().fit([["a", "b", "a"]], window=2, memory="lots")
    matrix = Corpus().fit([["a", "b", "a"]], window=2).matrix
    with pytest.raises(InvalidParameterError, match="memory"):
        Glove(no_components=4).fit(matrix, epochs=1, memory="-1G")


def test_the_cli_reports_a_bad_memory_as_a_usage_error(tmp_path):
    text = tmp_path / "c.txt"
    text.write_text("a b a b c\n")
    proc = subprocess.run([sys.executable, "-m", "glovefast", "train", str(text), "-o", str(tmp_path / "v.txt"),
                           "--memory", "lots"], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert proc.returncode == 2
    assert "memory" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "v.txt").exists()
