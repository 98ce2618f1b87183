"""The project page and licence metadata PyPI shows (the files ship in the sdist)."""
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if not (ROOT / "pyproject.toml").is_file():
    pytest.skip("pyproject.toml is not next to the tests (installed package only)", allow_module_level=True)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.9/3.10
    tomllib = pytest.importorskip("tomli")


@pytest.fixture(scope="module")
def project():
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def test_pypi_description_has_no_images_or_relative_links(project):
    # PyPI renders the description away from the repository: relative links and images break there
    readme = project["readme"]
    text = (ROOT / (readme["file"] if isinstance(readme, dict) else readme)).read_text(encoding="utf-8")
    assert "![" not in text and "<img" not in text.lower()
    targets = re.findall(r"\]\(([^)\s]+)\)", text) + re.findall(r"^\[[^\]]+\]:\s*(\S+)", text, re.M)
    relative = [t for t in targets if not re.match(r"https?://", t)]
    assert not relative, f"relative links in the PyPI description: {relative}"


def test_licence_metadata_and_files(project):
    assert project["license"] == "Apache-2.0 AND CC-BY-4.0"  # PEP 639 expression, no deprecated table
    for pattern in project["license-files"]:
        assert list(ROOT.glob(pattern)), f"license-files entry {pattern!r} matches nothing"
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in text and "Version 2.0, January 2004" in text and "END OF TERMS AND CONDITIONS" in text


def _local_includes(text):
    """Headers a C or Cython file names in quotes (the project's own, not <system> ones)."""
    return set(re.findall(r'^\s*#\s*include\s+"([^"]+)"', text, re.M)) | set(
        re.findall(r'cdef\s+extern\s+from\s+"([^"]+)"', text))


def _kernel_sources():
    """The .pyx and .pxd files, and every header they reach, followed transitively."""
    pkg = ROOT / "glovefast" / "_kernels"
    todo = [p.name for p in sorted(pkg.glob("*.pyx")) + sorted(pkg.glob("*.pxd"))]
    seen = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        path = pkg / name
        assert path.is_file(), f"glovefast/_kernels/{name} is included or declared but missing"
        text = path.read_text(encoding="utf-8")
        todo += sorted(_local_includes(text))
        todo += [m.replace("glovefast._kernels.", "", 1) + ".pxd"
                 for m in re.findall(r"^\s*from\s+(glovefast\._kernels\.\w+)\s+cimport", text, re.M)]
    return seen


def test_sdist_ships_every_kernel_source_and_no_generated_c(tmp_path):
    # Building from the sdist re-runs Cython, so it needs every .pyx, .pxd and header (a missing
    # one only shows on a user's machine); the generated C must not ship (MANIFEST.in).
    pytest.importorskip("build")

    # a copy without build products (setuptools would otherwise reuse a stale egg-info file list)
    # nor the README's virtual environment, which would take most of the time
    src = tmp_path / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(
        ".git", "build", "dist", "*.egg-info", "__pycache__", "*.so", "*.pyd", "*.c", ".pytest_cache", ".hypothesis",
        ".venv*", "venv", ".tox", ".nox", ".benchmarks", ".import_linter_cache"))
    proc = subprocess.run([sys.executable, "-m", "build", "--sdist", "--no-isolation", "--outdir", str(tmp_path)],
                          cwd=src, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (sdist,) = tmp_path.glob("*.tar.gz")
    with tarfile.open(sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    needed = {f"glovefast/_kernels/{n}" for n in _kernel_sources()}
    assert {"glovefast/_kernels/cooc.h", "glovefast/_kernels/vocab.h", "glovefast/_kernels/rng.h",
            "glovefast/_kernels/glove.pxd", "glovefast/_kernels/textio.h"} <= needed
    assert not needed - names, f"missing from the sdist: {sorted(needed - names)}"
    assert not [n for n in names if n.startswith("glovefast/") and n.endswith((".c", ".so", ".pyd"))]


def test_wheel_ships_no_sources():
    # Wheels carry the modules, the extension and the data only; the package data must not pick
    # up the Cython or C sources (they would ship the 5 MB generated C with every wheel).
    tool = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert tool["include-package-data"] is False
    patterns = [p for ps in tool.get("package-data", {}).values() for p in ps]
    assert not [p for p in patterns if p.endswith((".c", ".h", ".pyx", ".pxd", "*"))], patterns


def test_the_suite_runs_from_a_source_tree_whose_core_is_not_built(tmp_path):
    """``python -m pytest`` in an unpacked sdist stopped at conftest.py: the source folder, first on
    the path, hid the installed glovefast ("No module named 'glovefast._kernels.core'")."""
    import glovefast

    tree = tmp_path / "glovefast-sdist"
    shutil.copytree(ROOT / "glovefast", tree / "glovefast", ignore=shutil.ignore_patterns(
        "*.so", "*.pyd", "*.c", "__pycache__"))
    (tree / "tests").mkdir()
    shutil.copy(ROOT / "tests" / "conftest.py", tree / "tests")
    shutil.copy(ROOT / "pyproject.toml", tree)
    (tree / "tests" / "test_probe.py").write_text(
        "import subprocess, sys\n"
        "import glovefast\n"
        "def test_probe():\n"
        f"    assert glovefast.__file__ == {glovefast.__file__!r}\n"
        "    out = subprocess.run([sys.executable, '-m', 'glovefast', '--version'], capture_output=True, text=True)\n"
        "    assert out.returncode == 0, out.stderr\n")
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_probe.py"],
                          cwd=tree, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "1 passed" in proc.stdout
