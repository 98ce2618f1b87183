"""The report of ``benchmarks.compare``: the markdown table, ``results.json`` and the plots,
rendered from the results dictionary alone (what ``results.json`` holds)."""
from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import Optional, Tuple

from .peer_runs import INSTALL_HINT, RESTRICT_VOCAB, json_safe

log = logging.getLogger("compare")


def _fmt(value, fmt: str, empty: str = "–") -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return empty
    return format(value, fmt)


def _fmt_rate(value: Optional[float], unit: str) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    if value >= 1e6:
        return f"{value / 1e6:.2f}M {unit}"
    if value >= 1e3:
        return f"{value / 1e3:.1f}k {unit}"
    return f"{value:.0f} {unit}"


def prepare_seconds(stats: dict) -> Tuple[Optional[float], str]:
    """Seconds spent before training (vocabulary + counting stages) and their breakdown.

    Parameters
    ----------
    stats : dict
        A child's statistics (``stages``: ordered name -> seconds).

    Returns
    -------
    total : float or None
        Sum of every stage except ``train``.
    detail : str
        ``"vocab 1.2 + count 3.4"`` when there are several such stages, else ``""``.
    """
    stages = {k: v for k, v in (stats.get("stages") or {}).items() if k != "train"}
    if not stages:
        return None, ""
    total = float(sum(stages.values()))
    detail = " + ".join(f"{k} {v:.1f}" for k, v in stages.items()) if len(stages) > 1 else ""
    return total, detail


def status_text(r: dict) -> str:
    """Status cell of a system (:meth:`RunResult.to_dict`): ``ok``, ``skipped (...)`` or
    ``failed: ...`` (pipes escaped)."""
    status, reason = r.get("status", "ok"), r.get("reason", "")
    if status == "ok":
        return "ok"
    if status == "skipped":
        text = f"skipped ({reason})"
    else:
        text = f"failed: {reason}"
    return text.replace("|", "\\|")


def settings_line(settings: dict) -> str:
    """One-line summary of the comparison settings for the markdown header."""
    return (f"d={settings['dim']}, GloVe window {settings['window']} / {settings['epochs']} epochs / "
            f"x_max {settings['x_max']:g} / lr {settings['learning_rate']:g}, "
            f"word2vec window {settings['w2v_window']} / {settings['w2v_epochs']} epochs, "
            f"min_count {settings['min_count']}, {settings['threads']} threads")


