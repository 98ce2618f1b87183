"""No command or call writes over its own input (issue 20, the severe item).

The audit's repro: ``glovefast train c1.txt -o c1.txt`` exited 0 and the corpus was gone; the same
with ``--save-model`` naming the corpus, ``-o`` a symlink to it, ``train --matrix m.npz -o m.npz``
and ``-o st/manifest.json`` inside an input store. Outputs were compared with each other only.
Every case below must fail with OutputIsInputError's message before anything is written, and
leave the directory exactly as it was.
"""
import os

import numpy as np
import pytest

from conftest import write_corpus
from glovefast import Corpus, WordVectors
from glovefast.errors import InvalidParameterError, OutputIsInputError
from glovefast._util.atomic import check_outputs, path_overlap


def snapshot(directory):
    """Every file under ``directory`` with its content: what must not change."""
    result = {}
    for root, _, files in os.walk(directory):
        for name in files:
            path = os.path.join(root, name)
            result[os.path.relpath(path, directory)] = (os.path.islink(path), open(path, "rb").read())
    return result


@pytest.fixture
def work(tmp_path, cli, monkeypatch):
    """A directory holding a corpus, its links, a matrix, a store, vectors and a resumable model."""
    monkeypatch.chdir(tmp_path)
    write_corpus(tmp_path / "c1.txt")
    os.symlink("c1.txt", "link.txt")
    os.link("c1.txt", "hard.txt")
    (tmp_path / "plots").mkdir()
    (tmp_path / "plots" / "loss.png").write_text("a corpus that happens to have this name\n")
    common = ["--dim", "4", "--epochs", "1", "--threads", "1", "-q"]
    for args in (["c1.txt", "-o", "v.txt", "--save-matrix", "m.npz", "--save-model", "model.npz"],
                 ["c1.txt", "-o", "v2.txt", "--save-matrix", "st"]):
        assert cli("train", *args, *common).returncode == 0
    return tmp_path


TRAIN_CASES = {
    "-o is the corpus": (["c1.txt", "-o", "c1.txt"], "--output 'c1.txt' is the corpus file 'c1.txt'"),
    "-o is the corpus spelt otherwise": (["c1.txt", "-o", "./c1.txt"], "is the corpus file"),
    "-o is a symlink to the corpus": (["c1.txt", "-o", "link.txt"], "the same file by another name"),
    "-o is a hard link to the corpus": (["c1.txt", "-o", "hard.txt"], "the same file by another name"),
    "the corpus is a symlink to -o": (["link.txt", "-o", "c1.txt"], "the same file by another name"),
    "--save-model is the corpus": (["c1.txt", "-o", "x.txt", "--save-model", "c1.txt"], "--save-model 'c1.txt'"),
    "--save-matrix is the corpus": (["c1.npz", "-o", "x.txt", "--save-matrix", "c1.npz"], "--save-matrix"),
    "--matrix is -o": (["--matrix", "m.npz", "-o", "m.npz"], "is the --matrix input"),
    "-o inside the --matrix store": (["--matrix", "st", "-o", "st/manifest.json"], "lies inside the --matrix input"),
    "a new file inside the --matrix store": (["--matrix", "st", "-o", "st/new.txt"], "lies inside"),
    "--save-model inside the --matrix store": (["--matrix", "st", "-o", "x.txt", "--save-model", "st/m.npz"],
                                               "lies inside"),
    "the corpus inside the --save-matrix store": (["st/manifest.json", "-o", "x.txt", "--save-matrix", "st"],
                                                  "which would be replaced"),
    "-o inside the --save-matrix store": (["c1.txt", "-o", "st/x.txt", "--save-matrix", "st"], "lies inside"),
    "--init is -o": (["c1.txt", "-o", "v.txt", "--init", "v.txt"], "is the --init vectors"),
    "--resume is -o": (["c1.txt", "-o", "model.npz", "--resume", "model.npz"], "is the --resume model"),
    "a --plot file is the corpus": (["plots/loss.png", "-o", "x.txt", "--plot", "plots"],
                                    "--plot loss.png 'plots/loss.png' is the corpus file"),
    "-o and --save-model the same by a link": (["c1.txt", "-o", "out.txt", "--save-model", "./out.txt"],
                                               "name the same file"),
}


@pytest.mark.parametrize("case", sorted(TRAIN_CASES))
def test_train_never_writes_over_its_inputs(work, cli, case):
    args, fragment = TRAIN_CASES[case]
    if "c1.npz" in args:
        (work / "c1.npz").write_bytes((work / "c1.txt").read_bytes())
    if "plots" in args:
        pytest.importorskip("matplotlib")
    before = snapshot(work)
    result = cli("train", *args, "--dim", "4", "--epochs", "1", "--threads", "1", "-q")
    assert result.returncode == 2, result.stderr
    assert fragment in result.stderr and "nothing was written" in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1
    assert snapshot(work) == before  # nothing replaced, nothing left behind


def test_resuming_a_model_in_place_is_still_allowed(work, cli):
    """docs/finetune.md: --resume X --save-model X continues a model (it is read whole first)."""
    result = cli("train", "c1.txt", "-o", "v3.txt", "--resume", "model.npz", "--save-model", "model.npz",
                 "--epochs", "1", "--threads", "1", "-q")
    assert result.returncode == 0, result.stderr
    from glovefast import Glove

    assert Glove.load("model.npz").epochs_trained_ == 2


