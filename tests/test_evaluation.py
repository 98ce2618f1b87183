"""Analogy and word-pair evaluation: exact values on planted data, parity with gensim, data sets."""
import json
import math
import subprocess
import sys

import numpy as np
import pytest

from glovefast import datasets
from glovefast.vectors import evaluation
from glovefast.errors import DataNotFoundError, FormatError, InvalidParameterError
from glovefast.vectors.word_vectors import WordVectors


def planted_vectors(d=24, seed=0):
    """Vectors where capital = country + r1 and plural = singular + r2 hold exactly.

    Words are ordered so that ids follow an assumed frequency; 'Paris' is a rarer case
    variant of 'paris'.
    """
    rng = np.random.default_rng(seed)
    r_capital = rng.standard_normal(d) * 3
    r_plural = rng.standard_normal(d) * 3
    base = {w: rng.standard_normal(d) for w in ["france", "italy", "spain", "japan", "cat", "dog", "car", "café"]}
    vec = dict(base)
    vec.update(paris=base["france"] + r_capital, rome=base["italy"] + r_capital,
               madrid=base["spain"] + r_capital, tokyo=base["japan"] + r_capital)
    vec.update(cats=base["cat"] + r_plural, dogs=base["dog"] + r_plural, cars=base["car"] + r_plural,
               cafés=base["café"] + r_plural)
    for i in range(30):
        vec[f"noise{i}"] = rng.standard_normal(d)
    vec["Paris"] = vec["paris"] + 0.01 * rng.standard_normal(d)
    words = list(vec)
    return WordVectors(words, np.array([vec[w] for w in words], dtype=np.float32))


ANALOGIES = """\
: capitals
france paris italy rome
italy rome spain madrid
spain madrid japan tokyo
france paris japan madrid
france paris atlantis atlantis_city
this line is invalid five
: plurals
cat cats dog dogs
dog dogs café cafés
car cars cat cats
: empty-section
"""


@pytest.fixture
def analogy_file(tmp_path):
    path = tmp_path / "analogies.txt"
    path.write_text(ANALOGIES, encoding="utf-8")
    return path


def test_planted_analogies_exact_sections(analogy_file):
    wv = planted_vectors()
    score, sections = evaluation.evaluate_word_analogies(wv, analogy_file)
    names = [s["section"] for s in sections]
    assert names == ["capitals", "plurals", "empty-section", "Total accuracy"]
    cap, plur, empty, total = sections
    assert cap["correct"] == [("FRANCE", "PARIS", "ITALY", "ROME"), ("ITALY", "ROME", "SPAIN", "MADRID"),
                              ("SPAIN", "MADRID", "JAPAN", "TOKYO")]
    assert cap["incorrect"] == [("FRANCE", "PARIS", "JAPAN", "MADRID")]  # planted wrong answer; OOV line skipped
    assert len(plur["correct"]) == 3 and plur["incorrect"] == []
    assert ("DOG", "DOGS", "CAFÉ", "CAFÉS") in plur["correct"]  # non-ASCII upper-casing
    assert empty == {"section": "empty-section", "correct": [], "incorrect": []}
    assert len(total["correct"]) == 6 and len(total["incorrect"]) == 1
    assert score == pytest.approx(6 / 7)
    # the method on WordVectors delegates to the same code
    assert wv.evaluate_word_analogies(analogy_file)[0] == score


def test_dummy4unknown_and_case_sensitivity(analogy_file):
    wv = planted_vectors()
    score, sections = evaluation.evaluate_word_analogies(wv, analogy_file, dummy4unknown=True)
    assert ("FRANCE", "PARIS", "ATLANTIS", "ATLANTIS_CITY") in sections[0]["incorrect"]
    assert score == pytest.approx(6 / 8)
    score_cs, sections_cs = evaluation.evaluate_word_analogies(wv, analogy_file, case_insensitive=False)
    assert sections_cs[0]["correct"][0] == ("france", "paris", "italy", "rome")
    assert score_cs == pytest.approx(6 / 7)


def test_restrict_vocab_skips_rare_words(analogy_file):
    wv = planted_vectors()
    # first 12 ids: the 8 base words + paris, rome, madrid, tokyo; no plurals
    score, sections = evaluation.evaluate_word_analogies(wv, analogy_file, restrict_vocab=12)
    assert sections[1]["correct"] == [] and sections[1]["incorrect"] == []
    assert len(sections[0]["correct"]) == 3
    assert score == pytest.approx(3 / 4)