def format_markdown(results: dict) -> str:
    """Render the comparison as markdown: context lines, the table, and footnotes.

    Parameters
    ----------
    results : dict
        As written to ``results.json``: ``machine``, ``settings``, ``corpus``, ``eval_sets``,
        ``systems`` (list of :meth:`RunResult.to_dict`).

    Returns
    -------
    str
        Markdown text.
    """
    m, s, c = results["machine"], results["settings"], results["corpus"]
    pk = m.get("packages", {})
    versions = ", ".join(f"{k} {v}" for k, v in pk.items() if v)
    lines = [
        "## Peer comparison",
        "",
        f"Corpus: `{Path(c['source']).name}`"
        + (f" (first {c['tokens']:,} tokens)" if c.get("max_tokens") else f", {c['tokens']:,} tokens")
        + f", {c['lines']:,} lines. Settings: {settings_line(s)}.",
        "",
        f"Machine: {m['cpu']}, {m['cores']} logical cores"
        + (f" ({m['cores_usable']} usable)" if m.get("cores_usable") not in (None, m["cores"]) else "")
        + (f", {m['memory_gib']} GiB" if m.get("memory_gib") else "")
        + f"; Python {m['python']}; {versions}. Run {m['date']}.",
        "",
        "| System | Vocab + count (s) | Train (s) | Total wall (s) | Train throughput | Peak RSS (MiB) "
        "| Analogy (%) | WS353 ρ | SimLex ρ | Status |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results["systems"]:
        st = r.get("stats") or {}
        sc = r.get("scores") or {}
        prep, detail = prepare_seconds(st)
        prep_cell = _fmt(prep, ".1f") + (f" ({detail})" if detail else "")
        train = (st.get("stages") or {}).get("train")
        analogy = sc.get("analogy")
        row = [
            r["label"],
            prep_cell,
            _fmt(train, ".1f"),
            _fmt(r.get("wall_seconds"), ".1f"),
            _fmt_rate(st.get("throughput"), st.get("throughput_unit", "updates/s")),
            _fmt(r.get("peak_rss_mb"), ".0f"),
            _fmt(None if analogy is None else 100.0 * analogy, ".1f"),
            _fmt(sc.get("ws353"), ".3f"),
            _fmt(sc.get("simlex"), ".3f"),
            status_text(r),
        ]
        lines.append("| " + " | ".join(row) + " |")
    lines += [
        "",
        "- *Vocab + count*: building the vocabulary and the cooccurrence matrix (GloVe systems) "
        "or the vocabulary pass (word2vec), timed inside the child. *Train*: all epochs. "
        "*Total wall*: the whole child process as seen by the parent (start-up, reading, "
        "saving the vectors included).",
        "- *Train throughput*: GloVe systems in cooccurrence updates per second (one update = one "
        "`(i, j)` entry visited; glovefast, Stanford and the PyTorch run train each off-diagonal pair "
        "in both orientations, glove_python visits each stored upper-triangle entry once with tied "
        "vectors); word2vec in corpus words per second. The two units are not comparable: compare "
        "wall times.",
        "- *Peak RSS*: the child process's own maximum resident memory (`VmHWM` of its address "
        "space, read by the child at its end).",
        f"- Scores from `glovefast.vectors.evaluation.evaluate_all` for every system: analogy accuracy on "
        f"questions-words with candidates and questions restricted to the {RESTRICT_VOCAB:,} most "
        "frequent words (3CosAdd, case-insensitive, out-of-vocabulary questions skipped); "
        "Spearman's ρ on WS353 and SimLex-999 over the pairs whose words are among them too.",
    ]
    for r in results["systems"]:
        p = (r.get("stats") or {}).get("params") or {}
        if p.get("own_defaults"):
            lines.append(
                f"- *{r['label']}*: the settings `glovefast train` uses when given none: d={p['dim']}, "
                f"window {p['window']}, {p['epochs']} epochs, x_max {p['x_max']:g}, lr {p['learning_rate']:g}, "
                f"min_count {p['min_count']}; the other rows use the settings above.")
    return "\n".join(lines) + "\n"


def _pyplot():
    """matplotlib's pyplot on its file-only backend, or None (and a warning) without matplotlib."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log.warning("matplotlib is not installed (%s): no plots", INSTALL_HINT)
        return None
    return plt


def plot_accuracy_vs_time(results: dict, path: Path) -> bool:
    """Scatter each system's scores against its total wall time.

    Three panels: analogy accuracy, WS353 and SimLex-999 Spearman, each against the child's
    wall time (log scale). Systems without a score are left out of that panel only.

    Parameters
    ----------
    results : dict
        Comparison results (see :func:`format_markdown`).
    path : pathlib.Path
        PNG to write.

    Returns
    -------
    bool
        Whether a plot was written (False if matplotlib is missing or no system succeeded).
    """
    plt = _pyplot()
    if plt is None:
        return False
    ok = [r for r in results["systems"] if r["status"] == "ok" and r.get("wall_seconds")]
    if not ok:
        log.warning("no system finished: %s not written", path.name)
        return False
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    panels = [("analogy", "Analogy accuracy (%)", 100.0), ("ws353", "WS353 Spearman ρ", 1.0),
              ("simlex", "SimLex-999 Spearman ρ", 1.0)]
    fig, axes = plt.subplots(1, 3, figsize=(15, 5.2))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    markers = "osD^vP*X"
    walls = [r["wall_seconds"] for r in ok]
    lo, hi = min(walls) / 1.6, max(walls) * 1.6
    handles = {}
    for ax, (key, title, scale) in zip(axes, panels):
        for k, r in enumerate(ok):
            value = (r.get("scores") or {}).get(key)
            if value is None or not math.isfinite(value):
                continue
            h = ax.scatter([r["wall_seconds"]], [value * scale], s=70, zorder=3,
                           color=colors[k % len(colors)], marker=markers[k % len(markers)])
            handles.setdefault(r["label"], h)
        ax.set_xscale("log")
        ax.set_xlim(lo, hi)
        ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel("total wall time of the system (s, log scale)")
        ax.set_title(title)
        ax.grid(True, which="major", alpha=0.3)
    fig.legend(list(handles.values()), list(handles.keys()), loc="lower center",
               ncol=min(len(handles), 5), frameon=False, fontsize=9)
    c = results["corpus"]
    fig.suptitle(f"Quality vs time on {Path(c['source']).name} ({c['tokens']:,} tokens), "
                 f"{settings_line(results['settings'])}", fontsize=9)
    fig.tight_layout(rect=(0, 0.07, 1, 0.95))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def plot_glovefast_loss(results: dict, path: Path) -> bool:
    """Plot glovefast's training loss per epoch (``Glove.loss_history_``).

    Parameters
    ----------
    results : dict
        Comparison results.
    path : pathlib.Path
        PNG to write.

    Returns
    -------
    bool
        Whether a plot was written (False without matplotlib or without glovefast losses).
    """
    run = next((r for r in results["systems"] if r["name"] == "glovefast" and r["status"] == "ok"), None)
    losses = ((run or {}).get("stats") or {}).get("losses") or []
    if not losses:
        log.warning("no glovefast loss history: %s not written", path.name)
        return False
    plt = _pyplot()
    if plt is None:
        return False
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    epochs = list(range(1, len(losses) + 1))
    from matplotlib.ticker import MaxNLocator

    ax.plot(epochs, losses, marker="o")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss (Glove.loss_history_)")
    ax.set_title(f"glovefast training loss, {Path(results['corpus']['source']).name}, "
                 f"d={results['settings']['dim']}", fontsize=10)
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def write_outputs(results: dict, out_dir: Path) -> str:
    """Write ``results.json``, ``results.md`` and the two plots; return the markdown.

    Parameters
    ----------
    results : dict
        Comparison results.
    out_dir : pathlib.Path
        Output directory (created if needed).

    Returns
    -------
    str
        The markdown table.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    plots = {}
    if plot_accuracy_vs_time(results, out_dir / "accuracy_vs_time.png"):
        plots["accuracy_vs_time"] = "accuracy_vs_time.png"
    if plot_glovefast_loss(results, out_dir / "glovefast_loss.png"):
        plots["glovefast_loss"] = "glovefast_loss.png"
    results["plots"] = plots
    md = format_markdown(results)
    if plots:
        md += "\n" + "\n".join(f"![{k}]({v})" for k, v in plots.items()) + "\n"
    with open(out_dir / "results.json", "w", encoding="utf-8") as fh:
        json.dump(json_safe(results), fh, indent=2, allow_nan=False)
    with open(out_dir / "results.md", "w", encoding="utf-8") as fh:
        fh.write(md)
    return md
