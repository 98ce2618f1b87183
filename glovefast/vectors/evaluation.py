"""Intrinsic evaluation of word vectors: analogies and word-pair similarity.

The results match gensim's ``KeyedVectors.evaluate_word_analogies`` and
``KeyedVectors.evaluate_word_pairs`` on the same vectors (same vocabulary restriction,
case folding, out-of-vocabulary handling and return values), but analogies are solved in
batches: one matrix product per block of questions over cached unit vectors, then
``argpartition`` per row, instead of a vocabulary-sized Python call per question.

Data sets are given as a path or a built-in name (see :mod:`glovefast.datasets`):
``"questions-words"`` (Google analogies), ``"wordsim353"`` and ``"simlex999"`` (not shipped,
found if available locally).

:func:`evaluate_all` is the one-call summary used by the benchmarks: every system's vectors go
through exactly the same code path.
"""
import itertools
import logging
import math
from collections import namedtuple
from pathlib import Path
from types import MappingProxyType

import numpy as np

from glovefast._util.progress import plural
from glovefast.datasets import resolve
from glovefast.errors import DataNotFoundError, FormatError, InvalidParameterError
from glovefast.vectors.ranking import SCORE_BLOCK_BYTES, check_restrict, top_indices, unit_rows

logger = logging.getLogger(__name__)

#: Analogy-solving objectives accepted by ``method``.
ANALOGY_METHODS = ("3cosadd", "3cosmul")

#: Word-pair data sets evaluated by :func:`evaluate_all` unless told otherwise (result key -> data set).
DEFAULT_PAIRS = MappingProxyType({"ws353": "wordsim353", "simlex": "simlex999"})

# gensim keeps the 5 best candidates (after dropping the question words' own rows) and takes
# the first that is not a case variant of a question word; we do the same to give identical answers.
_CANDIDATES = 5


class SpearmanResult(namedtuple("SpearmanResult", ["correlation", "pvalue"])):
    """Spearman rank correlation and its two-sided p-value (unpacks like scipy's result)."""

    __slots__ = ()

    @property
    def statistic(self):
        """Alias of ``correlation`` (scipy >= 1.9 naming)."""
        return self.correlation


def _stats():
    # scipy.stats takes most of a second to import; only word-pair scoring needs it, so
    # `import glovefast` (and every CLI command) does not pay for it.
    from scipy import stats

    return stats


def _ok_vocab(wv, restrict_vocab, case_insensitive):
    """Map (optionally upper-cased) word -> id over the first ``restrict_vocab`` words; the most frequent variant wins."""
    limit = check_restrict(restrict_vocab, len(wv))
    ok = {}
    for idx, key in enumerate(wv.index_to_key[:limit]):
        ok.setdefault(key.upper() if case_insensitive else key, idx)
    return ok, limit


def _open_text(path, what):
    try:
        with open(path, "r", encoding="utf-8") as fh:
            return fh.read().splitlines()
    except UnicodeDecodeError as exc:
        raise FormatError(f"{what} file {str(path)!r} is not valid UTF-8 ({exc}); convert it to UTF-8") from None
    except IsADirectoryError:
        raise FormatError(f"{what} file {str(path)!r} is a directory, expected a text file") from None


def _read_analogies(path, case_insensitive):
    """Parse a questions-words style file into [(section name, [(a, b, c, d), ...]), ...]."""
    sections = []
    n_questions = 0
    for line_no, line in enumerate(_open_text(path, "analogy")):
        if line.startswith(": "):
            sections.append((line.lstrip(": ").strip(), []))
            continue
        if not sections:
            if not line.strip():
                continue
            raise FormatError(
                f"analogy file {str(path)!r}: line {line_no + 1} comes before any ': section' header; "
                "each block of questions must start with a line like ': capital-common-countries'"
            )
        words = line.split()
        if len(words) != 4:
            logger.info("skipping invalid line #%i in %s", line_no, path)
            continue
        if case_insensitive:
            words = [w.upper() for w in words]
        sections[-1][1].append(tuple(words))
        n_questions += 1
    if n_questions == 0:
        raise FormatError(
            f"analogy file {str(path)!r} holds no questions; expected ': section' headers followed by "
            "lines of four words 'a b c d'"
        )
    return sections, n_questions


