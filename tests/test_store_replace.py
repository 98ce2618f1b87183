"""Replacing a cooccurrence store is atomic: after any interruption (Ctrl-C, SIGTERM, a concurrent
writer) the path holds the old store or the new one, and nothing hidden is left behind. Real
processes and real signals."""
import json
import os
import random
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

# POSIX: real signals, and flock, by which concurrent writers take turns (elsewhere they go unlocked)
posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and flock")

from glovefast import Corpus
from glovefast.cooc.store import VOCABULARY, CooccurrenceStore

# A child that writes stores with many shards (a long commit to land signals in), says which round
# each whole write committed and how long it took, and, after each interruption, says so and waits
# for "go" (so the parent can look at the path meanwhile).
WRITER = r"""
import signal, sys, time
import numpy as np
from glovefast._util.interrupts import signals_as_interrupts
from glovefast.cooc.store import CooccurrenceStore

signal.signal(signal.SIGINT, signal.default_int_handler)  # also when the suite runs with SIGINT ignored
path, shards, cli = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "cli"

def write(i):
    n = shards
    with CooccurrenceStore.create(path, n, True, overwrite=True) as w:
        for r in range(n):
            w.add_shard([r], [r], [1.0 + i], r, r + 1)
        w.add_vocabulary([f"w{k}" for k in range(n)], np.full(n, i))
        w.finish(params={"round": i})

def loop():
    write(0)
    t = time.perf_counter()
    write(1)  # a replacement: the time the parent spreads its signals over
    say = f"ready {time.perf_counter() - t}"
    i = 2
    while True:
        try:  # everything the parent's signals can land in is inside this try
            if say:
                print(say, flush=True)
                say = None
            t = time.perf_counter()
            write(i)
            print(f"wrote {i} {time.perf_counter() - t}", flush=True)
            i += 1
            continue
        except KeyboardInterrupt as exc:
            name = type(exc).__name__
        # here the interruption and its traceback are gone, as when the program ends
        print(name, flush=True)
        if sys.stdin.readline().strip() != "go":
            return
        say = "going"

if cli:  # as the glovefast command runs: SIGTERM and SIGINT through its handlers
    with signals_as_interrupts():
        loop()
else:
    loop()
"""


def _hidden(directory):
    return sorted(name for name in os.listdir(directory) if name.startswith("."))


def _assert_whole(path):
    """The path holds one whole store, and the store directory only its manifest and its files."""
    store = CooccurrenceStore.open(path)
    coo = store.to_coo()
    words = store.words()
    assert len(words) == store.n_words == coo.shape[0]
    rounds = {float(x) - 1 for x in coo.data} | {int(c) for c in store.word_counts()} | {store.params["round"]}
    assert len(rounds) == 1, rounds  # one generation: never a mix of two writes
    expected = {"manifest.json", store.file_path(VOCABULARY), store.file_path("word_counts.i8")}
    expected |= {s.path(c) for s in store.shards for c in ("row", "col", "count")}
    assert {os.path.join(path, n) for n in os.listdir(path)} == {os.path.join(path, n) if n == "manifest.json"
                                                                  else n for n in expected} - {"manifest.json"} \
        | {os.path.join(path, "manifest.json")}
    return rounds.pop()


