"""The ``glovefast`` command: from text to word vectors in one command, then query and evaluate them.

Sub-commands::

    glovefast train CORPUS... -o OUT     count cooccurrences, train GloVe, write vectors
                  [--model sgns|cbow]  or train word2vec (skip-gram or CBOW) on the text
    glovefast similar VECTORS WORD       nearest neighbours
    glovefast analogy VECTORS A B C      a is to b as c is to ?
    glovefast evaluate VECTORS           analogy accuracy and word-pair correlation
    glovefast demo                       train on the bundled corpus (offline)

Exit codes: 0 success; 1 a query word is not in the vocabulary; 2 invalid arguments, unreadable
input or any other error (one ``glovefast: error: ...`` line on stderr, no traceback);
130 interrupted by Ctrl-C (SIGINT), 143 terminated by SIGTERM (``train`` still writes the vectors of
the last completed epoch in both cases, and never leaves a temporary file).

Diagnostics go through :mod:`logging` (logger ``"glovefast"``) to stderr; results go to stdout.
Progress bars are shown only when stderr is a terminal and ``--quiet`` is not given.
"""
import argparse
import contextlib
import difflib
import json
import logging
import os
import platform
import re
import sys
import time
from pathlib import Path

import numpy as np

from glovefast import __version__
from glovefast._kernels.glove import simd_info
from glovefast._kernels.platform import openmp_enabled
from glovefast._util.atomic import check_outputs, check_writable
from glovefast._util.interrupts import Terminated, finishing, signals_as_interrupts
from glovefast._util.memory import parse_memory
from glovefast._util.progress import bars_render, plural
from glovefast._util.validation import MAX_THREADS, available_cpus, check_threads
from glovefast.compat import load_glove_python_any
from glovefast.cooc.store import check_target, is_store
from glovefast.corpus import Corpus
from glovefast.datasets import resolve
from glovefast.defaults import DEMO_DEFAULTS, WORD2VEC_DEFAULTS, WORD2VEC_DEMO_DEFAULTS, default_threads
from glovefast.demo import DEMO_MODELS, DEMO_WORDS, run_demo
from glovefast.errors import (FormatError, GloveFastError, InvalidParameterError, MemoryBudgetError,
                              ReadOnlyOutputError, TrainingDivergedError, UnknownWordError)
from glovefast.io import kinds
from glovefast.io.bundle import PICKLE_SNIFF_BYTES, check_bundle_name, npz_kind, pickle_origin
from glovefast.io.formats import check_name_fits_format, check_words_writable
from glovefast.models.base import EmbeddingModel, load_pretrained
from glovefast.models.glove.model import Glove
from glovefast.models.word2vec.model import Word2Vec
from glovefast.models.params import int_argument
from glovefast.plotting import PLOT_FILES, require_matplotlib, save_plots
from glovefast.text.sources import open_stdin
from glovefast.vectors.evaluation import evaluation_report, format_evaluation_report
from glovefast.vectors.loading import (VECTOR_FORMATS, detect_format, format_for_path, load_vectors as _load,
                                      save_vectors)
from glovefast.vectors.word_vectors import WordVectors
from glovefast.defaults import TRAIN_DEFAULTS as DEFAULTS  # its old name here, kept for callers

logger = logging.getLogger("glovefast.cli")

EXIT_OK = 0
EXIT_UNKNOWN_WORD = 1
EXIT_ERROR = 2
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143  # 128 + SIGTERM, what a shell reports for a process SIGTERM killed
EXIT_BROKEN_PIPE = 141

FORMATS = VECTOR_FORMATS
# Query commands read what train writes, plus word2vec binary (e.g. GoogleNews vectors) and whole models.
READ_FORMATS = ("auto",) + VECTOR_FORMATS
#: ``train --model``: GloVe, word2vec skip-gram or CBOW (with negative sampling).
TRAIN_MODELS = ("glove", "sgns", "cbow")
#: The word2vec parameters whose flags only word2vec has (the others share GloVe's or counting's flags).
WORD2VEC_ONLY = ("negative", "ns_exponent", "sample", "min_alpha", "cbow_mean", "shrink_windows")


# ---------------------------------------------------------------------------- argument parsing
class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose errors are one line (issue 5: "one clear line"), exit code 2."""

    def error(self, message):
        self.exit(EXIT_ERROR, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Shows "(default: X)" for options that have a meaningful default."""

    def _get_help_string(self, action):
        text = action.help or ""
        if ("%(default)" not in text and "default:" not in text and action.option_strings
                and action.default not in (None, False, argparse.SUPPRESS)):
            text += " (default: %(default)s)"
        return text


