"""Reading pretrained vectors: glovefast's C text parser against gensim, and opening the native format.

    python -m benchmarks.load_vectors                     # 400,000 x 300, as glove.6B.300d
    python -m benchmarks.load_vectors --rows 20000 --dim 50 --gensim-rows 20000   # a quick run

A seeded GloVe text file (no header, numbers like Stanford's ``-0.12345``) is generated once in
``--workdir`` and reused. Every measurement runs in a fresh child process, which reports its
own wall time for the load (imports excluded) and its peak RSS (``VmHWM``):

* glovefast ``WordVectors.load_glove_format`` on the full file, ``--repeat`` times;
* gensim ``KeyedVectors.load_word2vec_format(no_header=True)`` once, on the first
  ``--gensim-rows`` lines (gensim is slow: 448 s on the full file in issue 10), and glovefast on
  that same smaller file, so the speed ratio is measured on identical input in the same run;
  gensim's full-file time is extrapolated linearly and marked as such;
* the native format: ``WordVectors.save`` once, then ``WordVectors.load`` (read) and
  ``WordVectors.load(mmap=True)`` (open; plus the time of a first ``most_similar``, which pages
  the vectors in).

The machine's load average is recorded, since the 2 cores are shared. Results: stdout,
``--out`` (JSON) and the same name with ``.md``.
"""
import argparse
import json
import os
import platform
import statistics
import sys
import time

from ._measure import CHILD_PRELUDE, HERE, run_json, write_json

_CHILD = r"""{prelude}
{imports}
t, c = time.perf_counter(), time.process_time()
{load}
seconds, cpu_seconds = time.perf_counter() - t, time.process_time() - c
extra = {{}}
{after}
print(json.dumps(dict(seconds=seconds, cpu_seconds=cpu_seconds, peak_rss_mb=vmhwm(), rows=len(obj), **extra)))
"""

SYSTEMS = {
    "glovefast_text": ("from glovefast import WordVectors", "obj = WordVectors.load_glove_format({path!r}, no_threads={threads})", ""),
    "gensim_text": ("from gensim.models import KeyedVectors",
                    "obj = KeyedVectors.load_word2vec_format({path!r}, no_header=True)", ""),
    "glovefast_native_read": ("from glovefast import WordVectors", "obj = WordVectors.load({path!r})", ""),
    "glovefast_native_mmap": (
        "from glovefast import WordVectors", "obj = WordVectors.load({path!r}, mmap=True)",
        "extra['open_rss_mb'] = vmhwm()\n"
        "t = time.perf_counter(); obj.most_similar(obj.index_to_key[0], topn=5)\n"
        "extra['first_query_seconds'] = time.perf_counter() - t",
    ),
}


def run_child(system, path, threads):
    imports, load, after = SYSTEMS[system]
    code = _CHILD.format(prelude=CHILD_PRELUDE, imports=imports, load=load.format(path=path, threads=threads), after=after)
    return run_json([sys.executable, "-c", code], system)


