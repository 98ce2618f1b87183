"""glovefast.plotting: the plots show the model's data, and save_plots writes complete PNGs."""
import os

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402

from glovefast import Corpus, Glove  # noqa: E402
from glovefast.errors import InvalidParameterError  # noqa: E402
from glovefast.plotting import (  # noqa: E402
    PLOT_FILES,
    plot_loss,
    plot_norms,
    plot_weighting,
    save_plots,
    weighting,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def model():
    rng = np.random.default_rng(0)
    docs = [[f"w{i}" for i in rng.integers(0, 60, size=20)] for _ in range(300)]
    corpus = Corpus().fit(docs, window=3)
    glove = Glove(no_components=6, max_count=7.0, alpha=0.6, random_state=0)
    return glove.fit(corpus.matrix, epochs=6, no_threads=1)


def axes():
    return Figure().add_subplot()


def test_loss_line_is_the_loss_history(model):
    ax = plot_loss(model.loss_history_, ax=axes())
    (line,) = ax.lines
    np.testing.assert_array_equal(line.get_xdata(), np.arange(1, 7))
    np.testing.assert_array_equal(line.get_ydata(), model.loss_history_)
    assert "epoch" in ax.get_xlabel()


def test_loss_uses_a_log_scale_only_for_a_wide_range():
    assert plot_loss([1.0, 0.5, 0.4], ax=axes()).get_yscale() == "linear"
    assert plot_loss([10.0, 0.5, 0.05], ax=axes()).get_yscale() == "log"


@pytest.mark.parametrize("losses", [[], [0.5, float("nan")]])
def test_loss_rejects_empty_or_non_finite(losses):
    with pytest.raises(InvalidParameterError):
        plot_loss(losses, ax=axes())


def test_weighting_curve_and_x_max_marker():
    ax = plot_weighting(50.0, 0.75, ax=axes())
    curve, marker = ax.lines
    x, y = curve.get_xdata(), curve.get_ydata()
    np.testing.assert_allclose(y, np.minimum(1.0, (x / 50.0) ** 0.75))
    assert x.min() == 0 and x.max() == 100.0
    assert y[x >= 50].min() == 1.0 and y[x < 50].max() < 1.0
    assert list(marker.get_xdata()) == [50.0, 50.0]  # axvline at x_max
    assert "x_max = 50" in [t.get_text() for t in ax.get_legend().get_texts()][1]


def test_weighting_function_values():
    np.testing.assert_allclose(weighting([0, 25, 100, 400], 100, 0.75), [0.0, 0.25 ** 0.75, 1.0, 1.0])


@pytest.mark.parametrize("x_max, alpha", [(0, 0.75), (-1, 0.75), (100, -0.1), (float("nan"), 0.75)])
def test_weighting_rejects_bad_parameters(x_max, alpha):
    with pytest.raises(InvalidParameterError):
        plot_weighting(x_max, alpha, ax=axes())


def test_norm_histogram_counts_every_word(model):
    ax = plot_norms(model.word_vectors, ax=axes(), bins=10)
    heights = [p.get_height() for p in ax.patches]
    norms = np.linalg.norm(model.word_vectors, axis=1)
    assert sum(heights) == len(norms)
    np.testing.assert_array_equal(heights, np.histogram(norms, bins=10)[0])
    assert ax.lines[0].get_xdata()[0] == pytest.approx(np.median(norms))


def test_norms_accept_a_model_or_word_vectors(model):
    from glovefast.vectors.word_vectors import WordVectors

    wv = WordVectors([f"w{i}" for i in range(len(model.word_vectors))], model.word_vectors)
    for source in (model, wv):
        heights = [p.get_height() for p in plot_norms(source, ax=axes(), bins=5).patches]
        assert sum(heights) == len(model.word_vectors)
    with pytest.raises(InvalidParameterError):
        plot_norms(Glove(), ax=axes())  # not trained


def test_without_ax_a_new_pyplot_figure_is_made(model):
    import matplotlib.pyplot as plt

    before = len(plt.get_fignums())
    ax = plot_loss(model.loss_history_)
    try:
        assert len(plt.get_fignums()) == before + 1
        assert ax.figure.number in plt.get_fignums()
    finally:
        plt.close(ax.figure)


def test_save_plots_writes_pngs_without_pyplot_figures(model, tmp_path):
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    target = tmp_path / "new" / "dir"
    written = save_plots(model, target)
    assert set(written) == set(PLOT_FILES)
    assert sorted(os.listdir(target)) == sorted(PLOT_FILES.values())  # and no temporary files
    for path in written.values():
        data = path.read_bytes()
        assert data[:8] == PNG_MAGIC and data.endswith(b"IEND\xaeB`\x82")  # complete files
    assert plt.get_fignums() == before


def test_save_plots_skips_the_loss_of_an_untrained_model(model, tmp_path, caplog):
    untrained = Glove(no_components=3, random_state=0).fit(Corpus().fit([["a", "b", "c"]] * 3, window=2).matrix,
                                                           epochs=0)
    written = save_plots(untrained, tmp_path)
    assert set(written) == {"weighting", "norms"}
    assert "no loss history" in caplog.text


def test_missing_matplotlib_error_names_the_extra(monkeypatch):
    import builtins

    import glovefast.plotting as plotting

    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "matplotlib" or name.startswith("matplotlib."):
            raise ImportError("No module named 'matplotlib'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(ImportError, match=r"pip install 'glovefast\[plot\]'"):
        plotting.require_matplotlib()
    with pytest.raises(ImportError, match="glovefast"):
        plotting.plot_loss([1.0, 0.5])
