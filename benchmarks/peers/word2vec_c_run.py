"""Peer runner: the original word2vec.c (tmikolov/word2vec), built by hand and given by path.

Runs ``word2vec -train CORPUS -output VECTORS -binary 1`` with negative sampling (``-hs 0``) and
the benchmark's settings, then converts its binary vectors to the runners' ``.npz``. Its
``</s>`` entry (word2vec.c's line-end token, first in its vocabulary) is left out, so the
words are the corpus words by descending count, as for the other systems.

Measured here: ``train``, the program's wall time (reading, vocabulary, training and writing
its vectors); the peak RSS is the program's ``ru_maxrss`` from ``os.wait4`` (it starts from
this small runner's resident size at the fork, about 15 MB). word2vec.c has no seed option.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

from . import _common


def read_binary_vectors(path):
    """(words, vectors) of word2vec.c's ``-binary 1`` output."""
    with open(path, "rb") as fh:
        n, dim = (int(x) for x in fh.readline().split())
        words, vectors = [], np.empty((n, dim), dtype=np.float32)
        for i in range(n):
            word = bytearray()
            while True:
                ch = fh.read(1)
                if ch == b" " or not ch:
                    break
                if ch != b"\n":
                    word += ch
            words.append(word.decode("utf-8", errors="replace"))
            vectors[i] = np.frombuffer(fh.read(4 * dim), dtype="<f4")
    return words, vectors


def main(argv=None) -> int:
    """Run word2vec.c on ``--corpus`` and write vectors and statistics.

    ``argv`` defaults to ``sys.argv[1:]``; returns the process exit code.
    """
    parser = _common.base_parser(__doc__.splitlines()[0], default_window=5)
    parser.set_defaults(epochs=5, dim=100, learning_rate=None)
    parser.add_argument("--bin", required=True, help="The word2vec executable.")
    parser.add_argument("--sg", type=int, choices=(0, 1), default=1, help="1: skip-gram (default), 0: CBOW.")
    parser.add_argument("--negative", type=int, default=5)
    parser.add_argument("--sample", type=float, default=1e-3)
    args = parser.parse_args(argv)
    # word2vec.c's own default start alpha: 0.025 skip-gram, 0.05 CBOW
    alpha = args.learning_rate if args.learning_rate is not None else (0.025 if args.sg else 0.05)
    name = "word2vec_c_sg" if args.sg else "word2vec_c_cbow"
    log = _common.setup_logging(name)
    if not os.access(args.bin, os.X_OK):
        log.error("not an executable: %s", args.bin)
        return 3
    with tempfile.TemporaryDirectory(prefix="w2vc-") as tmp:
        out = os.path.join(tmp, "vectors.bin")
        cmd = [args.bin, "-train", args.corpus, "-output", out, "-binary", "1", "-cbow", str(1 - args.sg),
               "-size", str(args.dim), "-window", str(args.window), "-negative", str(args.negative), "-hs", "0",
               "-sample", str(args.sample), "-threads", str(args.threads), "-iter", str(args.epochs),
               "-min-count", str(args.min_count), "-alpha", str(alpha), "-debug", "0"]
        log.info("%s", " ".join(cmd))
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        err = proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            log.error("word2vec failed (%d): %s", proc.returncode, err.decode(errors="replace")[-500:])
            return 1
        words, vectors = read_binary_vectors(out)
    if words and words[0] == "</s>":
        words, vectors = words[1:], vectors[1:]
    _common.save_vectors(args.out, words, vectors)
    stats = _common.save_stats(args.stats, name, args, {"train": seconds}, updates_per_epoch=None,
                               epochs=args.epochs, vocab_size=len(words), extra={"alpha": alpha, "command": cmd})
    stats["peak_rss_mb"] = usage.ru_maxrss / (1024 ** 2 if sys.platform == "darwin" else 1024)
    stats["peak_rss_source"] = "ru_maxrss of the word2vec process (os.wait4)"
    with open(args.stats, "w", encoding="utf-8") as fh:
        json.dump(stats, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
