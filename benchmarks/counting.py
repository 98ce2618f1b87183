"""Counting in a memory budget: time, peak memory and exactness against in-RAM counting.

    python -m benchmarks.counting --scenarios real8 zipf small --repeats 3

Scenarios (each count runs in a fresh child process, so its peak RSS, VmHWM, is its own):

``real8``
    ``../shared/corpus/real8.txt.gz`` (29M tokens), window 15, min_count 5: the default budget
    (in RAM, the matrix as a COO) against ``memory="512M"`` writing a store, alternating, each
    ``--repeats`` times. Reports both times (min / median / max), the ratio of medians, both peak
    RSS and whether the matrices are identical (digests of row, col and count arrays).
``zipf``
    A generated Zipfian corpus (``zipf`` sub-command: 500k-word vocabulary, exponent 1) whose
    matrix is at least 3x a 256M budget as a COO, counted with ``memory="256M"`` into a store and
    in RAM with the default budget.
``small``
    Slices of real8 (first 1M and 5M tokens, and all of it), window 15, min_count 1: glovefast's
    counting time, and glove_python's ``Corpus.fit`` on the same text when ``--glove-python``
    names a Python that imports it (``pip install bicleaner-ai-glove`` in its own venv).

Results: ``--out`` (default ``benchmarks/results/counting.json``) and a markdown table next to it.
"""
import argparse
import hashlib
import json
import os
import platform
import shutil
import sys
import tempfile
import time

if not __package__:  # run as python benchmarks/counting.py, not python -m benchmarks.counting
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    __package__ = "benchmarks"

from ._measure import HERE, REAL8, run_json, spread, vmhwm, write_json


def _digest_arrays(blocks):
    hashes = [hashlib.sha256() for _ in range(3)]
    n = 0
    for arrays in blocks:
        for h, a in zip(hashes, arrays):
            h.update(a.tobytes())
        n += len(arrays[0])
    return n, "-".join(h.hexdigest()[:16] for h in hashes)


# ------------------------------------------------------------------------------------------ children
def child_glovefast(args):
    import numpy as np

    from glovefast import Corpus

    kwargs = {}
    if args.memory:
        kwargs["memory"] = args.memory
    if args.store:
        kwargs["store"] = args.store
        kwargs["tmp_dir"] = os.path.dirname(args.store)
    t = time.perf_counter()
    c = Corpus().fit(args.corpus, window=args.window, min_count=args.min_count, no_threads=args.threads, **kwargs)
    seconds = time.perf_counter() - t
    rss = vmhwm()  # counting's peak, before the digest reads anything
    if c.store is not None:
        blocks = ((np.asarray(r, np.int32), np.asarray(co, np.int32), np.asarray(x, np.float64))
                  for r, co, x in c.store.iter_shards(mmap=False))
    else:
        m = c.matrix
        blocks = [(m.row.astype(np.int32), m.col.astype(np.int32), m.data.astype(np.float64))]
    nnz, digest = _digest_arrays(blocks)
    print(json.dumps({"seconds": seconds, "peak_rss_mb": rss, "nnz": nnz, "digest": digest,
                      "words": len(c.dictionary), "tokens": int(c.n_tokens),
                      "store": c.store is not None}))


def child_glove_python(args):
    from glove import Corpus

    def lines():
        with open(args.corpus, encoding="utf-8") as fh:
            for line in fh:
                yield line.split()

    t = time.perf_counter()
    c = Corpus()
    c.fit(lines(), window=args.window)
    print(json.dumps({"seconds": time.perf_counter() - t, "peak_rss_mb": vmhwm(), "nnz": int(c.matrix.nnz),
                      "words": len(c.dictionary)}))


def _run_child(python, kind, corpus, window, min_count, threads, memory=None, store=None, timeout=7200):
    cmd = [python, "-m", "benchmarks.counting", kind, "--corpus", corpus, "--window", str(window),
           "--min-count", str(min_count), "--threads", str(threads)]
    if memory:
        cmd += ["--memory", memory]
    if store:
        cmd += ["--store", store]
    t = time.perf_counter()
    out = run_json(cmd, " ".join(cmd), timeout=timeout)
    out["wall"] = time.perf_counter() - t
    out["command"] = " ".join(cmd)
    return out