def test_case_variant_of_question_word_is_skipped_like_gensim(tmp_path):
    # 'Paris' is a near copy of 'paris'. For "italy italy paris ?" the best candidate once the
    # question words' own rows are excluded is 'Paris', a case variant of a question word:
    # gensim skips it and answers with the next candidate; so must we.
    wv = planted_vectors()
    cands = wv.most_similar(positive=["italy", "paris"], negative=["italy"], topn=2)
    assert cands[0][0] == "Paris"  # the trap is set
    runner_up = cands[1][0].upper()
    path = tmp_path / "trap.txt"
    path.write_text(f": trap\nitaly italy paris {runner_up}\nitaly italy paris paris\n", encoding="utf-8")
    score, sections = evaluation.evaluate_word_analogies(wv, path)
    assert sections[0]["correct"] == [("ITALY", "ITALY", "PARIS", runner_up)]
    assert sections[0]["incorrect"] == [("ITALY", "ITALY", "PARIS", "PARIS")]
    assert score == 0.5
    try:
        from gensim.models import KeyedVectors
    except ImportError:
        return
    kv = KeyedVectors(wv.vector_size)
    kv.add_vectors(wv.index_to_key, wv.vectors)
    assert kv.evaluate_word_analogies(str(path))[1][0] == sections[0]


def test_3cosmul_matches_per_question_queries(analogy_file):
    # Batched 3CosMul must give, question by question, the answer of most_similar_cosmul.
    wv = planted_vectors()
    score, sections = evaluation.evaluate_word_analogies(wv, analogy_file, method="3cosmul")
    lower = {w.lower(): w for w in reversed(wv.index_to_key)}  # most frequent variant wins
    n_checked = 0
    for section in sections[:-1]:
        for outcome in ("correct", "incorrect"):
            for a, b, c, d in section[outcome]:
                cands = wv.most_similar_cosmul(positive=[lower[b.lower()], lower[c.lower()]],
                                               negative=[lower[a.lower()]], topn=5)
                guess = next(w.upper() for w, _ in cands if w.upper() not in (a, b, c))
                assert (guess == d) == (outcome == "correct"), (a, b, c, d, cands)
                n_checked += 1
    assert n_checked == 7
    assert ("FRANCE", "PARIS", "ITALY", "ROME") in sections[0]["correct"]
    # the large planted offsets make 3CosMul miss some that 3CosAdd solves
    assert 0 < score < evaluation.evaluate_word_analogies(wv, analogy_file)[0]
    with pytest.raises(InvalidParameterError, match="method"):
        evaluation.evaluate_word_analogies(wv, analogy_file, method="3cosavg")


def test_analogy_rank_score(analogy_file):
    wv = planted_vectors()
    ranks = evaluation.analogy_rank_score(wv, analogy_file)
    assert ranks.tolist()[:3] == [0, 0, 0]
    assert ranks[3] > 0  # the planted wrong answer 'madrid' is not the best candidate
    assert len(ranks) == 7
    assert np.mean(ranks == 0) == pytest.approx(6 / 7)


def test_analogy_file_errors(tmp_path):
    wv = planted_vectors()
    bad = tmp_path / "bad.txt"
    bad.write_text("france paris italy rome\n", encoding="utf-8")
    with pytest.raises(FormatError, match="before any ': section' header"):
        evaluation.evaluate_word_analogies(wv, bad)
    bad.write_text(": only a header\n\n", encoding="utf-8")
    with pytest.raises(FormatError, match="no questions"):
        evaluation.evaluate_word_analogies(wv, bad)
    bad.write_bytes(b": s\nfrance paris \xff\xfe rome\n")
    with pytest.raises(FormatError, match="UTF-8"):
        evaluation.evaluate_word_analogies(wv, bad)
    with pytest.raises(FileNotFoundError, match="questions-words"):
        evaluation.evaluate_word_analogies(wv, tmp_path / "nope.txt")


# ---------------------------------------------------------------- word pairs
PAIRS = """\
# comment line
paris\tfrance\t9.0
paris\trome\t7.5
cat\tdog\t5.0
cat\tcar\t1.0
cat\tunknownword\t3.0
not a valid line
"""


