"""The sweep behind ``glovefast train``'s defaults: vector quality against time on two corpus sizes.

    python -m benchmarks.defaults_sweep --corpus ../shared/corpus/real8.txt.gz

For each corpus (the first ``--slice-tokens`` tokens of ``--corpus``, then all of it) the text
is counted once per window, then every setting trains d=``--dim`` vectors from those counts in
a fresh process and is scored by ``glovefast.vectors.evaluation.evaluate_all(restrict_vocab=30000)``,
the protocol of the README's tables. "Seconds" is counting plus training, what a user of
``glovefast train`` waits for. One seed per setting: on real8 one seed's analogy accuracy moves
by about 0.2 points and WS353 by about 0.01 (``benchmarks/real8.py`` measures that spread), so
smaller differences are noise. Results go to ``--out`` (JSON) and a markdown table to stdout
and ``--markdown``.
"""
import argparse
import gzip
import json
import os
import sys
import tempfile
import time

if not __package__:  # run as python benchmarks/defaults_sweep.py, not python -m benchmarks.defaults_sweep
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    __package__ = "benchmarks"

from ._measure import HERE, REAL8, SHARED_EVAL
from .real8 import _load, machine, run  # helpers shared with real8.py

# (window, x_max, epochs): the CLI's defaults before this sweep (paper's x_max 100), Stanford
# demo.sh's window 15 / x_max 10, and one change at a time around it.
SETTINGS = [
    (10, 100.0, 25),
    (15, 10.0, 10),
    (15, 10.0, 15),
    (15, 5.0, 15),
    (15, 10.0, 25),
    (10, 10.0, 15),
    (15, 30.0, 15),
    (15, 100.0, 15),
]


def _count(corpus, window, min_count, threads, matrix_path, queue):
    import numpy as np

    from glovefast import Corpus

    t = time.perf_counter()
    c = Corpus().fit(corpus, window=window, min_count=min_count, no_threads=threads)
    seconds = time.perf_counter() - t
    words = [None] * len(c.dictionary)
    for w, i in c.dictionary.items():
        words[i] = w
    m = c.matrix
    np.savez(matrix_path, row=m.row, col=m.col, data=m.data, words=np.array(words))
    queue.put({"seconds": seconds, "tokens": int(c.n_tokens), "words": len(c.dictionary), "nnz_upper": int(m.nnz)})


def _train(matrix_path, dim, x_max, epochs, threads, seed, pairs, queue):
    from glovefast import Glove
    from glovefast.defaults import TRAIN_DEFAULTS
    from glovefast.vectors.evaluation import evaluate_all

    m, dictionary = _load(matrix_path)
    g = Glove(no_components=dim, learning_rate=TRAIN_DEFAULTS["learning_rate"], alpha=TRAIN_DEFAULTS["alpha"],
              max_count=x_max, random_state=seed)
    t = time.perf_counter()
    g.fit(m, epochs=epochs, no_threads=threads)
    seconds = time.perf_counter() - t
    g.add_dictionary(dictionary)
    scores = evaluate_all(g.wv, restrict_vocab=30000, pairs=pairs)
    queue.put({"fit_seconds": seconds, "epoch_seconds": list(g.epoch_seconds_), "final_loss": g.loss_history_[-1],
               **{k: v for k, v in scores.items() if isinstance(v, (int, float))}})


def write_slice(src, dst, max_tokens):
    """The first ``max_tokens`` tokens of ``src`` (whole lines, so documents stay whole) into ``dst``."""
    n = 0
    opener = gzip.open if src.endswith(".gz") else open
    with opener(src, "rt", encoding="utf-8") as fin, open(dst, "w", encoding="utf-8") as fout:
        for line in fin:
            fout.write(line)
            n += len(line.split())
            if n >= max_tokens:
                break
    return n


