#!/usr/bin/env bash
# Release check: build the sdist and wheel as PyPI would get them, then prove they are clean:
#   - python -m build says nothing about the licence form or missing packages,
#   - the wheel holds no C/Cython sources, and LICENSE is in its metadata,
#   - the wheel, installed in a fresh virtual environment, passes the sdist's own test suite
#     (run from the unpacked sdist, outside the source tree, so it imports the installed wheel).
# Usage: bash .ci/check_dist.sh [pytest arguments]   (needs python -m build and network for pip)
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== python -m build (sdist, then the wheel built from it)"
python -m build --outdir "$work/dist" . > "$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
if grep -iE "SetuptoolsDeprecationWarning|license.*(deprecat|TOML table)|absent from the .packages|previously-included" \
        "$work/build.log"; then
    echo "check_dist: python -m build warned (above)" >&2
    exit 1
fi
sdist=$(ls "$work"/dist/*.tar.gz)
wheel=$(ls "$work"/dist/*.whl)
echo "built $(basename "$sdist") ($(du -k "$sdist" | cut -f1) KB), $(basename "$wheel") ($(du -k "$wheel" | cut -f1) KB)"

echo "== wheel contents"
python - "$wheel" <<'PY'
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
bad = [n for n in names if n.endswith((".c", ".pyx", ".pxd", ".h", ".html"))]
assert not bad, f"the wheel carries sources: {bad}"
assert any(n.endswith("licenses/LICENSE") for n in names), "no LICENSE in the wheel's metadata"
assert any(n.startswith("glovefast/data/") for n in names), "no glovefast/data in the wheel"
meta = zipfile.ZipFile(sys.argv[1]).read([n for n in names if n.endswith("METADATA")][0]).decode()
assert "License-Expression: Apache-2.0 AND CC-BY-4.0" in meta, "no PEP 639 License-Expression"
print(f"{len(names)} files; no sources; LICENSE and License-Expression present")
PY

echo "== fresh virtual environment: the wheel with its test extras"
python -m venv "$work/venv"
"$work/venv/bin/pip" install -q "$wheel[test]"
mkdir "$work/sdist"
tar -xzf "$sdist" -C "$work/sdist" --strip-components=1
echo "== the sdist's tests against the installed wheel"
cd "$work"
"$work/venv/bin/python" -c "import glovefast, sys; assert 'site-packages' in glovefast.__file__, glovefast.__file__; print('testing', glovefast.__file__)"
"$work/venv/bin/python" -m pytest -q -p no:cacheprovider "$work/sdist/tests" "$@"
