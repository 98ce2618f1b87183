"""glove_python's own test suite, run unmodified against glovefast through an import shim.

    python -m benchmarks.glove_python_suite --suite PATH/TO/bicleaner-ai-glove/tests
    python -m benchmarks.glove_python_suite --suite PATH/TO/glove-python --peer-python PATH/TO/venv/bin/python

The suite is a peer's code (Copyright Maciej Kula, Apache 2.0): fetch it yourself, a clone of the
maintained fork (github.com/bitextor/bicleaner-ai-glove) or of maciejkula/glove-python, and pass its
``tests`` directory (or the checkout holding it). Nothing of it is ever copied into this repository.

Each run copies that directory, as it is, into a scratch directory (so the checkout's own ``glove``
sources cannot shadow the shim, and nothing is written into the checkout) and runs pytest there in
a fresh process with ``glove_python_shim/`` first on ``PYTHONPATH``: ``from glove import Corpus, Glove``
and ``from glove.glove import check_random_state`` resolve to glovefast. The first run is the
suite as a glove_python user would run it. Then it runs once under every combination of the
remedies the README's "Moving from glove_python" table gives for the known differences (the shim
applies them when ``GLOVEFAST_SHIM_REMEDIES`` names them):

* ``word_ids``: glove_python numbers words by first appearance, glovefast by descending
  frequency; remedy ``Corpus().fit(..., id_order="first_seen")``;
* ``random_state``: glove_python's ``check_random_state`` returns a ``RandomState``, glovefast's a
  numpy ``Generator`` (no ``randint``); remedy: draw from a ``numpy.random.RandomState``;
* ``diagonal``: glovefast counts a word's cooccurrences with itself (as Stanford's ``cooccur``
  does), glove_python skips them; remedy ``scipy.sparse.triu(corpus.matrix, k=1)``.

A test that fails as it is gets, as its reason, the smallest sets of remedies under which it
passes, and these are checked against the record below (``KNOWN_FAILURES``). ``--peer-python``
(an interpreter that imports glove_python and pytest) runs the suite once more on glove_python
itself, without the shim: the control that every test can pass there.

The exit code is 0 when every test behaves as recorded, 1 when one does not (a new failure,
one no remedy explains, a recorded failure that now passes or needs other remedies, a test that
fails on glove_python itself), 2 when the suite cannot be run. The report: stdout, ``--out``
(JSON) and the same name with ``.md``; docs/glove_python_suite.md keeps the last one.
"""
import argparse
import hashlib
import itertools
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from xml.etree import ElementTree

if not __package__:  # run as python benchmarks/glove_python_suite.py, not python -m benchmarks.glove_python_suite
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    __package__ = "benchmarks"

from ._measure import HERE, child_env, write_json

#: The import shim (our code): a ``glove`` package whose names are glovefast's.
SHIM = os.path.join(HERE, "glove_python_shim")
#: The variable that tells the shim which remedies to apply.
REMEDY_VARIABLE = "GLOVEFAST_SHIM_REMEDIES"

#: remedy -> (the difference, what differs, the remedy as the README gives it), in report order.
REMEDIES = {
    "word_ids": ("word ids", "glove_python numbers words by first appearance, glovefast by descending frequency",
                 'Corpus().fit(..., id_order="first_seen")'),
    "random_state": ("check_random_state", "glove_python's returns a numpy RandomState, glovefast's a numpy "
                     "Generator, which has no randint", "draw the corpus from numpy.random.RandomState(seed)"),
    "diagonal": ("the diagonal", "glovefast counts a word's cooccurrences with itself (as Stanford's cooccur does), "
                 "glove_python skips them", "scipy.sparse.triu(corpus.matrix, k=1)"),
}

#: The record: each test of glove_python's suite that fails against glovefast, and the remedies
#: it needs to pass (the smallest such set). Tests are named by file inside the suite's directory.
KNOWN_FAILURES = {
    "test_corpus.py::test_corpus_construction": frozenset({"word_ids"}),
    "test_corpus.py::test_supplied_dict_missing_ignored": frozenset({"word_ids"}),
    "test_corpus.py::test_large_corpus_construction": frozenset({"word_ids", "random_state", "diagonal"}),
    "test_glove.py::test_fitting": frozenset({"random_state"}),
}


#: Outcomes that count as passing (a skip is the suite's own choice, as on glove_python).
PASSING = ("passed", "skipped")


class SuiteError(RuntimeError):
    """The suite could not be run (no such directory, no report from pytest)."""