def _spread(xs):
    return {**spread(xs), "all": xs}


# ------------------------------------------------------------------------------------------ corpora
def make_zipf(path, tokens, vocab=500_000, exponent=1.0, doc_len=1000, seed=0):
    """Write a corpus of ``tokens`` tokens drawn from a Zipf law over ``vocab`` words
    (``w<rank>``), ``doc_len`` tokens a line."""
    import numpy as np

    rng = np.random.default_rng(seed)
    p = 1.0 / np.arange(1, vocab + 1) ** exponent
    cdf = np.cumsum(p / p.sum())
    words = np.array([f"w{i}" for i in range(vocab)], dtype=object)
    with open(path, "w", encoding="ascii") as fh:
        done = 0
        while done < tokens:
            n = min(1_000_000, tokens - done)
            ranks = np.minimum(np.searchsorted(cdf, rng.random(n)), vocab - 1)
            toks = words[ranks]
            fh.write("\n".join(" ".join(toks[k:k + doc_len]) for k in range(0, n, doc_len)))
            fh.write("\n")
            done += n


def make_slice(src, dst, tokens):
    """The first ``tokens`` tokens of ``src`` (line structure kept) as plain text."""
    import gzip

    done = 0
    with gzip.open(src, "rt", encoding="utf-8") as fin, open(dst, "w", encoding="utf-8") as fout:
        for line in fin:
            toks = line.split()
            if done + len(toks) > tokens:
                toks = toks[:tokens - done]
            fout.write(" ".join(toks) + "\n")
            done += len(toks)
            if done >= tokens:
                break


# ------------------------------------------------------------------------------------------ scenarios
def _budget_vs_ram(corpus, window, min_count, memory, repeats, threads, work):
    ram, budget = [], []
    for k in range(repeats):
        ram.append(_run_child(sys.executable, "child-glovefast", corpus, window, min_count, threads))
        store = os.path.join(work, f"store{k}")
        budget.append(_run_child(sys.executable, "child-glovefast", corpus, window, min_count, threads, memory,
                                 store))
        shutil.rmtree(store, ignore_errors=True)
        print(f"  repeat {k + 1}: in RAM {ram[-1]['seconds']:.1f}s {ram[-1]['peak_rss_mb']:.0f} MiB; "
              f"{memory} {budget[-1]['seconds']:.1f}s {budget[-1]['peak_rss_mb']:.0f} MiB", flush=True)
    t_ram = _spread([r["seconds"] for r in ram])
    t_budget = _spread([r["seconds"] for r in budget])
    return {
        "corpus": corpus, "window": window, "min_count": min_count, "memory": memory, "threads": threads,
        "words": ram[0]["words"], "tokens": ram[0]["tokens"], "nnz": ram[0]["nnz"],
        "coo_mb": 16 * ram[0]["nnz"] / 2**20,
        "in_ram_seconds": t_ram, "budget_seconds": t_budget,
        "ratio_of_medians": t_budget["median"] / t_ram["median"],
        "ratios_per_repeat": [b["seconds"] / r["seconds"] for r, b in zip(ram, budget)],
        "in_ram_peak_rss_mb": _spread([r["peak_rss_mb"] for r in ram]),
        "budget_peak_rss_mb": _spread([r["peak_rss_mb"] for r in budget]),
        "identical": len({r["digest"] for r in ram + budget}) == 1,
        "commands": [ram[0]["command"], budget[0]["command"]],
    }


def scenario_real8(args, work):
    return _budget_vs_ram(args.real8, 15, 5, "512M", args.repeats, args.threads, work)


