"""word2vec: glovefast against gensim (corpus_file and iterable modes) and word2vec.c, same settings,
same run, every system's vectors scored by the one evaluator.

    python -m benchmarks.word2vec --word2vec-bin PATH/TO/word2vec --repeats 3 --peer-repeats 2
    python -m benchmarks.word2vec --max-tokens 5000000 --epochs 1 --systems glovefast gensim_file   # a slice

Settings default to issue 19's anchors: real8, d=100, window 5, negative 5, sample 1e-3,
min_count 5, 5 epochs, 2 threads, skip-gram and CBOW. Start learning rates are each system's
own defaults: 0.025 for skip-gram everywhere; for CBOW gensim's 0.025 and word2vec.c's 0.05, and
glovefast's 0.05 (``--cbow-alpha`` changes glovefast's).

Protocol (see peer_runs.py, shared with compare.py): the corpus is written once as plain text
(every system reads the same bytes; gensim's corpus_file mode and word2vec.c read nothing else),
each run is a fresh process, started one after the other. A repeat runs every system once per
mode (``--peer-repeats`` limits the peers to the first rounds: glovefast's quality gets more seeds at
little cost); the order alternates between repeats (forward, then reversed), and repeat k uses
seed k (word2vec.c has no seed option). Every run records the load average before it starts. The time
compared is each system's fit as it measures it itself: glovefast reading + training, gensim
``build_vocab`` + ``train``, word2vec.c the program's wall time (it writes its vectors too);
the process wall time (interpreter start-up and saving included) is kept beside it. Ratios are
taken within a repeat (peer fit / glovefast fit), so a neighbour's load shifts both sides.
Memory is each process's peak RSS (``VmHWM``; word2vec.c: ``ru_maxrss`` from ``os.wait4`` in its
small runner). Scores: :func:`glovefast.vectors.evaluation.evaluate_all`, 3CosAdd over the 30,000 most
frequent words, WordSim-353 and SimLex-999 Spearman over the same words.

Results: ``--out``/word2vec.json (everything) and word2vec.md (the tables, also printed), logs
in ``--out``/logs/word2vec/.
"""
from __future__ import annotations

import argparse
import json
import logging
import math
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

if not __package__:  # run as python benchmarks/word2vec.py, not python -m benchmarks.word2vec
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    __package__ = "benchmarks"

from ._measure import REAL8, SHARED_EVAL, child_env, spread, write_json

log = logging.getLogger("word2vec")

HERE = Path(__file__).resolve().parent

#: system -> (runner module in benchmarks.peers, extra runner options)
SYSTEMS = {
    "glovefast": ("glovefast_w2v_run", []),
    "gensim_file": ("gensim_run", ["--mode", "corpus_file"]),
    "gensim_iter": ("gensim_run", ["--mode", "iterable"]),
    "word2vec_c": ("word2vec_c_run", []),
}
MODES = {"sg": 1, "cbow": 0}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--corpus", default=REAL8, help="Text corpus, plain or .gz (default: real8).")
    p.add_argument("--max-tokens", type=int, default=0, help="Use only the first N tokens (0: all).")
    p.add_argument("--modes", nargs="+", choices=sorted(MODES), default=["sg", "cbow"])
    p.add_argument("--systems", nargs="+", choices=list(SYSTEMS), default=list(SYSTEMS),
                   help="word2vec_c runs only with --word2vec-bin.")
    p.add_argument("--word2vec-bin", help="word2vec.c's executable, built by hand (tmikolov/word2vec).")
    p.add_argument("--gensim-python", default=sys.executable,
                   help="Interpreter whose gensim runs the gensim rows (default: this one).")
    p.add_argument("--repeats", type=int, default=1, help="Rounds of every system and mode (seeds 1..N).")
    p.add_argument("--peer-repeats", type=int, default=None,
                   help="Rounds the peers take part in (default: all); later rounds run glovefast alone, for "
                        "more seeds of its quality at little cost.")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--dim", type=int, default=100)
    p.add_argument("--window", type=int, default=5)
    p.add_argument("--negative", type=int, default=5)
    p.add_argument("--sample", type=float, default=1e-3)
    p.add_argument("--min-count", type=int, default=5)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--sg-alpha", type=float, default=0.025, help="glovefast's skip-gram start alpha.")
    p.add_argument("--cbow-alpha", type=float, default=0.05, help="glovefast's CBOW start alpha.")
    p.add_argument("--eval-dir", type=Path, default=Path(SHARED_EVAL))
    p.add_argument("--timeout", type=float, default=3 * 3600, help="Seconds after which a run is killed.")
    p.add_argument("--out", type=Path, default=HERE / "results", help="Directory of word2vec.json / .md.")
    p.add_argument("--name", default="word2vec", help="Base name of the result files.")
    args = p.parse_args(argv)
    if "word2vec_c" in args.systems and not args.word2vec_bin:
        args.systems = [s for s in args.systems if s != "word2vec_c"]
        log.warning("word2vec_c skipped: no --word2vec-bin")
    if args.repeats < 1:
        p.error("--repeats must be >= 1")
    if args.peer_repeats is None or args.peer_repeats > args.repeats:
        args.peer_repeats = args.repeats
    return args