def test_word_pairs_exact_values(tmp_path):
    # 2-D vectors with known cosines: decreasing human score <-> decreasing cosine.
    words = ["paris", "france", "rome", "cat", "dog", "car"]
    vecs = np.array([[1, 0], [1, 0.1], [1, 0.5], [0, 1], [0.6, 1], [1, -0.5]], dtype=np.float64)
    wv = WordVectors(words, vecs)
    path = tmp_path / "pairs.tsv"
    path.write_text(PAIRS, encoding="utf-8")
    pearson, spearman, oov = evaluation.evaluate_word_pairs(wv, path)
    cos = [wv.similarity("paris", "france"), wv.similarity("paris", "rome"),
           wv.similarity("cat", "dog"), wv.similarity("cat", "car")]
    assert cos == sorted(cos, reverse=True)
    assert spearman.correlation == pytest.approx(1.0) and spearman.statistic == spearman[0]
    assert pearson[0] == pytest.approx(np.corrcoef([9.0, 7.5, 5.0, 1.0], cos)[0, 1])
    assert 0 <= pearson[1] <= 1 and 0 <= spearman.pvalue <= 1
    assert oov == pytest.approx(100 * 1 / 5)
    # dummy4unknown scores the unknown pair as similarity 0 and divides by used pairs
    _, sp_dummy, oov_dummy = evaluation.evaluate_word_pairs(wv, path, dummy4unknown=True)
    assert oov_dummy == pytest.approx(100 * 1 / 5)
    assert sp_dummy.correlation < 1.0
    # restrict_vocab=3 keeps only paris/france/rome -> 2 pairs -> Spearman of 2 points is 1
    _, sp_small, oov_small = evaluation.evaluate_word_pairs(wv, path, restrict_vocab=3)
    assert oov_small == pytest.approx(100 * 3 / 5)


def test_word_pairs_errors(tmp_path):
    wv = WordVectors(["a", "b"], np.eye(2))
    path = tmp_path / "pairs.tsv"
    path.write_text("x\ty\t1.0\nz\tw\t2.0\n", encoding="utf-8")
    with pytest.raises(InvalidParameterError, match="all 2 pairs"):
        evaluation.evaluate_word_pairs(wv, path)
    path.write_text("# nothing\njust text\n", encoding="utf-8")
    with pytest.raises(FormatError, match="no 'word1"):
        evaluation.evaluate_word_pairs(wv, path)


# ---------------------------------------------------------------- gensim parity on the shipped data
def _vocab_from_builtin_files(rng, drop=0.05):
    words, seen = [], set()
    for line in datasets.builtin_path("questions-words").read_text(encoding="utf-8").splitlines():
        if line.startswith(":"):
            continue
        for w in line.split():
            w = w.lower()
            if w not in seen:
                seen.add(w)
                if rng.random() > drop:
                    words.append(w)
    for line in datasets.builtin_path("wordsim353").read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            continue
        for w in line.split("\t")[:2]:
            if w not in seen:
                seen.add(w)
                if rng.random() > drop:
                    words.append(w)
    return words


@pytest.fixture(scope="module")
def gensim_pair():
    gensim_models = pytest.importorskip("gensim.models")
    rng = np.random.default_rng(42)
    words = _vocab_from_builtin_files(rng)
    words.insert(3, words[0].upper())  # a case variant that must lose to the more frequent form
    words += [f"filler{i}" for i in range(500)]
    vecs = rng.standard_normal((len(words), 16)).astype(np.float32)
    index = {w: i for i, w in enumerate(words)}
    # plant the capital relation for half the capitals so that accuracy is not trivially 0
    offset = rng.standard_normal(16).astype(np.float32) * 2
    text = datasets.builtin_path("questions-words").read_text(encoding="utf-8")
    for line in text.splitlines()[1:500]:
        a, b, _, _ = line.lower().split()
        if a in index and b in index and rng.random() < 0.5:
            vecs[index[b]] = vecs[index[a]] + offset + 0.2 * rng.standard_normal(16)
    wv = WordVectors(words, vecs)
    kv = gensim_models.KeyedVectors(16)
    kv.add_vectors(words, vecs)
    return wv, kv