def scenario_zipf(args, work):
    path = os.path.join(work, "zipf.txt")
    t = time.perf_counter()
    make_zipf(path, args.zipf_tokens)
    print(f"  generated {args.zipf_tokens:,} Zipfian tokens in {time.perf_counter() - t:.0f}s", flush=True)
    out = _budget_vs_ram(path, 10, 1, "256M", args.zipf_repeats, args.threads, work)
    out["corpus"] = f"zipf: {args.zipf_tokens} tokens, 500k-word vocabulary, exponent 1 (benchmarks/counting.py zipf)"
    out["matrix_over_budget"] = out["coo_mb"] / 256
    os.unlink(path)
    return out


def scenario_small(args, work):
    """glovefast and glove_python alternate on each slice (fresh processes), so every repeat has its
    own ratio under the same load; the speed-up is the ratio of the medians."""
    rows = []
    for tokens in args.small_tokens:
        if tokens >= 29_000_000:
            import gzip
            path = os.path.join(work, "real8.txt")
            with gzip.open(args.real8, "rb") as fin, open(path, "wb") as fout:
                shutil.copyfileobj(fin, fout)
        else:
            path = os.path.join(work, f"slice{tokens}.txt")
            make_slice(args.real8, path, tokens)
        with_gp = bool(args.glove_python) and tokens <= args.glove_python_max_tokens
        gp_repeats = max(1, args.repeats - 1) if tokens > 5_000_000 else args.repeats  # minutes each at 29M
        fast, gp, loads = [], [], []
        for k in range(args.repeats):
            loads.append(os.getloadavg()[0])
            fast.append(_run_child(sys.executable, "child-glovefast", path, 15, 1, args.threads)["seconds"])
            if with_gp and k < gp_repeats:
                gp.append(_run_child(args.glove_python, "child-glove-python", path, 15, 1, args.threads)["seconds"])
        row = {"tokens": tokens, "glovefast_seconds": _spread(fast), "load_average": _spread(loads)}
        if gp:
            row["glove_python_seconds"] = _spread(gp)
            row["speedup_of_medians"] = row["glove_python_seconds"]["median"] / row["glovefast_seconds"]["median"]
            row["speedup_per_repeat"] = [g / f for g, f in zip(gp, fast)]
        rows.append(row)
        ratio = (f"; glove_python {row['glove_python_seconds']['median']:.2f}s: "
                 f"{row['speedup_of_medians']:.1f}x (per repeat "
                 f"{', '.join(f'{x:.1f}' for x in row['speedup_per_repeat'])})") if gp else ""
        print(f"  {tokens:,} tokens: glovefast {row['glovefast_seconds']['median']:.3f}s (min "
              f"{row['glovefast_seconds']['min']:.3f}, max {row['glovefast_seconds']['max']:.3f}){ratio}; "
              f"load {min(loads):.1f}-{max(loads):.1f}", flush=True)
        os.unlink(path)
    return {"window": 15, "min_count": 1, "threads": args.threads, "rows": rows}


