"""Counting on Dask against counting in one process, on real8, measured in the same run.

    python -m benchmarks.dask_real8 --corpus ../shared/corpus/real8.txt.gz

real8 is split into ``--files`` files first (work is distributed by file). Then, ``--repeats``
times, in alternating order: ``Corpus().fit(files, window=15, min_count=5, no_threads=2)`` in
this process, and the same with ``client=`` a 2-worker ``LocalCluster`` (worker processes,
1 thread each; the cluster is started and warmed up once, before timing, as a user's running
cluster would be). The matrices must be identical entry for entry. Wall times, the Dask stage
times and the load average around each run go to stdout and ``--out`` (JSON): on a shared
machine, compare the two only within a repeat and look at the spread.
"""
import argparse
import gzip
import json
import logging
import os
import platform
import re
import shutil
import sys
import tempfile
import time

if not __package__:  # run as python benchmarks/dask_real8.py, not python -m benchmarks.dask_real8
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    __package__ = "benchmarks"

from ._measure import write_json


def split_corpus(corpus, out_dir, n_files):
    """Split ``corpus`` (plain or gzip) by lines into ``n_files`` plain files of similar size."""
    opener = gzip.open if open(corpus, "rb").read(2) == b"\x1f\x8b" else open
    with opener(corpus, "rb") as fh:
        lines = fh.read().splitlines(keepends=True)
    total = sum(len(x) for x in lines)
    paths, k, acc, out = [], 0, 0, None
    for line in lines:
        if out is None or (acc >= total * (k / n_files) and k < n_files):
            if out is not None:
                out.close()
            paths.append(os.path.join(out_dir, f"part{k:02d}.txt"))
            out = open(paths[-1], "wb")
            k += 1
        out.write(line)
        acc += len(line)
    out.close()
    return paths


class _StageTimes(logging.Handler):
    """Keeps the last Dask counting summary logged by glovefast.cooc.dask_counting."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.last = None

    def emit(self, record):
        m = re.search(r"vocabulary ([\d.]+)s, counting ([\d.]+)s, merge ([\d.]+)s, assembly ([\d.]+)s",
                      record.getMessage())
        if m:
            self.last = dict(zip(("vocabulary", "counting", "merge", "assembly"), map(float, m.groups())))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2, help="threads of the single-process count")
    parser.add_argument("--work-dir", help="directory for the split files and Dask's intermediate files")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results", "dask_real8.json"))
    args = parser.parse_args(argv)

    import numpy as np
    from distributed import Client, LocalCluster

    import glovefast
    from glovefast import Corpus

    stages = _StageTimes()
    logging.getLogger("glovefast.cooc.dask_counting").addHandler(stages)
    logging.getLogger("glovefast.cooc.dask_counting").setLevel(logging.INFO)
    root = tempfile.mkdtemp(prefix="glovefast-dask-bench-", dir=args.work_dir)
    os.environ["PYTHONPATH"] = os.path.dirname(os.path.dirname(glovefast.__file__))
    try:
        t = time.perf_counter()
        files = split_corpus(args.corpus, root, args.files)
        print(f"split {args.corpus} into {len(files)} files in {time.perf_counter() - t:.1f}s", flush=True)
        runs = []
        with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                          worker_dashboard_address=":0") as cluster, Client(cluster) as client:
            Corpus().fit(files[:1], window=15, min_count=5, client=client)  # warm-up: imports on the workers
            reference = None
            for rep in range(args.repeats):
                for mode in (("local", "dask") if rep % 2 == 0 else ("dask", "local")):
                    load_before = os.getloadavg()
                    t = time.perf_counter()
                    if mode == "local":
                        c = Corpus().fit(files, window=15, min_count=5, no_threads=args.threads)
                    else:
                        c = Corpus().fit(files, window=15, min_count=5, client=client, work_dir=root)
                    seconds = time.perf_counter() - t
                    m = c.matrix
                    if reference is None:
                        reference = (c.dictionary, c.word_counts, m.row.copy(), m.col.copy(), m.data.copy())
                        identical = True
                    else:
                        identical = (c.dictionary == reference[0] and np.array_equal(c.word_counts, reference[1])
                                     and all(np.array_equal(a, b) for a, b in zip((m.row, m.col, m.data),
                                                                                  reference[2:])))
                    run = {"repeat": rep, "mode": mode, "seconds": seconds, "nnz": int(m.nnz),
                           "words": len(c.dictionary), "identical_to_first": bool(identical),
                           "loadavg_before": load_before, "loadavg_after": os.getloadavg()}
                    if mode == "dask":
                        run["stages"] = stages.last
                    runs.append(run)
                    print(json.dumps(run), flush=True)
                    del c, m
    finally:
        shutil.rmtree(root, ignore_errors=True)

    ratios = []
    for rep in range(args.repeats):
        by_mode = {r["mode"]: r["seconds"] for r in runs if r["repeat"] == rep}
        ratios.append(by_mode["dask"] / by_mode["local"])
    result = {
        "corpus": args.corpus,
        "files": args.files,
        "settings": {"window": 15, "min_count": 5, "local_threads": args.threads,
                     "dask_workers": args.workers, "dask_threads_per_worker": 1},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "runs": runs,
        "dask_over_local": ratios,
        "all_identical": all(r["identical_to_first"] for r in runs),
    }
    write_json(args.out, result, indent=1)
    local = [r["seconds"] for r in runs if r["mode"] == "local"]
    dask = [r["seconds"] for r in runs if r["mode"] == "dask"]
    print(f"local: {min(local):.2f}-{max(local):.2f}s  dask: {min(dask):.2f}-{max(dask):.2f}s  "
          f"dask/local per repeat: {', '.join(f'{x:.2f}' for x in ratios)}  identical: {result['all_identical']}")
    return 0 if result["all_identical"] else 1


if __name__ == "__main__":
    sys.exit(main())