def find_suite(path):
    """The directory of test files: ``path`` itself when it holds ``test_*.py`` files, else its
    ``tests`` subdirectory (a checkout's root). Raises :class:`SuiteError` otherwise."""
    for candidate in (path, os.path.join(path, "tests")):
        if os.path.isdir(candidate) and any(n.startswith("test_") and n.endswith(".py") for n in os.listdir(candidate)):
            return os.path.abspath(candidate)
    raise SuiteError(f"no test_*.py files in {path} or in {os.path.join(path, 'tests')}: pass the 'tests' directory "
                     "of a glove_python checkout (git clone https://github.com/bitextor/bicleaner-ai-glove, or "
                     "maciejkula/glove-python)")


def _git(directory, *args):
    proc = subprocess.run(["git", "-C", directory, *args], capture_output=True, text=True)
    return proc.stdout.strip() if proc.returncode == 0 else None


def suite_source(tests_dir):
    """Where the suite comes from: its git commit and remote (None outside a git checkout), whether
    its files differ from that commit, and the SHA-256 of each file run."""
    files = {}
    for root, dirs, names in os.walk(tests_dir):
        dirs[:] = sorted(d for d in dirs if not _left_by_pytest(d))
        for name in sorted(n for n in names if not _left_by_pytest(n)):
            path = os.path.join(root, name)
            with open(path, "rb") as fh:
                files[os.path.relpath(path, tests_dir)] = hashlib.sha256(fh.read()).hexdigest()
    commit = _git(tests_dir, "rev-parse", "HEAD")
    status = _git(tests_dir, "status", "--porcelain", "--untracked-files=all", "--", ".") if commit else None
    changed = None if status is None else [line for line in status.splitlines() if not _left_by_pytest(line)]
    remote = _git(tests_dir, "remote", "get-url", "origin") if commit else None
    return {"path": tests_dir, "commit": commit, "remote": remote,
            "modified": None if changed is None else bool(changed), "files": files}


def _left_by_pytest(path):
    """What running pytest in a checkout leaves behind, which the runs never copy."""
    return any(part in path for part in ("__pycache__", ".pytest_cache", ".pyc"))


def parse_junit(path, suite_dir_name="tests"):
    """{test id: {"outcome": passed/failed/error/skipped, "message": first line of what pytest said}}
    from a pytest junit report (``junit_family=xunit1``, whose test cases name their file). A test
    id is ``file.py::name`` or ``file.py::Class::name``, the file relative to the suite's directory
    ``suite_dir_name``, or the file alone for a module that could not be collected. A test reported
    twice (its call, then an error in its teardown) keeps the first that did not pass."""
    outcomes = {}
    for case in ElementTree.parse(path).getroot().iter("testcase"):
        classname = case.get("classname") or ""
        file = case.get("file") or (classname or case.get("name", "")).replace(".", "/") + ".py"
        prefix = suite_dir_name + "/"
        rel = file[len(prefix):] if file.startswith(prefix) else file
        if not classname:  # a module that could not be collected
            test_id = rel
        else:
            module = file[:-3].replace("/", ".")
            classes = classname[len(module) + 1:].split(".") if classname.startswith(module + ".") else []
            test_id = "::".join([rel] + classes + [case.get("name")])
        outcome, message = "passed", ""
        for kind, name in (("failure", "failed"), ("error", "error"), ("skipped", "skipped")):
            element = case.find(kind)
            if element is not None:
                text = (element.get("message") or element.text or "").strip()
                outcome, message = name, text.splitlines()[0][:300] if text else ""
                break
        if test_id not in outcomes or outcomes[test_id]["outcome"] in PASSING:
            outcomes[test_id] = {"outcome": outcome, "message": message}
    return outcomes