@pytest.fixture(scope="module")
def question_subset(tmp_path_factory):
    # every 4th question of every section keeps the gensim side of the test fast
    out = []
    count = 0
    for line in datasets.builtin_path("questions-words").read_text(encoding="utf-8").splitlines():
        if line.startswith(":"):
            out.append(line)
        else:
            count += 1
            if count % 4 == 0:
                out.append(line)
    path = tmp_path_factory.mktemp("qw") / "questions-subset.txt"
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "kwargs",
    [dict(restrict_vocab=30000), dict(restrict_vocab=800), dict(restrict_vocab=30000, case_insensitive=False),
     dict(restrict_vocab=1000, dummy4unknown=True)],
)
def test_analogies_match_gensim(gensim_pair, question_subset, kwargs):
    wv, kv = gensim_pair
    ours = evaluation.evaluate_word_analogies(wv, question_subset, **kwargs)
    theirs = kv.evaluate_word_analogies(str(question_subset), **kwargs)
    assert ours[0] == pytest.approx(theirs[0])
    if kwargs.get("case_insensitive", True):
        assert ours[0] > 0.02  # the planted relation is found
    assert [s["section"] for s in ours[1]] == [s["section"] for s in theirs[1]]
    for a, b in zip(ours[1], theirs[1]):
        assert a["correct"] == b["correct"], a["section"]
        assert a["incorrect"] == b["incorrect"], a["section"]


@pytest.mark.parametrize("kwargs", [dict(), dict(restrict_vocab=600), dict(dummy4unknown=True),
                                    dict(case_insensitive=False)])
def test_word_pairs_match_gensim(gensim_pair, kwargs):
    wv, kv = gensim_pair
    pearson, spearman, oov = evaluation.evaluate_word_pairs(wv, "wordsim353", **kwargs)
    g_pearson, g_spearman, g_oov = kv.evaluate_word_pairs(str(datasets.builtin_path("wordsim353")), **kwargs)
    assert pearson[0] == pytest.approx(float(g_pearson[0]), abs=1e-6)
    assert pearson[1] == pytest.approx(float(g_pearson[1]), rel=1e-4, abs=1e-9)
    assert spearman.correlation == pytest.approx(float(g_spearman[0]), abs=1e-6)
    assert spearman.pvalue == pytest.approx(float(g_spearman[1]), rel=1e-4, abs=1e-9)
    assert oov == pytest.approx(g_oov)
    assert 0 < oov < 100


def test_full_builtin_analogies_match_gensim_total(gensim_pair):
    # The whole shipped file, batched, against gensim's per-question loop: totals must agree.
    wv, kv = gensim_pair
    ours, sections = wv.evaluate_word_analogies(restrict_vocab=30000)
    theirs, g_sections = kv.evaluate_word_analogies(str(datasets.builtin_path("questions-words")),
                                                    restrict_vocab=30000)
    assert ours == pytest.approx(theirs)
    assert [len(s["correct"]) for s in sections] == [len(s["correct"]) for s in g_sections]
    assert len(sections) == 15  # 14 sections + total


# ---------------------------------------------------------------- evaluate_all
def test_evaluate_all_keys_and_consistency(gensim_pair, tmp_path, monkeypatch):
    wv, _ = gensim_pair
    simlex = tmp_path / "simlex999.txt"
    simlex.write_text("# header\nold\tnew\t1.58\nking\tqueen\t8.0\nman\twoman\t3.0\nson\tdaughter\t2.0\n",
                      encoding="utf-8")
    monkeypatch.setenv(datasets.DATA_DIR_ENV, str(tmp_path))
    res = evaluation.evaluate_all(wv)
    score, sections = evaluation.evaluate_word_analogies(wv, restrict_vocab=30000)
    assert res["analogy"] == pytest.approx(score)
    assert set(res["analogy_sections"]) == {s["section"] for s in sections[:-1]}
    fam = next(s for s in sections if s["section"] == "family")
    assert res["analogy_sections"]["family"] == pytest.approx(
        len(fam["correct"]) / (len(fam["correct"]) + len(fam["incorrect"])))
    _, sp, oov = evaluation.evaluate_word_pairs(wv, "wordsim353", restrict_vocab=30000)
    assert res["ws353"] == pytest.approx(sp.correlation)
    assert res["ws353_oov"] == pytest.approx(oov / 100)
    assert 0 <= res["analogy_oov"] < 1
    assert not math.isnan(res["simlex"]) and 0 <= res["simlex_oov"] <= 1
    assert all(isinstance(v, float) for k, v in res.items() if k != "analogy_sections")


