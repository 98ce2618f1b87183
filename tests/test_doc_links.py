"""Every relative link in the repository's markdown (README.md, docs/, benchmarks/) names a file
or folder of the repository: docs/benchmarks.md, copied from the README, linked its images and
benchmarks/README.md relative to the wrong folder."""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md"), *(ROOT / "benchmarks").glob("**/*.md")])
if not (ROOT / "README.md").is_file():
    pytest.skip("README.md is not next to the tests (installed package only)", allow_module_level=True)

# [text](target) and ![alt](target), an optional "title" after the target; [label]: target
INLINE = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$", re.M)
FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)
CODE = re.compile(r"`[^`\n]*`")


def relative_links(text):
    """The link targets of markdown ``text`` that point into the repository (no URL, no bare
    #anchor), without their #anchor; code blocks and spans are not links."""
    text = CODE.sub("", FENCE.sub("", text))
    targets = INLINE.findall(text) + REFERENCE.findall(text)
    return [t.split("#")[0] for t in targets
            if not re.match(r"[a-zA-Z][a-zA-Z0-9+.-]*:", t) and not t.startswith("#")]


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_names_a_file_of_the_repository(doc):
    links = relative_links(doc.read_text(encoding="utf-8"))
    missing = [t for t in links if not (doc.parent / t).exists()]
    assert missing == [], f"{doc.relative_to(ROOT)} links to what the repository does not hold: {missing}"
    outside = [t for t in links if ROOT not in (doc.parent / t).resolve().parents and (doc.parent / t).resolve() != ROOT]
    assert outside == [], f"{doc.relative_to(ROOT)} links outside the repository: {outside}"


def test_the_link_finder_finds_links():
    text = ("see [a](docs/a.md#x), ![img](results/p.png \"t\"), [b](https://x.org/y), [c](#here), `[d](no.md)`,\n"
            "[nested [e]](f.md)\n\n```\n[g](in-code.md)\n```\n[ref]: ../up.md\n")
    assert relative_links(text) == ["docs/a.md", "results/p.png", "f.md", "../up.md"]
    assert any(relative_links(doc.read_text(encoding="utf-8")) for doc in DOCS)  # the check looks