def command(system, mode, args, corpus, vectors, stats, seed):
    """The runner's command line for one run."""
    module, extra = SYSTEMS[system]
    python = args.gensim_python if module == "gensim_run" else sys.executable
    cmd = [python, "-m", f"{__package__}.peers.{module}", "--corpus", str(corpus), "--dim", str(args.dim),
           "--window", str(args.window), "--epochs", str(args.epochs), "--min-count", str(args.min_count),
           "--threads", str(args.threads), "--seed", str(seed), "--sg", str(MODES[mode]),
           "--negative", str(args.negative), "--out", str(vectors), "--stats", str(stats)] + extra
    if module == "glovefast_w2v_run":
        cmd += ["--sample", str(args.sample),
                "--learning-rate", str(args.sg_alpha if mode == "sg" else args.cbow_alpha)]
    elif module == "word2vec_c_run":
        cmd += ["--bin", args.word2vec_bin, "--sample", str(args.sample)]
    elif args.sample != 1e-3:
        raise SystemExit("the gensim runner uses gensim's sample=1e-3; drop gensim or --sample")
    return cmd


def fit_seconds(stats):
    """The fit as the system measures it: every stage its runner timed (reading to trained vectors)."""
    return sum(stats.get("stages", {}).values())


def run_one(system, mode, args, corpus, work, seed, eval_sets):
    from .peer_runs import evaluate_vectors, run_child

    tag = f"{system}_{mode}_seed{seed}"
    vectors, stats_path, log_path = work / f"{tag}.npz", work / f"{tag}.json", args.logs / f"{tag}.log"
    load = os.getloadavg()
    cmd = command(system, mode, args, corpus, vectors, stats_path, seed)
    env = child_env()
    code, wall, _, timed_out = run_child(cmd, log_path, env=env, timeout=args.timeout)
    row = {"system": system, "mode": mode, "seed": seed, "exit_code": code, "process_seconds": wall,
           "load_before": load, "load_after": os.getloadavg(), "command": cmd, "timed_out": timed_out}
    if code != 0:
        row["error"] = log_path.read_text(errors="replace")[-2000:]
        log.error("%s failed (%d): see %s", tag, code, log_path)
        return row
    stats = json.loads(stats_path.read_text())
    row.update(fit_seconds=fit_seconds(stats), stages=stats.get("stages"), peak_rss_mb=stats.get("peak_rss_mb"),
               losses=stats.get("losses"), vocab_size=stats.get("vocab_size"), extra=stats.get("extra"))
    scores = evaluate_vectors(vectors, eval_sets)  # after the child exited: never during a timed run
    row.update(analogy=scores["analogy"], ws353=scores["ws353"], simlex=scores["simlex"])
    vectors.unlink()
    log.info("%-12s %-4s seed %d: fit %.1f s (process %.1f s), %s MB, analogy %.2f %%, WS353 %.3f, SimLex %.3f, "
             "load %.1f", system, mode, seed, row["fit_seconds"], wall,
             "?" if row["peak_rss_mb"] is None else f"{row['peak_rss_mb']:.0f}", 100 * row["analogy"], row["ws353"],
             row["simlex"], load[0])
    return row