@posix_only
@pytest.mark.parametrize("how", ["library", "cli"])
def test_signals_at_random_moments_leave_the_old_or_the_new_store(tmp_path, how):
    """Ctrl-C with Python's default handler (library use), or SIGTERM through the command's
    handlers, sent at random moments of a stream of replacements: a SIGINT between the two renames
    of the old finish() left nothing at the path. The path must then hold the last store the
    child reported whole (the old one) or the one it was writing (the new one).

    No step depends on the machine's speed: the signals are timed from the child's own recent
    write times, and every other signal waits for a whole write first, so the stores move on
    however the load changes (timing the signals from the first write alone flaked under load:
    when writes slowed down, every signal landed before the commit and one store was all the
    parent saw)."""
    path = str(tmp_path / "st")
    sig = signal.SIGINT if how == "library" else signal.SIGTERM
    proc = subprocess.Popen([sys.executable, "-c", WRITER, path, "40", how], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def interrupt():
        """Send the signal; read the writes reported until the child says it was interrupted."""
        nonlocal committed, one_write
        proc.send_signal(sig)
        while True:
            line = proc.stdout.readline().split()
            if line[:1] != ["wrote"]:
                break
            committed, one_write = int(line[1]), float(line[2])
        assert line in (["KeyboardInterrupt"], ["Terminated"]), (line, proc.stderr.read())

    try:
        ready, one_write = proc.stdout.readline().split()
        assert ready == "ready", proc.stderr.read()
        one_write = float(one_write)
        committed = 1  # the round of the last write the child reported whole
        rng = random.Random(0)
        seen = set()
        for trial in range(16):
            if trial % 2 == 0:  # after a whole write, so the next store is a newer one
                line = proc.stdout.readline().split()
                assert line[:1] == ["wrote"], (line, proc.stderr.read())
                committed, one_write = int(line[1]), float(line[2])
            time.sleep(rng.uniform(0, one_write))  # anywhere in the write under way
            interrupt()
            found = _assert_whole(path)
            assert found in (committed, committed + 1), (found, committed)  # the old store or the new one
            seen.add(found)
            assert _hidden(tmp_path) == []  # no temporary directory, no "-old" copy
            proc.stdin.write("go\n")
            proc.stdin.flush()
            assert proc.stdout.readline().strip() == "going"
        assert len(seen) >= 3  # writes went on between the signals
        interrupt()
        proc.stdin.close()  # the child reads no "go": it ends
        assert proc.wait(timeout=120) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    _assert_whole(path)
    assert _hidden(tmp_path) == []


CONCURRENT = r"""
import sys
from glovefast.errors import StorageError
from glovefast.cooc.store import CooccurrenceStore
import numpy as np

path, k = sys.argv[1], int(sys.argv[2])
retries = 0
for i in range(25):
    n = 20 + k
    with CooccurrenceStore.create(path, n, True, overwrite=True) as w:
        for r0 in range(0, n, 5):
            rows = np.arange(r0, min(n, r0 + 5))
            w.add_shard(rows, rows, np.full(len(rows), k + 1.0), r0, min(n, r0 + 5))
        w.add_vocabulary([f"w{j}" for j in range(n)], np.full(n, k))
        w.finish(params={"writer": k})
    while True:  # read what is there now: any writer's store, whole
        store = CooccurrenceStore.open(path)
        try:
            coo, counts = store.to_coo(), store.word_counts()
        except StorageError:  # replaced between opening and reading: open it again
            retries += 1
            continue
        writer = store.params["writer"]
        assert store.n_words == 20 + writer and set(coo.data) == {writer + 1.0} and set(counts) == {writer}
        break
print(retries)
"""


@posix_only
def test_six_processes_overwriting_one_store(tmp_path):
    """Six processes replacing one store 25 times each: every write succeeds (8 of 150 failed with
    ENOENT/ENOTEMPTY/"no manifest" before), every read finds a whole store, nothing leaks."""
    path = str(tmp_path / "st")
    procs = [subprocess.Popen([sys.executable, "-c", CONCURRENT, path, str(k)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for k in range(6)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0] * 6, [err for _, err in outs]
    store = CooccurrenceStore.open(path)
    assert store.n_words == 20 + store.params["writer"]
    assert _hidden(tmp_path) == [] and os.listdir(tmp_path) == ["st"]
    named = {os.path.basename(s.path(c)) for s in store.shards for c in ("row", "col", "count")}
    named |= {os.path.basename(store.file_path(f)) for f in (VOCABULARY, "word_counts.i8")}
    assert set(os.listdir(path)) == named | {"manifest.json"}


def _version_1(path):
    """Rewrite a store in place as glovefast wrote stores before issue 20 (version 1: no generation)."""
    manifest = json.loads((path / "manifest.json").read_text())
    prefix = manifest.pop("generation") + "."
    manifest["version"] = 1
    for name in os.listdir(path):
        if name.startswith(prefix):
            os.rename(path / name, path / name[len(prefix):])
    (path / "manifest.json").write_text(json.dumps(manifest))


def test_version_1_stores_load_and_are_replaced_in_place(tmp_path):
    corpus = Corpus().fit([["a", "b", "c", "a", "b"], ["c", "a"]], window=2)
    corpus.save(tmp_path / "st")
    _version_1(tmp_path / "st")
    old = Corpus.load(tmp_path / "st")
    assert old.store.generation is None and (tmp_path / "st" / "shard-00000.row.i4").exists()
    np.testing.assert_array_equal(old.matrix.toarray(), corpus.matrix.toarray())
    other = Corpus().fit([["x", "y", "x"]], window=1)
    other.save(tmp_path / "st", overwrite=True)
    new = Corpus.load(tmp_path / "st")
    assert new.dictionary == other.dictionary and new.store.generation is not None
    assert not any(n.startswith("shard-") or n in ("vocabulary.json", "word_counts.i8")
                   for n in os.listdir(tmp_path / "st"))  # the version 1 files went with it
    assert _hidden(tmp_path) == []


def test_a_link_to_a_store_is_replaced_through_and_stays_a_link(tmp_path):
    """Corpus.save(link, overwrite=True) replaced the link by a directory and left
    .link.tmp-*-old behind."""
    first = Corpus().fit([["a", "b", "c", "a"]], window=2)
    first.save(tmp_path / "real")
    os.symlink("real", tmp_path / "link")
    second = Corpus().fit([["x", "y", "z", "y"]], window=2)
    second.save(tmp_path / "link", overwrite=True)
    assert os.path.islink(tmp_path / "link") and os.readlink(tmp_path / "link") == "real"
    assert Corpus.load(tmp_path / "real").dictionary == second.dictionary
    assert _hidden(tmp_path) == [] and sorted(os.listdir(tmp_path)) == ["link", "real"]
    # counting into the link (the CLI's --save-matrix LINK) does the same
    third = Corpus().fit([["p", "q", "p"]], window=1, store=tmp_path / "link", overwrite=True)
    assert os.path.islink(tmp_path / "link") and Corpus.load(tmp_path / "real").dictionary == third.dictionary
    assert _hidden(tmp_path) == []


def test_a_kept_token_stream_is_part_of_the_generation(tmp_path):
    """The token ids (keep_tokens=True) are replaced with the rest; a save by links keeps them."""
    docs = [["a", "b", "c", "a"], ["b", "c"]]
    Corpus().fit(docs, window=2, keep_tokens=True, store=tmp_path / "st")
    other = [["x", "y", "x", "z", "y"]]
    Corpus().fit(other, window=2, keep_tokens=True, store=tmp_path / "st", overwrite=True)
    loaded = Corpus.load(tmp_path / "st")
    words = loaded.inverse_dictionary
    assert [words[i] for i in loaded.tokens.ids if i >= 0] == other[0]
    store = loaded.store
    named = {os.path.basename(s.path(c)) for s in store.shards for c in ("row", "col", "count")}
    named |= {os.path.basename(store.file_path(f)) for f in (VOCABULARY, "word_counts.i8", "tokens.i4")}
    assert set(os.listdir(tmp_path / "st")) == named | {"manifest.json"}
    loaded.save(tmp_path / "copy")
    again = Corpus.load(tmp_path / "copy")
    assert list(again.tokens.ids) == list(loaded.tokens.ids) and _hidden(tmp_path) == []
