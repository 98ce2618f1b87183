"""Every benchmark script starts, run the documented way (python -m benchmarks.X from the
repository root) and as a file (python benchmarks/X.py, from anywhere).

The benchmarks themselves are long and measured by hand; this only catches a script whose
imports the package layout broke (each one runs in its own process, like a user's command).
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"
if not (BENCH / "__init__.py").is_file():  # e.g. tests copied next to an installed wheel
    pytest.skip(f"the benchmark scripts are not in {BENCH}", allow_module_level=True)

SCRIPTS = sorted(p.stem for p in BENCH.glob("*.py") if 'if __name__ == "__main__"' in p.read_text())
RUNNERS = sorted(p.stem for p in (BENCH / "peers").glob("*_run.py"))


def _env():
    # the children import the glovefast the tests import (conftest.py puts it first on PYTHONPATH)
    # and find the benchmarks package from the repository root
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (env.get("PYTHONPATH"), str(ROOT)) if p)
    return env


def test_every_script_is_found():
    assert {"compare", "counting", "load_vectors", "stanford_budget", "word2vec"} <= set(SCRIPTS)
    assert {"glovefast_run", "gensim_run", "glove_python_run", "torch_glove_run", "glovefast_w2v_run",
            "word2vec_c_run"} == set(RUNNERS)


@pytest.mark.parametrize("module", SCRIPTS + [f"peers.{r}" for r in RUNNERS])
def test_module_starts(module, tmp_path):
    proc = subprocess.run([sys.executable, "-m", f"benchmarks.{module}", "--help"], cwd=tmp_path, env=_env(),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "usage:" in proc.stdout


@pytest.mark.parametrize("script", SCRIPTS)
def test_file_starts_from_another_directory(script, tmp_path):
    proc = subprocess.run([sys.executable, str(BENCH / f"{script}.py"), "--help"], cwd=tmp_path, env=_env(),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "usage:" in proc.stdout