def markdown(results):
    # The machine's speed drifts with other load: epochs x the fastest epoch is the run's cost on
    # a quiet machine (epochs cost the same, whatever the settings), the wall time what it took.
    lines = ["| corpus | window | x_max | epochs | train s (epochs x fastest epoch) | wall s (count + train) "
             "| analogy (%) | WS353 ρ | SimLex ρ |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for corpus in results["corpora"]:
        for r in corpus["runs"]:
            lines.append(
                f"| {corpus['name']} ({corpus['tokens'] / 1e6:.1f}M tokens, {corpus['words'] // 1000}k words) | "
                f"{r['window']} | {r['x_max']:g} | {r['epochs']} | {r['epochs'] * min(r['epoch_seconds']):.0f} | "
                f"{r['seconds']:.0f} ({r['count_seconds']:.1f} + {r['fit_seconds']:.0f}) | "
                f"{100 * r['analogy']:.1f} | {r['ws353']:.3f} | "
                + (f"{r['simlex']:.3f} |" if "simlex" in r else "|"))
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default=REAL8)
    ap.add_argument("--slice-tokens", type=int, default=5_000_000, help="size of the smaller corpus")
    ap.add_argument("--dim", type=int, default=100)
    ap.add_argument("--min-count", type=int, default=5)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", choices=("slice", "full"), help="run one corpus only")
    ap.add_argument("--resume", metavar="JSON",
                    help="keep the runs of an earlier (e.g. interrupted) sweep's --out file instead of repeating them")
    ap.add_argument("--simlex", default=os.path.join(SHARED_EVAL, "simlex999.txt"))
    ap.add_argument("--out", default=os.path.join(HERE, "results", "defaults_sweep.json"))
    ap.add_argument("--markdown", default=os.path.join(HERE, "results", "defaults_sweep.md"))
    args = ap.parse_args()

    previous = {}
    if args.resume:
        with open(args.resume) as fh:
            for corpus in json.load(fh)["corpora"]:
                for r in corpus["runs"]:
                    previous[corpus["name"], r["window"], r["x_max"], r["epochs"]] = r
    pairs = {"ws353": "wordsim353"}
    if os.path.exists(args.simlex):
        pairs["simlex"] = os.path.abspath(args.simlex)
    results = {"machine": machine(), "corpus": os.path.abspath(args.corpus), "dim": args.dim,
               "min_count": args.min_count, "threads": args.threads, "seed": args.seed,
               "protocol": "evaluate_all(restrict_vocab=30000)", "corpora": []}
    with tempfile.TemporaryDirectory() as tmp:
        corpora = []
        if args.only != "full":
            path = os.path.join(tmp, "slice.txt")
            write_slice(args.corpus, path, args.slice_tokens)
            corpora.append(("real8 slice", path))
        if args.only != "slice":
            corpora.append(("real8", args.corpus))
        for name, path in corpora:
            entry = {"name": name, "runs": []}
            results["corpora"].append(entry)
            counts = {}
            for window in sorted({s[0] for s in SETTINGS}):
                matrix_path = os.path.join(tmp, f"matrix{window}.npz")
                counts[window] = run(_count, path, window, args.min_count, args.threads, matrix_path)
                entry.update(tokens=counts[window]["tokens"], words=counts[window]["words"])
                print(f"{name}: window {window}: counted {counts[window]['tokens']} tokens, {counts[window]['words']} "
                      f"words in {counts[window]['seconds']:.1f}s", flush=True)
            for window, x_max, epochs in SETTINGS:
                if (name, window, x_max, epochs) in previous:
                    entry["runs"].append(previous[name, window, x_max, epochs])
                    continue
                r = run(_train, os.path.join(tmp, f"matrix{window}.npz"), args.dim, x_max, epochs, args.threads,
                        args.seed, pairs)
                r.update(window=window, x_max=x_max, epochs=epochs, count_seconds=counts[window]["seconds"],
                         seconds=counts[window]["seconds"] + r["fit_seconds"])
                entry["runs"].append(r)
                print(f"{name}: window {window}, x_max {x_max:g}, {epochs} epochs: {r['seconds']:.0f}s, analogy "
                      f"{100 * r['analogy']:.1f}%, WS353 {r['ws353']:.3f}"
                      + (f", SimLex {r['simlex']:.3f}" if "simlex" in r else ""), flush=True)
                with open(args.out, "w") as fh:  # after every run, so an interrupted sweep keeps what it has
                    json.dump(results, fh, indent=2)
    table = markdown(results)
    print(table)
    with open(args.markdown, "w") as fh:
        fh.write(f"Defaults sweep: d={args.dim}, min_count {args.min_count}, {args.threads} threads, seed {args.seed}, "
                 f"{results['machine']['cpu']}; scores by evaluate_all(restrict_vocab=30000).\n"
                 f"Command: python -m benchmarks.defaults_sweep {' '.join(sys.argv[1:])}\n\n{table}\n")
    print(f"wrote {args.out} and {args.markdown}")


if __name__ == "__main__":
    sys.exit(main())
