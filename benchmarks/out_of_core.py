"""Training in bounded memory: peak RSS and epoch time of Glove.fit with the triples in RAM and out
of core, in the same run; and the peaks of issue 11's oversized models.

    python -m benchmarks.out_of_core --corpus ../shared/corpus/real8.txt.gz --memory 512M

1. The corpus is counted once (window 15, min_count 5) into an on-disk CooccurrenceStore (cached
   in ``--cache``; not timed).
2. ``--repeats`` times, in alternating order: ``Glove(no_components=50).fit(store, epochs=E)`` with no
   budget (the default: the triples fit in RAM) and with ``memory=--memory`` (the triples are
   shuffled on disk in ``--tmp-dir`` and memory-mapped). Each fit runs in a fresh process, which
   reports its peak RSS (``VmHWM``, interpreter and imports included), the RSS before fitting,
   the preparation time and every epoch's time. The ratio of epoch times (median epochs, and
   best epochs) is taken within each repeat (the machine's speed drifts with its neighbours'
   load), and the spread over repeats is printed.
3. Issue 11's repros in fresh processes: a 3-entry matrix of shape (2^22, 2^22) at d=30 (which
   peaked at 6.1 GB for 480 MB of vectors before) and ``no_components=10**8`` on 3 words (12.6 GB
   before), with no budget, one epoch.

Results go to ``--out`` (JSON).
"""
import argparse
import json
import os
import statistics
import sys
import tempfile

if not __package__:  # run as python benchmarks/out_of_core.py, not python -m benchmarks.out_of_core
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    __package__ = "benchmarks"

from ._measure import CHILD_PRELUDE, HERE, add_real8_budget_options, run_json, spread, write_json

_PRELUDE = CHILD_PRELUDE + r"""
import numpy as np, scipy.sparse as sp
from glovefast import Glove
args = json.loads(sys.argv[1])
"""

# Count the corpus and write the store (not measured).
_COUNT = _PRELUDE + r"""
from glovefast import Corpus
from glovefast.cooc.store import CooccurrenceStore
corpus = Corpus().fit(args["corpus"], window=args["window"], min_count=args["min_count"], no_threads=args["threads"])
m = corpus.matrix
n = m.shape[0]
starts = np.searchsorted(m.row, np.arange(0, n + 1))
with CooccurrenceStore.create(args["store"], n, symmetric=True) as w:
    r0 = 0
    while r0 < n:  # shards of about 4M entries
        r1 = int(np.searchsorted(starts, starts[r0] + (4 << 20), side="right")) - 1
        r1 = min(n, max(r1, r0 + 1))
        a, z = starts[r0], starts[r1]
        w.add_shard(m.row[a:z], m.col[a:z], m.data[a:z], r0, r1)
        r0 = r1
    w.add_vocabulary(corpus.inverse_dictionary, corpus.word_counts)
    store = w.finish(params={"window": args["window"], "min_count": args["min_count"]})
print(json.dumps({"n_words": n, "nnz": int(m.nnz), "shards": len(store.shards)}))
"""

_TRAIN = _PRELUDE + r"""
from glovefast.cooc.store import CooccurrenceStore
before = vmhwm()
g = Glove(no_components=args["dim"], max_count=10, learning_rate=0.05, random_state=0)
t = time.perf_counter()
g.fit(CooccurrenceStore.open(args["store"]), epochs=args["epochs"], no_threads=args["threads"],
      memory=args["memory"], tmp_dir=args["tmp"])
total = time.perf_counter() - t
print(json.dumps({"seconds": total, "prepare_seconds": total - g.training_seconds_,
                  "epoch_seconds": list(g.epoch_seconds_), "updates": int(g.n_updates_per_epoch_),
                  "loss": g.loss_history_, "rss_before_fit_mb": before, "peak_rss_mb": vmhwm()}))
"""

_ISSUE11 = _PRELUDE + r"""
n = args["n_words"]
m = sp.coo_matrix((np.array([1.0, 2.0, 3.0]), (np.array([0, 1, 2]), np.array([1, 2, 2]))), shape=(n, n))
g = Glove(no_components=args["dim"], random_state=0)
t = time.perf_counter()
g.fit(m, epochs=1, no_threads=args["threads"], tmp_dir=args["tmp"])
vectors = g.word_vectors.nbytes
print(json.dumps({"seconds": time.perf_counter() - t, "peak_rss_mb": vmhwm(), "vectors_mb": vectors / 2**20,
                  "parameters_mb": 2 * n * (2 * ((args["dim"] + 7) // 8 * 8) + 8) * 4 / 2**20}))
"""