def _analogy_scores(unit, limit, ids, method):
    """Score blocks for questions ``ids[i] = (a, b, c)`` against the first ``limit`` words.

    Yields ``(start, scores)``; the question words' own entries are ``-inf``.
    """
    pool = unit[:limit]
    block = max(1, SCORE_BLOCK_BYTES // (max(limit, 1) * unit.itemsize * (3 if method == "3cosmul" else 1)))
    for start in range(0, len(ids), block):
        chunk = ids[start:start + block]
        ua, ub, uc = unit[chunk[:, 0]], unit[chunk[:, 1]], unit[chunk[:, 2]]
        if method == "3cosadd":
            # gensim: mean of (+b, +c, -a) with |weights| summing to 3, then normalised.
            query = unit_rows((ub + uc - ua) / 3.0)
            scores = query @ pool.T
        else:
            cos = np.concatenate([ua, ub, uc]) @ pool.T
            n = len(chunk)
            ca, cb, cc = cos[:n], cos[n:2 * n], cos[2 * n:]
            scores = ((1.0 + cb) / 2.0) * ((1.0 + cc) / 2.0) / ((1.0 + ca) / 2.0 + 1e-6)
        rows = np.arange(len(chunk))
        for col in range(3):
            scores[rows, chunk[:, col]] = -np.inf
        yield start, scores


def _pick(scores_row, first, keys, ignore, case_insensitive):
    """gensim's choice among a question's best candidates: the first that is not a (case variant of a) question word.

    ``first`` is the row's argmax; only when it is a case variant of a question word are the
    next candidates ranked (rare, so the full partition is paid for few rows).
    """
    if scores_row[first] != -np.inf:
        guess = keys[first].upper() if case_insensitive else keys[first]
        if guess not in ignore:
            return guess
    guess = None
    taken = 0
    for i in top_indices(scores_row, _CANDIDATES + 3):
        if scores_row[i] == -np.inf:  # a question word's own row
            continue
        taken += 1
        if taken > _CANDIDATES:
            break
        guess = keys[i].upper() if case_insensitive else keys[i]
        if guess not in ignore:
            break
    return guess


def _analogy_pass(wv, analogies, restrict_vocab, case_insensitive, dummy4unknown, method, want_ranks=False):
    if method not in ANALOGY_METHODS:
        raise InvalidParameterError(f"method must be one of {ANALOGY_METHODS}, got {method!r}")
    path = resolve(analogies)
    ok_vocab, limit = _ok_vocab(wv, restrict_vocab, case_insensitive)
    logger.info("evaluating word analogies for top %i words in the model on %s", limit, path)
    parsed, n_questions = _read_analogies(path, case_insensitive)

    # Gather every in-vocabulary question of every section, solve them all in batches.
    known = []  # (section index, question)
    oov = 0
    sections = [{"section": name, "correct": [], "incorrect": []} for name, _ in parsed]
    slot = []  # per section, per question: index into `known` or None for OOV
    for s_idx, (_, questions) in enumerate(parsed):
        marks = []
        for q in questions:
            if all(w in ok_vocab for w in q):
                marks.append(len(known))
                known.append(q)
            else:
                oov += 1
                marks.append(None)
        slot.append(marks)

    predicted = [None] * len(known)
    ranks = np.full(len(known), -1, dtype=np.int64) if want_ranks else None
    if known:
        unit = wv.get_normed_vectors()
        ids = np.array([[ok_vocab[w] for w in q[:3]] for q in known], dtype=np.intp)
        expected_ids = np.array([ok_vocab[q[3]] for q in known], dtype=np.intp)
        keys = wv.index_to_key
        for start, scores in _analogy_scores(unit, limit, ids, method):
            rows = np.arange(scores.shape[0])
            if want_ranks:
                target = scores[rows, expected_ids[start:start + len(rows)]]
                ranks[start:start + len(rows)] = (scores > target[:, None]).sum(axis=1)
            # argmax is one cheap pass; a full top-k partition per row would dominate the run time.
            firsts = scores.argmax(axis=1)
            for row, first in enumerate(firsts):
                q = known[start + row]
                predicted[start + row] = _pick(scores[row], first, keys, q[:3], case_insensitive)

    for s_idx, (_, questions) in enumerate(parsed):
        section = sections[s_idx]
        for q, mark in zip(questions, slot[s_idx]):
            if mark is None:
                if dummy4unknown:
                    section["incorrect"].append(q)
                continue
            (section["correct"] if predicted[mark] == q[3] else section["incorrect"]).append(q)
        _log_section(section)

    total = {
        "section": "Total accuracy",
        "correct": list(itertools.chain.from_iterable(s["correct"] for s in sections)),
        "incorrect": list(itertools.chain.from_iterable(s["incorrect"] for s in sections)),
    }
    score = _log_section(total)
    logger.info("quadruplets with out-of-vocabulary words: %.1f%%", 100.0 * oov / n_questions)
    sections.append(total)
    return {"score": score, "sections": sections, "oov": oov, "n_questions": n_questions, "ranks": ranks}


def _log_section(section):
    correct, incorrect = len(section["correct"]), len(section["incorrect"])
    if correct + incorrect == 0:
        return 0.0
    score = correct / (correct + incorrect)
    logger.info("%s: %.1f%% (%i/%i)", section["section"], 100.0 * score, correct, correct + incorrect)
    return score


#: The two halves of the Google analogy set (Mikolov et al., 2013), as every GloVe and word2vec
#: paper reports them: sections named ``gram...`` test syntax, the others semantics.
ANALOGY_SPLIT = ("semantic", "syntactic")


def analogy_kind(section):
    """``"syntactic"`` for a section named ``gram...`` (``gram1-adjective-to-adverb``...), else ``"semantic"``.

    This is the Google set's naming convention; the split is the one word2vec's
    ``compute-accuracy`` and Stanford's ``evaluate.py`` report (their first five sections,
    which are the five not named ``gram``).
    """
    return "syntactic" if section.lower().startswith("gram") else "semantic"


def analogy_split(sections):
    """Semantic and syntactic totals of per-section results.

    Parameters
    ----------
    sections : list of dict
        ``{"section", "correct", "incorrect"}`` as :func:`evaluate_word_analogies` returns them
        (a final ``"Total accuracy"`` entry, if present, is left out).

    Returns
    -------
    dict
        ``{"semantic": {...}, "syntactic": {...}}``, each with ``correct``, ``answered`` and
        ``sections`` (how many sections of that kind the file has).
    """
    split = {kind: {"correct": 0, "answered": 0, "sections": 0} for kind in ANALOGY_SPLIT}
    for s in sections:
        if s["section"] == "Total accuracy":
            continue
        part = split[analogy_kind(s["section"])]
        part["correct"] += len(s["correct"])
        part["answered"] += len(s["correct"]) + len(s["incorrect"])
        part["sections"] += 1
    return split


def evaluate_word_analogies(wv, analogies="questions-words", restrict_vocab=30000, case_insensitive=True,
                            dummy4unknown=False, method="3cosadd"):
    """Accuracy on an analogy test set, per section and in total (gensim-compatible).

    A question ``a b c d`` asks for the word closest to ``b - a + c``; it is answered
    correctly when that word is ``d``. Questions with a word outside the first
    ``restrict_vocab`` words are skipped (or counted wrong with ``dummy4unknown``).

    Parameters
    ----------
    wv : WordVectors
    analogies : str or path, optional
        File of ``: section`` headers and ``a b c d`` lines, or a built-in name
        (default ``"questions-words"``, the Google analogy set).
    restrict_vocab : int or None, optional
        Only the ``restrict_vocab`` most frequent words are candidates and may appear in
        questions (word2vec's ``compute-accuracy`` convention: 30000). ``None`` uses all.
        gensim's default is 300000: more questions are asked and rarer words compete as
        answers, which gives lower, not comparable, accuracies (on real8, 22.4 % instead of
        28.0 % for the same vectors); pass 300000 to reproduce gensim's number.
    case_insensitive : bool, optional
        Compare upper-cased words; for a word with several case variants, the most frequent
        variant's vector is used.
    dummy4unknown : bool, optional
        Count questions with unknown words as incorrect instead of skipping them.
    method : {"3cosadd", "3cosmul"}, optional
        ``3cosadd``: cosine to ``normalize(b - a + c)`` (Mikolov; what gensim computes).
        ``3cosmul``: Levy & Goldberg's multiplicative objective (gensim has no equivalent here).

    Returns
    -------
    score : float
        Total accuracy in [0, 1] (0.0 if no question could be evaluated).
    sections : list of dict
        One ``{"section", "correct", "incorrect"}`` per section, where ``correct`` and
        ``incorrect`` list the ``(a, b, c, d)`` questions (upper-cased if
        ``case_insensitive``), followed by a ``"Total accuracy"`` section.

    Raises
    ------
    FormatError
        The file is not UTF-8, has questions before a section header, or holds no questions.
    FileNotFoundError
        No such file (the message lists built-in names).
    """
    result = _analogy_pass(wv, analogies, restrict_vocab, case_insensitive, dummy4unknown, method)
    return result["score"], result["sections"]


def analogy_rank_score(wv, analogies="questions-words", restrict_vocab=30000, case_insensitive=True,
                       method="3cosadd"):
    """glove_python's extra analogy metric: the rank of the expected answer for every question.

    Rank 0 means the expected word scored highest among the first ``restrict_vocab`` words
    (the three question words excluded); lower mean ranks are better. Only in-vocabulary
    questions are ranked.

    Returns
    -------
    numpy.ndarray of int64
        One rank per evaluated question, in file order.
    """
    result = _analogy_pass(wv, analogies, restrict_vocab, case_insensitive, False, method, want_ranks=True)
    return result["ranks"]


def _read_pairs(path, delimiter, case_insensitive):
    rows = []
    for line_no, line in enumerate(_open_text(path, "word-pair")):
        if not line or line.startswith("#"):
            continue
        parts = line.split(delimiter)
        if len(parts) != 3:
            logger.info("skipping invalid line #%d in %s", line_no, path)
            continue
        a, b, sim = parts
        try:
            sim = float(sim)
        except ValueError:
            logger.info("skipping invalid line #%d in %s", line_no, path)
            continue
        if case_insensitive:
            a, b = a.upper(), b.upper()
        rows.append((a, b, sim))
    if not rows:
        raise FormatError(
            f"word-pair file {str(path)!r} holds no 'word1{delimiter!r}word2{delimiter!r}score' lines"
        )
    return rows


def _pairs_pass(wv, pairs, delimiter, restrict_vocab, case_insensitive, dummy4unknown):
    path = resolve(pairs)
    ok_vocab, limit = _ok_vocab(wv, restrict_vocab, case_insensitive)
    rows = _read_pairs(path, delimiter, case_insensitive)
    gold, ia, ib, dummy = [], [], [], []
    oov = 0
    for a, b, sim in rows:
        if a not in ok_vocab or b not in ok_vocab:
            oov += 1
            if dummy4unknown:
                dummy.append(sim)
            continue
        gold.append(sim)
        ia.append(ok_vocab[a])
        ib.append(ok_vocab[b])
    if not gold and not dummy:
        raise InvalidParameterError(
            f"all {len(rows)} pairs in {str(path)!r} contain a word outside the first {limit} words of the "
            "vocabulary; nothing to correlate (train on a larger corpus or raise restrict_vocab)"
        )
    unit = wv.get_normed_vectors()
    model = np.einsum("ij,ij->i", unit[ia], unit[ib]) if ia else np.zeros(0, dtype=unit.dtype)
    # gensim appends a 0.0 model similarity for every unknown pair in file order; order does
    # not matter to the correlations, so the dummies go last.
    gold_all = gold + dummy
    model_all = np.concatenate([model, np.zeros(len(dummy), dtype=model.dtype)])
    return path, np.asarray(gold_all, dtype=np.float64), model_all, oov, len(gold_all)


def evaluate_word_pairs(wv, pairs="wordsim353", delimiter="\t", restrict_vocab=300000, case_insensitive=True,
                        dummy4unknown=False):
    """Correlation between cosine similarities and human judgements (gensim-compatible).

    Parameters
    ----------
    wv : WordVectors
    pairs : str or path, optional
        File of ``word1<delimiter>word2<delimiter>score`` lines (``#`` starts a comment), or a
        built-in name: ``"wordsim353"`` (default), ``"simlex999"`` (if available locally).
    delimiter : str, optional
    restrict_vocab : int or None, optional
        Pairs with a word outside the ``restrict_vocab`` most frequent words count as unknown
        (gensim's default, 300000).
    case_insensitive : bool, optional
    dummy4unknown : bool, optional
        Give unknown pairs a model similarity of 0 instead of skipping them.

    Returns
    -------
    pearson : tuple of (float, float)
        Pearson's r and its two-sided p-value.
    spearman : SpearmanResult
        ``(correlation, pvalue)``; also ``.statistic``.
    oov_ratio : float
        Percentage (0-100) of pairs with an unknown word, as gensim reports it.

    Raises
    ------
    FormatError
        The file has no valid lines or is not UTF-8.
    InvalidParameterError
        Every pair has an unknown word.
    """
    path, gold, model, oov, n_used = _pairs_pass(wv, pairs, delimiter, restrict_vocab, case_insensitive, dummy4unknown)
    if len(gold) < 2:
        pearson = (math.nan, math.nan)
        spearman = SpearmanResult(math.nan, math.nan)
    else:
        stats = _stats()
        pr = stats.pearsonr(gold, model)
        sr = stats.spearmanr(gold, model)
        pearson = (float(pr[0]), float(pr[1]))
        spearman = SpearmanResult(float(sr[0]), float(sr[1]))
    oov_ratio = 100.0 * oov / (n_used if dummy4unknown else n_used + oov)
    logger.info("Pearson correlation coefficient against %s: %.4f", path, pearson[0])
    logger.info("Spearman rank-order correlation coefficient against %s: %.4f", path, spearman[0])
    logger.info("Pairs with unknown words ratio: %.1f%%", oov_ratio)
    return pearson, spearman, oov_ratio


def evaluate_all(wv, restrict_vocab=30000, analogies="questions-words", pairs=DEFAULT_PAIRS, analogy_method="3cosadd"):
    """One-call summary of analogy accuracy and word-pair correlations, as plain floats.

    Every system in the benchmarks is scored by this function, so it never raises for a
    data set that is merely unavailable or entirely out of vocabulary: that entry is NaN and a
    warning is logged.

    Parameters
    ----------
    wv : WordVectors
    restrict_vocab : int or None, optional
        Only the ``restrict_vocab`` most frequent words take part, in every task: an analogy
        question or a word pair with another word is skipped as unknown (``*_oov`` counts
        them). This is the protocol of the reference numbers this project compares with:
        Stanford GloVe's vectors on real8 (d=50, window 15, 15 epochs), trained on the
        benchmark machine and scored here, give WS353 0.468 and SimLex 0.223 with the 30k
        restriction (reference: 0.480 and 0.222) but 0.408 and 0.213 over the whole vocabulary,
        where rare words with poor vectors enter the correlation. ``None``: no restriction.
    analogies : str, path or None, optional
        Analogy data set; ``None`` skips the task.
    pairs : mapping of str to (str or path), optional
        Result key -> word-pair data set. Default ``{"ws353": "wordsim353", "simlex": "simlex999"}``.
    analogy_method : {"3cosadd", "3cosmul"}, optional

    Returns
    -------
    dict
        ``analogy``: total accuracy (fraction 0..1) over in-vocabulary questions;
        ``analogy_sections``: ``{section name: accuracy}``; ``analogy_semantic`` and
        ``analogy_syntactic``: accuracy over each half (see :func:`analogy_split`; NaN when a
        half has no answered question); ``analogy_oov``: fraction of
        questions skipped as out-of-vocabulary; for every key ``k`` of ``pairs``: ``k``
        (Spearman's rho), ``k + "_pearson"`` and ``k + "_oov"`` (fraction of pairs with an
        unknown word).
    """
    out = {}
    if analogies is not None:
        try:
            res = _analogy_pass(wv, analogies, restrict_vocab, True, False, analogy_method)
        except DataNotFoundError as exc:
            logger.warning("analogy evaluation skipped: %s", exc)
            out.update(analogy=math.nan, analogy_sections={}, analogy_semantic=math.nan, analogy_syntactic=math.nan,
                       analogy_oov=math.nan)
        else:
            out["analogy"] = res["score"]
            out["analogy_sections"] = {
                s["section"]: (len(s["correct"]) / (len(s["correct"]) + len(s["incorrect"]))
                               if s["correct"] or s["incorrect"] else math.nan)
                for s in res["sections"][:-1]
            }
            for kind, part in analogy_split(res["sections"]).items():
                out[f"analogy_{kind}"] = part["correct"] / part["answered"] if part["answered"] else math.nan
            out["analogy_oov"] = res["oov"] / res["n_questions"]
    for key, dataset in dict(pairs or {}).items():
        try:
            path, gold, model, oov, n_used = _pairs_pass(wv, dataset, "\t", restrict_vocab, True, False)
        except DataNotFoundError as exc:
            logger.warning("word-pair evaluation %r skipped: %s", key, exc)
            out.update({key: math.nan, f"{key}_pearson": math.nan, f"{key}_oov": math.nan})
            continue
        except InvalidParameterError as exc:  # every pair out of vocabulary
            logger.warning("word-pair evaluation %r: %s", key, exc)
            out.update({key: math.nan, f"{key}_pearson": math.nan, f"{key}_oov": 1.0})
            continue
        if len(gold) >= 2:
            stats = _stats()
            out[key] = float(stats.spearmanr(gold, model)[0])
            out[f"{key}_pearson"] = float(stats.pearsonr(gold, model)[0])
        else:
            out[key] = out[f"{key}_pearson"] = math.nan
        out[f"{key}_oov"] = oov / (n_used + oov)
    return out


def evaluation_report(wv, analogies="questions-words", pairs=("wordsim353",), restrict_vocab=30000):
    """Analogy accuracy and word-pair correlations as one JSON-ready dict (``glovefast evaluate``).

    Unlike :func:`evaluate_all`, which the benchmarks use to score many systems alike, a data
    set that is missing is an error here; only a word-pair set whose every pair is unknown gets
    an entry with a ``note`` instead of numbers.

    Parameters
    ----------
    wv : WordVectors
    analogies : str, path or None, optional
        Analogy data set (a path or a built-in name); ``None`` skips the task.
    pairs : sequence of (str or path), optional
        Word-pair data sets, each scored on its own.
    restrict_vocab : int or None, optional
        As in :func:`evaluate_all`: only questions and pairs whose words are among the
        ``restrict_vocab`` most frequent are scored.

    Returns
    -------
    dict
        ``words`` and ``dimension`` of ``wv``; ``analogies`` (if asked for): ``file``,
        ``accuracy`` (None if no question could be asked), ``correct``, ``answered``,
        ``questions`` (in the file), ``restrict_vocab``, ``sections`` (name ->
        ``{"correct", "answered"}``) and ``split``: ``{"semantic": ..., "syntactic": ...}``, each
        ``{"correct", "answered", "sections", "accuracy"}`` (:func:`analogy_split`; accuracy None
        when nothing was answered); ``pairs``: one dict per data set with ``file``,
        ``spearman``, ``pearson`` (None when undefined) and ``oov_percent``.

    Raises
    ------
    FileNotFoundError, DataNotFoundError, FormatError
        A data set is missing or unreadable.
    """
    report = {"words": len(wv), "dimension": wv.vector_size}
    if analogies is not None:
        result = _analogy_pass(wv, analogies, restrict_vocab, True, False, "3cosadd")
        sections = result["sections"]
        correct = len(sections[-1]["correct"])
        answered = correct + len(sections[-1]["incorrect"])
        report["analogies"] = {
            "file": str(resolve(analogies)),
            "accuracy": result["score"] if answered else None,
            "correct": correct,
            "answered": answered,
            "questions": result["n_questions"],
            "restrict_vocab": restrict_vocab,
            "sections": {
                s["section"]: {"correct": len(s["correct"]), "answered": len(s["correct"]) + len(s["incorrect"])}
                for s in sections[:-1]
            },
            "split": {kind: {**part, "accuracy": part["correct"] / part["answered"] if part["answered"] else None}
                      for kind, part in analogy_split(sections).items()},
        }
    report["pairs"] = []
    for dataset in pairs:
        entry = {"file": str(resolve(dataset))}
        try:
            pearson, spearman, oov = evaluate_word_pairs(wv, dataset, restrict_vocab=restrict_vocab)
        except InvalidParameterError as exc:  # every pair has an unknown word
            entry.update(spearman=None, pearson=None, oov_percent=100.0, note=str(exc))
        else:
            entry.update(spearman=_finite_or_none(spearman[0]), pearson=_finite_or_none(pearson[0]),
                         oov_percent=oov)
        report["pairs"].append(entry)
    return report


def _finite_or_none(x):
    return float(x) if math.isfinite(x) else None


def format_evaluation_report(report, name):
    """:func:`evaluation_report`'s result as the lines ``glovefast evaluate`` prints.

    Parameters
    ----------
    report : dict
    name : str
        What the vectors are called in the first line (e.g. their file).

    Returns
    -------
    str
        Lines separated by newlines, without a final one.
    """
    lines = [f"{name}: {plural(report['words'], 'word')}, dimension {report['dimension']}"]
    if "analogies" in report:
        a = report["analogies"]
        file_name = Path(a["file"]).name
        restrict = a["restrict_vocab"]
        why = ("a word is not in the vocabulary" if restrict is None or report["words"] <= restrict
               else f"a word is not among the {restrict:,} most frequent")
        if a["answered"]:
            lines.append(f"analogies ({file_name}): accuracy {100 * a['accuracy']:.2f}% ({a['correct']:,} of "
                         f"{a['answered']:,} questions; {a['questions'] - a['answered']:,} of {a['questions']:,} "
                         f"skipped: {why})")
            split = a.get("split", {})
            halves = {f"{kind} ({plural(part['sections'], 'section')})": part for kind, part in split.items()
                      if part["sections"]}
            width = max(len(s) for s in list(a["sections"]) + list(halves))
            for section, counts in a["sections"].items():
                if counts["answered"]:
                    lines.append(f"  {section:<{width}}  {100 * counts['correct'] / counts['answered']:6.2f}%  "
                                 f"({counts['correct']:,}/{counts['answered']:,})")
            for label, part in halves.items():
                score = f"{100 * part['accuracy']:6.2f}%" if part["answered"] else "    n/a"
                lines.append(f"  {label:<{width}}  {score}  ({part['correct']:,}/{part['answered']:,})")
        else:
            lines.append(f"analogies ({file_name}): n/a, none of the {a['questions']:,} questions could be asked: "
                         f"in each, {why}")
    for entry in report["pairs"]:
        file_name = Path(entry["file"]).name
        if entry["spearman"] is None and "note" in entry:
            lines.append(f"word pairs ({file_name}): n/a, {entry['note']}")
            continue
        rho = "n/a" if entry["spearman"] is None else f"{entry['spearman']:.4f}"
        r = "n/a" if entry["pearson"] is None else f"{entry['pearson']:.4f}"
        lines.append(f"word pairs ({file_name}): Spearman {rho}, Pearson {r} ({entry['oov_percent']:.1f}% of pairs "
                     "with an unknown word, skipped)")
    return "\n".join(lines)


__all__ = [
    "ANALOGY_METHODS",
    "ANALOGY_SPLIT",
    "analogy_kind",
    "analogy_split",
    "DEFAULT_PAIRS",
    "SpearmanResult",
    "analogy_rank_score",
    "evaluate_all",
    "evaluate_word_analogies",
    "evaluate_word_pairs",
    "evaluation_report",
    "format_evaluation_report",
]
