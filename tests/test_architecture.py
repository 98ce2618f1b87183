"""Imports only point down the rooms of the package (issue 18): the import-linter contracts in
pyproject.toml hold, the Cython kernels (which import-linter does not read) import nothing above
them, and the contracts do fail on the import cycles the package once had."""
import ast
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if not (ROOT / "pyproject.toml").is_file():
    pytest.skip("pyproject.toml is not next to the tests (installed package only)", allow_module_level=True)
pytest.importorskip("importlinter")

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.9/3.10
    tomllib = pytest.importorskip("tomli")

PACKAGE = ROOT / "glovefast"

# the `lint-imports` command, run by the interpreter of the tests (its script may not be on PATH)
LINT = textwrap.dedent("""
    import sys
    from importlinter.cli import lint_imports_command
    lint_imports_command(["--config", sys.argv[1], "--no-cache"])
""")


def _lint(package_parent, config):
    """Run import-linter on the ``glovefast`` found in ``package_parent``: (kept, output)."""
    proc = subprocess.run([sys.executable, "-c", LINT, str(config)], capture_output=True, text=True, timeout=300,
                          cwd=package_parent, env={"PYTHONPATH": str(package_parent), "PATH": "/usr/bin:/bin"})
    return proc.returncode == 0, proc.stdout + proc.stderr


def test_the_import_contracts_hold():
    kept, output = _lint(ROOT, ROOT / "pyproject.toml")
    assert kept, output
    assert "Rooms: imports point down KEPT" in output


def _layers():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    (rooms,) = [c for c in contracts if c.get("containers") == ["glovefast"]]
    return [[name.strip() for name in re.split(r"[|:]", layer)] for layer in rooms["layers"]]


def test_the_rooms_contract_covers_every_subpackage_and_module():
    listed = {name for layer in _layers() for name in layer}
    present = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").is_file()}
    present |= {p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    assert present <= listed, f"not in the layers of pyproject.toml: {sorted(present - listed)}"


def _kernel_imports(package):
    """(kernel file, glovefast room it imports, allowed) for every import in the .pyx kernels."""
    layers = _layers()
    below = {name for layer in layers[[i for i, ly in enumerate(layers) if "_kernels" in ly][0]:] for name in layer}
    return [(pyx.name, room, room in below) for pyx in sorted((package / "_kernels").glob("*.pyx"))
            for room in re.findall(r"^\s*(?:from|c?import)\s+glovefast\.(\w+)", pyx.read_text(encoding="utf-8"), re.M)]


def test_kernels_import_only_the_rooms_below_them():
    # import-linter reads .py files only: the .pyx kernels are checked here, against the same layers
    found = _kernel_imports(PACKAGE)
    assert found  # the kernels do import from glovefast (their .pxd files, _util): the check looks
    assert [(name, room) for name, room, ok in found if not ok] == []


# The package's import cycles before issue 18, put back one at a time in a copy of the package.
OLD_CYCLES = {
    # bundle.py imported atomic_write from formats.py, which re-exported the bundle functions
    "bundle <-> formats": [("io/bundle.py", "from glovefast.io.formats import open_binary_read\n"),
                           ("io/formats.py", "from glovefast.io.bundle import save_npz_bundle\n")],
    # compat imported Corpus and Glove, which imported compat's check_not_pickle
    "compat <-> corpus": [("corpus.py", "from glovefast.compat import load_glove_python\n")],
    "compat <-> glove": [("models/glove/model.py", "from glovefast.compat import load_glove_python\n")],
    # loading named Glove and Corpus to load their files; Glove loads pretrained vectors with it
    "loading <-> glove": [("vectors/loading.py", "from glovefast.models.glove.model import Glove\n")],
    # the kernel (then _core.pyx, now _kernels/vocab.pyx) decoded words with reading.decode; reading
    # calls the kernel
    "_core <-> reading": [("_kernels/vocab.pyx", "from glovefast.text.reading import iter_text\n")],
}


@pytest.mark.parametrize("cycle", sorted(OLD_CYCLES))
def test_the_contracts_fail_on_an_old_cycle(tmp_path, cycle):
    copy = tmp_path / "glovefast"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.pyd", "*.c", "data"))
    for relative, line in OLD_CYCLES[cycle]:
        path = copy / relative
        text = path.read_text(encoding="utf-8")
        first = re.search(r"^(from|import) ", text, re.M).start()  # beside the module's own imports
        path.write_text(text[:first] + line + text[first:], encoding="utf-8")
    if relative.endswith(".pyx"):
        assert ("vocab.pyx", "text", False) in _kernel_imports(copy)
        return
    kept, output = _lint(tmp_path, ROOT / "pyproject.toml")
    assert not kept, output
    assert "BROKEN" in output


def test_no_private_name_is_imported_across_modules():
    # a name with a leading underscore belongs to its module: another module that needs it gets a
    # public one (issue 18). Checked on imports and on attributes of imported glovefast modules.
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "glovefast":
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        found.append(f"{path.relative_to(ROOT)}: from {node.module} import {alias.name}")
                    elif alias.name[:1].islower():
                        modules.add(alias.asname or alias.name)
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in modules
                    and node.attr.startswith("_") and not node.attr.startswith("__")):
                found.append(f"{path.relative_to(ROOT)}: {node.value.id}.{node.attr}")
    assert found == []