def child(code, **args):
    return run_json([sys.executable, "-c", code, json.dumps(args)], "child")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_real8_budget_options(ap)
    ap.add_argument("--epochs", type=int, default=3, help="epochs per fit")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--tmp-dir", default=None, help="for the on-disk triples (default: the system's)")
    ap.add_argument("--cache", default=os.path.join(tempfile.gettempdir(), "glovefast-bench"),
                    help="where the counted store is kept between runs")
    ap.add_argument("--skip-issue11", action="store_true")
    ap.add_argument("--out", default=os.path.join(HERE, "results", "out_of_core.json"))
    a = ap.parse_args()
    tmp = a.tmp_dir or tempfile.gettempdir()
    os.makedirs(a.cache, exist_ok=True)
    store = os.path.join(a.cache, f"{os.path.basename(a.corpus).split('.')[0]}-w{a.window}-m{a.min_count}.store")
    if not os.path.isdir(store):
        info = child(_COUNT, corpus=a.corpus, window=a.window, min_count=a.min_count, threads=a.threads, store=store)
        print(f"counted into {store}: {info}", flush=True)
    result = {"settings": vars(a), "store": store, "runs": [], "load_average": os.getloadavg()}
    for k in range(a.repeats):
        pair = {}
        # alternate which runs first, so a drift in the machine's load does not favour one side
        order = (("in_ram", None), ("out_of_core", a.memory))
        for name, memory in (order if k % 2 == 0 else order[::-1]):
            pair[name] = child(_TRAIN, store=store, dim=a.dim, epochs=a.epochs, threads=a.threads, memory=memory,
                               tmp=tmp)
        ram, ooc = pair["in_ram"], pair["out_of_core"]
        pair["epoch_ratio"] = statistics.median(ooc["epoch_seconds"]) / statistics.median(ram["epoch_seconds"])
        pair["best_epoch_ratio"] = min(ooc["epoch_seconds"]) / min(ram["epoch_seconds"])
        # Hogwild with several threads is not deterministic; with --threads 1 the losses are identical
        pair["final_loss_relative_difference"] = abs(ooc["loss"][-1] - ram["loss"][-1]) / ram["loss"][-1]
        result["runs"].append(pair)
        print(f"repeat {k + 1}: in RAM peak {ram['peak_rss_mb']:.0f} MiB, prepare {ram['prepare_seconds']:.1f}s, "
              f"epochs {', '.join(f'{s:.2f}' for s in ram['epoch_seconds'])}s | memory={a.memory}: peak "
              f"{ooc['peak_rss_mb']:.0f} MiB (before fit {ooc['rss_before_fit_mb']:.0f}), prepare "
              f"{ooc['prepare_seconds']:.1f}s, epochs {', '.join(f'{s:.2f}' for s in ooc['epoch_seconds'])}s | "
              f"epoch ratio {pair['epoch_ratio']:.2f} (best epochs {pair['best_epoch_ratio']:.2f}), final losses differ by "
              f"{pair['final_loss_relative_difference']:.1e}", flush=True)
    ratios = [r["epoch_ratio"] for r in result["runs"]]
    best = [r["best_epoch_ratio"] for r in result["runs"]]
    result["summary"] = {
        "best_epoch_ratio": spread(best),
        "updates_per_epoch": result["runs"][0]["in_ram"]["updates"],
        "epoch_ratio": spread(ratios),
        "out_of_core_peak_rss_mb": spread([r["out_of_core"]["peak_rss_mb"] for r in result["runs"]]),
        "in_ram_peak_rss_mb": spread([r["in_ram"]["peak_rss_mb"] for r in result["runs"]]),
        "out_of_core_prepare_seconds": spread([r["out_of_core"]["prepare_seconds"] for r in result["runs"]]),
        "in_ram_prepare_seconds": spread([r["in_ram"]["prepare_seconds"] for r in result["runs"]]),
    }
    print(f"epoch out of core / in RAM: median epochs {min(ratios):.2f}-{max(ratios):.2f} (median "
          f"{statistics.median(ratios):.2f}); best epochs {min(best):.2f}-{max(best):.2f} (median "
          f"{statistics.median(best):.2f})")
    if not a.skip_issue11:
        result["issue11"] = {}
        for name, n_words, dim in (("shape 2^22, d=30", 1 << 22, 30), ("3 words, d=10^8", 3, 10**8)):
            r = child(_ISSUE11, n_words=n_words, dim=dim, threads=a.threads, tmp=tmp)
            result["issue11"][name] = r
            print(f"issue 11, {name}: peak {r['peak_rss_mb']:.0f} MiB for {r['parameters_mb']:.0f} MiB of "
                  f"parameters and {r['vectors_mb']:.0f} MiB of word vectors ({r['seconds']:.1f}s)", flush=True)
    write_json(a.out, result, indent=1)
    print(f"wrote {a.out}")


if __name__ == "__main__":
    sys.exit(main())