def test_evaluate_all_restricts_word_pairs_like_analogies(gensim_pair):
    # The same vocabulary restriction applies to every task (the reference numbers' protocol).
    wv, _ = gensim_pair
    n = len(wv) // 3
    res = evaluation.evaluate_all(wv, restrict_vocab=n, pairs={"ws353": "wordsim353"})
    _, sp, oov = evaluation.evaluate_word_pairs(wv, "wordsim353", restrict_vocab=n)
    _, sp_all, oov_all = evaluation.evaluate_word_pairs(wv, "wordsim353", restrict_vocab=None)
    assert oov > oov_all  # the restriction matters on this vocabulary
    assert res["ws353"] == pytest.approx(sp.correlation)
    assert res["ws353_oov"] == pytest.approx(oov / 100)
    unrestricted = evaluation.evaluate_all(wv, restrict_vocab=None, analogies=None, pairs={"ws353": "wordsim353"})
    assert unrestricted["ws353"] == pytest.approx(sp_all.correlation)


def test_evaluate_all_missing_dataset_gives_nan(monkeypatch, tmp_path, caplog):
    wv = planted_vectors()
    monkeypatch.setenv(datasets.DATA_DIR_ENV, str(tmp_path))  # empty directory
    monkeypatch.setattr(datasets, "_gensim_test_data_dir", lambda: None)
    res = evaluation.evaluate_all(wv, analogies=None, pairs={"simlex": "simlex999", "ws353": "wordsim353"})
    assert math.isnan(res["simlex"]) and math.isnan(res["simlex_oov"])
    assert "analogy" not in res
    # planted vocabulary has none of WordSim's words except a handful -> finite or all-OOV NaN
    assert "ws353" in res and "ws353_oov" in res
    assert any("simlex" in r.message for r in caplog.records)


# ---------------------------------------------------------------- report (glovefast evaluate)
def test_evaluation_report_counts_and_text(analogy_file, tmp_path):
    wv = planted_vectors()
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("paris\tfrance\t9\ncat\tdog\t5\ncat\tcar\t1\ncat\tnowhere\t2\n", encoding="utf-8")
    unknown = tmp_path / "unknown.tsv"
    unknown.write_text("foo\tbar\t1\n", encoding="utf-8")
    report = evaluation.evaluation_report(wv, analogy_file, [pairs, unknown], restrict_vocab=len(wv))
    a = report["analogies"]
    # 8 questions (the five-word line is none); atlantis is unknown; see test_planted_analogies_exact_sections
    assert (a["questions"], a["answered"], a["correct"]) == (8, 7, 6)
    assert a["accuracy"] == pytest.approx(6 / 7) and a["file"] == str(analogy_file)
    assert a["sections"]["empty-section"] == {"correct": 0, "answered": 0}
    assert report["pairs"][0]["oov_percent"] == pytest.approx(25.0)
    assert report["pairs"][1]["spearman"] is None and "note" in report["pairs"][1]
    json.dumps(report)  # JSON-ready: no NaN, no numpy scalars

    text = evaluation.format_evaluation_report(report, "planted").splitlines()
    assert text[0] == f"planted: {len(wv)} words, dimension 24"
    assert text[1] == ("analogies (analogies.txt): accuracy 85.71% (6 of 7 questions; 1 of 8 skipped: a word is "
                       "not in the vocabulary)")
    assert any(line.split() == ["capitals", "75.00%", "(3/4)"] for line in text)
    assert not any("empty-section" in line for line in text)  # nothing answered there
    assert text[-1].startswith("word pairs (unknown.tsv): n/a, ")

    nothing = evaluation.evaluation_report(wv, analogy_file, [], restrict_vocab=2)
    assert nothing["analogies"]["accuracy"] is None and nothing["pairs"] == []
    assert evaluation.format_evaluation_report(nothing, "p").splitlines()[1] == (
        "analogies (analogies.txt): n/a, none of the 8 questions could be asked: in each, a word is not "
        "among the 2 most frequent")