# Imports inside functions hid the package's cycles (issue 18): only optional dependencies may be
# imported there, and modules whose import alone costs a noticeable part of `import glovefast`
# (measured with python -X importtime), each with a comment saying which.
OPTIONAL = {"dask", "distributed", "fsspec", "gensim", "matplotlib", "ot", "torch", "zstandard"}
COSTLY = {
    "scipy.stats": "~0.4 s; only word-pair scoring needs it",
    "scipy.spatial.distance": "~0.13 s; only wmdistance needs it",
    "tqdm.auto": "a Jupyter probe and asyncio; only a drawn bar needs it",
    "tqdm.contrib.logging": "imports tqdm.auto",
}


def _function_level_imports(package):
    """(file, line, module, commented) for every import inside a function of ``package``."""
    found = []
    for path in sorted(package.rglob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()

        def walk(node, in_function):
            for child in ast.iter_child_nodes(node):
                if in_function and isinstance(child, (ast.Import, ast.ImportFrom)):
                    # `from a.b import c` as a.b.c: c may be a submodule (from scipy import stats)
                    modules = ([alias.name for alias in child.names] if isinstance(child, ast.Import)
                               else [f"{'.' * child.level}{child.module or ''}.{alias.name}" for alias in child.names])
                    # the reason on the import's line or on one of the two lines before it
                    commented = any("#" in line for line in lines[max(child.lineno - 3, 0):child.lineno])
                    found.extend((str(path.relative_to(package.parent)), child.lineno, m, commented) for m in modules)
                walk(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))

        walk(ast.parse("\n".join(lines)), False)
    return found


def test_functions_import_only_optional_or_costly_modules_and_say_why():
    found = _function_level_imports(PACKAGE)
    costly = tuple(name + "." for name in COSTLY)
    assert [f for f in found if f[2].split(".")[0] not in OPTIONAL and not f"{f[2]}.".startswith(costly)] == []
    assert [f for f in found if not f[3]] == []


def test_the_function_level_import_check_looks(tmp_path):
    (tmp_path / "glovefast").mkdir()
    (tmp_path / "glovefast" / "m.py").write_text(
        "def f():\n    from glovefast.io import formats\n\n\ndef g():\n    import gensim\n", encoding="utf-8")
    assert _function_level_imports(tmp_path / "glovefast") == [
        ("glovefast/m.py", 2, "glovefast.io.formats", False), ("glovefast/m.py", 6, "gensim", False)]
