"""The project page and licence metadata PyPI shows (the files ship in the sdist)."""
import re
import sys
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