def test_semantic_syntactic_split(tmp_path, gensim_pair):
    # sections named gram* are syntactic, the others semantic (the Google set's halves)
    path = tmp_path / "split.txt"
    path.write_text(ANALOGIES.replace(": plurals", ": gram8-plural"), encoding="utf-8")
    wv = planted_vectors()
    report = evaluation.evaluation_report(wv, path, [], restrict_vocab=len(wv))
    split = report["analogies"]["split"]
    assert split["semantic"] == {"correct": 3, "answered": 4, "sections": 2, "accuracy": 0.75}
    assert split["syntactic"] == {"correct": 3, "answered": 3, "sections": 1, "accuracy": 1.0}
    text = evaluation.format_evaluation_report(report, "planted").splitlines()
    assert text[-2].split() == ["semantic", "(2", "sections)", "75.00%", "(3/4)"]
    assert text[-1].split() == ["syntactic", "(1", "section)", "100.00%", "(3/3)"]
    res = evaluation.evaluate_all(wv, restrict_vocab=None, analogies=path, pairs={})
    assert (res["analogy_semantic"], res["analogy_syntactic"]) == (0.75, 1.0)
    # the shipped Google set: 5 semantic and 9 syntactic sections, adding up to the total
    wv, _ = gensim_pair
    score, sections = evaluation.evaluate_word_analogies(wv, restrict_vocab=30000)
    halves = evaluation.analogy_split(sections)
    assert (halves["semantic"]["sections"], halves["syntactic"]["sections"]) == (5, 9)
    assert halves["semantic"]["correct"] + halves["syntactic"]["correct"] == len(sections[-1]["correct"])
    assert halves["semantic"]["answered"] + halves["syntactic"]["answered"] == (
        len(sections[-1]["correct"]) + len(sections[-1]["incorrect"]))
    report = evaluation.evaluation_report(wv, "questions-words", [])
    assert {k: v["correct"] for k, v in report["analogies"]["split"].items()} == {
        k: v["correct"] for k, v in halves.items()}


# ---------------------------------------------------------------- datasets
def test_builtin_paths_and_aliases():
    qw = datasets.builtin_path("questions-words")
    assert qw.name == "questions-words.txt" and qw.is_file()
    assert datasets.builtin_path("ws353") == datasets.builtin_path("wordsim353")
    text = qw.read_text(encoding="utf-8")
    assert text.count("\n:") + text.startswith(":") == 14
    assert datasets.resolve("wordsim353") == datasets.builtin_path("wordsim353")
    assert datasets.available()["simlex999"]["shipped"] is False
    assert (datasets.DATA_DIR / "LICENSES.md").is_file()


def test_demo_corpus_is_registered_without_importing_the_demo():
    # A fresh interpreter: in this one some test may already have imported glovefast.demo,
    # which used to be what registered "kjv".
    code = ("import sys; from glovefast import datasets; p = datasets.resolve('kjv'); "
            "assert 'glovefast.demo' not in sys.modules, 'datasets imported the demo'; "
            "assert datasets.available()['kjv']['shipped']; print(p.name)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "kjv.txt.gz"


def test_unknown_dataset_name_lists_names(tmp_path):
    with pytest.raises(InvalidParameterError) as info:
        datasets.builtin_path("wordsim999")
    assert "'questions-words'" in str(info.value) and "'wordsim353'" in str(info.value)
    with pytest.raises(FileNotFoundError, match="built-in data set names"):
        datasets.resolve(tmp_path / "missing.tsv")


def test_unshipped_dataset_search_and_error(monkeypatch, tmp_path):
    monkeypatch.setattr(datasets, "_gensim_test_data_dir", lambda: None)
    monkeypatch.delenv(datasets.DATA_DIR_ENV, raising=False)
    with pytest.raises(DataNotFoundError, match="GLOVEFAST_DATA_DIR") as info:
        datasets.builtin_path("simlex999")
    assert isinstance(info.value, FileNotFoundError)
    (tmp_path / "simlex999.txt").write_text("a\tb\t1\n", encoding="utf-8")
    monkeypatch.setenv(datasets.DATA_DIR_ENV, str(tmp_path))
    assert datasets.builtin_path("simlex") == tmp_path / "simlex999.txt"


def test_register_new_dataset(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets, "_REGISTRY", dict(datasets._REGISTRY))
    datasets.register("demo-pairs", "wordsim353.tsv", description="alias for a test")
    assert datasets.builtin_path("demo-pairs") == datasets.builtin_path("wordsim353")
    with pytest.raises(InvalidParameterError):
        datasets.register("", "x")