@pytest.mark.parametrize("out", ["v.txt", "./v.txt", "vlink.txt"])
def test_convert_never_writes_over_its_input(work, cli, out):
    os.symlink("v.txt", "vlink.txt")
    before = snapshot(work)
    result = cli("convert", "v.txt", out, "--to", "glove")
    assert result.returncode == 2 and "OUT" in result.stderr and "is IN 'v.txt'" in result.stderr, result.stderr
    assert snapshot(work) == before


def test_convert_from_glove_python_never_writes_over_its_input(work, cli):
    before = snapshot(work)
    result = cli("convert", "--from-glove-python", "c1.txt", "hard.txt")
    assert result.returncode == 2 and "OUT 'hard.txt' is IN 'c1.txt'" in result.stderr, result.stderr
    assert snapshot(work) == before


# ---------------------------------------------------------------------------- the library's twins
def test_corpus_save_refuses_a_path_inside_its_own_store(work):
    corpus = Corpus.load("st")
    nnz = corpus.matrix.nnz
    before = snapshot(work)
    for target in ("st/manifest.json", "st/shard-00000.row.i4", "st/more"):
        with pytest.raises(OutputIsInputError, match="lies inside this corpus's store"):
            corpus.save(target)
    os.symlink("st/manifest.json", "alias.npz")
    with pytest.raises(OutputIsInputError, match="lies inside this corpus's store"):
        corpus.save("alias.npz")
    os.unlink("alias.npz")
    assert snapshot(work) == before
    assert Corpus.load("st").matrix.nnz == nnz


def test_corpus_save_over_its_own_store_keeps_it_whole(work):
    corpus = Corpus.load("st")
    expected = corpus.matrix.toarray()
    corpus.save("st")
    assert np.array_equal(Corpus.load("st").matrix.toarray(), expected)
    assert np.array_equal(corpus.matrix.toarray(), expected)
    assert sorted(os.listdir(work)) == sorted(n for n in os.listdir(work) if not n.startswith("."))


def test_counting_into_a_store_that_holds_the_corpus_is_refused(work):
    before = snapshot(work)
    with pytest.raises(OutputIsInputError, match="lies inside the store 'st', which would be replaced"):
        Corpus().fit("st/manifest.json", store="st", overwrite=True)
    with pytest.raises(OutputIsInputError):
        Corpus().fit(["c1.txt", work / "st" / "manifest.json"], store=work / "st", overwrite=True)
    assert snapshot(work) == before


@pytest.mark.parametrize("save", ["save", "save_word2vec_format", "save_glove_format"])
def test_vectors_saved_over_the_file_they_are_mapped_from(tmp_path, save):
    """An atomic replace leaves the mapped (old) file readable until the writer has read it. (A
    name that says another format, such as text over ``v.npz``, is refused first: see
    test_output_compression; the file is named ``v`` here so every writer may replace it.)"""
    rng = np.random.default_rng(3)
    wv = WordVectors([f"w{i}" for i in range(300)], rng.normal(size=(300, 16)).astype(np.float32))
    path = tmp_path / "v"
    wv.save(path)
    mapped = WordVectors.load(path, mmap=True)
    getattr(mapped, save)(path)
    from glovefast import load_vectors

    assert np.array_equal(load_vectors(path).vectors, wv.vectors)
    assert np.array_equal(mapped.vectors, wv.vectors)
    assert os.listdir(tmp_path) == ["v"]


@pytest.mark.parametrize("save", ["save_word2vec_format", "save_glove_format"])
def test_text_is_not_written_over_the_npz_the_vectors_are_mapped_from(tmp_path, save):
    wv = WordVectors(["a", "b"], np.eye(2, dtype=np.float32))
    wv.save(tmp_path / "v.npz")
    before = (tmp_path / "v.npz").read_bytes()
    mapped = WordVectors.load(tmp_path / "v.npz", mmap=True)
    with pytest.raises(InvalidParameterError, match="the name says glovefast's native format"):
        getattr(mapped, save)(tmp_path / "v.npz")
    assert (tmp_path / "v.npz").read_bytes() == before and os.listdir(tmp_path) == ["v.npz"]


def test_path_overlap_sees_every_name_of_a_file(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "f").write_text("x")
    os.symlink(tmp_path / "d", tmp_path / "dlink")
    os.link(tmp_path / "d" / "f", tmp_path / "hard")
    assert path_overlap(tmp_path / "dlink" / "f", tmp_path / "d" / "f") == "same"
    assert path_overlap(tmp_path / "hard", tmp_path / "d" / "f") == "same"
    assert path_overlap(tmp_path / "dlink" / "new", tmp_path / "d") == "inside"
    assert path_overlap(tmp_path / "d", tmp_path / "dlink" / "f") == "contains"
    assert path_overlap(tmp_path / "new", tmp_path / "d" / "f") is None
    assert path_overlap(tmp_path / "new", tmp_path / "new") == "same"


def test_devices_and_standard_streams_never_conflict():
    """A tty can be both stdin and stdout; devices are written through, never replaced."""
    check_outputs([("/dev/null", "--output")], [("/dev/null", "the corpus file"), ("-", "stdin")])
    check_outputs([("-", "--output")], [("-", "the corpus file")])
