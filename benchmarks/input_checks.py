"""Cost of the input checks (issue 11): token-list validation and the text encoding checks.

Token lists: ``Corpus.fit`` on a 1M-token list of str, this tree against a baseline tree (e.g.
a worktree at the commit before the checks), run alternately in fresh processes so machine
drift hits both alike; prints each run and the ratio's median and spread.

Text: the per-chunk checks of glovefast.text.sources.TextCheck (BOM test, NUL memchr) against the C
tokenizer on the same 4 MB chunks of real8 (or any text file), in one process.

    python -m benchmarks.input_checks --baseline /work/wt/lead --repeats 9
    python -m benchmarks.input_checks --text /work/shared/corpus/real8.txt.gz
"""
import argparse
import gzip
import os
import sys
import time

if not __package__:  # run as python benchmarks/input_checks.py, not python -m benchmarks.input_checks
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    __package__ = "benchmarks"

from ._measure import ROOT, alternate_trees, print_alternation

# Run by alternate_trees in a fresh process per tree: the glovefast of that source tree.
CHILD = r"""
import time
import numpy as np
from glovefast import Corpus
rng = np.random.default_rng(0)
vocab = [f"w{i}" for i in range(20000)]
ids = rng.zipf(1.3, size=1_000_000) % 20000
docs = [[vocab[i] for i in ids[k:k + 100]] for k in range(0, len(ids), 100)]
Corpus().fit(docs[:10], window=5, no_threads=1)  # warm-up
t = time.perf_counter()
Corpus().fit(docs, window=5, no_threads=1)
print(time.perf_counter() - t)
"""


def token_lists(baseline, repeats):
    rows = alternate_trees(CHILD, [], {"this tree": ROOT, "baseline": baseline}, repeats)
    print_alternation("Corpus.fit on 1M tokens", rows)


def text_chunks(path, max_chunks):
    from glovefast._kernels import vocab as vocab_kernel
    from glovefast.text import reading
    from glovefast.text.sources import TextCheck

    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as fh:
        chunks = list(reading.chunks(fh, reading.CHUNK_BYTES))[:max_chunks]
    size = sum(map(len, chunks))
    for _ in range(3):
        check = TextCheck(str(path))
        t = time.perf_counter()
        for chunk in chunks:
            check(chunk)
        t_check = time.perf_counter() - t
        counter = vocab_kernel.TokenCounter()
        t = time.perf_counter()
        for chunk in chunks:
            counter.feed_text(chunk)
        t_tok = time.perf_counter() - t
        print(f"{size / 1e6:.0f} MB: checks {t_check * 1e3:.1f} ms, tokenising {t_tok * 1e3:.0f} ms "
              f"({100 * t_check / t_tok:.2f}% of tokenising)")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--baseline", help="source tree (with a built _core) to compare token-list fitting against")
    p.add_argument("--repeats", type=int, default=9)
    p.add_argument("--text", help="a text corpus (plain or .gz) for the encoding-check cost")
    p.add_argument("--max-chunks", type=int, default=25, help="4 MB chunks of --text to time")
    args = p.parse_args()
    if args.baseline:
        token_lists(args.baseline, args.repeats)
    if args.text:
        text_chunks(args.text, args.max_chunks)
    if not (args.baseline or args.text):
        p.error("give --baseline and/or --text")


if __name__ == "__main__":
    main()
