"""The README's and docs/cli.md's sample runs state today's defaults (issue 20).

The samples said window 10 and 25 epochs long after the defaults became 15 and 10. Each
``$ glovefast train ...`` in a console block is parsed with the command's own parser; the settings
its output lines state (window, min count, dimension, epochs, x_max, alpha, learning rate) must be
the ones that command runs with: its flags, else glovefast.defaults. The options table and the
prose that quote the defaults are checked the same way.
"""
import re
import shlex
from pathlib import Path

import pytest

from glovefast.cli import build_parser
from glovefast.defaults import DEMO_DEFAULTS, TRAIN_DEFAULTS

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", ROOT / "docs" / "cli.md"]


def console_runs(text):
    """(command line, [output lines]) of every ``$ glovefast train`` in the console blocks."""
    runs = []
    for block in re.findall(r"```console\n(.*?)```", text, re.S):
        lines = block.splitlines()
        i = 0
        while i < len(lines):
            line = lines[i]
            if line.startswith("$ "):
                command = line[2:]
                while command.endswith("\\"):
                    i += 1
                    command = command[:-1] + " " + lines[i].strip()
                output = []
                while i + 1 < len(lines) and not lines[i + 1].startswith("$ "):
                    i += 1
                    output.append(lines[i])
                if "glovefast train" in command:
                    runs.append((command, output))
            i += 1
    return runs


def settings(command):
    """What ``glovefast train`` runs with for this command line."""
    words = shlex.split(command.split("|")[-1].split("#")[0].replace("$KJV", "kjv.txt.gz"))
    args = build_parser().parse_args(words[1:])

    def given(value, key):
        return TRAIN_DEFAULTS[key] if value is None else value

    return {"window": given(args.window, "window"), "min_count": given(args.min_count, "min_count"),
            "dim": given(args.dim, "dim"), "epochs": given(args.epochs, "epochs"), "x_max": given(args.x_max, "x_max"),
            "alpha": given(args.alpha, "alpha"), "learning_rate": given(args.learning_rate, "learning_rate")}


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_sample_runs_state_the_settings_they_run_with(doc):
    runs = console_runs(doc.read_text(encoding="utf-8"))
    assert len(runs) >= 3, "the samples moved: update this test"
    checked = 0
    for command, output in runs:
        want = settings(command)
        for line in output:
            m = re.search(r"counting .* \(window (\d+), min count (\d+)", line)
            if m:
                assert (int(m[1]), int(m[2])) == (want["window"], want["min_count"]), (command, line)
                checked += 1
            m = re.search(r"training (\d+)-dimensional vectors for .*, ([\d,]+) epochs? on .* \(x_max ([\d.]+), "
                          r"alpha ([\d.]+), learning rate ([\d.]+)", line)
            if m:
                assert (int(m[1]), int(m[2].replace(",", "")), float(m[3]), float(m[4]), float(m[5])) == (
                    want["dim"], want["epochs"], want["x_max"], want["alpha"], want["learning_rate"]), (command, line)
                checked += 1
            m = re.search(r" epoch \d+/(\d+):", line)
            if m:
                assert int(m[1]) == want["epochs"], (command, line)
    assert checked >= 3


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_the_options_table_and_prose_quote_defaults_py(doc):
    text = doc.read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `--([a-z-]+)[^`]*` \| ([^|]+?) \|", text, re.M))
    for key, value in TRAIN_DEFAULTS.items():
        assert rows.get(key.replace("_", "-")) == str(value), (key, rows.get(key.replace("_", "-")))
    demo = re.search(r"`glovefast demo \[--dim (\d+) --epochs (\d+)", text)
    assert demo and (int(demo[1]), int(demo[2])) == (DEMO_DEFAULTS["dim"], DEMO_DEFAULTS["epochs"])
    if doc.name == "README.md":
        prose = re.search(r"with no settings trains d=(\d+) vectors with window\s+(\d+), x_max (\d+) and (\d+) epochs",
                          text)
        assert prose and tuple(map(int, prose.groups())) == (
            TRAIN_DEFAULTS["dim"], TRAIN_DEFAULTS["window"], TRAIN_DEFAULTS["x_max"], TRAIN_DEFAULTS["epochs"])