def summarise(rows, systems, modes):
    """Per mode and system: fit time, memory and score spreads, and same-repeat ratios to glovefast."""
    out = {}
    for mode in modes:
        out[mode] = {}
        ok = [r for r in rows if r["mode"] == mode and r["exit_code"] == 0]
        ours = {r["seed"]: r["fit_seconds"] for r in ok if r["system"] == "glovefast"}
        for system in systems:
            mine = [r for r in ok if r["system"] == system]
            if not mine:
                continue
            s = {"runs": len(mine), "fit_seconds": spread([r["fit_seconds"] for r in mine]),
                 "process_seconds": spread([r["process_seconds"] for r in mine]),
                 "peak_rss_mb": spread([r["peak_rss_mb"] for r in mine if r["peak_rss_mb"] is not None] or [math.nan])}
            for key in ("analogy", "ws353", "simlex"):
                vals = [r[key] for r in mine]
                s[key] = {"mean": statistics.fmean(vals), **spread(vals)}
            ratios = [r["fit_seconds"] / ours[r["seed"]] for r in mine if r["seed"] in ours]
            if system != "glovefast" and ratios:
                s["slower_than_glovefast"] = spread(ratios)
            out[mode][system] = s
    return out


def markdown(summary, info):
    lines = [f"word2vec on {info['corpus']['source']} ({info['corpus']['tokens']:,} tokens), d={info['settings']['dim']}, "
             f"window {info['settings']['window']}, negative {info['settings']['negative']}, sample "
             f"{info['settings']['sample']}, min_count {info['settings']['min_count']}, {info['settings']['epochs']} "
             f"epochs, {info['settings']['threads']} threads; {info['repeats']} repeat(s), seeds 1..{info['repeats']} "
             f"(the peers in the first {info['peer_repeats']})",
             f"CPU: {info['machine']['cpu']} ({info['machine']['cores']} cores); load average at the runs' starts: "
             f"{info['load']['min']:.1f}-{info['load']['max']:.1f}", ""]
    for mode, systems in summary.items():
        lines += [f"### {'skip-gram' if mode == 'sg' else 'CBOW'}", "",
                  "| system | fit s (median, min-max) | x glovefast's time (min-max) | peak RSS MB | analogy % (mean, min-max) "
                  "| WS353 (mean, min-max) | SimLex (mean) |",
                  "|---|---:|---:|---:|---:|---:|---:|"]
        for system, s in systems.items():
            f, r = s["fit_seconds"], s.get("slower_than_glovefast")
            ratio = "1" if system == "glovefast" else (
                "" if r is None else f"{r['median']:.2f} ({r['min']:.2f}-{r['max']:.2f})")
            a, w = s["analogy"], s["ws353"]
            lines.append(f"| {system} | {f['median']:.1f} ({f['min']:.1f}-{f['max']:.1f}) | {ratio} | "
                         f"{s['peak_rss_mb']['median']:.0f} | {100 * a['mean']:.2f} ({100 * a['min']:.2f}-{100 * a['max']:.2f}) | "
                         f"{w['mean']:.3f} ({w['min']:.3f}-{w['max']:.3f}) | {s['simlex']['mean']:.3f} |")
        lines.append("")
    return "\n".join(lines)


def main(argv=None):
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("glovefast").setLevel(logging.WARNING)  # the evaluator logs every analogy section
    args = parse_args(argv)
    from .peer_runs import machine_info, prepare_corpus, resolve_eval_sets

    args.logs = args.out / "logs" / "word2vec"
    args.logs.mkdir(parents=True, exist_ok=True)
    eval_sets = resolve_eval_sets(args.eval_dir)
    work = Path(tempfile.mkdtemp(prefix="w2v-bench-"))
    rows = []
    try:
        corpus, corpus_info = prepare_corpus(Path(args.corpus), work, args.max_tokens)
        log.info("corpus %s: %d tokens, %d lines", corpus, corpus_info["tokens"], corpus_info["lines"])
        for k in range(args.repeats):
            systems = args.systems if k < args.peer_repeats else [s for s in args.systems if s == "glovefast"]
            order = [(m, s) for m in args.modes for s in systems]
            for mode, system in (order if k % 2 == 0 else order[::-1]):
                rows.append(run_one(system, mode, args, corpus, work, k + 1, eval_sets))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    summary = summarise(rows, args.systems, args.modes)
    loads = [r["load_before"][0] for r in rows]
    info = {"corpus": corpus_info, "machine": machine_info(), "repeats": args.repeats, "peer_repeats": args.peer_repeats,
            "load": {"min": min(loads), "max": max(loads)},
            "settings": {k: getattr(args, k) for k in ("dim", "window", "negative", "sample", "min_count", "epochs",
                                                     "threads", "sg_alpha", "cbow_alpha")}}
    table = markdown(summary, info)
    print(table)
    write_json(args.out / f"{args.name}.json", {"info": info, "summary": summary, "runs": rows}, indent=1)
    (args.out / f"{args.name}.md").write_text(table + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