def _markdown(res):
    lines = [f"# Counting in a memory budget ({res['date']})", "",
             f"Machine: {res['machine']}; load average at start {res['load_start']}, at end {res['load_end']} "
             "(2 cores shared with other developers: compare ratios within a run).", ""]
    for name in ("real8", "zipf"):
        r = res.get(name)
        if not r:
            continue
        lines += [f"## {name}", "", f"{r['corpus']}; window {r['window']}, min_count {r['min_count']}, "
                  f"{r['threads']} threads: {r['words']:,} words, {r['tokens']:,} tokens, {r['nnz']:,} nonzeros "
                  f"({r['coo_mb']:.0f} MiB as a COO).", "",
                  "| run | seconds (min / median / max) | peak RSS MiB (max) |", "|---|---|---|",
                  f"| in RAM (default budget) | {r['in_ram_seconds']['min']:.1f} / {r['in_ram_seconds']['median']:.1f}"
                  f" / {r['in_ram_seconds']['max']:.1f} | {r['in_ram_peak_rss_mb']['max']:.0f} |",
                  f"| memory={r['memory']}, store | {r['budget_seconds']['min']:.1f} / "
                  f"{r['budget_seconds']['median']:.1f} / {r['budget_seconds']['max']:.1f} | "
                  f"{r['budget_peak_rss_mb']['max']:.0f} |", "",
                  f"Ratio of medians {r['ratio_of_medians']:.2f} (per repeat: "
                  f"{', '.join(f'{x:.2f}' for x in r['ratios_per_repeat'])}); matrices identical: {r['identical']}.",
                  ""]
    s = res.get("small")
    if s:
        lines += ["## Small corpora (real8 slices, window 15, min_count 1)", "",
                  "| tokens | glovefast s (min / median / max) | glove_python s (median) | speed-up (per repeat) "
                  "| load average |", "|---|---|---|---|---|"]
        for row in s["rows"]:
            g = row["glovefast_seconds"]
            gp = row.get("glove_python_seconds")
            load = row.get("load_average")
            load = f"{load['min']:.1f}-{load['max']:.1f}" if load else "-"
            per = ", ".join(f"{x:.1f}" for x in row.get("speedup_per_repeat", []))
            lines.append(f"| {row['tokens']:,} | {g['min']:.3f} / {g['median']:.3f} / {g['max']:.3f} | "
                         f"{gp['median']:.2f} | {row['speedup_of_medians']:.1f}x ({per}) | {load} |" if gp else
                         f"| {row['tokens']:,} | {g['min']:.3f} / {g['median']:.3f} / {g['max']:.3f} | - | - | {load} |")
        lines.append("")
    lines += ["Command: `" + res["command"] + "`", ""]
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd")
    for kind in ("child-glovefast", "child-glove-python"):
        c = sub.add_parser(kind)
        c.add_argument("--corpus", required=True)
        c.add_argument("--window", type=int, default=15)
        c.add_argument("--min-count", type=int, default=5)
        c.add_argument("--threads", type=int, default=2)
        c.add_argument("--memory")
        c.add_argument("--store")
    z = sub.add_parser("zipf", help="write a Zipfian corpus")
    z.add_argument("path")
    z.add_argument("--tokens", type=int, default=30_000_000)
    p.add_argument("--scenarios", nargs="+", default=["real8", "zipf", "small"])
    p.add_argument("--real8", default=REAL8)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--zipf-tokens", type=int, default=30_000_000)
    p.add_argument("--zipf-repeats", type=int, default=1)
    p.add_argument("--small-tokens", type=int, nargs="+", default=[1_000_000, 5_000_000, 29_000_000])
    p.add_argument("--glove-python", help="a Python interpreter that imports glove_python (its own venv)")
    p.add_argument("--glove-python-max-tokens", type=int, default=30_000_000,
                   help="skip glove_python above this many tokens (it takes minutes on all of real8)")
    p.add_argument("--tmp-dir", default=None)
    p.add_argument("--out", default=os.path.join(HERE, "results", "counting.json"))
    args = p.parse_args(argv)
    if args.cmd == "child-glovefast":
        return child_glovefast(args)
    if args.cmd == "child-glove-python":
        return child_glove_python(args)
    if args.cmd == "zipf":
        return make_zipf(args.path, args.tokens)
    res = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": f"{platform.machine()}, "
           f"{os.cpu_count()} CPUs", "load_start": os.getloadavg()[0],
           "command": " ".join(["python -m", "benchmarks.counting"] + sys.argv[1:])}
    if os.path.exists(args.out):
        with open(args.out) as fh:
            old = json.load(fh)
        res.update({k: v for k, v in old.items() if k in ("real8", "zipf", "small")})
    with tempfile.TemporaryDirectory(dir=args.tmp_dir) as work:
        for name in args.scenarios:
            print(f"{name}:", flush=True)
            res[name] = globals()[f"scenario_{name}"](args, work)
            res["load_end"] = os.getloadavg()[0]
            md = _write(res, args.out)  # after each scenario: a later failure keeps the earlier ones
    print(md)


def _write(res, out):
    write_json(out, res, indent=1)
    md = _markdown(res)
    with open(os.path.splitext(out)[0] + ".md", "w") as fh:
        fh.write(md)
    return md


if __name__ == "__main__":
    sys.exit(main())