def generate(path, rows, dim, seed):
    """A GloVe text file: words w0..w{rows-1}, values -3.00000..3.00000 with 5 decimals, single spaces."""
    import numpy as np

    rng = np.random.default_rng(seed)
    tmp = path + ".part"
    digits = [10 ** (4 - j) for j in range(5)]
    with open(tmp, "wb") as out:
        for start in range(0, rows, 10000):
            r = min(10000, rows - start)
            k = np.clip(np.round(rng.standard_normal((r, dim)) * 40000), -299999, 299999).astype(np.int64)
            a = np.abs(k)
            field = np.zeros((r, dim, 9), np.uint8)
            field[..., 0] = ord(" ")
            field[..., 1] = np.where(k < 0, ord("-"), 0)
            field[..., 2] = ord("0") + a // 100000
            field[..., 3] = ord(".")
            for j, p in enumerate(digits):
                field[..., 4 + j] = ord("0") + (a // p) % 10
            flat = field.reshape(r, dim * 9)
            lines = [f"w{start + i}".encode() + row[row != 0].tobytes() + b"\n" for i, row in enumerate(flat)]
            out.write(b"".join(lines))
    os.replace(tmp, path)


def head_lines(src, dst, n):
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        for i, line in enumerate(fin):
            if i >= n:
                break
            fout.write(line)


def _spread(runs, key):
    values = [r[key] for r in runs]
    return f"{min(values):.2f} / {statistics.median(values):.2f} / {max(values):.2f}"


def write_report(results, out):
    """Print the markdown summary and write ``out`` (JSON) and the same name with ``.md``."""
    f, full = results["file"], results["glovefast_text_full"]
    load = results["machine"]
    lines = [
        f"# Loading {f['rows']:,} x {f['dim']} GloVe text ({f['bytes'] / 2**20:.0f} MB), {results['threads']} threads",
        "",
        f"Load average {load['loadavg_start'][0]:.1f} at the start, {load['loadavg_end'][0]:.1f} at the end "
        f"({load['cpus']} CPUs shared with other jobs): wall times are inflated by the load, CPU times "
        "(user + system of the loading process) much less.",
        "",
        "| what | wall s (min / median / max) | CPU s (min / median / max) | peak RSS MB |",
        "|---|---|---|---|",
        f"| glovefast load_glove_format, full file | {_spread(full, 'seconds')} | {_spread(full, 'cpu_seconds')} "
        f"| {max(r['peak_rss_mb'] for r in full):.0f} |",
    ]
    if "same_file" in results:
        s = results["same_file"]
        g = s["gensim"]
        best_wall = min(r["seconds"] for r in s["glovefast"])
        best_cpu = min(r["cpu_seconds"] for r in s["glovefast"])
        lines += [
            f"| glovefast, first {s['rows']:,} lines | {_spread(s['glovefast'], 'seconds')} | "
            f"{_spread(s['glovefast'], 'cpu_seconds')} | {max(r['peak_rss_mb'] for r in s['glovefast']):.0f} |",
            f"| gensim load_word2vec_format(no_header=True), first {s['rows']:,} lines (once) | {g['seconds']:.1f} | "
            f"{g['cpu_seconds']:.1f} | {g['peak_rss_mb']:.0f} |",
            f"| gensim, full file (extrapolated linearly from the line above) | "
            f"{results['gensim_full_extrapolated_seconds']:.0f} | | |",
            "",
            f"On the same {s['rows']:,}-line file, in the same run: glovefast is **{g['seconds'] / best_wall:.0f}x** "
            f"faster than gensim in wall time and **{g['cpu_seconds'] / best_cpu:.0f}x** in CPU time (gensim's "
            "time / glovefast's best).",
        ]
    nr, nm = results["native_read"], results["native_mmap"]
    lines += [
        "",
        "| native format (WordVectors.save, uncompressed) | wall s (min / median / max) | CPU s | peak RSS MB |",
        "|---|---|---|---|",
        f"| WordVectors.load (read + digest check) | {_spread(nr, 'seconds')} | {_spread(nr, 'cpu_seconds')} | "
        f"{max(r['peak_rss_mb'] for r in nr):.0f} |",
        f"| WordVectors.load(mmap=True): open | {_spread(nm, 'seconds')} | {_spread(nm, 'cpu_seconds')} | "
        f"{max(r['open_rss_mb'] for r in nm):.0f} after opening |",
        f"| ... then a first most_similar (pages the vectors in, builds the unit vectors) | "
        f"{_spread(nm, 'first_query_seconds')} | | {max(r['peak_rss_mb'] for r in nm):.0f} |",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    write_json(out, results, indent=2)
    with open(os.path.splitext(out)[0] + ".md", "w") as fh:
        fh.write(text)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=400_000)
    ap.add_argument("--dim", type=int, default=300)
    ap.add_argument("--gensim-rows", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workdir", default="/tmp/glovefast_load_bench")
    ap.add_argument("--out", default=os.path.join(HERE, "results", "load_vectors.json"))
    ap.add_argument("--no-gensim", action="store_true")
    ap.add_argument("--report", metavar="JSON", help="only rewrite the report of an earlier run's JSON")
    args = ap.parse_args(argv)
    if args.report:
        with open(args.report) as fh:
            write_report(json.load(fh), args.out)
        return

    os.makedirs(args.workdir, exist_ok=True)
    big = os.path.join(args.workdir, f"glove_{args.rows}x{args.dim}_s{args.seed}.txt")
    if not os.path.exists(big):
        t = time.perf_counter()
        generate(big, args.rows, args.dim, args.seed)
        print(f"generated {big} ({os.path.getsize(big) / 2**20:.0f} MB) in {time.perf_counter() - t:.0f}s",
              file=sys.stderr)
    small_rows = min(args.gensim_rows, args.rows)
    small = os.path.join(args.workdir, f"glove_{small_rows}x{args.dim}_s{args.seed}.txt")
    if not os.path.exists(small):
        head_lines(big, small, small_rows)
    native = os.path.join(args.workdir, f"glove_{args.rows}x{args.dim}_s{args.seed}.npz")
    if not os.path.exists(native):
        from glovefast import WordVectors

        WordVectors.load_glove_format(big).save(native)

    results = {
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "loadavg_start": os.getloadavg()},
        "file": {"rows": args.rows, "dim": args.dim, "bytes": os.path.getsize(big), "seed": args.seed},
        "threads": args.threads,
    }

    def runs(system, path, n):
        out = []
        for _ in range(n):
            out.append(run_child(system, path, args.threads))
            print(f"  {system} {os.path.basename(path)}: {out[-1]}", file=sys.stderr)
        return out

    full = runs("glovefast_text", big, args.repeat)
    results["glovefast_text_full"] = full
    if not args.no_gensim:
        g_small = runs("gensim_text", small, 1)[0]
        f_small = runs("glovefast_text", small, args.repeat)
        best_small = min(r["seconds"] for r in f_small)
        results["same_file"] = {
            "rows": small_rows,
            "gensim": g_small,
            "glovefast": f_small,
            "speedup_vs_gensim": g_small["seconds"] / best_small,
        }
        results["gensim_full_extrapolated_seconds"] = g_small["seconds"] * args.rows / small_rows
    results["native_read"] = runs("glovefast_native_read", native, args.repeat)
    results["native_mmap"] = runs("glovefast_native_mmap", native, args.repeat)
    results["machine"]["loadavg_end"] = os.getloadavg()

    write_report(results, args.out)




if __name__ == "__main__":
    main()
