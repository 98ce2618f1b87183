"""glovefast against Stanford GloVe's C tools at the same memory budget, in the same run.

    python -m benchmarks.stanford_budget --stanford-bin PATH/TO/GloVe/build \\
        --corpus ../shared/corpus/real8.txt.gz --memory 512M

Stanford's pipeline is ``vocab_count``, ``cooccur -memory``, ``shuffle -memory``, then ``glove``;
glovefast's is ``Corpus.fit(memory=...)`` into an on-disk store, then ``Glove.fit(store,
memory=...)``. Both read the same uncompressed text (the corpus is decompressed once, untimed) with
window 15, min_count 5, d=50, x_max 10 and the same threads. Each stage runs in a fresh process:
glovefast's children report their own peak RSS (``VmHWM``); Stanford's binaries are measured by
``os.wait4`` (``ru_maxrss``, started from this small parent, which imports nothing heavy).

An epoch is timed as the difference between a ``glove -iter 1+E`` and a ``glove -iter 1`` run
divided by E (so loading and saving cancel out), and for glovefast as the mean of
``Glove.epoch_seconds_``. The machine's speed drifts with its neighbours' load, so every repeat
reports its own ratio and the spread is printed. Stanford's tools are not part of glovefast: build
them yourself (``make`` in a clone of stanfordnlp/GloVe) and pass their build directory.
"""
import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

if not __package__:  # run as python benchmarks/stanford_budget.py, not python -m benchmarks.stanford_budget
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    __package__ = "benchmarks"

from ._measure import CHILD_PRELUDE, HERE, add_real8_budget_options, run_json, write_json


def _gib(text):
    """'512M' -> 0.5 (Stanford's -memory is in GB)."""
    from glovefast._util.memory import parse_memory

    return parse_memory(text) / (1 << 30)


def run_binary(argv, stdin_path=None, stdout_path=None, cwd=None):
    """Run a program, returning (wall seconds, peak RSS MiB from wait4)."""
    fin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
    fout = open(stdout_path, "wb") if stdout_path else subprocess.DEVNULL
    try:
        t = time.perf_counter()
        proc = subprocess.Popen(argv, stdin=fin, stdout=fout, stderr=subprocess.PIPE, cwd=cwd)
        err = proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t
        proc.returncode = os.waitstatus_to_exitcode(status)
    finally:
        if stdin_path:
            fin.close()
        if stdout_path:
            fout.close()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({proc.returncode}): {err.decode(errors='replace')[-500:]}")
    return seconds, usage.ru_maxrss / 1024


# glovefast's stages run as `python -c` children so each has its own VmHWM.
_CHILD = CHILD_PRELUDE + r"""
from glovefast import Corpus, Glove
from glovefast.cooc.store import CooccurrenceStore
args = json.loads(sys.argv[1])
out = {}
if args["stage"] == "count":
    import logging

    class Keep(logging.Handler):  # the summary line: vocabulary, pairs and spilled runs
        def emit(self, record):
            out["log"] = record.getMessage()

    logging.getLogger("glovefast.corpus").addHandler(Keep(logging.INFO))
    logging.getLogger("glovefast.corpus").setLevel(logging.INFO)
    t = time.perf_counter()
    Corpus().fit(args["corpus"], window=args["window"], min_count=args["min_count"], no_threads=args["threads"],
                 memory=args["memory"], tmp_dir=args["tmp"], store=args["store"])
    out["seconds"] = time.perf_counter() - t
    out["nnz"] = CooccurrenceStore.open(args["store"]).nnz
else:
    g = Glove(no_components=args["dim"], max_count=10, learning_rate=0.05, random_state=0)
    t = time.perf_counter()
    g.fit(CooccurrenceStore.open(args["store"]), epochs=args["epochs"], no_threads=args["threads"],
          memory=args["memory"], tmp_dir=args["tmp"])
    out["seconds"] = time.perf_counter() - t
    out["epoch_seconds"] = list(g.epoch_seconds_)
    out["updates"] = int(g.n_updates_per_epoch_)
out["peak_rss_mb"] = vmhwm()
print(json.dumps(out))
"""


def run_glovefast(**args):
    return run_json([sys.executable, "-c", _CHILD, json.dumps(args)], f"glovefast {args['stage']}")