def _threads_type(text):
    """--threads: 0 means every CPU; above MAX_THREADS is a usage error (OpenMP crashes on huge counts)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < 0 or value > MAX_THREADS:
        raise argparse.ArgumentTypeError(
            f"must be between 1 and {MAX_THREADS}, or 0 for all CPUs ({available_cpus()} here); got {value}")
    return value


_threads_type.__name__ = "integer"


def _memory_type(text):
    try:
        return parse_memory(text, "--memory")
    except GloveFastError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


_memory_type.__name__ = "size"


def _add_common(parser, default_level):
    group = parser.add_argument_group("output control")
    group.add_argument("-q", "--quiet", action="store_true",
                       help="no progress bars and no informational messages (warnings and errors still show)")
    group.add_argument("-v", "--verbose", action="count", default=0,
                       help="more messages: -v informational (INFO), -vv also debugging (DEBUG); the same in "
                            f"every command ('{parser.prog.split()[-1]}' shows "
                            f"{'INFO' if default_level <= logging.INFO else 'warnings'} without -v)")
    parser.set_defaults(default_level=default_level)


def _add_answer_options(p, noun):
    """Options shared by the ranked-answer commands (similar, analogy), then the common ones."""
    p.add_argument("-n", "--topn", type=int_argument(1), default=10, metavar="N", help=f"number of {noun}")
    p.add_argument("--restrict-vocab", type=int_argument(1), metavar="N",
                   help="only consider the N most frequent words as answers (default: all)")
    _add_common(p, logging.WARNING)


def _add_read_options(parser):
    parser.add_argument("vectors", metavar="VECTORS",
                        help="vectors written by 'glovefast train' (word2vec or GloVe text, .npz), a model saved "
                             "with --save-model, or other word2vec/GloVe files; gzip, bzip2, xz and zstd files are "
                             "decompressed (recognised from the content)")
    parser.add_argument("--format", dest="read_format", choices=READ_FORMATS, default="auto",
                        help="format of VECTORS; 'auto' detects it from the content")
    parser.add_argument("--limit", type=int_argument(1), metavar="N",
                        help="read only the first N vectors (the N most frequent words in files glovefast writes)")


def build_parser():
    """The argument parser of the ``glovefast`` command.

    Returns
    -------
    argparse.ArgumentParser
    """
    parser = _Parser(
        prog="glovefast", formatter_class=_HelpFormatter, allow_abbrev=False,
        description="Train GloVe or word2vec word vectors from text in one command, then query and evaluate them.",
        epilog=(
            "examples:\n"
            "  glovefast demo\n"
            "  glovefast train corpus.txt.gz -o vectors.txt\n"
            "  glovefast train corpus.txt.gz -o vectors.txt --model sgns\n"
            "  glovefast similar vectors.txt king -n 5\n"
            "  glovefast analogy vectors.txt man king woman\n"
            "  glovefast evaluate vectors.txt\n\n"
            "exit codes: 0 success, 1 query word not in the vocabulary, 2 error, 130 interrupted (Ctrl-C),\n"
            "143 terminated (SIGTERM)\n"
            "run 'glovefast COMMAND --help' for the options of a command."
        ),
    )
    parser.add_argument("--version", action="version", version=f"glovefast {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    # --- train
    p = sub.add_parser(
        "train", formatter_class=_HelpFormatter, allow_abbrev=False,
        help="train GloVe (counting cooccurrences) or word2vec on text files and write the vectors",
        description=(
            "Read text (UTF-8, tokens separated by whitespace, one document per line; plain or compressed\n"
            "with gzip, bzip2, xz or zstd, detected from the content), count word cooccurrences, train GloVe\n"
            "vectors and write them to OUT; or, with --model sgns or cbow, train word2vec (skip-gram or CBOW\n"
            "with negative sampling) on the text itself. The words are not lower-cased or otherwise\n"
            "normalised: prepare the text first (e.g. tr A-Z a-z).\n\n"
            "Ctrl-C stops training within about a second and still writes the vectors of the last completed\n"
            "epoch (exit code 130); SIGTERM (e.g. from kill or a job scheduler) does the same (exit code 143).\n"
            "Every file is written atomically: an interrupted run never leaves a partial file under the\n"
            "final name."
        ),
        epilog=(
            "examples:\n"
            "  glovefast train corpus.txt -o vectors.txt\n"
            "  zcat part*.gz | glovefast train - -o vectors.npz --min-count 10 --threads 8\n"
            "  glovefast train corpus.txt -o vectors.txt --save-matrix cooc.npz --plot plots/\n"
            "  glovefast train --matrix cooc.npz -o vectors300.txt --dim 300 --epochs 50\n"
            "  glovefast train domain.txt -o tuned.txt --init glove.6B.100d.txt --mittens 0.1\n"
            "  glovefast train corpus.txt -o v.txt --epochs 10 --save-model run.npz\n"
            "  glovefast train corpus.txt -o v.txt --epochs 10 --resume run.npz --save-model run.npz\n"
            "  glovefast train corpus.txt.gz -o sgns.txt --model sgns --negative 10 --threads 8\n"
            "  glovefast train corpus.txt.gz -o cbow.npz --model cbow --epochs 10 --save-model cbow.model.npz"
        ),
    )
    p.add_argument("corpus", nargs="*", metavar="CORPUS",
                   help="UTF-8 text files, plain or gzip/bzip2/xz/zstd-compressed (detected from the content); "
                        "'-' reads standard input")
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="file to write the vectors to")
    p.add_argument("--format", choices=FORMATS,
                   help="format of OUT: 'word2vec' text (with an 'n_words dim' header; readable by gensim), "
                        "'word2vec-binary', 'glove' text (Stanford's, no header), or 'npz' (glovefast's binary; "
                        "WordVectors.load). Default: npz if OUT ends in .npz, word2vec-binary for .bin, else "
                        "word2vec; a format OUT's name contradicts (e.g. glove for x.npz) is refused. Text and "
                        "binary formats are compressed when OUT ends in .gz, .bz2, .xz or .zst (zstd needs "
                        "pip install zstandard)")
    p.add_argument("--model", choices=TRAIN_MODELS, default="glove",
                   help="glove: GloVe on the cooccurrence counts; sgns: word2vec skip-gram with negative sampling; "
                        "cbow: word2vec CBOW with negative sampling (see docs/word2vec.md)")
    g = p.add_argument_group("vocabulary and cooccurrence counting (not with --matrix)")
    g.add_argument("--window", type=int_argument(1, 255), metavar="N",
                   help=f"context window: words up to N positions apart cooccur (default: {DEFAULTS['window']}, "
                        f"or {WORD2VEC_DEFAULTS['window']} for word2vec)")
    g.add_argument("--min-count", type=int_argument(1), metavar="N",
                   help=f"ignore words seen fewer than N times (default: {DEFAULTS['min_count']})")
    g.add_argument("--max-vocab", type=int_argument(1), metavar="N",
                   help="keep only the N most frequent words (default: no limit)")
    g.add_argument("--save-matrix", metavar="PATH",
                   help="also save the vocabulary and cooccurrence matrix, to train again with --matrix without "
                        "recounting: a FILE.npz, or else a cooccurrence store directory, which counting writes "
                        "directly (the matrix never needs to fit in RAM) and training reads from disk")
    g.add_argument("--matrix", metavar="PATH",
                   help="train from a matrix saved with --save-matrix (.npz file or store directory) instead of "
                        "counting CORPUS files")
    g = p.add_argument_group("counting on a Dask cluster (needs pip install 'glovefast[dask]'; see docs/dask.md)")
    g.add_argument("--dask-scheduler", metavar="ADDRESS",
                   help="count on the Dask cluster whose scheduler is at ADDRESS (e.g. tcp://10.0.0.1:8786), split "
                        "by file; CORPUS files (paths or URLs such as s3://bucket/part-*.gz) must be readable by "
                        "every worker. The result equals counting here; training then runs on this machine")
    g.add_argument("--dask-work-dir", metavar="DIR_OR_URL",
                   help="with --dask-scheduler: a directory every worker and this machine can reach (a shared file "
                        "system path or an fsspec URL) for the intermediate files, removed at the end. Default: "
                        "the temp directory, which works only when all workers run on this machine")
    g = p.add_argument_group("training")
    g.add_argument("--epochs", type=int_argument(1), metavar="N",
                   help=f"passes over the cooccurrence matrix, or over the text for word2vec (default: "
                        f"{DEFAULTS['epochs']}, or {WORD2VEC_DEFAULTS['epochs']} for word2vec); when resuming, the "
                        "epochs to train on top of the saved ones (word2vec without it: the rest of the saved run)")
    g.add_argument("--threads", type=_threads_type, metavar="N",
                   help="threads for counting and training, at most 256 (default: 0, the number of CPUs "
                        f"available, {default_threads()} here)")
    # the model's hyper-parameters: flags, types, bounds and help from its parameter spec
    Glove.PARAMS.add_arguments(g, DEFAULTS, names=[n for n in Glove.PARAMS.by_name if n != "mittens"])
    g = p.add_argument_group("fine-tuning and resuming (see docs/finetune.md)")
    g.add_argument("--init", metavar="VECTORS",
                   help="start from pretrained vectors (any format 'glovefast similar' reads, e.g. glove.6B.100d.txt, "
                        "or a model saved with --save-model, whose context vectors and biases are used too): "
                        "every word of the corpus found there (exact match) starts from its vector, the others "
                        "start random")
    Glove.PARAMS.add_arguments(g, DEFAULTS, names=["mittens"])
    g.add_argument("--resume", metavar="MODEL",
                   help="continue training MODEL (saved with --save-model) for --epochs more epochs on the same "
                        "CORPUS counted with the same options, or its --matrix; the training settings and the "
                        "random sequence come from MODEL. word2vec without --epochs: the rest of the saved run")
    g = p.add_argument_group(
        "word2vec (--model sgns or cbow; see docs/word2vec.md)",
        "--dim, --window, --min-count, --max-vocab, --epochs, --seed, --init, --resume and --learning-rate (the start\n"
        "rate, default 0.025 for sgns and 0.05 for cbow, word2vec.c's) apply too")
    Word2Vec.PARAMS.add_arguments(g, WORD2VEC_DEFAULTS, names=WORD2VEC_ONLY)
    g = p.add_argument_group("memory and temporary files")
    g.add_argument("--memory", type=_memory_type, metavar="SIZE",
                   help="memory budget for counting and training, e.g. 512M or 4G (as Stanford's -memory): "
                        "counting tables are sized from it and sorted runs beyond it spill to --tmp-dir; the "
                        "parameters must fit in it, and training updates that do not are shuffled on disk in "
                        "--tmp-dir and read from there every epoch; the results are the same. word2vec keeps the "
                        "text's ids in RAM within half of it, beyond that in a memory-mapped file in --tmp-dir "
                        "(default: half the memory available)")
    g.add_argument("--tmp-dir", metavar="DIR",
                   help="directory for temporary files (spilled counting runs, training updates that exceed "
                        "--memory; nothing is left there on exit) (default: the system's, e.g. $TMPDIR or /tmp)")
    g = p.add_argument_group("extra outputs")
    g.add_argument("--save-model", metavar="FILE",
                   help="also save the whole model (GloVe: word and context vectors, biases; word2vec: input and "
                        "output vectors; the loss history) with its training state to FILE (.npz; Glove.load or "
                        "Word2Vec.load), so it can be continued with --resume FILE")
    g.add_argument("--plot", metavar="DIR",
                   help="write loss.png, weighting.png (GloVe only) and norms.png to DIR (needs matplotlib: "
                        "pip install 'glovefast[plot]')")
    _add_common(p, logging.INFO)
    p.set_defaults(func=_cmd_train)

    # --- similar
    p = sub.add_parser(
        "similar", formatter_class=_HelpFormatter, allow_abbrev=False,
        help="nearest neighbours of a word",
        description="Print the words closest to WORD by cosine similarity, one 'word<TAB>similarity' per line.",
        epilog="example:\n  glovefast similar vectors.txt king -n 5",
    )
    _add_read_options(p)
    p.add_argument("word", metavar="WORD", help="the query word (case-sensitive)")
    _add_answer_options(p, "neighbours")
    p.set_defaults(func=_cmd_similar)

    # --- analogy
    p = sub.add_parser(
        "analogy", formatter_class=_HelpFormatter, allow_abbrev=False,
        help="a is to b as c is to ?",
        description=("Solve 'A is to B as C is to ?' with the words closest to B - A + C (3CosAdd, as word2vec\n"
                     "and gensim), one 'word<TAB>similarity' per line. A, B and C themselves are never answers."),
        epilog="example:\n  glovefast analogy vectors.txt man king woman     # -> queen",
    )
    _add_read_options(p)
    p.add_argument("a", metavar="A", help="a word of the example pair (e.g. man)")
    p.add_argument("b", metavar="B", help="its counterpart in the example pair (e.g. king)")
    p.add_argument("c", metavar="C", help="the word whose counterpart is sought (e.g. woman, answered by queen)")
    _add_answer_options(p, "answers")
    p.set_defaults(func=_cmd_analogy)

    # --- evaluate
    p = sub.add_parser(
        "evaluate", formatter_class=_HelpFormatter, allow_abbrev=False,
        help="analogy accuracy and word-similarity correlation",
        description=(
            "Score vectors on an analogy test set (accuracy, gensim's evaluate_word_analogies) and on\n"
            "word-pair similarity judgements (Spearman and Pearson correlation, gensim's evaluate_word_pairs).\n"
            "Without --analogies or --pairs, both built-in sets are used: the Google analogies\n"
            "('questions-words') and WordSim-353 ('wordsim353'). Given either option, only the sets named\n"
            "are evaluated. Words are compared case-insensitively."
        ),
        epilog=("examples:\n  glovefast evaluate vectors.txt\n"
                "  glovefast evaluate vectors.txt --pairs simlex999.txt --pairs wordsim353 --json"),
    )
    _add_read_options(p)
    p.add_argument("--analogies", metavar="FILE",
                   help="analogy file (': section' lines, then 'a b c d' lines) or a built-in name")
    p.add_argument("--pairs", metavar="FILE", action="append",
                   help="word-pair file ('word1<TAB>word2<TAB>score' lines) or a built-in name; may be repeated")
    p.add_argument("--restrict-vocab", type=int_argument(1), default=30000, metavar="N",
                   help="only questions and pairs whose words are among the N most frequent are scored, and "
                        "analogy answers come from those N words (word2vec's convention; the protocol of "
                        "the Stanford reference numbers). gensim's evaluate_word_analogies uses 300000, which "
                        "asks more questions, lets rarer words answer and gives lower accuracies")
    p.add_argument("--json", action="store_true", help="print the results as one JSON object")
    _add_common(p, logging.WARNING)
    p.set_defaults(func=_cmd_evaluate)

    # --- convert
    p = sub.add_parser(
        "convert", formatter_class=_HelpFormatter, allow_abbrev=False,
        help="convert vectors between GloVe text, word2vec text/binary and glovefast's native format",
        description=(
            "Read vectors in any format glovefast reads (detected from the content) and write them in\n"
            "another. The native format (.npz) opens in milliseconds with WordVectors.load(path,\n"
            "mmap=True) and keeps any word, including words with spaces, which text formats cannot hold."
        ),
        epilog=("examples:\n  glovefast convert glove.6B.300d.txt glove.6B.300d.npz\n"
                "  glovefast convert vectors.npz vectors.bin --limit 100000\n"
                "  glovefast convert GoogleNews-vectors-negative300.bin.gz news.txt --to glove"),
    )
    p.add_argument("input", metavar="IN", help="vectors file (plain, gzip, bzip2, xz or zstd)")
    p.add_argument("output", metavar="OUT", help="file to write")
    p.add_argument("--from", dest="read_format", choices=READ_FORMATS, default="auto",
                   help="format of IN; 'auto' detects it from the content")
    p.add_argument("--to", dest="write_format", choices=READ_FORMATS[1:],
                   help="format of OUT (default: npz for .npz, word2vec-binary for .bin, otherwise word2vec "
                        "text; a format OUT's name contradicts is refused); text and binary are compressed when "
                        "OUT ends in .gz, .bz2, .xz or .zst (zstd needs pip install zstandard)")
    p.add_argument("--limit", type=int_argument(1), metavar="N", help="convert only the first N vectors")
    p.add_argument("--precision", type=int_argument(1, 17), metavar="DIGITS",
                   help="text formats: significant digits per value (default: exact, 9 for float32)")
    p.add_argument("--from-glove-python", action="store_true",
                   help="IN is a model or corpus saved by glove_python (a pickle). Unpickling runs code named by "
                        "the file: use this only on files you trust (glovefast resolves only numpy, scipy and "
                        "builtin types). A model becomes vectors in OUT's format (its W vectors, as glove_python "
                        "used them); a corpus becomes a cooccurrence .npz for 'glovefast train --matrix'")
    p.add_argument("--from-gensim", action="store_true",
                   help="IN is a file written by gensim's save() (KeyedVectors, or a model such as Word2Vec, whose "
                        "word vectors are taken): a pickle, read through gensim itself, which must be installed. "
                        "Unpickling runs code named by the file: use this only on files you trust")
    _add_common(p, logging.INFO)
    p.set_defaults(func=_cmd_convert)

    # --- demo
    p = sub.add_parser(
        "demo", formatter_class=_HelpFormatter, allow_abbrev=False,
        help="train on the bundled corpus and show nearest neighbours (offline)",
        description=("Train on the King James Bible excerpt shipped with glovefast (Genesis to 2 Chronicles,\n"
                     "338k tokens, public domain) and print the nearest neighbours of a few words. Needs no\n"
                     "network; takes a few seconds."),
    )
    p.add_argument("--model", choices=DEMO_MODELS, default="glove",
                   help="glove, or word2vec: sgns (skip-gram) or cbow, with negative sampling")
    # the model's flags with the spec's bounds, the demo's defaults and shorter help
    p.add_argument("--dim", type=Glove.PARAMS["no_components"].cli_type(), metavar="N",
                   help=f"vector dimension (default: {DEMO_DEFAULTS['dim']})")
    p.add_argument("--epochs", type=int_argument(1), metavar="N",
                   help=f"training epochs (default: {DEMO_DEFAULTS['epochs']}; {WORD2VEC_DEMO_DEFAULTS['epochs']} "
                        "with --model sgns or cbow)")
    p.add_argument("--threads", type=_threads_type, metavar="N",
                   help=f"threads, at most 256 (default: 0, the number of CPUs available, {default_threads()} here)")
    p.add_argument("--seed", type=Glove.PARAMS["random_state"].cli_type(), default=DEMO_DEFAULTS["seed"], metavar="S",
                   help="random seed")
    p.add_argument("--words", nargs="+", metavar="WORD", help="words to show neighbours of "
                   "(default: king son egypt gold sword mother)")
    p.add_argument("-n", "--topn", type=int_argument(1), default=DEMO_DEFAULTS["topn"], metavar="N",
                   help="neighbours per word")
    p.add_argument("--plot", metavar="DIR", help="also write the diagnostic plots to DIR (needs matplotlib)")
    _add_common(p, logging.WARNING)
    p.set_defaults(func=_cmd_demo)
    parser.command_parsers = sub.choices  # for errors found after parsing, reported by the command's parser
    return parser


# ---------------------------------------------------------------------------- logging and progress
class _Formatter(logging.Formatter):
    """``HH:MM:SS message``; warnings and errors say so."""

    def format(self, record):
        text = super().format(record)
        if record.levelno >= logging.WARNING:
            stamp, _, rest = text.partition(" ")
            text = f"{stamp} {record.levelname.lower()}: {rest}"
        return text


@contextlib.contextmanager
def _logging_to_stderr(level, bars):
    """Send the ``glovefast`` loggers to stderr at ``level`` for the duration of a command.

    With progress bars on, log lines are written through tqdm so they do not tear the bars.
    Everything is restored afterwards, so ``main()`` can be called repeatedly in one process.
    """
    root = logging.getLogger("glovefast")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter("%(asctime)s %(message)s", datefmt="%H:%M:%S"))
    saved = root.level, root.propagate
    root.addHandler(handler)
    root.setLevel(level)
    root.propagate = False  # an application's root handlers would print every line twice
    try:
        if bars:
            # only where bars are drawn: it imports tqdm.auto (a Jupyter probe and asyncio, 20-80 ms)
            from tqdm.contrib.logging import logging_redirect_tqdm

            with logging_redirect_tqdm(loggers=[root]):
                yield
        else:
            yield
    finally:
        root.removeHandler(handler)
        root.setLevel(saved[0])
        root.propagate = saved[1]


def _log_level(args):
    """-v is INFO and -vv DEBUG in every command (a command's default may already be INFO)."""
    if args.quiet:
        return logging.WARNING
    asked = {0: args.default_level, 1: logging.INFO}.get(args.verbose, logging.DEBUG)
    return min(args.default_level, asked)


def _show_bars(args):
    return not args.quiet and bars_render()


def _epoch_lines(bars):
    """``Glove.fit``'s callback for ``train``: a line per epoch, at INFO, or at DEBUG when the training
    bar shows the same figures live (1000 lines would scroll the bar away)."""
    level = logging.DEBUG if bars else logging.INFO

    def report(info):
        logger.log(level, "%s", info)

    return report


def _say(message):
    """A message the user must see even with --quiet (outcome of an interruption)."""
    print(f"glovefast: {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------- file checks
class _UsageError(GloveFastError):
    """Invalid combination of arguments, found after parsing."""


def _check_output_path(path, flag):
    """Fail before hours of training if ``path`` cannot be written."""
    if path == "-":
        raise _UsageError(f"{flag}: writing to standard output is not supported; give a file name")
    p = Path(path)
    if p.is_dir():
        raise _UsageError(f"{flag}: {path!r} is a directory; give a file name")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise _UsageError(f"{flag}: directory {str(parent)!r} does not exist")

    try:
        check_writable(path)  # the checks the final write makes: read-only files, block devices...
    except ReadOnlyOutputError:
        raise _UsageError(f"{flag}: no permission to write {path!r} (it or its directory is read-only)") from None
    except (GloveFastError, OSError) as exc:
        raise _UsageError(f"{flag}: {_describe(exc)}") from None


#: The library's parameter names and the ``train`` flags that set them, for messages the library
#: words for its callers (a user of the command has no ``max_loss=``): the model's from its
#: parameter spec (but ``dtype``, a word messages use for numpy's dtypes too), fit's and the
#: counting's here.
_FLAGS = {**{p.name: f"--{p.flag}" for p in Glove.PARAMS if p.flag is not None and p.kind != "dtype"},
          "x_max": "--x-max", "no_threads": "--threads", "epochs": "--epochs", "memory": "--memory",
          "tmp_dir": "--tmp-dir"}
#: The same for Word2Vec's parameters (its alpha is the learning rate).
_WORD2VEC_FLAGS = {**{p.name: f"--{p.flag}" for p in Word2Vec.PARAMS if p.flag is not None},
                   "no_threads": "--threads", "memory": "--memory", "tmp_dir": "--tmp-dir"}


def _in_flags(message, kept, flags=_FLAGS):
    """A library message in the command's words: its parameter names as ``flags``, and what the model
    kept (the library's object, which the command does not save) replaced by ``kept``."""
    message = re.sub(r"the model keeps the vectors of epoch \d+", kept, message)
    return re.sub(r"\b(" + "|".join(flags) + r")\b(?!=)", lambda m: flags[m.group(1)], message)


def _check_train_outputs(args, outputs):
    """No output of ``train`` may replace one of its inputs (or another output), by any name."""
    if args.plot:
        outputs = outputs + [(os.path.join(args.plot, name), f"--plot {name}") for name in PLOT_FILES.values()]
    inputs = [(path, "the corpus file") for path in args.corpus if not args.dask_scheduler]
    inputs += [(args.matrix, "the --matrix input"), (args.init, "the --init vectors")]
    check_outputs(outputs, inputs)
    # --resume X --save-model X continues a model in place (docs/finetune.md): the model is read whole first
    check_outputs([(p, flag) for p, flag in outputs if flag != "--save-model"], [(args.resume, "the --resume model")])


def _check_input_file(path, what):
    p = Path(path)
    if not p.exists():
        raise _UsageError(f"{what} {path!r} does not exist")
    if p.is_dir():
        raise _UsageError(f"{what} {path!r} is a directory, not a file")
    if not os.access(p, os.R_OK):
        raise _UsageError(f"no permission to read {what} {path!r}")


def _need_matplotlib():
    try:
        require_matplotlib()
    except ImportError as exc:
        raise _UsageError(f"--plot: {exc}") from None


def _stdin_corpus():
    """Standard input as a binary stream, decompressed on the fly (see glovefast.text.sources.open_stdin)."""
    if sys.stdin is not None and sys.stdin.isatty():
        logger.warning("reading the corpus from the terminal; end the input with Ctrl-D")
    return open_stdin()


# ---------------------------------------------------------------------------- vectors I/O
def _output_format(args, given, flag):
    """The format of -o / OUT (``given`` by ``flag``, or from the name), checked against the name
    before the work: a name that says another format, an npz under a compression suffix, or .zst
    without zstandard are refused now."""
    fmt = given or format_for_path(args.output)
    check_name_fits_format(args.output, fmt, how=f"leave {flag} out to choose the format from the name")
    return fmt


def load_vectors(path, fmt="auto", limit=None):
    """:func:`glovefast.load_vectors` after the command line's own checks on ``path`` (kept for callers)."""
    _check_input_file(path, "vectors file")
    return _load(path, fmt, limit=limit)


def _load_for_query(args):
    t0 = time.perf_counter()
    try:
        wv = load_vectors(args.vectors, args.read_format, args.limit)
    except FormatError as exc:
        if args.read_format == "auto":
            raise
        # the API's message names API calls; say how to fix it on the command line
        raise FormatError(f"{exc} (read as --format {args.read_format}; leave --format out to detect the "
                          "format)") from None
    logger.info("loaded %s of dimension %d from %s in %.2fs", plural(len(wv), "vector"), wv.vector_size,
                args.vectors, time.perf_counter() - t0)
    return wv


def _unknown_word_message(exc, wv, path):
    word = exc.word
    message = f"word {word!r} is not in the vocabulary of {path} ({len(wv):,} words)"
    variants = [v for v in {word.lower(), word.upper(), word.capitalize()} if v != word and v in wv]
    if variants:
        message += f"; did you mean {' or '.join(repr(v) for v in sorted(variants))}? (words are case-sensitive)"
    return message


#: How long ``--dask-scheduler`` waits for the scheduler to answer.
DASK_CONNECT_TIMEOUT = "20s"


@contextlib.contextmanager
def _dask_client(address):
    """A distributed.Client connected to ``address``, or None without one."""
    if not address:
        yield None
        return
    try:  # optional dependency (glovefast[dask]): only --dask-scheduler needs it
        from distributed import Client
    except ImportError:
        raise _UsageError("--dask-scheduler needs Dask: pip install 'glovefast[dask]'") from None
    try:
        client = Client(address, timeout=DASK_CONNECT_TIMEOUT)
    except (OSError, TimeoutError) as exc:
        raise _UsageError(f"--dask-scheduler: cannot connect to a Dask scheduler at {address!r} ({exc}); start one "
                          "with 'dask scheduler' and check the address") from None
    with client:
        logger.info("connected to the Dask scheduler at %s (%s, %s)", address,
                    plural(len(client.nthreads()), "worker"), plural(sum(client.nthreads().values()), "thread"))
        yield client


# ---------------------------------------------------------------------------- commands
def _check_model_flags(args):
    """Flags of one model given to train another are refused, not ignored."""
    if args.model == "glove":
        only = {f"--{Word2Vec.PARAMS[name].flag}": getattr(args, Word2Vec.PARAMS[name].defaults_key)
                for name in WORD2VEC_ONLY}
        given = [flag for flag, value in only.items() if value is not None]
        if given:
            raise _UsageError(f"{', '.join(given)} only apply to word2vec (--model sgns or cbow)")
        return
    only = {"--alpha": args.alpha, "--x-max": args.x_max, "--max-loss": args.max_loss, "--dtype": args.dtype,
            "--mittens": args.mittens, "--matrix": args.matrix, "--save-matrix": args.save_matrix,
            "--dask-scheduler": args.dask_scheduler, "--dask-work-dir": args.dask_work_dir}
    given = [flag for flag, value in only.items() if value is not None]
    if given:
        raise _UsageError(f"{', '.join(given)} only apply to GloVe (--model glove); word2vec trains on the text "
                          "(its learning rate is --learning-rate)")


def _cmd_train(args):
    # --- check everything that can be checked before the long work starts
    _check_model_flags(args)
    word2vec = args.model != "glove"
    if args.matrix and args.corpus:
        raise _UsageError("give either CORPUS files or --matrix FILE, not both")
    if not args.matrix and not args.corpus:
        raise _UsageError("no input: give CORPUS files ('-' for standard input)" + ("" if word2vec else
                                                                                    " or --matrix FILE"))
    if "-" in args.corpus and len(args.corpus) > 1:
        raise _UsageError("'-' (standard input) cannot be combined with corpus files")
    if args.dask_work_dir and not args.dask_scheduler:
        raise _UsageError("--dask-work-dir only applies with --dask-scheduler")
    if args.dask_scheduler and (args.matrix or "-" in args.corpus):
        raise _UsageError("--dask-scheduler counts CORPUS files on the cluster; it cannot read standard input or "
                          "train from --matrix")
    if args.matrix:
        given = [flag for flag, value in (("--window", args.window), ("--min-count", args.min_count),
                                          ("--max-vocab", args.max_vocab), ("--save-matrix", args.save_matrix))
                 if value is not None]
        if given:
            raise _UsageError(f"{', '.join(given)} only apply when counting CORPUS files; a --matrix file was "
                              "counted already")
        if not is_store(args.matrix):
            _check_input_file(args.matrix, "matrix file")
    for path in args.corpus:
        # on a cluster the workers read the files (and report missing ones); they may not be visible here
        if path != "-" and not args.dask_scheduler:
            _check_input_file(path, "corpus file")
    outputs = [(args.output, "--output"), (args.save_matrix, "--save-matrix"), (args.save_model, "--save-model")]
    matrix_store = args.save_matrix is not None and not args.save_matrix.endswith(".npz")
    for path, flag in outputs:
        if path is None:
            continue
        if flag == "--save-matrix" and matrix_store:
            try:
                check_target(path, overwrite=True)
            except (GloveFastError, OSError) as exc:
                raise _UsageError(f"{flag}: {_describe(exc)}") from None
        else:
            _check_output_path(path, flag)
    if args.tmp_dir is not None and not os.path.isdir(args.tmp_dir):
        raise _UsageError(f"--tmp-dir: {args.tmp_dir!r} is not an existing directory")
    if args.plot:
        if Path(args.plot).exists() and not Path(args.plot).is_dir():
            raise _UsageError(f"--plot: {args.plot!r} exists and is not a directory")
        _need_matplotlib()  # before training, not after it
    _check_train_outputs(args, outputs)
    fmt = _output_format(args, args.format, "--format")
    if args.save_model:
        try:
            check_bundle_name(args.save_model)
        except InvalidParameterError as exc:
            raise InvalidParameterError(f"--save-model {exc}") from None
    threads = check_threads(args.threads)  # 0 / not given: every CPU
    bars = _show_bars(args)
    t_start = time.perf_counter()
    # reads --init / --resume now, so a bad file fails before counting
    model, init = _word2vec_model(args, threads, bars) if word2vec else _training_model(args)
    if word2vec:
        source = _stdin_corpus() if args.corpus == ["-"] else args.corpus
        epochs = model.epochs - model.epochs_trained_
        logger.info("reading %s for word2vec %s (min count %d%s) on %s", "standard input" if args.corpus == ["-"]
                    else ", ".join(args.corpus), "skip-gram" if model.sg else "CBOW", model.min_count,
                    "" if model.max_vocab is None else f", at most {plural(model.max_vocab, 'word')}",
                    plural(threads, "thread"))

        def train():
            model.fit(source, init=init, resume=bool(args.resume), callback=_epoch_lines(bars))
    else:
        corpus, epochs, train = _glove_training(args, model, init, threads, bars, fmt)
        if corpus is None:  # stopped while counting
            return epochs
    before = model.epochs_trained_
    interrupted = None
    try:
        train()
    except KeyboardInterrupt as exc:
        interrupted = exc
    except TrainingDivergedError as exc:
        raise TrainingDivergedError(_in_flags(str(exc), f"nothing was written to {args.output}",
                                              _WORD2VEC_FLAGS if word2vec else _FLAGS)) from None
    done = model.epochs_trained_ - before
    if interrupted is not None and done == 0:
        kept = f" (the counts were saved to {args.save_matrix})" if args.save_matrix else ""
        _say(f"{_stopped(interrupted)} before the first epoch completed; nothing written to {args.output}{kept}")
        return _stop_code(interrupted)
    dictionary, counts = (model.dictionary, model.word_counts_) if word2vec else (corpus.dictionary,
                                                                                  corpus.word_counts)

    # --- outputs. After the last epoch a first Ctrl-C or SIGTERM does not discard the finished
    # training: the outputs are completed (the command says so at once). A signal after the one
    # that stopped training, or a second one here, abandons the file being written (atomic: no
    # partial file is left).
    written = []
    try:
        with finishing(_finishing_note) if interrupted is None else contextlib.nullcontext() as grace:
            model.add_dictionary(dictionary)
            wv = WordVectors.from_dictionary(dictionary, model.word_vectors, counts=counts)
            save_vectors(wv, args.output, fmt)
            written.append(args.output)  # the writers say what they write, as they start
            if args.save_model:
                logger.info("writing the model and its training state (%s) to %s",
                            plural(model.epochs_trained_, "epoch"), args.save_model)
                model.save(args.save_model, training_state=True)
                written.append(args.save_model)
            if args.plot:
                save_plots(model, args.plot)
                written.append(args.plot)
    except KeyboardInterrupt as exc:
        done_files = f"; already written: {', '.join(written)}" if written else ""
        _say(f"{_stopped(exc)} while writing the outputs; no partial file was left{done_files}")
        return _stop_code(exc)
    if grace is not None and grace.signal is not None:
        _say(f"{_stopped(grace.signal())} after the last epoch ({done} of {epochs}) while writing the outputs; "
             f"they were finished: {', '.join(written)}")
        return _stop_code(grace.signal())

    if interrupted is not None:
        also = f" (also written: {', '.join(written[1:])})" if len(written) > 1 else ""
        _say(f"{_stopped(interrupted)} after epoch {done} of {epochs}; saved the vectors of epoch {done} to "
             f"{args.output}{also}")
        return _stop_code(interrupted)
    logger.info("done in %.1fs: final loss %.6f", time.perf_counter() - t_start, model.loss_history_[-1])
    return EXIT_OK


def _glove_training(args, model, init, threads, bars, fmt):
    """Count the corpus (or load --matrix) for GloVe: (corpus, epochs, the training call), or (None,
    exit code, None) when counting was stopped."""
    epochs = DEFAULTS["epochs"] if args.epochs is None else args.epochs
    matrix_store = args.save_matrix is not None and not args.save_matrix.endswith(".npz")
    if args.matrix:
        corpus = Corpus.load(args.matrix)
        if fmt in ("word2vec", "glove"):  # counted from token lists, its words may not fit a text format
            try:
                check_words_writable(corpus.inverse_dictionary, fmt)
            except FormatError as exc:
                raise _UsageError(f"--output {args.output!r}: {exc}; write it as npz (a name ending in .npz, or "
                                  "--format npz); nothing was trained") from None
    else:
        window = DEFAULTS["window"] if args.window is None else args.window
        min_count = DEFAULTS["min_count"] if args.min_count is None else args.min_count
        source = _stdin_corpus() if args.corpus == ["-"] else args.corpus
        logger.info("counting %s (window %d, min count %d%s) on %s",
                    "standard input" if args.corpus == ["-"] else ", ".join(args.corpus), window, min_count,
                    "" if args.max_vocab is None else f", at most {plural(args.max_vocab, 'word')}",
                    f"the Dask cluster at {args.dask_scheduler}" if args.dask_scheduler else plural(threads, "thread"))
        try:
            # a store is written by counting itself (the matrix need not fit in RAM); an .npz now, so an
            # interrupted training keeps the counts
            with _dask_client(args.dask_scheduler) as client:
                corpus = Corpus().fit(source, window=window, min_count=min_count, max_vocab=args.max_vocab,
                                      no_threads=threads, verbose=bars, memory=args.memory, tmp_dir=args.tmp_dir,
                                      store=args.save_matrix if matrix_store else None, overwrite=True,
                                      client=client, work_dir=args.dask_work_dir)
            if args.save_matrix and not matrix_store:
                corpus.save(args.save_matrix)
        except KeyboardInterrupt as exc:
            _say(f"{_stopped(exc)} while counting; nothing written")
            return None, _stop_code(exc), None

    logger.info("%s %d-dimensional vectors for %s, %s on %s (x_max %g, alpha %g, learning rate %g%s)",
                "resuming" if args.resume else "training", model.no_components,
                plural(len(corpus.dictionary), "word"), plural(epochs, "epoch"), plural(threads, "thread"),
                model.max_count, model.alpha, model.learning_rate,
                f", mittens {model.mittens:g}" if model.mittens else "")

    def train():
        # a store is trained from disk, shard by shard: the COO is never built
        model.fit(corpus.store if corpus.store is not None else corpus.matrix, epochs=epochs,
                  no_threads=threads, verbose=bars, memory=args.memory, tmp_dir=args.tmp_dir, init=init,
                  dictionary=corpus.dictionary, resume=bool(args.resume), callback=_epoch_lines(bars))

    return corpus, epochs, train


def _training_model(args):
    """The Glove to train and the pretrained source of --init (or None), from the training options.

    With --resume the model and its settings come from the file; the options that would
    contradict it are refused rather than silently ignored."""
    settings = dict(Glove.PARAMS.given(args), **({"--init": args.init} if args.init is not None else {}))
    if args.resume:
        model = _resumed(args, Glove, settings)
        logger.info("resuming %s after %d epochs", args.resume, model.epochs_trained_)
        return model, None
    if args.mittens is not None and args.init is None:
        raise _UsageError("--mittens holds words near pretrained vectors: give them with --init VECTORS")
    init, init_dim = _pretrained(args)
    params = Glove.PARAMS.from_arguments(args, DEFAULTS)
    params["no_components"] = init_dim or (DEFAULTS["dim"] if args.dim is None else args.dim)
    return Glove(**params), init


def _word2vec_model(args, threads, bars):
    """The Word2Vec to train (``--model sgns`` or ``cbow``) and the pretrained source of --init (or
    None). With --resume the run continues from the file: --epochs N trains N more epochs, without
    it the run goes to the end of its saved schedule."""
    runtime = dict(no_threads=threads, memory=args.memory, tmp_dir=args.tmp_dir, verbose=bars)
    sg = int(args.model == "sgns")
    if args.resume:
        settings = {flag: value for flag, value in Word2Vec.PARAMS.given(args).items() if flag != "--epochs"}
        if args.init is not None:
            settings["--init"] = args.init
        model = _resumed(args, Word2Vec, settings)
        if model.sg != sg:
            raise _UsageError(f"{args.resume} holds a {'skip-gram' if model.sg else 'CBOW'} run: resume it with "
                              f"--model {'sgns' if model.sg else 'cbow'}")
        if args.epochs is not None:
            model.set_params(epochs=model.epochs_trained_ + args.epochs)
        elif model.epochs_trained_ >= model.epochs:
            raise _UsageError(f"{args.resume} has trained all {model.epochs} epochs of its run; give --epochs N to "
                              "train N more")
        logger.info("resuming %s after %d of %d epochs", args.resume, model.epochs_trained_, model.epochs)
        return model.set_params(**runtime), None
    init, init_dim = _pretrained(args)
    params = Word2Vec.PARAMS.from_arguments(args, WORD2VEC_DEFAULTS)
    if init_dim:
        params["vector_size"] = init_dim
    return Word2Vec(sg=sg, **dict(params, **runtime)), init


def _resumed(args, cls, settings):
    """The model of --resume (a ``cls`` file with a training state); ``settings`` are the flags given
    beside it, which a resumed run does not take."""
    given = list(settings)
    if given:
        raise _UsageError(f"{', '.join(given)}: a resumed run keeps the settings and random sequence saved in "
                          f"{args.resume}; leave {'it' if len(given) == 1 else 'them'} out")
    _check_input_file(args.resume, "model file")
    other = kinds.class_for(npz_kind(args.resume)) if detect_format(args.resume) == "npz" else None
    if other is not None and other is not cls and other in (Glove, Word2Vec):
        raise _UsageError(f"{args.resume} holds a {other.__name__} run: resume it with --model "
                          f"{'glove' if other is Glove else 'sgns or cbow'}")
    model = cls.load(args.resume)
    if not model.has_training_state:
        raise _UsageError(f"{args.resume} holds no training state to resume (save it with "
                          "'glovefast train ... --save-model FILE' of this version)")
    return model


def _pretrained(args):
    """(vectors or model of --init or None, their dimension or None), after checking --dim against them."""
    if args.init is None:
        return None, None
    _check_input_file(args.init, "--init vectors file")
    t0 = time.perf_counter()
    init = load_pretrained(args.init)
    model = isinstance(init, EmbeddingModel)
    init_dim = init.word_vectors.shape[1] if model else init.vector_size
    if args.dim is not None and args.dim != init_dim:
        raise _UsageError(f"--dim {args.dim} differs from the dimension {init_dim} of the --init vectors; "
                          "leave --dim out to use theirs")
    logger.info("loaded %s of dimension %d from %s in %.2fs",
                plural(len(init.dictionary) if model else len(init), "pretrained vector"),
                init_dim, args.init, time.perf_counter() - t0)
    return init, init_dim


def _print_ranked(results):
    for word, score in results:
        print(f"{word}\t{score:.4f}")


def _cmd_similar(args):
    wv = _load_for_query(args)
    try:
        _print_ranked(wv.most_similar(args.word, topn=args.topn, restrict_vocab=args.restrict_vocab))
    except UnknownWordError as exc:
        raise _UnknownWord(_unknown_word_message(exc, wv, args.vectors)) from None
    return EXIT_OK


def _cmd_analogy(args):
    wv = _load_for_query(args)
    try:
        results = wv.most_similar(positive=[args.b, args.c], negative=[args.a], topn=args.topn,
                                  restrict_vocab=args.restrict_vocab)
    except UnknownWordError as exc:
        raise _UnknownWord(_unknown_word_message(exc, wv, args.vectors)) from None
    _print_ranked(results)
    return EXIT_OK


def _cmd_convert(args):
    fmt = _output_format(args, args.write_format, "--to")
    if args.precision is not None and fmt not in ("word2vec", "glove"):
        raise _UsageError(f"--precision applies to text formats, not {fmt}")
    _check_output_path(args.output, "OUT")
    check_outputs([(args.output, "OUT")], [(args.input, "IN")])
    if args.from_glove_python and args.from_gensim:
        raise _UsageError("--from-glove-python and --from-gensim name two different kinds of IN: give one")
    if args.from_glove_python:
        wv = _load_glove_python(args, fmt)
        if wv is None:
            return EXIT_OK
    elif args.from_gensim:
        wv = _load_gensim(args)
    else:
        args.vectors = args.input
        wv = _load_for_query(args)
    save_vectors(wv, args.output, fmt, precision=args.precision)  # which says what it writes: one line per file
    return EXIT_OK


def _load_gensim(args):
    """convert --from-gensim: the word vectors of a gensim save() file, unpickled by gensim itself."""
    if args.read_format != "auto" or args.limit is not None:
        raise _UsageError("--from-gensim reads the whole gensim file: drop --from and --limit")
    if not os.path.isfile(args.input):
        raise _UsageError(f"IN: no such file: {args.input}")
    with open(args.input, "rb") as fh:
        origin = pickle_origin(fh.read(PICKLE_SNIFF_BYTES))
    if origin != "gensim":
        # never hand gensim (that is, the unpickler) a file that does not even claim to be gensim's
        raise _UsageError(f"IN: {args.input} is not a file written by gensim's save()"
                          + (" (it is another pickle; a glove_python file takes --from-glove-python)"
                             if origin == "pickle" else "; drop --from-gensim to convert a vectors file"))
    try:  # optional dependency: only --from-gensim needs it
        from gensim.utils import SaveLoad
    except ImportError as exc:
        raise _UsageError(f"--from-gensim reads the file through gensim, which is not importable ({exc}); install "
                          "it with: pip install gensim") from None
    obj = SaveLoad.load(args.input)
    wv = WordVectors.from_gensim(obj)
    logger.info("read a gensim %s: %s, dimension %d", type(obj).__name__, plural(len(wv), "word"), wv.vector_size)
    return wv


def _load_glove_python(args, fmt):
    """convert --from-glove-python: the vectors of a glove_python model, or None once a corpus is written."""
    if args.read_format != "auto" or args.limit is not None:
        raise _UsageError("--from-glove-python reads the whole glove_python file: drop --from and --limit")
    if not os.path.isfile(args.input):
        raise _UsageError(f"IN: no such file: {args.input}")
    result = load_glove_python_any(args.input, trust_pickle=True)
    if isinstance(result, Corpus):
        if fmt != "npz":
            raise _UsageError("a glove_python corpus holds cooccurrence counts, not vectors: write it to a .npz "
                              "file, then train with 'glovefast train --matrix FILE'")
        logger.info("read a glove_python corpus; train on it with 'glovefast train --matrix %s'", args.output)
        result.save(args.output)
        return None
    logger.info("read a glove_python model: %s, dimension %d", plural(result.word_vectors.shape[0], "word"),
                result.word_vectors.shape[1])
    return result.wv


def _cmd_evaluate(args):
    if args.analogies is None and not args.pairs:
        analogies, pairs = "questions-words", ["wordsim353"]
    else:
        analogies, pairs = args.analogies, args.pairs or []
    # resolve names and paths first: a typo in a data set name should not cost the load of the vectors
    analogy_path = None if analogies is None else resolve(analogies)
    pair_paths = [resolve(p) for p in pairs]
    wv = _load_for_query(args)
    report = {"vectors": args.vectors,
              **evaluation_report(wv, analogy_path, pair_paths, restrict_vocab=args.restrict_vocab)}
    print(json.dumps(report, indent=2) if args.json else format_evaluation_report(report, args.vectors))
    return EXIT_OK


def _cmd_demo(args):
    if args.plot:
        _need_matplotlib()
    bars = _show_bars(args)
    result = run_demo(words=args.words or DEMO_WORDS, dim=args.dim, epochs=args.epochs, threads=args.threads,
                      seed=args.seed, topn=args.topn, verbose=bars, callback=_epoch_lines(bars), model=args.model)
    if args.plot:
        for path in save_plots(result.model, args.plot).values():
            print(f"wrote {path}")
    return EXIT_OK


def _build_info():
    """One line for bug reports (shown with -vv): versions and how the core was built."""
    return (f"glovefast {__version__} (OpenMP {'on' if openmp_enabled() else 'off'}, kernel {simd_info()}), "
            f"Python {platform.python_version()}, numpy {np.__version__}, {platform.platform()}")


def _finishing_note(exc_type):
    """Said from the signal handler when a first signal arrives while the outputs are written."""
    again = "SIGTERM or Ctrl-C" if issubclass(exc_type, Terminated) else "Ctrl-C or SIGTERM"
    os.write(2, f"glovefast: {_stopped(exc_type())} after the last epoch: finishing the outputs "
                f"({again} again abandons the file being written)\n".encode())


def _stopped(exc):
    return "terminated (SIGTERM)" if isinstance(exc, Terminated) else "interrupted"


def _stop_code(exc):
    return EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED


class _UnknownWord(GloveFastError):
    """A query word is missing; exit code 1 (like grep finding nothing), not a usage error."""


# ---------------------------------------------------------------------------- entry point
def _describe(exc):
    """One line for an exception, without Python's ``[Errno 2]`` noise."""
    if isinstance(exc, OSError) and exc.strerror and exc.filename:
        return f"{exc.filename}: {exc.strerror[0].lower()}{exc.strerror[1:]}"
    text = str(exc) or type(exc).__name__
    return " ".join(text.split())  # the contract is one line


def _did_you_mean(parser, extras):
    """``"; did you mean --epochs?"`` for the options in ``extras`` that are near one of ``parser``'s."""
    known = [flag for action in parser._actions for flag in action.option_strings if flag.startswith("--")]
    hints = []
    for extra in extras:
        typed = extra.split("=", 1)[0]
        if not typed.startswith("--"):
            continue
        near = [flag for flag in known if flag.startswith(typed) or typed.startswith(flag)]
        near = near or difflib.get_close_matches(typed, known, n=1, cutoff=0.75)
        if near:
            hints.append(f"{typed}: did you mean {' or '.join(sorted(near, key=len)[:2])}?")
    return "; " + "; ".join(hints) if hints else ""


def main(argv=None):
    """Run the ``glovefast`` command line.

    Parameters
    ----------
    argv : list of str, optional
        Arguments without the program name (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit code: 0 success, 1 query word not in the vocabulary, 2 error, 130 interrupted (SIGINT),
        143 terminated (SIGTERM).
        The console script passes it to :func:`sys.exit`.
    """
    parser = build_parser()
    try:
        args, extras = parser.parse_known_args(argv)
        if extras:  # say which command did not expect them, and point at that command's --help
            owner = parser.command_parsers.get(args.command, parser)
            owner.error(f"unrecognized arguments: {' '.join(extras)}{_did_you_mean(owner, extras)}")
    except SystemExit as exc:  # --help, --version and usage errors
        return exc.code if isinstance(exc.code, int) else EXIT_ERROR
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_ERROR
    try:
        with _logging_to_stderr(_log_level(args), _show_bars(args)), signals_as_interrupts():
            logger.debug("%s", _build_info())
            return args.func(args)
    except KeyboardInterrupt as exc:
        _say(_stopped(exc))
        return _stop_code(exc)
    except _UnknownWord as exc:
        print(f"glovefast: {exc}", file=sys.stderr)
        return EXIT_UNKNOWN_WORD
    except BrokenPipeError:
        # The reader of our stdout went away (e.g. `| head`): not an error worth a message. Point
        # stdout at /dev/null so the interpreter's final flush does not raise again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except MemoryBudgetError as exc:  # says how much is needed: better than the generic advice below
        print(f"glovefast: error: {_describe(exc)}", file=sys.stderr)
        return EXIT_ERROR
    except MemoryError:
        print("glovefast: error: out of memory; reduce the vocabulary (--min-count, --max-vocab) or --dim",
              file=sys.stderr)
        return EXIT_ERROR
    except (GloveFastError, OSError) as exc:
        print(f"glovefast: error: {_describe(exc)}", file=sys.stderr)
        return EXIT_ERROR


__all__ = ["build_parser", "load_vectors", "main"]
