"""Fine-tuning quality check (issue 10): pretrain on one half of real8, fine-tune on the other half.

    python -m benchmarks.finetune --corpus ../shared/corpus/real8.txt.gz

real8's lines are split into a first and a second half (in file order). Reported, each scored
by ``glovefast.vectors.evaluation.evaluate_all`` (3CosAdd analogies, WS353 and SimLex over the 30k most
frequent words of that model) with its wall time (counting + training):

* ``first half`` from scratch: the pretrained model;
* ``second half`` from scratch;
* ``second half, fine-tuned``: ``Glove(mittens=mu).fit(B, init=<first-half vectors>)``, for
  every mu of ``--mu`` (mu = 0 only starts from the pretrained vectors), as from a vectors file
  (W = W~ = r/2, biases 0); and once with the whole first-half model as ``init`` (W, W~ and
  biases copied), with ``--model-mu``;
* ``both halves`` from scratch.

Settings: window 15, min_count 5, d=50 (``--dim``), x_max 10, 10 epochs, learning rate 0.05,
one seed. Results go to stdout and ``--out`` (JSON). The machine is shared, so times are only
comparable within one run.
"""
import argparse
import gzip
import os
import platform
import sys
import tempfile
import time

if not __package__:  # run as python benchmarks/finetune.py, not python -m benchmarks.finetune
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    __package__ = "benchmarks"

from ._measure import write_json


def _split(corpus, directory):
    """Write the first and second half of the corpus's lines to two plain files."""
    with gzip.open(corpus, "rb") as fh:
        lines = fh.readlines()
    half = len(lines) // 2
    paths = []
    for name, part in (("first.txt", lines[:half]), ("second.txt", lines[half:])):
        path = os.path.join(directory, name)
        with open(path, "wb") as out:
            out.writelines(part)
        paths.append(path)
    return paths, half, len(lines) - half


def _run(name, files, args, init=None, mu=0.0, dictionary_out=None):
    import numpy as np

    from glovefast import Corpus, Glove
    from glovefast.vectors.evaluation import evaluate_all

    t0 = time.perf_counter()
    corpus = Corpus().fit(files, window=args.window, min_count=5, no_threads=args.threads)
    t_count = time.perf_counter() - t0
    model = Glove(no_components=args.dim, learning_rate=0.05, max_count=10, random_state=args.seed,
                  dtype=np.float32, mittens=mu)
    t1 = time.perf_counter()
    model.fit(corpus.matrix, epochs=args.epochs, no_threads=args.threads, init=init, dictionary=corpus.dictionary)
    t_train = time.perf_counter() - t1
    scores = evaluate_all(model.wv, restrict_vocab=30000)
    row = {
        "name": name,
        "mittens": mu,
        "words": len(corpus.dictionary),
        "tokens": int(corpus.n_tokens),
        "initialised_words": model.n_initialized_,
        "count_s": round(t_count, 2),
        "train_s": round(t_train, 2),
        "total_s": round(t_count + t_train, 2),
        "final_loss": model.loss_history_[-1],
        "analogy": scores["analogy"],
        "analogy_oov": scores["analogy_oov"],
        "ws353": scores["ws353"],
        "simlex": scores["simlex"],
    }
    print(f"{name:46s} words {row['words']:6d}  init {row['initialised_words']:6d}  count {t_count:6.1f}s  "
          f"train {t_train:6.1f}s  analogy {100 * row['analogy']:5.1f}% (oov {100 * row['analogy_oov']:4.1f}%)  "
          f"WS353 {row['ws353']:.3f}  SimLex {row['simlex']:.3f}", flush=True)
    return row, model


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", required=True, help="real8.txt.gz")
    parser.add_argument("--dim", type=int, default=50)
    parser.add_argument("--window", type=int, default=15)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--mu", type=float, nargs="+", default=[0.0, 0.1, 1.0, 10.0],
                        help="mittens weights of the fine-tuned runs")
    parser.add_argument("--model-mu", type=float, default=0.1,
                        help="mittens weight of the run initialised from the whole first-half model")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results", "finetune.json"))
    args = parser.parse_args(argv)

    import glovefast

    results = {
        "settings": {"dim": args.dim, "window": args.window, "min_count": 5, "x_max": 10, "epochs": args.epochs,
                     "learning_rate": 0.05, "threads": args.threads, "seed": args.seed, "restrict_vocab": 30000},
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "load_at_start": os.getloadavg(),
                    "kernel": glovefast.simd_info()},
        "runs": [],
    }
    with tempfile.TemporaryDirectory() as tmp:
        (first, second), n1, n2 = _split(args.corpus, tmp)
        results["lines"] = {"first": n1, "second": n2}
        row, pretrained = _run("first half (pretrained model)", [first], args)
        results["runs"].append(row)
        source = pretrained.wv
        results["runs"].append(_run("second half, from scratch", [second], args)[0])
        for mu in args.mu:
            results["runs"].append(_run(f"second half, fine-tuned (mu={mu:g})", [second], args, init=source,
                                        mu=mu)[0])
        # the whole model as the source: W, W~ and biases copied instead of W = W~ = r/2, biases 0
        results["runs"].append(_run(f"second half, fine-tuned from the model (mu={args.model_mu:g})", [second],
                                    args, init=pretrained, mu=args.model_mu)[0])
        del pretrained, source
        results["runs"].append(_run("both halves, from scratch", [first, second], args)[0])
    results["machine"]["load_at_end"] = os.getloadavg()
    write_json(args.out, results, indent=1)
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