def _peer_env():
    """The environment of a run on the peer itself: this one without our paths or the shim's variable."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", REMEDY_VARIABLE)}


def run_suite(tests_dir, remedies=frozenset(), python=None, shim=True, timeout=600):
    """Run the suite once in a fresh pytest process and return :func:`parse_junit`'s outcomes.

    Parameters
    ----------
    tests_dir : str
        The suite's directory of tests, copied as it is into a scratch directory.
    remedies : set of str
        Remedies the shim applies (names of :data:`REMEDIES`); empty: glovefast as it is.
    python : str, optional
        The interpreter (default: this one). It needs pytest.
    shim : bool
        False runs the suite on whatever ``glove`` the interpreter imports (the peer itself),
        with the interpreter's own environment.
    timeout : float
        Seconds the run may take.
    """
    with tempfile.TemporaryDirectory(prefix="glove_python_suite-") as scratch:
        name = "tests"  # the suite's own name for its directory (its data file is found through it)
        shutil.copytree(tests_dir, os.path.join(scratch, name),
                        ignore=lambda _, names: [n for n in names if _left_by_pytest(n)])
        if shim:
            env = child_env()
            env["PYTHONPATH"] = os.pathsep.join([SHIM, env["PYTHONPATH"]])
            env[REMEDY_VARIABLE] = ",".join(sorted(remedies))
        else:
            env = _peer_env()
        report = os.path.join(scratch, "report.xml")
        # --rootdir: the fork's suite finds its data file as rootdir + '/tests/...', the original's
        # as 'tests/...' from the working directory; both are the scratch directory
        cmd = [python or sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-o", "junit_family=xunit1",
               "--continue-on-collection-errors", f"--junitxml={report}", f"--rootdir={scratch}", name]
        try:
            proc = subprocess.run(cmd, cwd=scratch, env=env, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise SuiteError(f"the suite took more than {timeout:g} s (--timeout)") from None
        if not os.path.exists(report):
            raise SuiteError(f"{cmd[0]} -m pytest wrote no report (exit code {proc.returncode}; does it have "
                             f"pytest?):\n{(proc.stdout + proc.stderr)[-3000:]}")
        return parse_junit(report, name)


def _failed(outcomes):
    """The tests of one run that did not pass, sorted."""
    return sorted(test for test, result in outcomes.items() if result["outcome"] not in PASSING)


def remedy_sets():
    """Every combination of the remedies, smallest first (the empty one is the suite as it is)."""
    names = list(REMEDIES)
    return [frozenset(c) for k in range(len(names) + 1) for c in itertools.combinations(names, k)]


def explain(runs, peer=None, known=None):
    """Each test's verdict from its outcomes under every remedy set.

    Parameters
    ----------
    runs : dict
        frozenset of remedies -> :func:`parse_junit` outcomes; must hold the empty set.
    peer : dict, optional
        Outcomes of the suite on glove_python itself.
    known : dict, optional
        The record (default :data:`KNOWN_FAILURES`).

    Returns
    -------
    dict
        test id -> {"outcome" (as it is), "message", "needs" (the smallest remedy sets under which it
        passes, each a sorted list), "recorded" (the remedies the record says it needs, or None),
        "peer" (its outcome on glove_python, or None), "as_recorded" (bool), "verdict" (a sentence)}.
    """
    known = KNOWN_FAILURES if known is None else known
    as_is = runs[frozenset()]
    verdicts = {}
    for test in sorted(set(as_is) | set(known)):
        result = as_is.get(test)
        recorded = known.get(test)
        peer_outcome = None if peer is None else peer.get(test, {}).get("outcome", "missing")
        passing = [s for s, outcomes in runs.items() if outcomes.get(test, {}).get("outcome") in PASSING]
        needs = sorted((s for s in passing if not any(t < s for t in passing)), key=lambda s: (len(s), sorted(s)))
        if result is None:
            verdict, ok = "not in this suite (another version of it?)", False
        elif result["outcome"] in PASSING:
            ok = recorded is None
            verdict = result["outcome"] if ok else \
                "passes, but the record says it fails: update KNOWN_FAILURES and the docs"
        elif not needs:
            verdict, ok = "fails under every remedy: a difference no remedy explains", False
        elif recorded is not None and needs == [recorded]:
            verdict, ok = "known: " + "; ".join(REMEDIES[r][0] for r in REMEDIES if r in recorded), True
        else:
            verdict = "passes with " + " or ".join("{" + ", ".join(sorted(s)) + "}" for s in needs) + (
                ", not recorded" if recorded is None else f", recorded as {{{', '.join(sorted(recorded))}}}")
            ok = False
        if peer is not None and peer_outcome not in PASSING:
            verdict += f"; on glove_python itself: {peer_outcome}"
            ok = False
        verdicts[test] = {"outcome": None if result is None else result["outcome"],
                          "message": "" if result is None else result["message"],
                          "needs": [sorted(s) for s in needs],
                          "recorded": None if recorded is None else sorted(recorded),
                          "peer": peer_outcome, "as_recorded": ok, "verdict": verdict}
    return verdicts


def format_markdown(results):
    """The report of a run (:func:`main`'s results) as markdown."""
    source, verdicts = results["suite"], results["tests"]
    failed = [t for t, v in verdicts.items() if v["outcome"] not in PASSING]
    where = source["remote"] or source["path"]
    commit = source["commit"] or "not a git checkout"
    modified = {None: "", True: " (**modified** from that commit)", False: " (unmodified)"}[source["modified"]]
    lines = [
        "# glove_python's test suite against glovefast",
        "",
        f"`{results['command']}` on {results['date']}: suite from {where}, commit {commit}{modified}; "
        f"glovefast {results['versions']['glovefast']}, Python {results['versions']['python']}, numpy "
        f"{results['versions']['numpy']}, pytest {results['versions']['pytest']}.",
        "",
    ]
    if results["peer_versions"]:
        pv = results["peer_versions"]
        lines += [f"Control run on glove_python itself ({pv['glove_python']}), Python {pv['python']}, "
                  f"numpy {pv['numpy']}, pytest {pv['pytest']}, without the shim.", ""]
    lines += [
        f"As it is, through the shim: **{len(failed)} of {len(verdicts)}** tests fail. "
        f"{len(results['runs'])} runs, one per combination of remedies.",
        "",
        "| test | as it is | passes with the remedies | glove_python itself | verdict |",
        "|---|---|---|---|---|",
    ]
    for test, v in verdicts.items():
        needs = " or ".join(", ".join(s) or "none needed" for s in v["needs"]) or "never"
        outcome = v["outcome"] or "missing"
        if v["message"] and outcome not in PASSING:
            outcome += ": " + v["message"].replace("|", "\\|")
        peer = v["peer"] or "not run"
        lines.append(f"| `{test}` | {outcome} | {needs} | {peer} | {v['verdict']} |")
    lines += ["", "Remedies (the README's \"Moving from glove_python\" table):", ""]
    lines += [f"* `{name}` ({label}): {difference}; remedy: `{remedy}`."
              for name, (label, difference, remedy) in REMEDIES.items()]
    lines += ["", "Every test as recorded: **" + ("yes" if results["as_recorded"] else "no") + "**."]
    return "\n".join(lines) + "\n"


_VERSIONS = r"""
import json, platform
from importlib import metadata
versions = dict(python=platform.python_version(), numpy=None, pytest=None, glovefast=None, glove_python=None)
for key, names in (("numpy", ["numpy"]), ("pytest", ["pytest"]),
                   ("glove_python", ["bicleaner-ai-glove", "glove_python", "glove-python"])):
    for name in names:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
        versions[key] = version if key != "glove_python" else f"{name} {version}"
        break
try:
    import glovefast  # the one the runs import, installed or built in place
    versions["glovefast"] = glovefast.__version__
except ImportError:
    pass
print(json.dumps(versions))
"""


def _versions(python, env):
    """Versions of Python, numpy, pytest, glovefast and glove_python (its distribution's name and
    version) that ``python`` imports in ``env``."""
    out = subprocess.run([python, "-c", _VERSIONS], capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--suite", required=True, metavar="PATH",
                    help="glove_python's tests directory, or the checkout that holds it (fetched by you)")
    ap.add_argument("--peer-python", metavar="PYTHON",
                    help="an interpreter that imports glove_python and pytest: the control run on the peer itself")
    ap.add_argument("--timeout", type=float, default=600, help="seconds each run of the suite may take")
    ap.add_argument("--out", default=os.path.join(HERE, "results", "glove_python_suite.json"))
    args = ap.parse_args(argv)

    try:
        tests_dir = find_suite(args.suite)
        runs = {}
        for remedies in remedy_sets():
            start = time.perf_counter()
            runs[remedies] = run_suite(tests_dir, remedies, timeout=args.timeout)
            failed = _failed(runs[remedies])
            print(f"  remedies {{{', '.join(sorted(remedies))}}}: {len(failed)} of {len(runs[remedies])} fail "
                  f"({time.perf_counter() - start:.0f} s) {' '.join(failed)}", file=sys.stderr)
        peer = None
        if args.peer_python:
            peer = run_suite(tests_dir, python=args.peer_python, shim=False, timeout=args.timeout)
    except SuiteError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    verdicts = explain(runs, peer)
    results = {
        "command": " ".join(["python -m benchmarks.glove_python_suite"]
                            + (sys.argv[1:] if argv is None else list(argv))),
        "date": time.strftime("%Y-%m-%d"),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
        "versions": _versions(sys.executable, child_env()),
        "peer_versions": None if peer is None else _versions(args.peer_python, _peer_env()),
        "suite": suite_source(tests_dir),
        "runs": [{"remedies": sorted(r), "failed": _failed(out)} for r, out in runs.items()],
        "peer": peer,
        "tests": verdicts,
        "as_recorded": all(v["as_recorded"] for v in verdicts.values()),
    }
    text = format_markdown(results)
    print(text)
    write_json(args.out, results, indent=2)
    with open(os.path.splitext(args.out)[0] + ".md", "w", encoding="utf-8") as fh:
        fh.write(text)
    return 0 if results["as_recorded"] else 1


if __name__ == "__main__":
    sys.exit(main())
