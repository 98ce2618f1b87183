"""Cost of checking a cooccurrence store's entries where they are read (issue 20): ``.matrix``
(``CooccurrenceStore.to_coo``) and the preparation of ``Glove.fit(store)``, this tree against a
baseline tree (e.g. a worktree at the commit before the check, with a built ``_core``), run
alternately in fresh processes so machine drift hits both alike; then, in this tree, the check
alone against a plain read of the same files.

    python -m benchmarks.store_checks --store /tmp/real8-store --baseline /work/wt/base --repeats 7

A real8-sized store: ``Corpus().fit(REAL8, window=15, min_count=5, store=PATH)`` (``--make``).
"""
import argparse
import os
import sys
import time

if not __package__:
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    __package__ = "benchmarks"

from ._measure import REAL8, ROOT, alternate_trees, cpu_model, print_alternation

# argv: store path, stage. Prints seconds.
CHILD = r"""
import sys, time
from glovefast import Glove
from glovefast.cooc.store import CooccurrenceStore
store = CooccurrenceStore.open(sys.argv[1])
t = time.perf_counter()
if sys.argv[2] == "matrix":
    store.to_coo(memory="16G")
else:  # everything Glove.fit does before its first epoch: checks, triple count, shuffled triples
    Glove(no_components=50, random_state=0).fit(store, epochs=0, no_threads=2, memory="16G")
print(time.perf_counter() - t)
"""


def alternate(store, baseline, repeats):
    for stage, what in (("matrix", ".matrix (to_coo)"), ("fit", "Glove.fit(store) before epoch 1")):
        rows = alternate_trees(CHILD, [store, stage], {"this tree": ROOT, "baseline": baseline}, repeats)
        print_alternation(f"{what:>32}", rows)


def check_alone(store_path, repeats):
    """The check's own time: reading every entry checked vs reading the same bytes unchecked."""
    import numpy as np

    try:  # the store check's kernel module since the kernels were split by stage
        from glovefast._kernels import cooc as _core
    except ImportError:  # a baseline tree from before the split
        from glovefast._kernels import core as _core
    from glovefast.cooc.store import READ_ENTRIES, CooccurrenceStore

    store = CooccurrenceStore.open(store_path)
    for _ in range(repeats):
        t = time.perf_counter()
        for _ in store.entries():
            pass
        checked = time.perf_counter() - t
        t = time.perf_counter()
        for shard in store.shards:
            for column in ("row", "col", "count"):
                np.fromfile(shard.path(column), dtype="<f8" if column == "count" else "<i4")
        plain = time.perf_counter() - t
        kernel = 0.0
        for shard in store.shards:
            r, c, x = shard.arrays(mmap=False)
            t = time.perf_counter()
            for e0 in range(0, len(r), READ_ENTRIES):
                s = slice(e0, e0 + READ_ENTRIES)
                _core.check_entries(r[s], c[s], x[s], shard.row_start, shard.row_end, store.n_words,
                                    store.symmetric, -1 if e0 == 0 else int(r[e0 - 1]) * store.n_words
                                    + int(c[e0 - 1]))
            kernel += time.perf_counter() - t
        print(f"{store.nnz:,} entries: read checked {checked:.3f}s, read unchecked {plain:.3f}s, "
              f"the check kernel alone {kernel:.3f}s ({1e9 * kernel / store.nnz:.2f} ns an entry)")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--store", required=True, help="a cooccurrence store (made with --make if missing)")
    p.add_argument("--make", action="store_true", help=f"count {REAL8} into --store first")
    p.add_argument("--baseline", help="source tree (with a built _core) to compare against")
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args()
    if args.make and not os.path.isdir(args.store):
        from glovefast import Corpus

        Corpus().fit(REAL8, window=15, min_count=5, store=args.store)
    print(f"CPU: {cpu_model()}; load average {os.getloadavg()[0]:.2f} at the start")
    if args.baseline:
        alternate(args.store, args.baseline, args.repeats)
    check_alone(args.store, 3)
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