def one_repeat(bin_dir, text, tmp, a):
    gb = f"{_gib(a.memory):.4f}"
    res = {"load_average": os.getloadavg()[0]}
    vocab, cooc, shuf = (os.path.join(tmp, n) for n in ("vocab.txt", "cooc.bin", "cooc.shuf.bin"))
    s1, r1 = run_binary([os.path.join(bin_dir, "vocab_count"), "-min-count", str(a.min_count), "-verbose", "0"],
                        text, vocab)
    s2, r2 = run_binary([os.path.join(bin_dir, "cooccur"), "-memory", gb, "-vocab-file", vocab, "-verbose", "0",
                         "-window-size", str(a.window), "-overflow-file", os.path.join(tmp, "overflow")], text, cooc)
    s3, r3 = run_binary([os.path.join(bin_dir, "shuffle"), "-memory", gb, "-verbose", "0",
                         "-temp-file", os.path.join(tmp, "temp_shuffle")], cooc, shuf)
    res["stanford_count_seconds"] = s1 + s2 + s3
    res["stanford_count_stages"] = {"vocab_count": s1, "cooccur": s2, "shuffle": s3}
    res["stanford_count_peak_rss_mb"] = max(r1, r2, r3)
    if not a.count_only:
        _stanford_epochs(bin_dir, tmp, vocab, shuf, a, res)
    for name in ("vocab.txt", "cooc.bin", "cooc.shuf.bin"):
        os.remove(os.path.join(tmp, name))
    store = os.path.join(tmp, "store")
    c = run_glovefast(stage="count", corpus=text, window=a.window, min_count=a.min_count, threads=a.threads,
                      memory=a.memory, tmp=tmp, store=store)
    res["glovefast_count_seconds"] = c["seconds"]
    res["glovefast_count_peak_rss_mb"] = c["peak_rss_mb"]
    res["glovefast_nnz_upper"] = c["nnz"]
    res["glovefast_count_log"] = c.get("log")
    res["count_speedup"] = res["stanford_count_seconds"] / res["glovefast_count_seconds"]
    if not a.count_only:
        g = run_glovefast(stage="train", store=store, dim=a.dim, epochs=a.epochs, threads=a.threads,
                          memory=a.memory, tmp=tmp)
        res["glovefast_epoch_seconds"] = sum(g["epoch_seconds"]) / len(g["epoch_seconds"])
        res["glovefast_all_epoch_seconds"] = g["epoch_seconds"]
        res["glovefast_train_peak_rss_mb"] = g["peak_rss_mb"]
        res["epoch_speedup"] = res["stanford_epoch_seconds"] / res["glovefast_epoch_seconds"]
    shutil.rmtree(store)
    return res


def _stanford_epochs(bin_dir, tmp, vocab, shuf, a, res):
    """Stanford's epoch time: (glove -iter 1+E minus glove -iter 1) / E, so loading cancels out."""
    glove = [os.path.join(bin_dir, "glove"), "-save-file", os.path.join(tmp, "vectors"), "-threads",
             str(a.threads), "-input-file", shuf, "-x-max", "10", "-vector-size", str(a.dim), "-binary", "0",
             "-vocab-file", vocab, "-verbose", "0", "-eta", "0.05", "-write-header", "0"]
    t1, g1 = run_binary(glove + ["-iter", "1"])
    tn, gn = run_binary(glove + ["-iter", str(1 + a.epochs)])
    res["stanford_epoch_seconds"] = (tn - t1) / a.epochs
    res["stanford_train_peak_rss_mb"] = max(g1, gn)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stanford-bin", required=True, help="directory holding vocab_count, cooccur, shuffle, glove")
    add_real8_budget_options(ap)
    ap.add_argument("--epochs", type=int, default=2, help="epochs timed per system and repeat")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--count-only", action="store_true",
                    help="time counting only (Stanford's vocab_count + cooccur + shuffle against Corpus.fit)")
    ap.add_argument("--tmp-dir", default=None)
    ap.add_argument("--out", default=os.path.join(HERE, "results", "stanford_budget.json"))
    a = ap.parse_args()
    runs = []
    with tempfile.TemporaryDirectory(dir=a.tmp_dir) as tmp:
        text = os.path.join(tmp, "corpus.txt")
        with gzip.open(a.corpus, "rb") if a.corpus.endswith(".gz") else open(a.corpus, "rb") as src, \
                open(text, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 22)
        for k in range(a.repeats):
            r = one_repeat(os.path.abspath(a.stanford_bin), text, tmp, a)
            runs.append(r)
            line = (f"repeat {k + 1} (load {r['load_average']:.1f}): counting Stanford "
                    f"{r['stanford_count_seconds']:.1f}s ({r['stanford_count_peak_rss_mb']:.0f} MiB) vs glovefast "
                    f"{r['glovefast_count_seconds']:.1f}s ({r['glovefast_count_peak_rss_mb']:.0f} MiB): "
                    f"{r['count_speedup']:.1f}x")
            if not a.count_only:
                line += (f"; epoch Stanford {r['stanford_epoch_seconds']:.1f}s ({r['stanford_train_peak_rss_mb']:.0f} "
                         f"MiB) vs glovefast {r['glovefast_epoch_seconds']:.2f}s "
                         f"({r['glovefast_train_peak_rss_mb']:.0f} MiB): {r['epoch_speedup']:.1f}x")
            print(line + f"\n  glovefast: {r['glovefast_count_log']}", flush=True)
    cs = [r["count_speedup"] for r in runs]
    summary = {"count_speedup": [min(cs), max(cs)]}
    line = f"counting speed-up {min(cs):.1f}-{max(cs):.1f}x"
    if not a.count_only:
        es = [r["epoch_speedup"] for r in runs]
        summary["epoch_speedup"] = [min(es), max(es)]
        line += f", epoch speed-up {min(es):.1f}-{max(es):.1f}x"
    print(f"{line} at -memory {a.memory}")
    write_json(a.out, {"settings": vars(a), "runs": runs, "summary": summary}, indent=2)
    print(f"wrote {a.out}")


if __name__ == "__main__":
    sys.exit(main())
